import type { TopLevelSpec } from 'vega-lite';
import type { Results, RunResult, VariantMetrics, VariantResult } from '../metrics/results.js';
import { checkFigures, comparable, pointX, sweepAxisKind, TOLERANCE, type Verdict, withinTolerance } from './answer.js';
import { axisTitle } from './axis.js';

export { sweepAxis } from './answer.js';
import { METRICS, type MetricRow } from './catalogue.js';
import { adaptiveChart } from './adaptive.js';
import {
  chartSize, facetColumns, FULL, GAP, HALF, LEGEND, LEGEND_TOP, palette, type Palette, panelWidth, r3, scaleOf, seconds, VARIANT_COLOURS,
  type ChartBody, vegaSpec, wrap, wrapList,
} from './vega.js';

/** The kit's names the report's tests and pages have always taken from here. */
export { chartSize, facetColumns, FULL, HALF, palette, wrap, wrapList };
export type { Palette };

/**
 * The report's charts: one small function per chart, each a vega-lite spec built from results.json
 * data alone (so `gatesim report results.json` redraws them). A function returns null when its
 * chart would say nothing for this run: empty, flat, the same for every variant, or about a part
 * of the gateway the scenario does not configure (no limiter, one provider, nothing unhealthy).
 */


/** How outcomes read in a legend, in stacking order, with a colour a reader can tell apart. */
export const OUTCOMES: readonly { key: string; label: string; color: string }[] = [
  { key: 'ok', label: 'ok', color: '#4e9a5d' },
  { key: 'rateLimited', label: '429 rate limited', color: '#e8a33d' },
  { key: 'serverError', label: '5xx server error', color: '#d1495b' },
  { key: 'timeout', label: 'timeout', color: '#8e6bbf' },
  { key: 'connectFailed', label: 'connect failure', color: '#6c757d' },
  { key: 'gaveUp', label: 'gave up (no key)', color: '#2f2f2f' },
  { key: 'unavailable', label: 'no healthy provider', color: '#9c6b3c' },
  { key: 'tooLarge', label: 'too large for a quota', color: '#b5179e' },
];

/** The phases of a request, in the order it meets them, each with its own colour. */
export const PHASES: readonly { key: keyof VariantMetrics['phasesMs']; label: string; color: string }[] = [
  { key: 'keyWait', label: 'waiting for a key', color: '#4c78a8' },
  { key: 'providerQueue', label: 'provider queue', color: '#f58518' },
  { key: 'connect', label: 'connecting', color: '#b279a2' },
  { key: 'service', label: 'service', color: '#72b7b2' },
  { key: 'retryWait', label: 'retry backoff', color: '#9d755d' },
];

export const LIMITER_FIGURES: readonly { key: Exclude<keyof VariantMetrics['limiter'], 'store'>; label: string; means: string }[] = [
  { key: 'checks', label: 'checks', means: 'looks for an admissible key' },
  { key: 'wastedChecks', label: 'wasted checks', means: 'looks that found none' },
  { key: 'wakeups', label: 'wake-ups', means: 'a waiter woke to look again (CPU)' },
  { key: 'entriesPeak', label: 'entries peak (per key)', means: 'most entries one key’s window held (memory)' },
];

/** Verdict colours of the published-vs-simulated chart. */
export const VERDICTS: readonly { key: Verdict; label: string; color: string }[] = [
  { key: 'reproduced', label: 'reproduced', color: '#2e7d32' },
  { key: 'off', label: 'off by more than the tolerance', color: '#e8a33d' },
  { key: 'contradicted', label: 'contradicted', color: '#c62828' },
];


const variantOrder = (run: RunResult): string[] => run.variants.map((v) => v.name);


/** True when every list is the same (JSON equal): a chart of them compares nothing. */
const allSame = (xs: readonly unknown[]): boolean => xs.length > 1 && xs.every((x) => JSON.stringify(x) === JSON.stringify(xs[0]));

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

type Loose = Record<string, unknown>;

/**
 * A chart of one panel per variant over time, sharing its x and y scales (facets share them),
 * with each variant's faults shaded and its detection marked. `values` rows carry `variant`; the
 * main layer draws them.
 */
function timeFacets(run: RunResult, o: { title: string; subtitle: string[]; values: Loose[]; main: Loose; height: number }): TopLevelSpec {
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
function single(size: 'half' | 'full', spec: ChartBody): TopLevelSpec {
  return vegaSpec({ width: size === 'half' ? HALF : FULL, autosize: { type: 'fit-x', contains: 'padding' }, usermeta: { size }, ...spec });
}

/** What a distribution chart says: its titles, the field its x values go in, and the words of its axes and tooltip. */
interface CdfText {
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
function cdfChart(run: RunResult, pal: Palette, cdf: (v: VariantResult) => readonly [number, number][], t: CdfText): TopLevelSpec | null {
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

/** Latency distribution per variant: share of successful requests done within x (log x). Left out when every variant's latency is one value. */
export function latencyCdfChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  return cdfChart(run, pal, (v) => v.latencyCdf ?? [], {
    title: 'How long successful requests took',
    subtitle: 'Share of successful requests finished within a time after they arrived',
    field: 'latencyS',
    xTitle: 'latency from arrival to success (s, log scale)',
    yTitle: 'finished within (%)',
    tip: 'latency (s)',
    within: 'finished within (%)',
  });
}

/** Time to first token per variant (ttftCdf): share of streamed answers whose first token came within x (log x). Only with streamed answers. */
export function ttftCdfChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  return cdfChart(run, pal, (v) => v.ttftCdf ?? [], {
    title: 'Time to first token',
    subtitle: 'Share of streamed answers whose first token came within a time after reaching the provider (slot wait + prefill)',
    field: 'ttftS',
    xTitle: 'time to first token (s, log scale)',
    yTitle: 'first token within (%)',
    tip: 'time to first token (s)',
    within: 'within (%)',
  });
}

/** What the tokens-over-time chart draws, in order, each with its own colour. */
export const TOKEN_FLOWS: readonly { key: 'output' | 'total'; label: string; color: string }[] = [
  { key: 'output', label: 'output tokens/s', color: '#e45756' },
  { key: 'total', label: 'total tokens/s (prompt + output)', color: '#4c78a8' },
];

/**
 * Tokens per second of successful requests over time (series.tokens), output and total (prompt +
 * output), a panel per variant on one bucket width. Only with request sizes; not when nothing
 * succeeded or every variant draws alike.
 */
export function tokensChart(run: RunResult): TopLevelSpec | null {
  if (!run.variants.some((v) => v.series.tokens)) return null;
  const width = commonWidth(run, 60);
  const per = run.variants.map((v) => {
    const t = v.series.tokens;
    if (!t) return [];
    const total = t.promptPerS.map((p, i) => p + (t.outputPerS[i] ?? 0));
    return [
      ...rebin(v, t.outputPerS, width, 'mean').map((b) => ({ timeS: b.startS, flow: TOKEN_FLOWS[0]!.label, perS: b.value })),
      ...rebin(v, total, width, 'mean').map((b) => ({ timeS: b.startS, flow: TOKEN_FLOWS[1]!.label, perS: b.value })),
    ];
  });
  if (per.every((rows) => rows.every((r) => r.perS === 0)) || allSame(per)) return null;
  return timeFacets(run, {
    title: 'Tokens per second over time',
    subtitle: [`Tokens of the requests that succeeded, by when they ended: output, and prompt + output, per second (mean over each ${width / 1000} s)`],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 100,
    main: {
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
        y: { field: 'perS', type: 'quantitative', title: 'tokens per second (tokens/s)' },
        color: { field: 'flow', type: 'nominal', title: 'tokens', sort: TOKEN_FLOWS.map((f) => f.label), scale: { domain: TOKEN_FLOWS.map((f) => f.label), range: TOKEN_FLOWS.map((f) => f.color) } },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'flow', type: 'nominal', title: 'tokens' },
          { field: 'timeS', type: 'quantitative', title: 'from (s)' },
          { field: 'perS', type: 'quantitative', title: 'tokens/s', format: '.1f' },
        ],
      },
    },
  });
}

/**
 * Each key's tokens in its quota's trailing window (series.tokens.keyWindow, by admission time,
 * as the provider's window counts them) against the quota's limit, drawn as a rule: a panel per
 * variant, a line per key. Only with a tokens quota, and not when no key used any.
 */
export function keyWindowChart(run: RunResult): TopLevelSpec | null {
  const windows = run.variants.map((v) => v.series.tokens?.keyWindow);
  const first = windows.find((w) => w !== undefined);
  if (!first) return null;
  const keys = [...new Set(windows.flatMap((w) => Object.keys(w?.byKey ?? {})))];
  const values = run.variants.flatMap((v, i) => {
    const w = windows[i];
    if (!w) return [];
    return Object.entries(w.byKey).flatMap(([key, xs]) => xs.map((tokens, b) => ({ variant: v.name, key, timeS: seconds((b + 1) * v.series.bucketMs), tokens })));
  });
  if (values.every((x) => x.tokens === 0)) return null;
  const limits = run.variants.flatMap((v, i) => (windows[i] ? [{ variant: v.name, limit: windows[i].limit }] : []));
  const windowS = seconds(first.windowMs);
  const spec = timeFacets(run, {
    title: "Each key's tokens in its quota window over time",
    subtitle: [`Tokens each API key's requests used in the ${windowS} s before each moment (by when they were admitted), against the quota (dashed line: ${first.limit} tokens per ${windowS} s)`],
    values: [...values, ...limits.map((l) => ({ ...l, isLimit: true }))],
    height: 110,
    main: {
      layer: [
        {
          transform: [{ filter: 'datum.isLimit !== true' }],
          mark: { type: 'line', strokeWidth: 1.25 },
          encoding: {
            x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
            y: { field: 'tokens', type: 'quantitative', title: `tokens in the last ${windowS} s (tokens)` },
            color: { field: 'key', type: 'nominal', title: 'API key', sort: keys, scale: { scheme: 'tableau10' } },
            tooltip: [
              { field: 'variant', type: 'nominal' },
              { field: 'key', type: 'nominal', title: 'key' },
              { field: 'timeS', type: 'quantitative', title: 'at (s)' },
              { field: 'tokens', type: 'quantitative', title: 'tokens in the window' },
            ],
          },
        },
        {
          transform: [{ filter: 'datum.isLimit === true' }],
          mark: { type: 'rule', color: '#b3261e', strokeDash: [5, 4], strokeWidth: 1.5 },
          encoding: { y: { field: 'limit', type: 'quantitative' }, tooltip: [{ field: 'limit', type: 'quantitative', title: 'quota (tokens per window)' }] },
        },
      ],
    },
  });
  return spec;
}

/** Attempts per second by outcome, stacked bars, one panel per variant on one bucket width (series.attempts); empty intervals left out. */
export function outcomesChart(run: RunResult): TopLevelSpec | null {
  const count = (v: VariantResult, key: string): number[] => (v.series.attempts as Record<string, number[] | undefined>)[key] ?? [];
  const shown = OUTCOMES.filter((o) => o.key === 'ok' || run.variants.some((v) => count(v, o.key).some((n) => n > 0)));
  const width = commonWidth(run);
  const per = run.variants.map((v) => shown.flatMap((o, order) => rebin(v, count(v, o.key), width).filter((b) => b.value > 0).map((b) => ({ outcome: o.label, order, startS: b.startS, endS: b.endS, perS: b.value }))));
  if (per.every((p) => p.length === 0) || allSame(per)) return null;
  return timeFacets(run, {
    title: 'Throughput and outcomes over time',
    subtitle: [`Attempts ending per second, stacked by how they ended (retries count as attempts), per ${width / 1000} s`],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 100,
    main: {
      mark: { type: 'bar', binSpacing: 0 },
      encoding: {
        x: { field: 'startS', type: 'quantitative', bin: { binned: true }, scale: { domainMin: 0 }, title: 'time since start (s)' },
        x2: { field: 'endS' },
        y: { field: 'perS', type: 'quantitative', stack: 'zero', title: 'ending (attempts/s)' },
        color: { field: 'outcome', type: 'nominal', title: 'outcome', scale: { domain: shown.map((o) => o.label), range: shown.map((o) => o.color) } },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'startS', type: 'quantitative', title: 'from (s)' },
          { field: 'endS', type: 'quantitative', title: 'to (s)' },
          { field: 'outcome', type: 'nominal' },
          { field: 'perS', type: 'quantitative', title: 'attempts/s' },
        ],
      },
    },
  });
}

/**
 * Mean time per request in each phase, one stacked bar per variant. Left out when requests spend
 * their time only in service (nothing waits: no key, queue, connection or backoff to see) or every
 * variant splits it the same way.
 */
export function phasesChart(run: RunResult): TopLevelSpec | null {
  const per = run.variants.map((v) => PHASES.map((p) => seconds(v.metrics.phasesMs[p.key].mean ?? 0)));
  const waits = per.some((xs) => PHASES.some((p, i) => p.key !== 'service' && xs[i]! > 0.001));
  // Phases within 5% of the longest request time apart: the bars would look alike.
  const longest = Math.max(...per.map((xs) => xs.reduce((a, b) => a + b, 0)));
  if (!waits || nearlySame(per, 0.05, 0.05 * longest)) return null;
  const shown = PHASES.filter((_, i) => per.some((xs) => xs[i]! > 0));
  const values = run.variants.flatMap((v, j) => PHASES.flatMap((p, order) => (per[j]![order]! > 0 ? [{ variant: v.name, phase: p.label, order, meanS: per[j]![order]! }] : [])));
  return single('half', {
    title: { text: "Where a request's time goes", subtitle: 'Mean time per request in each phase, over all requests (successful or not)' },
    // A number, not a step: vega-lite drops "fit" (with a warning) from a chart with a step size.
    height: run.variants.length * (run.variants.length > 4 ? 18 : 28),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      x: { field: 'meanS', type: 'quantitative', stack: 'zero', title: 'mean time per request (s)' },
      color: { field: 'phase', type: 'nominal', title: 'phase', scale: { domain: shown.map((p) => p.label), range: shown.map((p) => p.color) } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'phase', type: 'nominal' },
        { field: 'meanS', type: 'quantitative', title: 'mean (s)', format: '.3f' },
      ],
    },
  });
}

/** A client-side limiter is configured in some variant: some key window held an entry. */
const hasLimiter = (run: RunResult): boolean => run.variants.some((v) => v.metrics.limiter.entriesPeak > 0);

/** Above this many keys a stacked bar has more bands than colours: the chart becomes a heat map. */
const STACKED_KEYS = 8;

/**
 * Admissions per second per key, one panel per variant on one bucket width (series.admissions):
 * stacked bars for a few keys, a key × time heat map for many. Only with a key limit (without one
 * admissions are just arrivals), and not when every variant admits alike.
 */
export function admissionsChart(run: RunResult): TopLevelSpec | null {
  if (!hasLimiter(run)) return null;
  const keys = [...new Set(run.variants.flatMap((v) => Object.keys(v.series.admissions)))];
  const width = commonWidth(run);
  const per = run.variants.map((v) => Object.entries(v.series.admissions).flatMap(([key, counts]) => rebin(v, counts, width).filter((b) => b.value > 0).map((b) => ({ key, startS: b.startS, endS: b.endS, perS: b.value }))));
  if (per.every((p) => p.length === 0) || allSame(per)) return null;
  const values = per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r })));
  const time = { field: 'startS', type: 'quantitative', bin: { binned: true }, scale: { domainMin: 0 }, title: 'time since start (s)' };
  const tooltip = [
    { field: 'variant', type: 'nominal' },
    { field: 'startS', type: 'quantitative', title: 'from (s)' },
    { field: 'endS', type: 'quantitative', title: 'to (s)' },
    { field: 'key', type: 'nominal', title: 'key' },
    { field: 'perS', type: 'quantitative', title: 'admissions/s' },
  ];
  if (keys.length > STACKED_KEYS) {
    return timeFacets(run, {
      title: 'Key admissions over time',
      subtitle: [`Requests each of the ${keys.length} API keys let through per second (per ${width / 1000} s); a key's row goes pale while its window is full`],
      values,
      height: Math.max(60, Math.min(110, keys.length * 1.5)),
      main: {
        mark: { type: 'rect' },
        encoding: {
          x: time,
          x2: { field: 'endS' },
          y: { field: 'key', type: 'nominal', sort: keys, title: 'API key', axis: { labels: false, ticks: false } },
          color: { field: 'perS', type: 'quantitative', title: 'admissions per second (requests/s)', scale: { scheme: 'blues', zero: true }, legend: { format: '~g' } },
          tooltip,
        },
      },
    });
  }
  return timeFacets(run, {
    title: 'Key admissions over time',
    subtitle: [`Requests each API key let through per second (per ${width / 1000} s), stacked; a key's band thins out while its window is full`],
    values,
    height: 100,
    main: {
      mark: { type: 'bar', binSpacing: 0 },
      encoding: {
        x: time,
        x2: { field: 'endS' },
        y: { field: 'perS', type: 'quantitative', stack: 'zero', title: 'admitted (requests/s)' },
        color: { field: 'key', type: 'nominal', title: 'API key', sort: keys, scale: { scheme: 'tableau10' } },
        tooltip,
      },
    },
  });
}

/** Which provider got the attempts: a 100% bar per variant (from metrics.providers). Only with two or more providers, and not when every variant splits alike. */
export function providerShareChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  const names = [...new Set(run.variants.flatMap((v) => Object.keys(v.metrics.providers)))];
  if (names.length < 2) return null;
  const values = run.variants.flatMap((v) =>
    Object.entries(v.metrics.providers).map(([provider, p]) => ({ variant: v.name, provider, attempts: p.requests, ok: p.ok, rateLimited: p.rateLimited, failed: p.failed })),
  );
  if (values.every((x) => x.attempts === 0)) return null;
  // Shares within a percentage point of each other everywhere: the bars would look alike.
  const shares = run.variants.map((v) => names.map((n) => v.metrics.providers[n]?.share ?? 0));
  if (shares.length > 1 && shares.every((xs) => xs.every((x, i) => Math.abs(x - shares[0]![i]!) <= 0.01))) return null;
  return single('half', {
    title: { text: 'Share of attempts per provider', subtitle: 'Which provider the balancer sent each attempt to' },
    // A number, not a step: vega-lite drops "fit" (with a warning) from a chart with a step size.
    height: run.variants.length * (run.variants.length > 4 ? 18 : 28),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      x: { field: 'attempts', type: 'quantitative', stack: 'normalize', axis: { format: '%' }, title: 'share of attempts (%)' },
      color: { field: 'provider', type: 'nominal', title: 'provider', sort: names, scale: scaleOf(pal.providers, names) },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'provider', type: 'nominal' },
        { field: 'attempts', type: 'quantitative', title: 'attempts' },
        { field: 'ok', type: 'quantitative', title: 'ok' },
        { field: 'rateLimited', type: 'quantitative', title: '429' },
        { field: 'failed', type: 'quantitative', title: 'failed (5xx, timeout, connect)' },
      ],
    },
  });
}

/** Per-provider series (results.json from before they existed have none). */
type ProviderSeriesMap = Record<string, { inFlight?: number[]; healthy?: number[] }>;
const providerSeries = (v: VariantResult): ProviderSeriesMap => (v.series as { providers?: ProviderSeriesMap }).providers ?? {};

/** Some provider has a queue: requests waited for its capacity. */
const queues = (run: RunResult): boolean => run.variants.some((v) => (v.metrics.phasesMs.providerQueue.mean ?? 0) > 0.5);

/**
 * Requests in flight in the gateway (arrived, not finished: waiting included) and attempts in
 * flight at each provider, one panel per variant on one bucket width (series.inFlight,
 * series.providers). Only where load spreads or piles up at providers: two or more of them, or a
 * provider with a queue (how long requests wait in the gateway the phases chart shows).
 */
export function inFlightChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  const providers = [...new Set(run.variants.flatMap((v) => Object.keys(providerSeries(v))))];
  if (providers.length < 2 && !queues(run)) return null;
  const width = commonWidth(run, 60);
  const per = run.variants.map((v) => {
    const gateway = rebin(v, v.series.inFlight ?? [], width, 'mean').map((b) => ({ timeS: b.startS, where: 'all requests (gateway)', inFlight: b.value }));
    const at = Object.entries(providerSeries(v)).flatMap(([name, p]) => rebin(v, p.inFlight ?? [], width, 'mean').map((b) => ({ timeS: b.startS, where: `at ${name}`, inFlight: b.value })));
    return [...gateway, ...at];
  });
  if (per.every((p) => p.length === 0) || allSame(per)) return null;
  const where = ['all requests (gateway)', ...providers.map((p) => `at ${p}`)];
  return timeFacets(run, {
    title: 'Requests in flight over time',
    subtitle: [
      `In the gateway: requests that have arrived and not yet finished (waiting for a key or a connection included); at a provider: attempts sent to it and not yet answered. Mean over each ${width / 1000} s.`,
    ],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 100,
    main: {
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
        y: { field: 'inFlight', type: 'quantitative', title: 'in flight (requests)' },
        color: { field: 'where', type: 'nominal', title: 'where', sort: where, scale: { domain: where, range: ['#1f2328', ...providers.map((p) => pal.providers.get(p) ?? '#888888')] } },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'where', type: 'nominal' },
          { field: 'timeS', type: 'quantitative', title: 'from (s)' },
          { field: 'inFlight', type: 'quantitative', title: 'in flight' },
        ],
      },
    },
  });
}

/** How much of each interval each provider was healthy, when any provider ever was not (series.providers). */
export function healthChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  const width = commonWidth(run, 60);
  const per = run.variants.map((v) =>
    Object.entries(providerSeries(v)).flatMap(([provider, p]) => rebin(v, p.healthy ?? [], width, 'mean').map((b) => ({ timeS: b.startS, provider, healthy: b.value }))),
  );
  if (per.every((rows) => rows.every((x) => x.healthy >= 1))) return null;
  const providers = [...new Set(per.flatMap((rows) => rows.map((r) => r.provider)))];
  return timeFacets(run, {
    title: 'Provider health over time',
    subtitle: [`Share of each ${width / 1000} s the gateway considered the provider healthy (100% = all of it)`],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 90,
    main: {
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
        y: { field: 'healthy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'time healthy (%)' },
        color: { field: 'provider', type: 'nominal', title: 'provider', sort: providers, scale: scaleOf(pal.providers, providers) },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'provider', type: 'nominal' },
          { field: 'timeS', type: 'quantitative', title: 'from (s)' },
          { field: 'healthy', type: 'quantitative', title: 'healthy (%)', format: '.0%' },
        ],
      },
    },
  });
}

/** The limiter's cost figures (metrics.limiter), a panel per figure, a bar per variant: only with a key limit, and only figures that differ between variants. */
export function limiterChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  if (!hasLimiter(run)) return null;
  const figures = LIMITER_FIGURES.filter((f) => {
    const xs = run.variants.map((v) => v.metrics.limiter[f.key] ?? 0);
    return xs.some((x) => x > 0) && (run.variants.length === 1 || !allSame(xs));
  });
  if (figures.length === 0) return null;
  const names = variantOrder(run);
  const values = run.variants.flatMap((v) => figures.map((f) => ({ variant: v.name, figure: f.label, value: v.metrics.limiter[f.key] ?? 0 })));
  // Two figures fit half the column; more get the whole of it, so no panel is a sliver.
  const size = figures.length > 2 ? 'full' : 'half';
  const budget = (size === 'full' ? FULL : HALF) - LEGEND;
  return vegaSpec({
    title: { text: 'Limiter cost', subtitle: figures.map((f) => `${f.label}: ${f.means}`).join('; ') },
    data: { values },
    columns: figures.length,
    concat: figures.map((f) => ({
      width: Math.floor((budget - figures.length * 56 - (figures.length - 1) * GAP) / figures.length),
      height: 110,
      title: { text: f.label, fontSize: 12 },
      transform: [{ filter: { field: 'figure', equal: f.label } }],
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'variant', type: 'nominal', sort: names, title: null, axis: { labels: false, ticks: false } },
        y: { field: 'value', type: 'quantitative', title: 'count' },
        color: { field: 'variant', type: 'nominal', sort: names, title: 'variant', scale: scaleOf(pal.variants, names) },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'figure', type: 'nominal' },
          { field: 'value', type: 'quantitative', title: 'count' },
        ],
      },
    })),
    resolve: { scale: { y: 'independent' } },
    usermeta: { size },
  });
}



/**
 * The table metrics worth a panel across the runs: those with a better direction, and the failure
 * counts, that differ somewhere (a panel of identical values compares nothing). Descriptive rows
 * (min and max latency, clients and connections opened) stay in the tables.
 */
function varyingRows(results: Results): MetricRow[] {
  const failures = new Set(['rateLimited', 'serverError', 'timeout', 'connectFailed', 'unavailable', 'gaveUp', 'tooLarge']);
  return METRICS.filter((m) => {
    if (m.better === 'none' && !failures.has(m.key)) return false;
    const xs = results.runs.flatMap((r) => r.variants.map((v) => m.value(v.metrics)));
    return xs.some((x) => x !== null && x !== 0) && !allSame(xs);
  });
}

/**
 * Each table metric across the runs: only when the scenario has several runs. Values are in the
 * table's units. A sweep of one numeric field keeps lines over that field, with the scenario's
 * `marks` as dashed rules (`x` on every panel, `metric`/`y` on that metric's panel); runs that are
 * categories (separate experiments) are compared as grouped horizontal bars, a bar per variant,
 * run names wrapped so they never overlap.
 */
export function runsChart(results: Results, pal: Palette = palette(results.runs)): TopLevelSpec | null {
  if (results.runs.length < 2) return null;
  const runNames = results.runs.map((r) => r.name);
  const variants = [...new Set(results.runs.flatMap((r) => r.variants.map((v) => v.name)))];
  const ax = sweepAxisKind(results);
  const axis = ax?.field ?? null;
  const rows = varyingRows(results);
  const label = new Map(runNames.map((n) => [n, wrap(n).join('\n')]));
  const values = results.runs.flatMap((r) =>
    r.variants.flatMap((v) =>
      rows.flatMap((m) => {
        const x = m.value(v.metrics);
        if (x === null) return [];
        return [{ run: r.name, ...(axis ? { x: pointX(ax!, r) } : { runLabel: label.get(r.name)! }), variant: v.name, metric: m.key, value: Number((x * m.scale).toFixed(m.digits)) }];
      }),
    ),
  );
  if (values.length === 0) return null;
  const colour = { field: 'variant', type: 'nominal' as const, sort: variants, title: 'variant', scale: scaleOf(pal.variants, variants) };
  if (!axis) {
    // Five narrower panels to a row when there are many, so the chart stays a screen or so tall.
    const cols = rows.length > 12 ? 5 : 4;
    const width = Math.floor((FULL - 160 - 30 - (cols - 1) * GAP) / cols);
    // A step on the offset scale: each variant's bar is 3–4 px, and a run's group is at least as
    // tall as its wrapped name (13 px a line), so names never run into each other.
    const lines = Math.max(...runNames.map((n) => wrap(n).length));
    const step = Math.max(variants.length > 4 ? 3 : 4, Math.ceil((lines * 13) / variants.length));
    return vegaSpec({
      config: LEGEND_TOP,
      title: { text: 'Each metric across the runs', subtitle: 'The tables’ numbers side by side: a group of bars per run (in the order the scenario lists them), a bar per variant' },
      data: { values },
      columns: cols,
      concat: rows.map((m, i) => {
        const title = `${m.label} (${m.unit})`;
        return {
          width,
          height: { step, for: 'offset' },
          title: { text: title, fontSize: 12 },
          transform: [{ filter: { field: 'metric', equal: m.key } }],
          mark: { type: 'bar' },
          encoding: {
            y: {
              field: 'runLabel',
              type: 'nominal',
              sort: runNames.map((n) => label.get(n)),
              title: null,
              // Only the first panel of a row names the runs; the rest line up with it.
              axis: i % cols === 0 ? { labelExpr: "split(datum.label, '\\n')", labelLimit: 160, labelFontSize: 11 } : { labels: false, ticks: false },
            },
            yOffset: { field: 'variant', type: 'nominal', sort: variants },
            x: { field: 'value', type: 'quantitative', title },
            color: colour,
            tooltip: [
              { field: 'run', type: 'nominal' },
              { field: 'variant', type: 'nominal' },
              { field: 'value', type: 'quantitative', title },
            ],
          },
        };
      }),
    });
  }
  const marks = results.marks ?? [];
  const xMarks = marks.flatMap((k) => ('x' in k ? [k] : []));
  // The published figures of each point (reference:), drawn beside the simulated lines, in the table's units.
  const published = comparable(results)
    ? results.runs.flatMap((r) =>
        Object.entries(results.reference[r.name] ?? {}).flatMap(([variant, figures]) =>
          rows.flatMap((m) => (figures[m.key] === undefined ? [] : [{ x: pointX(ax!, r), run: r.name, variant, metric: m.key, value: Number((figures[m.key]! * m.scale).toFixed(m.digits)) }])),
        ),
      )
    : [];
  const rule = { type: 'rule', strokeDash: [5, 4], color: '#b3261e', strokeWidth: 1.5 };
  const markTip = [{ field: 'label', type: 'nominal', title: 'mark' }];
  // A few round ticks: a narrow panel of many points would print its labels into each other.
  const x = { field: 'x', type: 'quantitative', title: axisTitle(axis, ax!.axis), scale: { zero: false }, axis: { tickCount: 5, labelOverlap: 'greedy' } };
  const cols = 3;
  return vegaSpec({
    title: {
      text: `Each metric against ${axis}`,
      subtitle: [
        `The tables’ numbers at every point of the sweep, one line per variant${published.length ? '; hollow diamonds: the published figures' : ''}`,
        ...marks.map((k) => `dashed: ${'x' in k ? `${axis} = ${k.x}` : `${k.metric} = ${k.y}`}: ${k.label}`),
      ],
    },
    data: { values },
    columns: cols,
    concat: rows.map((m) => {
      const yMarks = marks.flatMap((k) => ('metric' in k && k.metric === m.key ? [{ y: Number((k.y * m.scale).toFixed(m.digits + 2)), label: k.label }] : []));
      const title = `${m.label} (${m.unit})`;
      const line = {
        transform: [{ filter: { field: 'metric', equal: m.key } }],
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title },
          color: colour,
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'variant', type: 'nominal' },
            { field: 'value', type: 'quantitative', title },
          ],
        },
      };
      const pubHere = published.filter((p) => p.metric === m.key);
      const rules = [
        ...(pubHere.length
          ? [
              {
                data: { values: pubHere },
                mark: { type: 'point', shape: 'diamond', filled: false, size: 70, strokeWidth: 1.5, color: '#1f2328' },
                encoding: {
                  x: { field: 'x', type: 'quantitative' },
                  y: { field: 'value', type: 'quantitative' },
                  tooltip: [
                    { field: 'run', type: 'nominal' },
                    { field: 'variant', type: 'nominal' },
                    { field: 'value', type: 'quantitative', title: `published ${title}` },
                  ],
                },
              },
            ]
          : []),
        ...(xMarks.length ? [{ data: { values: xMarks }, mark: rule, encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: markTip } }] : []),
        ...(yMarks.length ? [{ data: { values: yMarks }, mark: rule, encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: markTip } }] : []),
      ];
      const size = { width: panelWidth(cols, cols), height: 140, title: { text: title, fontSize: 12 } };
      return rules.length ? { ...size, layer: [line, ...rules] } : { ...size, ...line };
    }),
  });
}

/**
 * Published against simulated, a panel per metric: each published figure (hollow) beside its
 * simulated value (filled, coloured by verdict) on the metric's own axis, with the tolerance
 * around the published figure shaded. Null without published figures, or when they do not describe this run.
 */
export function publishedChart(results: Results): TopLevelSpec | null {
  const checks = checkFigures(results).filter((c) => c.simulated !== null);
  if (checks.length === 0) return null;
  const runs = [...new Set(checks.map((c) => c.run))];
  const who = (run: string, variant: string): string => (runs.length > 1 ? `${runs.indexOf(run) + 1} · ${variant}` : variant);
  const metrics = [...new Map(checks.map((c) => [c.row.key, c.row])).values()];
  const values = checks.map((c) => {
    const s = c.row.scale;
    const [lo, hi] = c.row.unit === '%' ? [c.published - TOLERANCE.points / 100, c.published + TOLERANCE.points / 100] : [c.published * (1 - TOLERANCE.relative), c.published * (1 + TOLERANCE.relative)];
    return {
      metric: c.row.key,
      who: who(c.run, c.variant),
      run: c.run,
      variant: c.variant,
      published: r3(c.published * s),
      simulated: r3(c.simulated! * s),
      lo: r3(Math.min(lo, hi) * s),
      hi: r3(Math.max(lo, hi) * s),
      verdict: VERDICTS.find((v) => v.key === c.verdict)!.label,
      within: withinTolerance(c.row, c.simulated!, c.published),
    };
  });
  const cols = 3;
  const labelW = runs.length > 1 ? 110 : 90;
  const width = Math.floor((FULL - cols * (labelW + 10) - (cols - 1) * GAP) / cols);
  const verdictScale = { domain: VERDICTS.map((v) => v.label), range: VERDICTS.map((v) => v.color) };
  return vegaSpec({
    config: LEGEND_TOP,
    title: {
      text: 'Published against simulated',
      subtitle: [
        'Hollow: the published figure, with the tolerance around it shaded; filled: the simulated one, coloured by verdict.',
        // Lines of at most ~160 characters: a sweep's run names are long, and a subtitle does not wrap by itself.
        ...(runs.length > 1 ? wrapList('Runs: ', runs.map((r, i) => `${i + 1} = ${r}`), 160) : []),
      ],
    },
    data: { values },
    columns: cols,
    concat: metrics.map((m) => {
      const title = `${m.label} (${m.unit})`;
      const y = { field: 'who', type: 'nominal', title: null, sort: [...new Set(values.filter((v) => v.metric === m.key).map((v) => v.who))], axis: { labelLimit: labelW } };
      const tooltip = [
        { field: 'run', type: 'nominal' },
        { field: 'variant', type: 'nominal' },
        { field: 'published', type: 'quantitative', title: `published (${m.unit})` },
        { field: 'simulated', type: 'quantitative', title: `simulated (${m.unit})` },
        { field: 'verdict', type: 'nominal' },
      ];
      return {
        width,
        height: { step: 16 },
        title: { text: title, fontSize: 12 },
        transform: [{ filter: { field: 'metric', equal: m.key } }],
        layer: [
          { mark: { type: 'bar', color: '#d8dee4', height: 10 }, encoding: { y, x: { field: 'lo', type: 'quantitative', title, scale: { zero: false } }, x2: { field: 'hi' }, tooltip } },
          { mark: { type: 'rule', color: '#8c959f' }, encoding: { y, x: { field: 'published', type: 'quantitative' }, x2: { field: 'simulated' } } },
          { mark: { type: 'point', shape: 'circle', size: 60, filled: false, color: '#57606a', strokeWidth: 1.5 }, encoding: { y, x: { field: 'published', type: 'quantitative' }, tooltip } },
          {
            // No layer `name` here: vega-lite resolves equal names across panels to one mark.
            mark: { type: 'point', shape: 'circle', size: 60, filled: true, opacity: 1 },
            encoding: { y, x: { field: 'simulated', type: 'quantitative' }, color: { field: 'verdict', type: 'nominal', title: 'simulated figure', scale: verdictScale }, tooltip },
          },
        ],
      };
    }),
    resolve: { scale: { x: 'independent', y: 'independent' } },
    usermeta: { size: 'full' },
  });
}

/** Every per-run chart that has something to show, in the order the page shows them, colours from the page's palette. */
export function runCharts(run: RunResult, pal: Palette = palette([run])): TopLevelSpec[] {
  return [
    outcomesChart(run),
    latencyCdfChart(run, pal),
    ttftCdfChart(run, pal),
    tokensChart(run),
    keyWindowChart(run),
    phasesChart(run),
    providerShareChart(run, pal),
    limiterChart(run, pal),
    healthChart(run, pal),
    admissionsChart(run),
    inFlightChart(run, pal),
    adaptiveChart(run, pal),
  ].filter((s): s is TopLevelSpec => s !== null);
}


/** A search's probes as the chart draws them: per variant, each probed value and the goal's metric there. */
export interface SearchPoint {
  variant: string;
  x: number;
  /** The goal's metric, mean over the seeds (null: not measured). */
  y: number | null;
  /** `held in 3 of 3` / `failed in 2 of 3`. */
  held: string;
  ok: boolean;
}

/**
 * A search: the goal's metric against the varied field, a line per variant through its probes
 * (filled where the goal held in every seed, hollow where it failed), and each variant's bound as
 * a dashed rule in its colour.
 */
export function searchChart(o: { title: string; subtitle: string[]; xTitle: string; yTitle: string; integer: boolean; points: readonly SearchPoint[]; bounds: readonly { variant: string; x: number }[] }): TopLevelSpec | null {
  const points = o.points.filter((p) => p.y !== null);
  if (points.length === 0) return null;
  const names = [...new Set(o.points.map((p) => p.variant))];
  const colour = { field: 'variant', type: 'nominal', sort: names, title: 'variant', scale: scaleOf(new Map(names.map((n, i) => [n, VARIANT_COLOURS[i % VARIANT_COLOURS.length]!])), names) };
  // A count (keys, workers) has whole ticks only.
  const x = { field: 'x', type: 'quantitative', title: o.xTitle, scale: { zero: false }, ...(o.integer ? { axis: { format: 'd', tickMinStep: 1 } } : {}) };
  const tooltip = [
    { field: 'variant', type: 'nominal' },
    { field: 'x', type: 'quantitative', title: o.xTitle },
    { field: 'y', type: 'quantitative', title: o.yTitle, format: '.4~f' },
    { field: 'held', type: 'nominal', title: 'goal' },
  ];
  return single('full', {
    title: { text: o.title, subtitle: o.subtitle },
    height: 260,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'y', type: 'quantitative', title: o.yTitle }, color: colour, order: { field: 'x' } },
      },
      // Filled where the goal held in every seed, hollow where it failed in some.
      ...[true, false].map((ok) => ({
        data: { values: points },
        transform: [{ filter: ok ? 'datum.ok' : '!datum.ok' }],
        mark: { type: 'point', size: 60, strokeWidth: 1.5, filled: ok, ...(ok ? {} : { fill: 'white' }) },
        encoding: { x, y: { field: 'y', type: 'quantitative' }, color: colour, tooltip },
      })),
      ...(o.bounds.length
        ? [{
            data: { values: o.bounds },
            mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5 },
            encoding: { x: { field: 'x', type: 'quantitative' }, color: colour, tooltip: [{ field: 'variant', type: 'nominal' }, { field: 'x', type: 'quantitative', title: `bound: ${o.xTitle}` }] },
          }]
        : []),
    ],
  });
}
