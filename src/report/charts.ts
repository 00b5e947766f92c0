import type { TopLevelSpec } from 'vega-lite';
import type { Results, RunResult, VariantMetrics, VariantResult } from '../metrics/results.js';
import { METRICS } from './catalogue.js';

/**
 * The report's charts: one small function per chart, each a vega-lite spec built from results.json
 * data alone (so `gatesim report results.json` redraws them). A function returns null when its
 * chart would be empty for this run (no successes, no limiter work, a single run, …).
 */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Width of one chart, or of one small multiple when a chart repeats per variant. */
const WIDE = 720;
const SMALL = 420;
/** Shared look: titles flush left like the page's headings, quieter subtitles. */
const CONFIG = {
  title: { anchor: 'start', fontSize: 15, subtitleFontSize: 12, subtitleColor: '#57606a', offset: 10 },
  axis: { titleFontWeight: 'normal', titleFontSize: 12, labelFontSize: 11 },
  legend: { titleFontWeight: 'normal', labelFontSize: 11 },
  header: { labelFontSize: 12, labelFontWeight: 'bold' },
} as const;

/** How outcomes read in a legend, in stacking order, with a colour a reader can tell apart. */
export const OUTCOMES: readonly { key: string; label: string; color: string }[] = [
  { key: 'ok', label: 'ok', color: '#4e9a5d' },
  { key: 'rateLimited', label: '429 rate limited', color: '#e8a33d' },
  { key: 'serverError', label: '5xx server error', color: '#d1495b' },
  { key: 'timeout', label: 'timeout', color: '#8e6bbf' },
  { key: 'connectFailed', label: 'connect failure', color: '#6c757d' },
  { key: 'gaveUp', label: 'gave up (no key)', color: '#2f2f2f' },
  { key: 'unavailable', label: 'no healthy provider', color: '#9c6b3c' },
];

/** The phases of a request, in the order it meets them. */
export const PHASES: readonly { key: keyof VariantMetrics['phasesMs']; label: string }[] = [
  { key: 'keyWait', label: 'waiting for a key' },
  { key: 'providerQueue', label: 'provider queue' },
  { key: 'connect', label: 'connecting' },
  { key: 'service', label: 'service' },
  { key: 'retryWait', label: 'retry backoff' },
];

export const LIMITER_FIGURES: readonly { key: Exclude<keyof VariantMetrics['limiter'], 'store'>; label: string; means: string }[] = [
  { key: 'checks', label: 'checks', means: 'looks for an admissible key' },
  { key: 'wastedChecks', label: 'wasted checks', means: 'looks that found none' },
  { key: 'wakeups', label: 'wake-ups', means: 'times a waiter woke to look again (the CPU figure)' },
  { key: 'entriesPeak', label: 'entries peak (per key)', means: 'most entries one key’s window held (the memory figure)' },
];

const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const seconds = (ms: number): number => r3(ms / 1000);
const variantOrder = (run: RunResult): string[] => run.variants.map((v) => v.name);

/**
 * Adjacent series buckets merged so a panel has at most `max` bars: a series has up to ~100
 * buckets, too fine to read as a rate when only a few requests end in each.
 */
export function rebin(v: VariantResult, counts: readonly number[], max = 40): { startS: number; endS: number; perS: number }[] {
  const n = v.series.t.length;
  let factor = 1;
  for (const f of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]) {
    factor = f;
    if (Math.ceil(n / f) <= max) break;
  }
  const widthMs = v.series.bucketMs * factor;
  const out: { startS: number; endS: number; perS: number }[] = [];
  for (let i = 0; i < n; i += factor) {
    let sum = 0;
    for (let j = i; j < Math.min(n, i + factor); j++) sum += counts[j] ?? 0;
    const start = v.series.t[i] ?? i * v.series.bucketMs;
    out.push({ startS: seconds(start), endS: seconds(start + widthMs), perS: r3((sum * 1000) / widthMs) });
  }
  return out;
}

/** A faceting channel that wraps per-variant small multiples two to a row. */
const perVariant = (run: RunResult) =>
  ({ field: 'variant', type: 'nominal', title: null, sort: variantOrder(run), columns: Math.min(2, run.variants.length) }) as const;

/** Latency distribution per variant: share of successful requests done within x (log x). */
export function latencyCdfChart(run: RunResult): TopLevelSpec | null {
  const values = run.variants.flatMap((v) =>
    (v.latencyCdf ?? []).filter(([, ms]) => ms > 0).map(([p, ms]) => ({ variant: v.name, latencyS: seconds(ms), share: p / 100 })),
  );
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'How long successful requests took',
      subtitle: 'Share of successful requests finished within a given time after they arrived (cumulative distribution)',
    },
    width: WIDE,
    height: 300,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'latencyS', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'latency from arrival to success (s, log scale)' },
      y: { field: 'share', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'successful requests finished within (%)' },
      color: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'latencyS', type: 'quantitative', title: 'latency (s)', format: '.3f' },
        { field: 'share', type: 'quantitative', title: 'finished within (%)', format: '.1%' },
      ],
    },
  };
}

/** Attempts per second by outcome, stacked bars, one panel per variant (from series.attempts); empty intervals left out. */
export function outcomesChart(run: RunResult): TopLevelSpec | null {
  const count = (v: VariantResult, key: string): number[] => (v.series.attempts as Record<string, number[] | undefined>)[key] ?? [];
  const shown = OUTCOMES.filter((o) => o.key === 'ok' || run.variants.some((v) => count(v, o.key).some((n) => n > 0)));
  const values = run.variants.flatMap((v) =>
    shown.flatMap((o, order) =>
      rebin(v, count(v, o.key))
        .filter((b) => b.perS > 0)
        .map((b) => ({ variant: v.name, outcome: o.label, order, ...b })),
    ),
  );
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Throughput and outcomes over time',
      subtitle: 'Attempts ending per second, stacked by how they ended (retries count as attempts)',
    },
    width: SMALL,
    height: 180,
    data: { values },
    mark: { type: 'bar', binSpacing: 0 },
    encoding: {
      facet: perVariant(run),
      x: { field: 'startS', type: 'quantitative', bin: { binned: true }, title: 'time since start (s)' },
      x2: { field: 'endS' },
      y: { field: 'perS', type: 'quantitative', stack: 'zero', title: 'attempts ending per second (attempts/s)' },
      color: {
        field: 'outcome',
        type: 'nominal',
        title: 'outcome',
        scale: { domain: shown.map((o) => o.label), range: shown.map((o) => o.color) },
      },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'startS', type: 'quantitative', title: 'from (s)' },
        { field: 'endS', type: 'quantitative', title: 'to (s)' },
        { field: 'outcome', type: 'nominal' },
        { field: 'perS', type: 'quantitative', title: 'attempts/s' },
      ],
    },
  };
}

/** Mean time per request in each phase, one stacked bar per variant. */
export function phasesChart(run: RunResult): TopLevelSpec | null {
  const values = run.variants.flatMap((v) =>
    PHASES.map((p, order) => ({ variant: v.name, phase: p.label, order, meanS: seconds(v.metrics.phasesMs[p.key].mean ?? 0) })),
  );
  if (values.every((x) => x.meanS === 0)) return null;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: "Where a request's time goes",
      subtitle: 'Mean time per request in each phase, over all requests (successful or not)',
    },
    width: WIDE,
    height: { step: 36 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      x: { field: 'meanS', type: 'quantitative', stack: 'zero', title: 'mean time per request (s)' },
      color: { field: 'phase', type: 'nominal', title: 'phase', sort: PHASES.map((p) => p.label), scale: { scheme: 'tableau10' } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'phase', type: 'nominal' },
        { field: 'meanS', type: 'quantitative', title: 'mean (s)', format: '.3f' },
      ],
    },
  };
}

/** Above this many keys a stacked bar has more bands than colours: the chart becomes a heat map. */
const STACKED_KEYS = 8;

/**
 * Admissions per second per key, one panel per variant (from series.admissions): stacked bars for
 * a few keys, a key × time heat map for many. Empty intervals are left out of the data.
 */
export function admissionsChart(run: RunResult): TopLevelSpec | null {
  const keys = [...new Set(run.variants.flatMap((v) => Object.keys(v.series.admissions)))];
  const values = run.variants.flatMap((v) =>
    Object.entries(v.series.admissions).flatMap(([key, counts]) =>
      rebin(v, counts)
        .filter((b) => b.perS > 0)
        .map((b) => ({ variant: v.name, key, ...b })),
    ),
  );
  if (values.length === 0) return null;
  const time = { field: 'startS', type: 'quantitative', bin: { binned: true }, title: 'time since start (s)' } as const;
  const tooltip = [
    { field: 'variant', type: 'nominal' },
    { field: 'startS', type: 'quantitative', title: 'from (s)' },
    { field: 'endS', type: 'quantitative', title: 'to (s)' },
    { field: 'key', type: 'nominal', title: 'key' },
    { field: 'perS', type: 'quantitative', title: 'admissions/s' },
  ] as const;
  if (keys.length > STACKED_KEYS) {
    return {
      $schema: SCHEMA,
      config: CONFIG,
      title: {
        text: 'Key admissions over time',
        subtitle: `Requests each of the ${keys.length} API keys let through per second; a key's row goes pale while its window is full`,
      },
      width: SMALL,
      height: { step: Math.max(3, Math.min(12, Math.floor(240 / keys.length))) },
      data: { values },
      mark: { type: 'rect' },
      encoding: {
        facet: perVariant(run),
        x: time,
        x2: { field: 'endS' },
        y: { field: 'key', type: 'nominal', sort: keys, title: 'API key', axis: keys.length > 24 ? { labels: false, ticks: false } : {} },
        color: { field: 'perS', type: 'quantitative', title: 'admissions per second (requests/s)', scale: { scheme: 'blues', zero: true }, legend: { format: '~g' } },
        tooltip: [...tooltip],
      },
    };
  }
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Key admissions over time',
      subtitle: "Requests each API key let through per second, stacked; a key's band thins out while its window is full",
    },
    width: SMALL,
    height: 180,
    data: { values },
    mark: { type: 'bar', binSpacing: 0 },
    encoding: {
      facet: perVariant(run),
      x: time,
      x2: { field: 'endS' },
      y: { field: 'perS', type: 'quantitative', stack: 'zero', title: 'admissions per second (requests/s)' },
      color: { field: 'key', type: 'nominal', title: 'API key', sort: keys, scale: { scheme: 'tableau10' } },
      tooltip: [...tooltip],
    },
  };
}

/** Which provider got the attempts: a 100% bar per variant (from metrics.providers). */
export function providerShareChart(run: RunResult): TopLevelSpec | null {
  const values = run.variants.flatMap((v) =>
    Object.entries(v.metrics.providers).map(([provider, p]) => ({
      variant: v.name,
      provider,
      attempts: p.requests,
      ok: p.ok,
      rateLimited: p.rateLimited,
      failed: p.failed,
    })),
  );
  // With one provider the share is 100% everywhere: nothing to see.
  if (values.every((x) => x.attempts === 0) || new Set(values.map((x) => x.provider)).size < 2) return null;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'Share of attempts per provider', subtitle: 'Which provider the balancer sent each attempt to' },
    width: WIDE,
    height: { step: 36 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      x: { field: 'attempts', type: 'quantitative', stack: 'normalize', axis: { format: '%' }, title: 'share of attempts (%)' },
      color: { field: 'provider', type: 'nominal', title: 'provider', scale: { scheme: 'set2' } },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'provider', type: 'nominal' },
        { field: 'attempts', type: 'quantitative', title: 'attempts' },
        { field: 'ok', type: 'quantitative', title: 'ok' },
        { field: 'rateLimited', type: 'quantitative', title: '429' },
        { field: 'failed', type: 'quantitative', title: 'failed (5xx, timeout, connect)' },
      ],
    },
  };
}

/** Per-provider series (results.json from before they existed have none). */
type ProviderSeriesMap = Record<string, { inFlight?: number[]; healthy?: number[] }>;
const providerSeries = (v: VariantResult): ProviderSeriesMap => (v.series as { providers?: ProviderSeriesMap }).providers ?? {};

/**
 * Requests in flight in the gateway (arrived, not finished: waiting included) and attempts in
 * flight at each provider, one panel per variant (series.inFlight, series.providers).
 */
export function inFlightChart(run: RunResult): TopLevelSpec | null {
  const values = run.variants.flatMap((v) => {
    const at = (i: number): number => seconds(v.series.t[i] ?? i * v.series.bucketMs);
    const gateway = (v.series.inFlight ?? []).map((n, i) => ({ variant: v.name, timeS: at(i), where: 'all requests (gateway)', inFlight: n }));
    const providers = Object.entries(providerSeries(v)).flatMap(([name, p]) =>
      (p.inFlight ?? []).map((n, i) => ({ variant: v.name, timeS: at(i), where: `at ${name}`, inFlight: n })),
    );
    return [...gateway, ...providers];
  });
  if (values.length === 0) return null;
  const bucket = run.variants[0]!.series.bucketMs;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Requests in flight over time',
      subtitle: [
        'In the gateway: requests that have arrived and not yet finished (waiting for a key or a connection included);',
        `at a provider: attempts sent to it and not yet answered. Mean over each ${bucket} ms.`,
      ],
    },
    width: SMALL,
    height: 180,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      facet: perVariant(run),
      x: { field: 'timeS', type: 'quantitative', title: 'time since start (s)' },
      y: { field: 'inFlight', type: 'quantitative', title: 'in flight (requests)' },
      color: { field: 'where', type: 'nominal', title: 'where', scale: { scheme: 'dark2' } },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'where', type: 'nominal' },
        { field: 'timeS', type: 'quantitative', title: 'from (s)' },
        { field: 'inFlight', type: 'quantitative', title: 'in flight' },
      ],
    },
  };
}

/** How much of each bucket each provider was healthy, when any provider ever was not (series.providers). */
export function healthChart(run: RunResult): TopLevelSpec | null {
  const values = run.variants.flatMap((v) =>
    Object.entries(providerSeries(v)).flatMap(([provider, p]) =>
      (p.healthy ?? []).map((h, i) => ({ variant: v.name, timeS: seconds(v.series.t[i] ?? i * v.series.bucketMs), provider, healthy: h })),
    ),
  );
  if (values.every((x) => x.healthy >= 1)) return null;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'Provider health over time', subtitle: 'Share of each interval the gateway considered the provider healthy (100% = all of it)' },
    width: SMALL,
    height: 140,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      facet: perVariant(run),
      x: { field: 'timeS', type: 'quantitative', title: 'time since start (s)' },
      y: { field: 'healthy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'time healthy (%)' },
      color: { field: 'provider', type: 'nominal', title: 'provider', scale: { scheme: 'set2' } },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'provider', type: 'nominal' },
        { field: 'timeS', type: 'quantitative', title: 'from (s)' },
        { field: 'healthy', type: 'quantitative', title: 'healthy (%)', format: '.0%' },
      ],
    },
  };
}

/** The limiter's cost figures (metrics.limiter), grouped by figure, a bar per variant. */
export function limiterChart(run: RunResult): TopLevelSpec | null {
  const figures = LIMITER_FIGURES.filter((f) => run.variants.some((v) => (v.metrics.limiter[f.key] ?? 0) > 0));
  if (figures.length === 0) return null;
  const values = run.variants.flatMap((v) => figures.map((f) => ({ variant: v.name, figure: f.label, value: v.metrics.limiter[f.key] ?? 0 })));
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Limiter cost',
      subtitle: figures.map((f) => `${f.label}: ${f.means}`),
    },
    width: { step: 32 },
    height: 180,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      column: { field: 'figure', type: 'nominal', title: null, sort: figures.map((f) => f.label) },
      x: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: null, axis: { labels: false, ticks: false } },
      y: { field: 'value', type: 'quantitative', title: 'count' },
      color: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'figure', type: 'nominal' },
        { field: 'value', type: 'quantitative', title: 'count' },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/**
 * The swept field a sweep's charts put on a numeric x axis: the field of a one-dimension sweep
 * (the first of a zip) whose values are all numbers. Null otherwise (the runs go on x by name).
 */
export function sweepAxis(results: Results): string | null {
  const field = results.sweep?.dimensions === 1 ? results.sweep.fields[0] : undefined;
  if (field === undefined) return null;
  return results.runs.every((r) => typeof r.point?.[field] === 'number') ? field : null;
}

/**
 * Each table metric against the run, a line per variant: only when the scenario has several runs.
 * Values are in the table's units (catalogue scale), so the axes read like the tables. For a sweep
 * of one numeric field, x is that field's value; the scenario's `marks` are drawn as dashed rules
 * (`x` on every panel, `metric`/`y` on that metric's panel).
 */
export function runsChart(results: Results): TopLevelSpec | null {
  if (results.runs.length < 2) return null;
  const runNames = results.runs.map((r) => r.name);
  const variants = [...new Set(results.runs.flatMap((r) => r.variants.map((v) => v.name)))];
  const axis = sweepAxis(results);
  // A metric that is zero everywhere would be a flat line on an empty axis.
  const rows = METRICS.filter((m) => results.runs.some((r) => r.variants.some((v) => (m.value(v.metrics) ?? 0) !== 0)));
  const values = results.runs.flatMap((r) =>
    r.variants.flatMap((v) =>
      rows.flatMap((m) => {
        const x = m.value(v.metrics);
        if (x === null) return [];
        return [{ run: r.name, ...(axis ? { x: r.point![axis] as number } : {}), variant: v.name, metric: m.key, value: Number((x * m.scale).toFixed(m.digits)) }];
      }),
    ),
  );
  if (values.length === 0) return null;
  const marks = axis ? (results.marks ?? []) : [];
  const xMarks = marks.flatMap((k) => ('x' in k ? [k] : []));
  const rule = (): { type: 'rule'; strokeDash: number[]; color: string; strokeWidth: number } => ({ type: 'rule', strokeDash: [5, 4], color: '#b3261e', strokeWidth: 1.5 });
  const markTip = [{ field: 'label', type: 'nominal' as const, title: 'mark' }];
  const x = axis
    ? ({ field: 'x', type: 'quantitative', title: axis, scale: { zero: false } } as const)
    : ({
        field: 'run',
        type: 'nominal',
        sort: runNames,
        title: 'run',
        // Names such as "200 requests / 50 concurrent" read best broken at their slashes.
        axis: { labelAngle: 0, labelLimit: 200, labelExpr: "split(datum.label, ' / ')" },
      } as const);
  const subtitle = axis
    ? [`The tables’ numbers at every point of the sweep, one line per variant`, ...marks.map((k) => `dashed: ${'x' in k ? `${axis} = ${k.x}` : `${k.metric} = ${k.y}`}: ${k.label}`)]
    : 'The tables’ numbers, one line per variant, runs in the order the scenario lists them';
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: axis ? `Each metric against ${axis}` : 'Each metric across the runs', subtitle },
    data: { values },
    columns: 3,
    concat: rows.map((m) => {
      const yMarks = marks.flatMap((k) => ('metric' in k && k.metric === m.key ? [{ y: Number((k.y * m.scale).toFixed(m.digits + 2)), label: k.label }] : []));
      const title = `${m.label} (${m.unit})`;
      const line = {
        transform: [{ filter: { field: 'metric', equal: m.key } }],
        mark: { type: 'line' as const, point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative' as const, title },
          color: { field: 'variant', type: 'nominal' as const, sort: variants, title: 'variant' },
          tooltip: [
            { field: 'run', type: 'nominal' as const },
            { field: 'variant', type: 'nominal' as const },
            { field: 'value', type: 'quantitative' as const, title },
          ],
        },
      };
      const rules = [
        ...(xMarks.length ? [{ data: { values: xMarks }, mark: rule(), encoding: { x: { field: 'x', type: 'quantitative' as const }, tooltip: markTip } }] : []),
        ...(yMarks.length ? [{ data: { values: yMarks }, mark: rule(), encoding: { y: { field: 'y', type: 'quantitative' as const }, tooltip: markTip } }] : []),
      ];
      const size = { width: axis ? 300 : Math.max(220, 90 * runNames.length), height: 150, title: { text: title, fontSize: 12 } };
      return rules.length ? { ...size, layer: [line, ...rules] } : { ...size, ...line };
    }),
  };
}

/** Every per-run chart that has something to show, in the order the page shows them. */
export function runCharts(run: RunResult): TopLevelSpec[] {
  return [latencyCdfChart, outcomesChart, phasesChart, admissionsChart, providerShareChart, inFlightChart, healthChart, limiterChart]
    .map((chart) => chart(run))
    .filter((s): s is TopLevelSpec => s !== null);
}
