import { Outcome, outcomeNames } from '../balancers/balancer.js';
import type { ConnectionStats } from '../gateway/connections.js';
import type { LimiterStats } from '../limiters/key-pool.js';
import type { ProviderStats } from '../providers/port.js';
import type { Recorder } from './recorder.js';
import type { LatencyStats, OutcomeCounts, PhaseStats, Series, VariantMetrics } from './results.js';
import { mean, niceBucket, quantiles, round } from './stats.js';

/** What a finished run hands the summary besides the recorder. */
export interface RunFacts {
  keyNames: readonly string[];
  providerNames: readonly string[];
  admitted: Float64Array;
  connections: ConnectionStats;
  providers: readonly ProviderStats[];
  limiter: LimiterStats;
}

function counts(outcomes: Uint8Array): OutcomeCounts {
  const c = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < outcomes.length; i++) c[outcomes[i]!]!++;
  return { ok: c[0]!, rateLimited: c[1]!, serverError: c[2]!, timeout: c[3]!, connectFailed: c[4]!, gaveUp: c[5]! };
}

function latencyStats(values: Float64Array): LatencyStats {
  const q = quantiles(values, [50, 90, 99]);
  return { mean: round(mean(values)), min: round(q.min), max: round(q.max), p50: round(q.at[0]!), p90: round(q.at[1]!), p99: round(q.at[2]!) };
}

function phaseStats(values: Float64Array): PhaseStats {
  const q = quantiles(values, [50, 99]);
  return { mean: round(mean(values)), p50: round(q.at[0]!), p99: round(q.at[1]!), max: round(q.max) };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 6) : null);

/** The numbers of one variant, from what the recorder saw. Pure: same recorder → same metrics. */
export function summarize(rec: Recorder, facts: RunFacts): VariantMetrics {
  const n = rec.finished;
  const outcomes = counts(rec.outcome.subarray(0, n));
  const attemptOutcomes = counts(rec.attemptOutcome.view());
  let totalTime = 0;
  for (let i = 0; i < n; i++) if (rec.end[i]! > totalTime) totalTime = rec.end[i]!;
  const okLatency = new Float64Array(outcomes.ok);
  for (let i = 0, j = 0; i < n; i++) if (rec.outcome[i] === Outcome.ok) okLatency[j++] = rec.end[i]! - rec.arrival[i]!;
  const c = facts.connections;
  const keys: VariantMetrics['keys'] = {};
  facts.keyNames.forEach((k, i) => (keys[k] = { admitted: facts.admitted[i]!, rateLimited: rec.keyRateLimited[i]! }));
  const providers: VariantMetrics['providers'] = {};
  facts.providerNames.forEach((p, i) => {
    const s = facts.providers[i]!;
    providers[p] = { requests: s.requests, ok: s.ok, failed: s.failed, rateLimited: s.rateLimited, busyPeak: s.busyPeak, queuePeak: s.queuePeak };
  });
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
      created: c.created,
      reused: c.reused,
      reuseRate: ratio(c.reused, c.created + c.reused),
      clientsCreated: c.clientsCreated,
      clientsReused: c.clientsReused,
      clientReuseRate: ratio(c.clientsReused, c.clientsCreated + c.clientsReused),
    },
    keys,
    providers,
    limiter: { ...facts.limiter },
  };
}

function byOutcome(buckets: number): Record<keyof OutcomeCounts, number[]> {
  const r = {} as Record<keyof OutcomeCounts, number[]>;
  for (const name of outcomeNames) r[name] = new Array<number>(buckets).fill(0);
  return r;
}

/** Per-bucket counts for charts; at most ~100 buckets whatever the run length. */
export function series(rec: Recorder, keyNames: readonly string[], totalTimeMs: number): Series {
  const bucketMs = niceBucket(totalTimeMs);
  const buckets = Math.max(1, Math.floor(totalTimeMs / bucketMs) + 1);
  const at = (t: number): number => Math.min(buckets - 1, Math.floor(t / bucketMs));
  const requests = byOutcome(buckets);
  const attempts = byOutcome(buckets);
  const latSum = new Float64Array(buckets);
  const latN = new Float64Array(buckets);
  for (let i = 0; i < rec.finished; i++) {
    const b = at(rec.end[i]!);
    const o = rec.outcome[i]!;
    requests[outcomeNames[o]!]![b]!++;
    if (o === Outcome.ok) {
      latSum[b]! += rec.end[i]! - rec.arrival[i]!;
      latN[b]!++;
    }
  }
  const ends = rec.attemptEnd.view();
  const outs = rec.attemptOutcome.view();
  for (let i = 0; i < ends.length; i++) attempts[outcomeNames[outs[i]!]!]![at(ends[i]!)]!++;
  const admissions: Record<string, number[]> = {};
  for (const k of keyNames) admissions[k] = new Array<number>(buckets).fill(0);
  const adAt = rec.admissionAt.view();
  const adKey = rec.admissionKey.view();
  for (let i = 0; i < adAt.length; i++) admissions[keyNames[adKey[i]!]!]![at(adAt[i]!)]!++;
  return {
    bucketMs,
    t: Array.from({ length: buckets }, (_, i) => i * bucketMs),
    requests,
    attempts,
    latencyMeanMs: Array.from(latSum, (s, i) => (latN[i]! > 0 ? round(s / latN[i]!) : null)),
    admissions,
  };
}
