import type { OutcomeCounts, RunResult, VariantMetrics, VariantResult } from '../metrics/results.js';

/**
 * The rows of a comparison table. `key` is also the name a scenario's `reference:` uses, in the
 * metric's own unit (fractions for rates, ms for times). `better` decides the change column:
 * `higher`/`lower` give a relative change in % (positive = better), `points` a difference in
 * percentage points, `none` no change at all.
 */
export interface MetricRow {
  key: string;
  label: string;
  /** Unit shown in the table. */
  unit: string;
  value(m: VariantMetrics): number | null;
  /** Canonical value → shown value. */
  scale: number;
  digits: number;
  better: 'higher' | 'lower' | 'points' | 'none';
  /** Shown in every table, even when zero or absent in every variant (default: left out then, and named). */
  always?: boolean;
  /**
   * A count or a detection time: against a zero or tiny baseline its change is an absolute
   * difference ("46 more", "51.40 s more"), never a percentage of almost nothing.
   */
  absolute?: 'count' | 'time';
  /** A row about request sizes (tokens, streaming, 429s by quota): shown only in runs whose requests have sizes. */
  tokens?: boolean;
}

const row = (
  key: string,
  label: string,
  unit: string,
  value: (m: VariantMetrics) => number | null,
  scale: number,
  digits: number,
  better: MetricRow['better'],
  extra: Pick<MetricRow, 'always' | 'absolute' | 'tokens'> = {},
): MetricRow => ({ key, label, unit, value, scale, digits, better, ...extra });

/**
 * Rows about the client-side limiter are left out of runs without one (no window ever held an
 * entry): there, every request is sent and the key pool's costs are noise.
 */
const limited = (m: VariantMetrics): boolean => m.limiter.entriesPeak > 0;
const sent = (m: VariantMetrics): number => m.requests - m.outcomes.gaveUp;
const ifLimited = (f: (m: VariantMetrics) => number | null) => (m: VariantMetrics): number | null => (limited(m) ? f(m) : null);
const attempts = (o: keyof OutcomeCounts) => (m: VariantMetrics): number => m.attemptOutcomes[o];
const count = { absolute: 'count' } as const;
const always = { always: true } as const;
const sized = { tokens: true } as const;
/** A token figure of a variant with sizes (null without: such a run shows no token rows at all). */
const tok = (f: (t: NonNullable<VariantMetrics['tokens']>) => number | null) => (m: VariantMetrics): number | null => (m.tokens ? f(m.tokens) : null);
const timing = (which: 'ttftMs' | 'tpotMs' | 'itlMs', stat: 'mean' | 'p50' | 'p99') => (m: VariantMetrics): number | null => m[which]?.[stat] ?? null;
const limitedBy = (d: 'requests' | 'tokens' | 'concurrent') => (m: VariantMetrics): number | null => m.rateLimitedBy?.[d] ?? null;

export const METRICS: readonly MetricRow[] = [
  // The Python review client's "总请求数": requests that got a key (the others gave up waiting).
  row('sent', 'requests sent', 'count', ifLimited(sent), 1, 0, 'higher', count),
  row('successRate', 'success rate', '%', (m) => m.successRate, 100, 1, 'points', always),
  // The Python review client's "成功率": successes among the requests sent.
  row('sentSuccessRate', 'success rate of sent', '%', ifLimited((m) => (sent(m) > 0 ? m.ok / sent(m) : null)), 100, 1, 'points'),
  row('meanLatencyMs', 'mean latency', 's', (m) => m.latencyMs.mean, 1e-3, 3, 'lower'),
  row('p50LatencyMs', 'p50 latency', 's', (m) => m.latencyMs.p50, 1e-3, 3, 'lower'),
  row('p99LatencyMs', 'p99 latency', 's', (m) => m.latencyMs.p99, 1e-3, 3, 'lower'),
  row('minLatencyMs', 'min latency', 's', (m) => m.latencyMs.min, 1e-3, 3, 'none'),
  row('maxLatencyMs', 'max latency', 's', (m) => m.latencyMs.max, 1e-3, 3, 'none'),
  row('throughputPerS', 'throughput', 'req/s', (m) => m.throughputPerS, 1, 2, 'higher', always),
  row('totalTimeMs', 'total time', 's', (m) => m.totalTimeMs, 1e-3, 2, 'lower', always),
  // One row per way a request or an attempt can end: a failure mode that happened always shows.
  row('ok', 'ok', 'requests', (m) => m.ok, 1, 0, 'higher', { always: true, absolute: 'count' }),
  row('rateLimited', '429 responses', 'attempts', attempts('rateLimited'), 1, 0, 'none'),
  // Admissions beyond a key's own configured limit in some window (metrics/quota.ts).
  row('quotaViolations', 'quota violations', 'admissions', (m) => m.quotaViolations ?? null, 1, 0, 'none'),
  // The providers' 429s by the quota that gave them (a throttle fault's 429s are in none).
  row('rateLimitedRequests', '429s from the requests quota', 'attempts', limitedBy('requests'), 1, 0, 'none', sized),
  row('rateLimitedTokens', '429s from the tokens quota', 'attempts', limitedBy('tokens'), 1, 0, 'none', sized),
  row('rateLimitedConcurrent', '429s from the concurrent quota', 'attempts', limitedBy('concurrent'), 1, 0, 'none', sized),
  row('serverError', '5xx responses', 'attempts', attempts('serverError'), 1, 0, 'none'),
  row('timeout', 'timeouts', 'attempts', attempts('timeout'), 1, 0, 'none'),
  row('connectFailed', 'connect failures', 'attempts', attempts('connectFailed'), 1, 0, 'none'),
  row('unavailable', 'no healthy provider', 'attempts', attempts('unavailable'), 1, 0, 'none'),
  row('gaveUp', 'gave up waiting for a key', 'requests', (m) => m.outcomes.gaveUp, 1, 0, 'none'),
  // Larger than a quota can ever admit: refused at once by the key pool or the provider, never retried.
  row('tooLarge', 'too large for a quota', 'requests', (m) => m.outcomes.tooLarge ?? 0, 1, 0, 'none', sized),
  // Tokens of successful requests, and per second of total time (as throughput is).
  row('promptTokens', 'prompt tokens', 'tokens', tok((t) => t.prompt), 1, 0, 'none', { tokens: true, always: true }),
  row('outputTokens', 'output tokens', 'tokens', tok((t) => t.output), 1, 0, 'none', { tokens: true, always: true }),
  row('promptTokensPerS', 'prompt tokens/s', 'tokens/s', tok((t) => t.perS.prompt), 1, 1, 'higher', { tokens: true, always: true }),
  row('outputTokensPerS', 'output tokens/s', 'tokens/s', tok((t) => t.perS.output), 1, 1, 'higher', { tokens: true, always: true }),
  row('totalTokensPerS', 'total tokens/s', 'tokens/s', tok((t) => t.perS.total), 1, 1, 'higher', { tokens: true, always: true }),
  // charge: reserve — max_tokens held in a quota beyond what the answer used, until it ended.
  row('reservedUnusedTokens', 'reserved, not used', 'tokens', tok((t) => t.reservedUnused), 1, 0, 'none', sized),
  // Streamed answers only: first token from reaching the provider, then the pace of the rest.
  row('ttftMeanMs', 'mean time to first token', 'ms', timing('ttftMs', 'mean'), 1, 1, 'lower', sized),
  row('ttftP50Ms', 'p50 time to first token', 'ms', timing('ttftMs', 'p50'), 1, 1, 'lower', sized),
  row('ttftP99Ms', 'p99 time to first token', 'ms', timing('ttftMs', 'p99'), 1, 1, 'lower', sized),
  row('tpotP50Ms', 'p50 time per output token', 'ms', timing('tpotMs', 'p50'), 1, 2, 'lower', sized),
  row('itlMeanMs', 'mean inter-token latency', 'ms', timing('itlMs', 'mean'), 1, 2, 'lower', sized),
  row('itlP50Ms', 'p50 inter-token latency', 'ms', timing('itlMs', 'p50'), 1, 2, 'lower', sized),
  row('itlP99Ms', 'p99 inter-token latency', 'ms', timing('itlMs', 'p99'), 1, 2, 'lower', sized),
  row('keyWaitMeanMs', 'mean key wait', 's', (m) => m.phasesMs.keyWait.mean, 1e-3, 3, 'lower'),
  row('clientsCreated', 'clients created', 'count', (m) => m.connections.clientsCreated, 1, 0, 'none'),
  row('clientsReused', 'clients reused', 'count', (m) => m.connections.clientsReused, 1, 0, 'none'),
  row('clientReuseRate', 'client reuse rate', '%', (m) => m.connections.clientReuseRate, 100, 1, 'points'),
  row('connectionsCreated', 'connections opened', 'count', (m) => m.connections.created, 1, 0, 'none'),
  // Limiter cost: checks and wake-ups are the CPU proxy, entries per key the memory figure.
  row('limiterChecks', 'key checks', 'count', ifLimited((m) => m.limiter.checks), 1, 0, 'lower', count),
  row('limiterWastedChecks', 'key checks finding none', 'count', ifLimited((m) => m.limiter.wastedChecks), 1, 0, 'lower', count),
  row('limiterWakeups', 'key wake-ups', 'count', ifLimited((m) => m.limiter.wakeups), 1, 0, 'lower', count),
  row('limiterEntriesPeak', 'entries per key (peak)', 'count', ifLimited((m) => m.limiter.entriesPeak), 1, 0, 'lower', count),
];

export const metricKeys = METRICS.map((m) => m.key);

/**
 * Improvement of `v` over the baseline `b`, as the published tables write it: relative % for times and
 * throughput, percentage points for rates. null when it does not apply.
 */
export function improvement(row: MetricRow, v: number | null, b: number | null): number | null {
  if (v === null || b === null || row.better === 'none') return null;
  if (row.better === 'points') return (v - b) * 100;
  if (b === 0) return null;
  return row.better === 'higher' ? ((v - b) / b) * 100 : ((b - v) / b) * 100;
}

/** Below this a change (in % or pp) has no direction: 0.04% is noise in the last printed digit. */
export const NO_CHANGE = 0.05;

/** A relative change beyond this (in %) is shown as an absolute difference for counts and detection times. */
export const ABSOLUTE_BEYOND = 200;

/**
 * A count or a detection time compared against a baseline of zero, a count under 10, or a
 * baseline so small that the change would read beyond ±200% is shown as the absolute difference:
 * "−4659.0%" says less than "51.40 s more".
 */
export function isAbsolute(row: MetricRow, v: number, b: number): boolean {
  if (!row.absolute) return false;
  return b === 0 || (row.absolute === 'count' && Math.abs(b) < 10) || (Math.abs(v - b) / Math.abs(b)) * 100 > ABSOLUTE_BEYOND;
}

/** A change against the baseline, ready to print, and its direction (sign of v − b, 0 when negligible). */
export interface Change {
  text: string;
  direction: -1 | 0 | 1;
}

/** The direction of `v` against `b` in the row's terms: the sign of v − b, 0 when it is within NO_CHANGE. */
export function direction(row: MetricRow, v: number, b: number): -1 | 0 | 1 {
  const size = row.unit === '%' ? Math.abs(v - b) * 100 : b === 0 ? (v === 0 ? 0 : Infinity) : (Math.abs(v - b) / Math.abs(b)) * 100;
  if (size < NO_CHANGE) return 0;
  return v > b ? 1 : -1;
}

/**
 * The change column's entry for `v` against the baseline `b`: relative % (positive = better) or
 * pp as the published tables write them, or an absolute difference for counts and detection times
 * (see isAbsolute; `forceAbsolute` when the other pair of the same cell needed it, so a
 * simulated and a published change read alike). null when the row has no change to show.
 */
export function change(row: MetricRow, v: number | null, b: number | null, forceAbsolute = false): Change | null {
  if (v === null || b === null || row.better === 'none') return null;
  const dir = direction(row, v, b);
  if (forceAbsolute || isAbsolute(row, v, b)) {
    const d = Math.abs(v - b) * row.scale;
    if (d.toFixed(row.digits) === (0).toFixed(row.digits)) return { text: 'same', direction: dir };
    const shown = d.toFixed(row.digits);
    const more = v > b;
    return { text: row.absolute === 'time' ? `${shown} ${row.unit} ${more ? 'more' : 'less'}` : `${shown} ${more ? 'more' : 'fewer'}`, direction: dir };
  }
  let g = improvement(row, v, b);
  if (g === null) return null;
  // No "-0.0%": a change that rounds to nothing reads as none.
  if (Math.abs(g) < NO_CHANGE) g = 0;
  return { text: `${g >= 0 ? '+' : ''}${g.toFixed(1)}${row.better === 'points' ? ' pp' : '%'}`, direction: dir };
}

/** Rows that depend on the run: each provider's share and time unhealthy, and the imbalance. */
export function providerRows(run: RunResult): MetricRow[] {
  const names = Object.keys(run.variants[0]?.metrics.providers ?? {});
  if (names.length < 2) return [];
  // Not "lower is better": weighted balancers are uneven on purpose.
  const rows: MetricRow[] = [row('imbalance', 'imbalance (max share ÷ mean)', '×', (m) => m.balance?.imbalance ?? null, 1, 2, 'none')];
  for (const name of names) rows.push(row(`share.${name}`, `share: ${name}`, '%', (m) => m.providers[name]?.share ?? null, 100, 1, 'none'));
  for (const name of names) rows.push(row(`unhealthy.${name}`, `unhealthy: ${name}`, 's', (m) => m.providers[name]?.unhealthyMs ?? null, 1e-3, 1, 'none'));
  return rows;
}

/**
 * The Python review client's parallelism rows (seed 001: 总耗时 / 平均任务时间 / 理论最大加速比 / 实际加速比 / 并行效率),
 * when the variants run different numbers of workers: time per task (total time ÷ tasks), the
 * theoretical speedup (workers ÷ the baseline's), the actual speedup (the baseline's total time ÷
 * this one's) and the parallel efficiency (actual ÷ theoretical).
 */
export function parallelRows(run: RunResult, base: VariantResult): MetricRow[] {
  const workers = run.variants.map((v) => v.metrics.workers ?? null);
  if (workers.some((w) => w === null) || new Set(workers).size < 2) return [];
  const bw = base.metrics.workers!;
  const bt = base.metrics.totalTimeMs;
  const speedup = (m: VariantMetrics): number | null => (bt !== null && m.totalTimeMs ? bt / m.totalTimeMs : null);
  return [
    row('timePerTaskMs', 'time per task (total ÷ tasks)', 's', (m) => (m.totalTimeMs === null || m.requests === 0 ? null : m.totalTimeMs / m.requests), 1e-3, 2, 'lower'),
    row('theoreticalSpeedup', `theoretical speedup (workers ÷ ${bw})`, '×', (m) => m.workers! / bw, 1, 1, 'none'),
    row('speedup', `actual speedup (${base.name} total ÷ total)`, '×', speedup, 1, 2, 'none'),
    row('parallelEfficiency', 'parallel efficiency (actual ÷ theoretical)', '%', (m) => {
      const x = speedup(m);
      return x === null ? null : x / (m.workers! / bw);
    }, 100, 1, 'none'),
  ];
}

/**
 * Rows about injected faults, when a provider has any: how long the health rules took to notice
 * each provider's first fault and its end, the requests that failed, and the health checks sent
 * (the load the checks add).
 */
export function healthRows(run: RunResult): MetricRow[] {
  const faulty = Object.keys(run.variants[0]?.metrics.providers ?? {}).filter((n) => run.variants.some((v) => v.metrics.providers[n]?.faults?.length));
  if (faulty.length === 0) return [];
  const fault = (m: VariantMetrics, n: string) => m.providers[n]?.faults?.[0];
  const time = { absolute: 'time' } as const;
  const rows: MetricRow[] = [];
  for (const n of faulty) {
    rows.push(row(`detectedAfterMs.${n}`, `${n} down: detected after`, 's', (m) => fault(m, n)?.detectedAfterMs ?? null, 1e-3, 2, 'lower', time));
    rows.push(row(`restoredAfterMs.${n}`, `${n} back: in use again after`, 's', (m) => fault(m, n)?.restoredAfterMs ?? null, 1e-3, 2, 'lower', time));
  }
  rows.push(row('failedRequests', 'requests failed', 'count', (m) => m.requests - m.ok, 1, 0, 'lower', count));
  rows.push(row('healthChecks', 'health checks sent', 'count', (m) => Object.values(m.providers).reduce((a, p) => a + (p.checks ?? 0), 0), 1, 0, 'lower', count));
  return rows;
}

/**
 * Goodput and SLO attainment, when an SLO bites somewhere in the run (some variant's goodput differs
 * from its throughput); without one they repeat throughput and success rate.
 */
export function goalRows(run: RunResult): MetricRow[] {
  const bites = run.variants.some((v) => v.metrics.goodputPerS !== undefined && v.metrics.goodputPerS !== v.metrics.throughputPerS);
  if (!bites) return [];
  return [
    row('goodputPerS', 'goodput (met every SLO)', 'req/s', (m) => m.goodputPerS ?? null, 1, 2, 'higher', always),
    row('sloAttainment', 'SLO attainment', '%', (m) => m.sloAttainment ?? null, 100, 1, 'points', always),
  ];
}

/**
 * The rows of a run with metrics.adaptive (limits nobody told the client; none otherwise): the share
 * of the oracle's throughput, the provider's 429s, local rejections, convergence after each change
 * of the true rate, and the longest stretch believing above it.
 */
export function adaptiveRows(run: RunResult): MetricRow[] {
  if (!run.variants.some((v) => v.metrics.adaptive)) return [];
  const changes = run.variants.find((v) => v.metrics.adaptive)!.metrics.adaptive!.changes;
  const providers429 = (m: VariantMetrics): number => Object.values(m.providers).reduce((a, p) => a + p.rateLimited, 0);
  return [
    row('oracleShare', "throughput, share of the oracle's", '%', (m) => m.oracleShare ?? null, 100, 1, 'none'),
    row('providerRateLimited', "429s from the provider (share of attempts)", '%', (m) => (m.attempts > 0 ? providers429(m) / m.attempts : null), 100, 2, 'none'),
    row('localRejects', 'rejected locally (sre-throttle)', 'requests', (m) => m.adaptive?.localRejects ?? null, 1, 0, 'none'),
    ...changes.map((c, i) => row(
      `convergedAfterMs.${i}`,
      `within 10% of ${c.truePerMin}/min (from ${c.atMs / 1000} s) after`,
      's',
      (m) => m.adaptive?.changes[i]?.convergedAfterMs ?? null,
      1e-3,
      1,
      'none',
    )),
    row('longestAboveMs', 'longest stretch believing above the true rate', 's', (m) => m.adaptive?.longestAboveMs ?? null, 1e-3, 1, 'none'),
  ];
}

/** Real mode replaying a trace: how late arrivals ran against their rows' times (none otherwise). */
export function driftRows(run: RunResult): MetricRow[] {
  if (!run.variants.some((v) => v.metrics.arrivalDriftMs)) return [];
  return [
    row('arrivalDriftP50Ms', 'arrival drift p50 (late against the trace)', 'ms', (m) => m.arrivalDriftMs?.p50 ?? null, 1, 1, 'none', always),
    row('arrivalDriftP99Ms', 'arrival drift p99', 'ms', (m) => m.arrivalDriftMs?.p99 ?? null, 1, 1, 'none', always),
    row('arrivalDriftMaxMs', 'arrival drift max', 'ms', (m) => m.arrivalDriftMs?.max ?? null, 1, 1, 'none', always),
  ];
}

/** Some variant of the run has request sizes (workload.tokens or a dataset): its table has token rows. */
export const hasSizes = (run: RunResult): boolean => run.variants.some((v) => v.metrics.tokens !== undefined);

/** Every row a run's table can have, in the order it shows them (token rows only in a run with sizes). */
export function rowsOf(run: RunResult, base: VariantResult): MetricRow[] {
  const sizes = hasSizes(run);
  return [...goalRows(run), ...METRICS.filter((m) => sizes || !m.tokens), ...parallelRows(run, base), ...providerRows(run), ...healthRows(run), ...adaptiveRows(run), ...driftRows(run)];
}
