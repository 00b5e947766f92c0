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

/** A series of counts per bucket on the common width, as a rate per minute. */
export const perMinute = (v: VariantResult, counts: readonly number[], widthMs: number): { startS: number; endS: number; value: number }[] =>
  rebin(v, counts.map((c) => c * 60), widthMs);

/** The burst that decided a variant's longest key wait (metrics.worstWait), as a chart's rows: shaded from its start to that request's admission, a rule at its arrival. */
export function burstRows(run: RunResult): Loose[] {
  return run.variants.flatMap((v) => {
    const w = v.metrics.worstWait;
    if (!w) return [];
    const mean = v.metrics.offered?.requestsPerMin.mean ?? null;
    return [{
      variant: v.name,
      isBurst: true,
      fromS: seconds(w.burst.fromMs),
      toS: seconds(w.burst.toMs),
      atS: seconds(w.arrivalMs),
      waitS: seconds(w.waitMs),
      requests: w.burst.requests,
      perMin: w.burst.requestsPerMin,
      meanPerMin: mean,
    }];
  });
}

/** The layers that draw burstRows on a time chart (under the data: they filter on `isBurst`). */
export function burstLayers(): Loose[] {
  const only = [{ filter: 'datum.isBurst === true' }];
  const tooltip = [
    { field: 'variant', type: 'nominal' },
    { field: 'waitS', type: 'quantitative', title: 'longest key wait (s)' },
    { field: 'atS', type: 'quantitative', title: 'it arrived at (s)' },
    { field: 'fromS', type: 'quantitative', title: 'busy since (s)' },
    { field: 'toS', type: 'quantitative', title: 'admitted (or gave up) at (s)' },
    { field: 'requests', type: 'quantitative', title: 'requests arriving since, itself included' },
    { field: 'perMin', type: 'quantitative', title: 'their rate (requests/min)' },
    { field: 'meanPerMin', type: 'quantitative', title: 'mean rate of the run (requests/min)' },
  ];
  return [
    { transform: only, mark: { type: 'rect', color: BURST_COLOUR, opacity: 0.14 }, encoding: { x: { field: 'fromS', type: 'quantitative' }, x2: { field: 'toS' }, tooltip } },
    { transform: only, mark: { type: 'rule', color: BURST_COLOUR, strokeWidth: 1.5, strokeDash: [4, 2] }, encoding: { x: { field: 'atS', type: 'quantitative' }, tooltip } },
  ];
}

/** The burst's colour: apart from the faults' red and the variants' colours. */
export const BURST_COLOUR = '#6f42c1';

/** The subtitle line that says what the burst shading is. */
export const BURST_LEGEND =
  "Purple: the burst behind each variant's longest key wait, from the start of the busy period that held it (some request waiting for a key throughout) to its admission (or giving up); dashed: when that request arrived.";

/** What the offered-against-passed charts draw, in order, each with its own colour. */
export const FLOWS: readonly { key: 'offered' | 'admitted' | 'refused'; label: string; color: string }[] = [
  { key: 'offered', label: 'offered (arrived)', color: '#1f2328' },
  { key: 'admitted', label: 'admitted (not refused)', color: '#4e9a5d' },
  { key: 'refused', label: 'refused (429)', color: '#e8a33d' },
];

/**
 * Requests or tokens per minute offered (by arrival) against admitted by a key and refused with a
 * 429 (by admission), a panel per variant on one bucket width, with the burst behind the longest
 * key wait shaded (series.offered, metrics.worstWait). Only where something stood between the two:
 * some request waited for a key or some attempt was refused; not when every variant draws alike.
 */
export function flowChart(run: RunResult, unit: 'requests' | 'tokens'): TopLevelSpec | null {
  const series = run.variants.map((v) => (unit === 'requests' ? v.series.offered?.requests : v.series.offered?.tokens));
  if (series.every((s) => s === undefined)) return null;
  const refused = series.some((s) => s?.refused.some((n) => n > 0));
  const shown = FLOWS.filter((f) => f.key !== 'refused' || refused);
  const width = commonWidth(run, 60);
  const rates = run.variants.map((v, i) => {
    const s = series[i];
    return new Map(shown.map((f) => [f.key, s ? perMinute(v, s[f.key], width) : []]));
  });
  // Admitted within 10% of offered in every bucket (or 1 a minute), nothing refused: the keys passed the traffic as it came.
  const passed = rates.every((r) => nearlySame([r.get('offered')!.map((b) => b.value), r.get('admitted')!.map((b) => b.value)], 0.1, 1));
  if (!refused && passed) return null;
  const per = rates.map((r) => shown.flatMap((f) => r.get(f.key)!.map((b) => ({ flow: f.label, timeS: b.startS, perMin: b.value }))));
  if (per.every((rows) => rows.every((r) => r.perMin === 0)) || allSame(per)) return null;
  const bursts = burstRows(run);
  const what = unit === 'requests' ? 'requests' : 'tokens (prompt + output)';
  return timeFacets(run, {
    title: unit === 'requests' ? 'Requests per minute offered, admitted and refused' : 'Tokens per minute offered, admitted and refused',
    subtitle: [
      `Offered: ${what} arriving, by arrival; admitted: attempts a key let through that were not refused; refused: attempts answered 429 (by when admitted; a retry counts again). Per minute, over each ${width / 1000} s.`,
      ...(bursts.length ? [BURST_LEGEND] : []),
    ],
    values: [...per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))), ...bursts],
    height: 110,
    main: {
      layer: [
        ...(bursts.length ? burstLayers() : []),
        {
          transform: [{ filter: 'datum.isBurst !== true' }],
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
            y: { field: 'perMin', type: 'quantitative', title: `${unit} per minute (${unit}/min)` },
            color: { field: 'flow', type: 'nominal', title: unit, sort: shown.map((f) => f.label), scale: { domain: shown.map((f) => f.label), range: shown.map((f) => f.color) } },
            tooltip: [
              { field: 'variant', type: 'nominal' },
              { field: 'flow', type: 'nominal', title: unit },
              { field: 'timeS', type: 'quantitative', title: 'from (s)' },
              { field: 'perMin', type: 'quantitative', title: `${unit}/min`, format: ',.1f' },
            ],
          },
        },
      ],
    },
  });
}
