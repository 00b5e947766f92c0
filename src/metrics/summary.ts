import { Outcome, outcomeNames } from '../core/outcome.js';
import type { ConnectionStats } from './facts.js';
import type { KeyPoolStats } from '../keys/key-pool.js';
import type { Recorder } from './recorder.js';
import type { LatencyStats, OutcomeCounts, PhaseStats, Series, VariantMetrics } from './results.js';
import { niceBucket, quantilesAt, rankIndex, round, sortInPlace } from './stats.js';

/** What a finished run hands the summary besides the recorder. */
export interface RunFacts {
  keyNames: readonly string[];
  admitted: Float64Array;
  connections: ConnectionStats;
  limiter: KeyPoolStats;
}

function counts(outcomes: Uint8Array): OutcomeCounts {
  const c = new Float64Array(outcomeNames.length);
  for (let i = 0; i < outcomes.length; i++) c[outcomes[i]!]!++;
  return countsOf(c);
}

function countsOf(c: Float64Array): OutcomeCounts {
  return { ok: c[0]!, rateLimited: c[1]!, serverError: c[2]!, timeout: c[3]!, connectFailed: c[4]!, gaveUp: c[5]!, unavailable: c[6]!, tooLarge: c[7]! };
}

/** The latencies of successful requests, sorted, and their mean (summed in finishing order). */
export interface OkLatencies {
  mean: number;
  sorted: Float64Array;
}

/**
 * Latency (arrival → final outcome) of each successful request: one sample for the table's
 * statistics and the CDF. Sorted once (a radix sort of a million values takes less than the
 * hundred selections it replaces); the mean is summed before, in finishing order.
 */
export function okLatencies(rec: Recorder): OkLatencies {
  // One pass: each latency written and added to the sum in finishing order (the mean's order of
  // additions), into room for every request; the sort takes the successful ones' part of it.
  const n = rec.finished;
  const outcome = rec.outcome;
  const end = rec.end;
  const arrival = rec.arrival;
  const all = new Float64Array(n);
  let ok = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (outcome[i] !== Outcome.ok) continue;
    const v = end[i]! - arrival[i]!;
    all[ok++] = v;
    sum += v;
  }
  const out = ok === n ? all : all.subarray(0, ok);
  return { mean: ok === 0 ? NaN : sum / ok, sorted: sortInPlace(out) };
}

function latencyStats({ mean: m, sorted: s }: OkLatencies): LatencyStats {
  const n = s.length;
  const at = (p: number): number => (n === 0 ? NaN : s[rankIndex(n, p)]!);
  return { mean: round(m), min: round(n ? s[0]! : NaN), max: round(n ? s[n - 1]! : NaN), p50: round(at(50)), p90: round(at(90)), p99: round(at(99)) };
}

function phaseStats(values: Float64Array): PhaseStats {
  // One pass for the extremes and the sum (added in request order, as mean() does). Many phases are
  // the same for every request (no retries: no backoff; pooled: no connecting): then every
  // percentile is that value, without copying a million of them to select from.
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const m = round(n === 0 ? NaN : sum / n);
  if (n > 0 && min === max) return { mean: m, p50: round(max), p99: round(max), max: round(max) };
  const at = quantilesAt(values, [50, 99]);
  return { mean: m, p50: round(at[0]!), p99: round(at[1]!), max: round(max) };
}

/** The percentiles a latency CDF is drawn from: every whole percent, and the tail in finer steps. */
export const CDF_POINTS: readonly number[] = [...Array.from({ length: 100 }, (_, i) => i), 99.5, 99.9, 100];

/**
 * The latency distribution of successful requests as [percentile, ms] pairs (exact nearest-rank
 * percentiles at CDF_POINTS, 0 = the minimum), compact enough for results.json at any run size.
 * Empty when no request succeeded.
 */
export function latencyCdf({ sorted }: OkLatencies): [number, number][] {
  const n = sorted.length;
  if (n === 0) return [];
  return CDF_POINTS.map((p) => [p, round(sorted[rankIndex(n, p)]!)!]);
}

const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 6) : null);

/** The numbers of one variant, from what the recorder saw. Pure: same recorder → same metrics. */
/** Everything but the per-provider figures and balance (see providers.ts). */
export function summarize(rec: Recorder, facts: RunFacts, okLatency: OkLatencies = okLatencies(rec)): Omit<VariantMetrics, 'providers' | 'balance'> {
  const n = rec.finished;
  // The requests' outcomes counted and their latest end found in one pass.
  const c = new Float64Array(outcomeNames.length);
  const outcome = rec.outcome;
  const end = rec.end;
  let totalTime = 0;
  for (let i = 0; i < n; i++) {
    c[outcome[i]!]!++;
    if (end[i]! > totalTime) totalTime = end[i]!;
  }
  const outcomes = countsOf(c);
  const attemptOutcomes = counts(rec.attemptOutcome.view());
  const conn = facts.connections;
  const keys: VariantMetrics['keys'] = {};
  facts.keyNames.forEach((k, i) => (keys[k] = { admitted: facts.admitted[i]!, rateLimited: rec.keyRateLimited[i]! }));
  return {
    requests: n,
    attempts: rec.attemptOutcome.length,
    ok: outcomes.ok,
    failed: n - outcomes.ok,
    outcomes,
    attemptOutcomes,
    successRate: ratio(outcomes.ok, n),
    throughputPerS: totalTime > 0 ? round((outcomes.ok * 1000) / totalTime, 4) : null,
    totalTimeMs: round(totalTime),
    latencyMs: latencyStats(okLatency),
    phasesMs: {
      keyWait: phaseStats(rec.keyWait.subarray(0, n)),
      providerQueue: phaseStats(rec.providerQueue.subarray(0, n)),
      connect: phaseStats(rec.connect.subarray(0, n)),
      service: phaseStats(rec.service.subarray(0, n)),
      retryWait: phaseStats(rec.retryWait.subarray(0, n)),
    },
    connections: {
      created: conn.created,
      reused: conn.reused,
      reuseRate: ratio(conn.reused, conn.created + conn.reused),
      clientsCreated: conn.clientsCreated,
      clientsReused: conn.clientsReused,
      clientReuseRate: ratio(conn.clientsReused, conn.clientsCreated + conn.clientsReused),
    },
    keys,
    limiter: { ...facts.limiter },
  };
}

/** Counts kept as `outcome × buckets + bucket` in one typed array, as the results' { outcome: counts[] }. */
function byOutcome(counts: Float64Array, buckets: number): Record<keyof OutcomeCounts, number[]> {
  const r = {} as Record<keyof OutcomeCounts, number[]>;
  outcomeNames.forEach((name, o) => (r[name] = Array.from(counts.subarray(o * buckets, (o + 1) * buckets))));
  return r;
}

/**
 * Per-bucket counts for charts; at most ~100 buckets whatever the run length. `arrivalBucket`, when
 * given (room for every finished request), receives each request's arrival bucket, which the
 * offered series reads rather than computing it again.
 */
export function series(rec: Recorder, keyNames: readonly string[], totalTimeMs: number, arrivalBucket?: Int32Array): Omit<Series, 'providers'> {
  const bucketMs = niceBucket(totalTimeMs);
  const buckets = Math.max(1, Math.floor(totalTimeMs / bucketMs) + 1);
  const last = buckets - 1;
  const requests = new Float64Array(outcomeNames.length * buckets);
  const attempts = new Float64Array(outcomeNames.length * buckets);
  const latSum = new Float64Array(buckets);
  const latN = new Float64Array(buckets);
  // In flight: each request's [arrival, end) spread over the buckets it covers (partial ends
  // directly, whole buckets through a difference array), then divided by the bucket width.
  const busy = new Float64Array(buckets);
  const whole = new Float64Array(buckets + 1);
  // One pass over the requests, the columns held in locals and the bucket computed inline: this
  // loop runs once per million requests and is not worth a call per element.
  const arrival = rec.arrival;
  const end = rec.end;
  const outcome = rec.outcome;
  for (let i = 0, n = rec.finished; i < n; i++) {
    const a = arrival[i]!;
    const e = end[i]!;
    let ba = Math.floor(a / bucketMs);
    if (ba > last) ba = last;
    if (arrivalBucket) arrivalBucket[i] = ba < 0 ? 0 : ba;
    let be = Math.floor(e / bucketMs);
    if (be > last) be = last;
    if (ba === be) busy[ba]! += e - a;
    else {
      busy[ba]! += (ba + 1) * bucketMs - a;
      busy[be]! += e - be * bucketMs;
      whole[ba + 1]!++;
      whole[be]!--;
    }
    const o = outcome[i]!;
    requests[o * buckets + be]!++;
    if (o === Outcome.ok) {
      latSum[be]! += e - a;
      latN[be]!++;
    }
  }
  for (let b = 0, open = 0; b < buckets; b++) {
    open += whole[b]!;
    busy[b]! += open * bucketMs;
  }
  // The attempt and admission logs the same way: the bucket inline, not through a call.
  const ends = rec.attemptEnd.view();
  const outs = rec.attemptOutcome.view();
  for (let i = 0; i < ends.length; i++) {
    let b = Math.floor(ends[i]! / bucketMs);
    if (b > last) b = last;
    attempts[outs[i]! * buckets + b]!++;
  }
  const admitted = new Float64Array(keyNames.length * buckets);
  const adAt = rec.admissionAt.view();
  const adKey = rec.admissionKey.view();
  for (let i = 0; i < adAt.length; i++) {
    let b = Math.floor(adAt[i]! / bucketMs);
    if (b > last) b = last;
    admitted[adKey[i]! * buckets + b]!++;
  }
  const admissions: Record<string, number[]> = {};
  keyNames.forEach((k, i) => (admissions[k] = Array.from(admitted.subarray(i * buckets, (i + 1) * buckets))));
  return {
    bucketMs,
    t: Array.from({ length: buckets }, (_, i) => i * bucketMs),
    requests: byOutcome(requests, buckets),
    attempts: byOutcome(attempts, buckets),
    latencyMeanMs: Array.from(latSum, (s, i) => (latN[i]! > 0 ? round(s / latN[i]!) : null)),
    admissions,
    inFlight: Array.from(busy, (ms) => round(ms / bucketMs)!),
  };
}
