import type { VariantMetrics } from '../metrics/results.js';

/**
 * The rows of a comparison table. `key` is also the name a scenario's `reference:` uses, in the
 * metric's own unit (fractions for rates, ms for times). `better` decides the improvement column:
 * `higher`/`lower` give a relative change in %, `points` a difference in percentage points.
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
}

const row = (
  key: string,
  label: string,
  unit: string,
  value: (m: VariantMetrics) => number | null,
  scale: number,
  digits: number,
  better: MetricRow['better'],
): MetricRow => ({ key, label, unit, value, scale, digits, better });

/**
 * Rows about the client-side limiter are left out of runs without one (no window ever held an
 * entry): there, every request is sent and the key pool's costs are noise.
 */
const limited = (m: VariantMetrics): boolean => m.limiter.entriesPeak > 0;
const sent = (m: VariantMetrics): number => m.requests - m.outcomes.gaveUp;
const ifLimited = (f: (m: VariantMetrics) => number | null) => (m: VariantMetrics): number | null => (limited(m) ? f(m) : null);

export const METRICS: readonly MetricRow[] = [
  // The document's "总请求数": requests that got a key (the others gave up waiting).
  row('sent', 'requests sent', 'count', ifLimited(sent), 1, 0, 'higher'),
  row('successRate', 'success rate', '%', (m) => m.successRate, 100, 1, 'points'),
  // The document's "成功率": successes among the requests sent.
  row('sentSuccessRate', 'success rate of sent', '%', ifLimited((m) => (sent(m) > 0 ? m.ok / sent(m) : null)), 100, 1, 'points'),
  row('meanLatencyMs', 'mean latency', 's', (m) => m.latencyMs.mean, 1e-3, 3, 'lower'),
  row('p50LatencyMs', 'p50 latency', 's', (m) => m.latencyMs.p50, 1e-3, 3, 'lower'),
  row('p99LatencyMs', 'p99 latency', 's', (m) => m.latencyMs.p99, 1e-3, 3, 'lower'),
  row('minLatencyMs', 'min latency', 's', (m) => m.latencyMs.min, 1e-3, 3, 'none'),
  row('maxLatencyMs', 'max latency', 's', (m) => m.latencyMs.max, 1e-3, 3, 'none'),
  row('throughputPerS', 'throughput', 'req/s', (m) => m.throughputPerS, 1, 2, 'higher'),
  row('totalTimeMs', 'total time', 's', (m) => m.totalTimeMs, 1e-3, 2, 'lower'),
  row('rateLimited', '429 responses', 'attempts', (m) => m.attemptOutcomes.rateLimited, 1, 0, 'none'),
  row('connectFailed', 'connect failures', 'attempts', (m) => m.attemptOutcomes.connectFailed, 1, 0, 'none'),
  row('keyWaitMeanMs', 'mean key wait', 's', (m) => m.phasesMs.keyWait.mean, 1e-3, 3, 'lower'),
  row('clientsCreated', 'clients created', 'count', (m) => m.connections.clientsCreated, 1, 0, 'none'),
  row('clientsReused', 'clients reused', 'count', (m) => m.connections.clientsReused, 1, 0, 'none'),
  row('clientReuseRate', 'client reuse rate', '%', (m) => m.connections.clientReuseRate, 100, 1, 'points'),
  row('connectionsCreated', 'connections opened', 'count', (m) => m.connections.created, 1, 0, 'none'),
  // Limiter cost: checks and wake-ups are the CPU proxy, entries per key the memory figure.
  row('limiterChecks', 'key checks', 'count', ifLimited((m) => m.limiter.checks), 1, 0, 'lower'),
  row('limiterWastedChecks', 'key checks finding none', 'count', ifLimited((m) => m.limiter.wastedChecks), 1, 0, 'lower'),
  row('limiterWakeups', 'key wake-ups', 'count', ifLimited((m) => m.limiter.wakeups), 1, 0, 'lower'),
  row('limiterEntriesPeak', 'entries per key (peak)', 'count', ifLimited((m) => m.limiter.entriesPeak), 1, 0, 'lower'),
];

export const metricKeys = METRICS.map((m) => m.key);

/**
 * Improvement of `v` over the baseline `b`, as the document writes it: relative % for times and
 * throughput, percentage points for rates. null when it does not apply.
 */
export function improvement(row: MetricRow, v: number | null, b: number | null): number | null {
  if (v === null || b === null || row.better === 'none') return null;
  if (row.better === 'points') return (v - b) * 100;
  if (b === 0) return null;
  return row.better === 'higher' ? ((v - b) / b) * 100 : ((b - v) / b) * 100;
}
