import type { TopLevelSpec } from 'vega-lite';
import type { RunResult, VariantResult } from '../../metrics/results.js';
import { facetColumns, FULL, HALF, type Palette, panelWidth, r3, scaleOf, seconds, type ChartBody, vegaSpec } from '../vega.js';

/**
 * The pieces several charts share: one panel per variant over time with faults shaded
 * (timeFacets), series rebinned to one width, a single view that fits its share of the column,
 * a distribution per variant (cdfChart), and the tests that leave a chart out (allSame,
 * nearlySame). Charts sit above this file; it imports no chart.
 */

export const variantOrder = (run: RunResult): string[] => run.variants.map((v) => v.name);

/** True when every list is the same (JSON equal): a chart of them compares nothing. */
export const allSame = (xs: readonly unknown[]): boolean => xs.length > 1 && xs.every((x) => JSON.stringify(x) === JSON.stringify(xs[0]));

/**
 * True when every series matches the first at each point within `tol` of the larger value (or
 * within `floor`): drawn, they would be one line.
 */
export function nearlySame(xs: readonly (readonly number[])[], tol: number, floor = 0): boolean {
  if (xs.length < 2) return false;
  const [first] = xs;
  return xs.every((x) => x.length === first!.length && x.every((v, i) => Math.abs(v - first![i]!) <= Math.max(floor, tol * Math.max(Math.abs(v), Math.abs(first![i]!)))));
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/**
 * One bucket width for every variant of a run, so side-by-side panels read the same rate the
 * same way: a multiple of every variant's bucket (they are 1-2-5 multiples of a ms, so their
 * least common multiple is small), widened by 1-2-5 steps until the longest variant has at most
 * `max` buckets.
 */
export function commonWidth(run: RunResult, max = 40): number {
  const widths = run.variants.map((v) => Math.max(1, Math.round(v.series.bucketMs)));
  const base = widths.reduce(lcm, 1);
  const span = Math.max(...run.variants.map((v) => v.series.t.length * v.series.bucketMs), 1);
  for (let scale = 1; ; scale *= 10) {
    for (const f of [1, 2, 5]) if (Math.ceil(span / (base * f * scale)) <= max) return base * f * scale;
  }
}

/** A series on the common width: counts summed into a rate per second, or levels (in flight, healthy) averaged. */
export function rebin(v: VariantResult, values: readonly number[], widthMs: number, as: 'rate' | 'mean' = 'rate'): { startS: number; endS: number; value: number }[] {
  const k = Math.max(1, Math.round(widthMs / v.series.bucketMs));
  const out: { startS: number; endS: number; value: number }[] = [];
  for (let i = 0; i < values.length; i += k) {
    let sum = 0;
    let n = 0;
    for (let j = i; j < Math.min(values.length, i + k); j++, n++) sum += values[j] ?? 0;
    const start = (i / k) * widthMs;
    out.push({ startS: seconds(start), endS: seconds(start + widthMs), value: r3(as === 'rate' ? (sum * 1000) / widthMs : sum / n) });
  }
  return out;
}

/** An injected fault as a variant saw it: when it ran, and when its health rules noticed it and its end. */
export interface FaultSpan {
  variant: string;
  provider: string;
  kind: string;
  startS: number;
  endS: number;
  detectedS: number | null;
  backS: number | null;
}

export function faultSpans(run: RunResult): FaultSpan[] {
  return run.variants.flatMap((v) =>
    Object.entries(v.metrics.providers).flatMap(([provider, p]) =>
      (p.faults ?? []).map((f) => ({
        variant: v.name,
        provider,
        kind: f.kind,
        startS: seconds(f.atMs),
        endS: seconds(f.atMs + f.forMs),
        detectedS: f.detectedAfterMs === null ? null : seconds(f.atMs + f.detectedAfterMs),
        backS: f.restoredAfterMs === null ? null : seconds(f.atMs + f.forMs + f.restoredAfterMs),
      })),
    ),
  );
}

/** The subtitle line that says what the shading and the lines on a time chart are. */
function faultLegend(spans: readonly FaultSpan[]): string[] {
  if (spans.length === 0) return [];
  const faults = [...new Set(spans.map((s) => `${s.provider} ${s.kind} ${s.startS}–${s.endS} s`))].join(', ');
  return [`Shaded: ${faults}. Dashed line: marked unhealthy (detected); dotted: in use again.`];
}

export type Loose = Record<string, unknown>;

/**
 * A chart of one panel per variant over time, sharing its x and y scales (facets share them),
 * with each variant's faults shaded and its detection marked. `values` rows carry `variant`; the
 * main layer draws them.
 */
export function timeFacets(run: RunResult, o: { title: string; subtitle: string[]; values: Loose[]; main: Loose; height: number }): TopLevelSpec {
  const spans = faultSpans(run);
  const cols = facetColumns(run.variants.length);
  const data = [
    ...o.values.map((x) => ({ ...x, layer: 'data' })),
    ...spans.map((s) => ({ ...s, layer: 'fault' })),
    ...spans.filter((s) => s.detectedS !== null).map((s) => ({ variant: s.variant, provider: s.provider, atS: s.detectedS, what: `${s.provider} marked unhealthy`, layer: 'detected' })),
    ...spans.filter((s) => s.backS !== null).map((s) => ({ variant: s.variant, provider: s.provider, atS: s.backS, what: `${s.provider} in use again`, layer: 'back' })),
  ];
  const only = (layer: string) => [{ filter: `datum.layer === '${layer}'` }];
  const layers: Loose[] = [{ name: 'data', transform: only('data'), ...o.main }];
  if (spans.length) {
    layers.unshift({
      name: 'fault',
      transform: only('fault'),
      mark: { type: 'rect', color: '#b3261e', opacity: 0.1 },
      encoding: {
        x: { field: 'startS', type: 'quantitative' },
        x2: { field: 'endS' },
        tooltip: [
          { field: 'provider', type: 'nominal' },
          { field: 'kind', type: 'nominal', title: 'fault' },
          { field: 'startS', type: 'quantitative', title: 'from (s)' },
          { field: 'endS', type: 'quantitative', title: 'to (s)' },
        ],
      },
    });
    for (const [layer, dash] of [['detected', [5, 3]], ['back', [2, 2]]] as const) {
      if (!data.some((d) => d.layer === layer)) continue;
      layers.push({
        name: layer,
        transform: only(layer),
        mark: { type: 'rule', color: '#b3261e', strokeWidth: 1.5, strokeDash: dash },
        encoding: { x: { field: 'atS', type: 'quantitative' }, tooltip: [{ field: 'what', type: 'nominal', title: 'event' }, { field: 'atS', type: 'quantitative', title: 'at (s)' }] },
      });
    }
  }
  return vegaSpec({
    title: { text: o.title, subtitle: [...o.subtitle, ...faultLegend(spans)] },
    data: { values: data },
    facet: { field: 'variant', type: 'nominal', title: null, sort: variantOrder(run) },
    columns: cols,
    // Five or six narrow panels in a row read better (and take less of the page) a little shorter.
    spec: { width: panelWidth(cols, 1), height: cols >= 5 ? Math.round(o.height * 0.8) : o.height, layer: layers },
    usermeta: { size: 'full' },
  });
}

/** A single-view chart that fits its share of the column exactly (axes and legend included). */
export function single(size: 'half' | 'full', spec: ChartBody): TopLevelSpec {
  return vegaSpec({ width: size === 'half' ? HALF : FULL, autosize: { type: 'fit-x', contains: 'padding' }, usermeta: { size }, ...spec });
}

/** What a distribution chart says: its titles, the field its x values go in, and the words of its axes and tooltip. */
export interface CdfText {
  title: string;
  subtitle: string;
  field: string;
  xTitle: string;
  yTitle: string;
  tip: string;
  within: string;
}

/**
 * A distribution per variant from `[percentile, ms]` pairs: the share of samples within x, x in
 * seconds on a log axis. Null when no variant has a sample, when every variant's is one value (a
 * vertical line), or when the variants lie within 5% of each other at every percentile (one line
 * on a log axis).
 */
export function cdfChart(run: RunResult, pal: Palette, cdf: (v: VariantResult) => readonly [number, number][], t: CdfText): TopLevelSpec | null {
  const withData = run.variants.filter((v) => cdf(v).some(([, ms]) => ms > 0));
  if (withData.length === 0) return null;
  const flat = withData.every((v) => {
    const ms = cdf(v).map(([, x]) => x);
    return Math.max(...ms) <= Math.min(...ms) * 1.01;
  });
  if (flat || (withData.length === run.variants.length && nearlySame(withData.map((v) => cdf(v).map(([, ms]) => ms)), 0.05))) return null;
  const values = withData.flatMap((v) => cdf(v).filter(([, ms]) => ms > 0).map(([p, ms]) => ({ variant: v.name, [t.field]: seconds(ms), share: p / 100 })));
  const names = withData.map((v) => v.name);
  return single('half', {
    title: { text: t.title, subtitle: t.subtitle },
    height: 170,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: t.field, type: 'quantitative', scale: { type: 'log', nice: false }, title: t.xTitle },
      y: { field: 'share', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: t.yTitle },
      color: { field: 'variant', type: 'nominal', sort: names, title: 'variant', scale: scaleOf(pal.variants, names) },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: t.field, type: 'quantitative', title: t.tip, format: '.3f' },
        { field: 'share', type: 'quantitative', title: t.within, format: '.1%' },
      ],
    },
  });
}

/** A client-side limiter is configured in some variant: some key window held an entry. */
export const hasLimiter = (run: RunResult): boolean => run.variants.some((v) => v.metrics.limiter.entriesPeak > 0);

/** Per-provider series (results.json from before they existed have none). */
export type ProviderSeriesMap = Record<string, { inFlight?: number[]; healthy?: number[] }>;
export const providerSeries = (v: VariantResult): ProviderSeriesMap => (v.series as { providers?: ProviderSeriesMap }).providers ?? {};

/** Some provider has a queue: requests waited for its capacity. */
export const queues = (run: RunResult): boolean => run.variants.some((v) => (v.metrics.phasesMs.providerQueue.mean ?? 0) > 0.5);
