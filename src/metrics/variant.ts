import type { HealthFacts, PoolFacts } from './facts.js';
import type { ConnectionStats } from './facts.js';
import type { ProviderStats } from '../providers/port.js';
import type { Fault, Slo } from '../scenario/types.js';
import type { QuotaStep } from '../limiters/stepped.js';
import { goodput } from './slo.js';
import { quotaViolations, tokenViolations } from './quota.js';
import type { Charge } from '../core/outcome.js';
import { providerMetrics, providerSeries } from './providers.js';
import type { Recorder } from './recorder.js';
import type { VariantResult } from './results.js';
import { CDF_POINTS, latencyCdf, okLatencies, series, summarize } from './summary.js';
import { tokenMetrics, tokenSeries, ttftCdf, ttftSorted } from './tokens.js';
import type { Rate } from '../core/units.js';
import { adaptiveResult, type AdaptiveFacts } from './adaptive.js';
import { quantiles, round } from './stats.js';
import { arrivalOrder, offeredMetrics, offeredSeries, worstWait } from './offered.js';

/** What a finished run (simulated or real) hands over to become one variant of results.json. */
export interface RunEnd {
  recorder: Recorder;
  keyNames: readonly string[];
  providerNames: readonly string[];
  /** The key pool's admissions per key and cost figures (a KeyPool, or real mode's StorePool). */
  pool: PoolFacts;
  health: HealthFacts;
  connections: ConnectionStats;
  providers: readonly ProviderStats[];
  /** consistent-hash: the share of clients that moved at each health change. */
  remaps: { atMs: number; fraction: number }[] | undefined;
  /** Closed model: the workers sending requests (null in the open model); the tables' speedup rows use it. */
  workers: number | null;
  /** When the run ended (scenario ms). */
  endMs: number;
  /** Each provider's injected faults, to report when the health rules noticed them. */
  faults?: readonly (readonly Fault[])[];
  /** The tokens quota whose window the key series are drawn against (the keys', else the first provider's). */
  tokenQuota?: Rate;
  /** Per-request SLOs goodput counts against (absent: every success counts). */
  slo?: Slo;
  /**
   * The keys' own configured limits, which quota violations are counted against (absent: no limit,
   * none): requests (and their steps), and tokens with how they are charged.
   */
  keyLimit?: { limit: Rate | undefined; steps?: readonly QuotaStep[] | undefined; tokens?: Rate | undefined; charge?: Charge | undefined };
  /** Believed against true limits (a learning limiter, or a quota that changes). */
  adaptive?: AdaptiveFacts;
  /** Real mode replaying a trace: each arrival's lateness against its row's time (scenario ms). */
  drift?: Float64Array;
}

/** Percentiles of arrival lateness (nearest rank), rounded as every other time of results.json. */
export function driftStats(drift: Float64Array): NonNullable<VariantResult['metrics']['arrivalDriftMs']> {
  if (drift.length === 0) return { p50: null, p99: null, max: null, arrivals: 0 };
  const q = quantiles(drift, [50, 99]);
  return { p50: round(q.at[0]!), p99: round(q.at[1]!), max: round(q.max), arrivals: drift.length };
}

/** One variant's metrics, series and latency CDF: the same assembly for both modes. */
export function variantResult(name: string, e: RunEnd): VariantResult {
  const ok = okLatencies(e.recorder);
  const base = summarize(e.recorder, { keyNames: e.keyNames, admitted: e.pool.admitted, connections: e.connections, limiter: e.pool.stats }, ok);
  const { providers, balance } = providerMetrics(
    e.providerNames,
    e.providers,
    e.providerNames.map((_, p) => e.health.unhealthyMs(p, e.endMs)),
    e.providerNames.map((_, p) => e.health.checksSent[p]!),
    e.remaps,
    e.faults && { faults: e.faults, changes: e.health.changes },
  );
  const t = e.recorder.tokens;
  const total = base.totalTimeMs ?? 0;
  const ttft = t && ttftSorted(e.recorder, t);
  const rec = e.recorder;
  const extra = {
    ...goodput(rec, e.slo, total, base.ok),
    quotaViolations:
      quotaViolations(rec.admissionAt.view(), rec.admissionKey.view(), e.keyNames.length, e.keyLimit?.limit, e.keyLimit?.steps) +
      tokenViolations(rec, e.keyNames.length, e.keyLimit),
  };
  const order = arrivalOrder(rec.arrival, rec.finished);
  const worst = worstWait(rec, order);
  const metrics = {
    ...withGoodput(base, extra),
    ...(t ? tokenMetrics(e.recorder, t, e.keyNames, total, ttft) : {}),
    providers,
    balance,
    workers: e.workers,
    offered: offeredMetrics(rec, order),
    ...(worst ? { worstWait: worst } : {}),
  };
  // Each request's arrival bucket: written by the series' pass over the requests, read by the offered series'.
  const arrivalBucket = new Int32Array(rec.finished);
  const shared = series(e.recorder, e.keyNames, total, arrivalBucket);
  const buckets = shared.t.length;
  const adaptive = e.adaptive && adaptiveResult(e.adaptive, e.keyNames, total, shared.bucketMs, buckets);
  if (adaptive) metrics.adaptive = adaptive.metrics;
  if (e.drift) metrics.arrivalDriftMs = driftStats(e.drift);
  const result: VariantResult = {
    name,
    metrics,
    series: {
      ...shared,
      providers: providerSeries(e.recorder, e.providerNames, e.health.changes, shared.bucketMs, buckets, e.endMs),
      ...(t ? { tokens: tokenSeries(e.recorder, t, e.keyNames, shared.bucketMs, buckets, e.tokenQuota) } : {}),
      ...(adaptive ? { adaptive: adaptive.series } : {}),
      offered: offeredSeries(rec, shared.bucketMs, buckets, arrivalBucket),
    },
    latencyCdf: latencyCdf(ok),
  };
  if (ttft && ttft.length > 0) result.ttftCdf = ttftCdf(ttft, CDF_POINTS);
  return result;
}

/** The summary with goodput, SLO attainment and quota violations after throughput, where a reader of results.json looks for them. */
function withGoodput<T extends { throughputPerS: number | null }>(base: T, extra: Pick<VariantResult['metrics'], 'goodputPerS' | 'sloAttainment' | 'quotaViolations'>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) {
    out[k] = v;
    if (k === 'throughputPerS') Object.assign(out, extra);
  }
  return out as T;
}
