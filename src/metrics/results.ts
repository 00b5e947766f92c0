import type { StoreReport } from '../keys/store/store.js';
import type { Constraint, Goal } from '../core/goal.js';
import type { AttemptLogJson } from '../providers/attempt-log.js';

/** The shape of results.json (`gatesim.results/v1`). Times in ms, rates as fractions, throughput per second. */

export interface LatencyStats {
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface PhaseStats {
  mean: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface OutcomeCounts {
  ok: number;
  rateLimited: number;
  serverError: number;
  timeout: number;
  connectFailed: number;
  gaveUp: number;
  unavailable: number;
  /** Refused at once as larger than a quota can ever admit (never retried); absent in results from before it existed. */
  tooLarge: number;
}

export interface VariantMetrics extends Partial<TokenMetrics> {
  requests: number;
  attempts: number;
  ok: number;
  failed: number;
  /** Final outcome of each request. */
  outcomes: OutcomeCounts;
  /** Outcome of each attempt (retries included). */
  attemptOutcomes: OutcomeCounts;
  successRate: number | null;
  throughputPerS: number | null;
  /**
   * Requests per second that succeeded and met every SLO of the scenario (`slo:`), over the total
   * time, as DistServe defines goodput; without SLOs, the throughput of successes. Absent in
   * results from before it existed.
   */
  goodputPerS?: number | null;
  /** The share of requests that succeeded and met every SLO (null: no requests). */
  sloAttainment?: number | null;
  /**
   * Admissions beyond a key's own configured requests limit: an admission at t counts when its
   * key's admissions in (t − W, t] (itself included) are more than N, for the limit N per W in
   * force at t (a stepping limit's window starts empty at each step); plus, for a tokens limit
   * charged `reserve`, admissions whose window's tokens come to more than its T (metrics/quota.ts).
   * 0 without a limit.
   */
  quotaViolations?: number;
  totalTimeMs: number | null;
  /** Latency of successful requests, from arrival to final outcome. */
  latencyMs: LatencyStats;
  phasesMs: { keyWait: PhaseStats; providerQueue: PhaseStats; connect: PhaseStats; service: PhaseStats; retryWait: PhaseStats };
  connections: {
    created: number;
    reused: number;
    reuseRate: number | null;
    clientsCreated: number;
    clientsReused: number;
    clientReuseRate: number | null;
  };
  keys: Record<string, { admitted: number; rateLimited: number }>;
  providers: Record<string, ProviderMetrics>;
  /** How evenly attempts spread over providers, and (consistent-hash) how clients moved. */
  balance: BalanceMetrics;
  /** `store`: real mode on a shared store (Redis) — which, failOpen, errors, decisions made locally. */
  limiter: { checks: number; wastedChecks: number; wakeups: number; entriesPeak: number; store?: StoreReport; localRejects?: number };
  /** Closed model: the workers sending requests (null in the open model). Absent in results from before it existed. */
  workers?: number | null;
  /** Limits nobody told the client: what the key pool believed against the provider's true quota (present when a limiter learns or the quota changes). */
  adaptive?: AdaptiveMetrics;
  /** This variant's throughput ÷ the oracle variant's of its run (absent: no oracle, or this is it). */
  oracleShare?: number | null;
  /**
   * Real mode replaying a trace (`workload.trace`): how late each request entered the gateway
   * against its row's time (when its arrival ran minus when it was due), in scenario ms (× the time
   * scale for wall ms); nearest-rank percentiles over every request that arrived. Absent otherwise.
   */
  arrivalDriftMs?: { p50: number | null; p99: number | null; max: number | null; arrivals: number };
  /** What the workload offered, whatever became of it (absent in results from before it existed). */
  offered?: OfferedMetrics;
  /** The longest key wait and the burst it queued behind (absent: no request waited for a key). */
  worstWait?: WorstWait;
}

/** A rate per minute: the mean over the arrivals' span, and the most in one whole minute of the run. */
export interface PerMinute {
  mean: number | null;
  peak: number;
}

/** Nearest-rank percentiles and the largest of a size (tokens; null: no requests). */
export interface SizeStats {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * The workload's own statistics, the same for a replayed trace and a synthetic workload (see
 * metrics/offered.ts): requests that arrived, from the first arrival to the last (ms), arrivals
 * per minute (mean: (requests − 1) ÷ duration; peak: the most in one whole minute of the run,
 * minutes counted from its start), and with request sizes tokens offered per minute (prompt,
 * output asked, both; mean: the mean rate × the mean size) and the sizes' percentiles.
 */
export interface OfferedMetrics {
  requests: number;
  durationMs: number | null;
  requestsPerMin: PerMinute;
  tokensPerMin?: { prompt: PerMinute; output: PerMinute; total: PerMinute };
  sizes?: { prompt: SizeStats; output: SizeStats };
}

/**
 * The request that waited longest for a key (ms, scenario time), and the burst that decided it:
 * from the start of the busy period that held its arrival (a stretch in which some request was
 * always waiting for a key) to its admission (or when it gave up waiting: `admittedMs` then says when); the requests (and tokens, with sizes) arriving from
 * that start up to it, and their rate per minute (null: it started the period).
 */
export interface WorstWait {
  waitMs: number;
  arrivalMs: number;
  admittedMs: number;
  burst: { fromMs: number; toMs: number; requests: number; tokens?: number; requestsPerMin: number | null };
}

/**
 * Per bucket: requests offered (arrivals), attempts admitted by a key and not refused, and attempts
 * refused with a 429 (both by admission time), as counts; the same in tokens (prompt + output
 * asked) with sizes; the p99 and largest key wait (ms) of the requests arriving in the bucket.
 */
export interface OfferedSeries {
  requests: { offered: number[]; admitted: number[]; refused: number[] };
  tokens?: { offered: number[]; admitted: number[]; refused: number[] };
  keyWaitMs: { p99: (number | null)[]; max: (number | null)[] };
}

/** Believed against true limits (requests per minute; times in ms). */
export interface AdaptiveMetrics {
  /** The provider quota's window: "a window" in the convergence figures. */
  windowMs: number;
  /** true: a learning limiter decided (its beliefs are logged); false: a fixed limit it was told. */
  learns: boolean;
  /** Each change of the true rate (the start included): the rate then, and how long until the believed total came within 10% of it and stayed so for a window (null: never before the next change or the end). */
  changes: { atMs: number; truePerMin: number; convergedAfterMs: number | null }[];
  /** The longest stretch the believed total spent above the true rate (null: nothing believed). */
  longestAboveMs: number | null;
  /** Requests a learning limiter rejected locally (sre-throttle): rateLimited attempts with no provider, also in attemptOutcomes.rateLimited. */
  localRejects?: number;
}

/** Believed against true limits per bucket (requests per minute, time-weighted means). */
export interface AdaptiveSeries {
  /** What our keys together may send: the provider's quota at the time, less other tenants' share. */
  truePerMin: number[];
  /** What the key pool believed, the keys added up (null: nothing believed in the bucket). */
  believedPerMin: (number | null)[];
  /** Each key's belief. */
  byKey: Record<string, (number | null)[]>;
}

/** Mean and nearest-rank percentiles of a timing (ms; null: nothing measured). */
export interface TimingStats {
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** What a provider's x-ratelimit headers last said of a key's quotas (null: not said). */
export interface ReportedQuota {
  limitRequests: number | null;
  remainingRequests: number | null;
  resetRequestsMs: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  resetTokensMs: number | null;
}

/** Present when requests have sizes (`workload.tokens` or `workload.dataset`). */
export interface TokenMetrics {
  /**
   * Prompt and output tokens of the requests that succeeded, tokens reserved at admission and not
   * used (charge: reserve; a reservation corrected down), and tokens per second over the run.
   */
  tokens: { prompt: number; output: number; reservedUnused: number; perS: { prompt: number | null; output: number | null; total: number | null } };
  /** Streamed answers only (request.stream): time to first token from reaching the provider, time per output token after the first, and the gaps between tokens. */
  ttftMs: TimingStats;
  tpotMs: TimingStats;
  itlMs: TimingStats;
  /** The providers' 429s by the quota that gave them; with throttle-fault 429s they sum to attemptOutcomes.rateLimited. */
  rateLimitedBy: { requests: number; tokens: number; concurrent: number };
  /** Per key: the providers' last x-ratelimit figures (absent: no provider said). */
  reportedQuota?: Record<string, ReportedQuota>;
}

/** Token series (present with request sizes). */
export interface TokenSeries {
  /** Prompt and output tokens of requests succeeding in each bucket, per second. */
  promptPerS: number[];
  outputPerS: number[];
  /** With a tokens quota: each key's tokens used in the quota's trailing window at each bucket's end, and the quota's limit. */
  keyWindow?: { windowMs: number; limit: number; byKey: Record<string, number[]> };
}

export interface ProviderMetrics {
  /** Attempts sent to the provider (429s and failures included; health checks not). */
  requests: number;
  /** Its fraction of all attempts that reached a provider. */
  share: number | null;
  ok: number;
  failed: number;
  rateLimited: number;
  /** Most requests in service / queued at once. */
  busyPeak: number;
  queuePeak: number;
  /** Time it was marked unhealthy (ms). */
  unhealthyMs: number;
  /** Active health checks sent to it. */
  checks: number;
  /** Only for a provider with injected faults: each fault and how the gateway saw it. */
  faults?: FaultMetrics[];
}

/** An injected fault, and when the gateway's health rules noticed it and its end. */
export interface FaultMetrics {
  kind: 'down' | 'slow' | 'errors' | 'throttle';
  atMs: number;
  forMs: number;
  /** From the fault's start to the first time the provider was marked unhealthy during it (null: never). */
  detectedAfterMs: number | null;
  /** From the fault's end to the first time the provider was marked healthy again, if it was unhealthy then (null: it never was, or stayed out). */
  restoredAfterMs: number | null;
}

export interface BalanceMetrics {
  /** Largest provider share ÷ mean share (1 = perfectly even). */
  imbalance: number | null;
  /** consistent-hash: at each health change, the fraction of clients whose provider changed. */
  remaps: { atMs: number; fraction: number }[];
}

export interface ProviderSeries {
  /** Attempts in flight at the provider, time-weighted mean per bucket. */
  inFlight: number[];
  /** Fraction of each bucket the provider was healthy (1 = all of it). */
  healthy: number[];
}

export interface Series {
  bucketMs: number;
  /** Bucket start times (ms). */
  t: number[];
  /** Requests finishing in each bucket, by final outcome. */
  requests: Record<keyof OutcomeCounts, number[]>;
  /** Attempts ending in each bucket, by outcome. */
  attempts: Record<keyof OutcomeCounts, number[]>;
  /** Mean latency (ms) of the requests that succeeded in each bucket (null: none). */
  latencyMeanMs: (number | null)[];
  /** Key admissions per bucket, per key. */
  admissions: Record<string, number[]>;
  /** Requests in flight (arrived, not yet finished), time-weighted mean over each bucket. */
  inFlight: number[];
  /** Per provider: attempts in flight and health over time. */
  providers: Record<string, ProviderSeries>;
  /** With request sizes: tokens per second and each key's token window. */
  tokens?: TokenSeries;
  /** Believed against true limits (with metrics.adaptive). */
  adaptive?: AdaptiveSeries;
  /** What the workload offered against what passed, and key waits, per bucket (absent in results from before it existed). */
  offered?: OfferedSeries;
}

export interface VariantResult {
  name: string;
  /**
   * The variant changes the world (e.g. "no rate limit"), not a choice a user can make: it is
   * compared, never picked as the best. Absent for an ordinary option.
   */
  condition?: true;
  metrics: VariantMetrics;
  series: Series;
  /**
   * Latency distribution of successful requests (arrival → outcome): [percentile, ms] pairs at
   * 0 (the minimum), 1, 2, … 99, 99.5, 99.9 and 100 (the maximum); empty when none succeeded.
   */
  latencyCdf: [number, number][];
  /** Streamed answers: time to first token as [percentile, ms] pairs at the latency CDF's points. */
  ttftCdf?: [number, number][];
  /**
   * Real mode: what was done before this variant so it met the providers fresh — `reset` (a
   * gatesim serve was reset), `wait` (for the windows the scenario knows of, or `--cooldown`),
   * `reset+wait`, or `none` (the first variant, `--cooldown 0`). `ms` in scenario time.
   */
  cooldown?: { ms: number; wallMs: number; by: 'reset' | 'wait' | 'reset+wait' | 'none' };
  /** Real mode: `--max-duration` ended this variant before its workload did (unfinished requests ended gaveUp). */
  truncated?: true;
  /** The oracle of its run: told the truth at each moment; the others' metrics.oracleShare are against it. */
  oracle?: true;
  /** Whether it met the results' goal (absent in results from before goals). */
  goal?: GoalCheck;
  /**
   * Real mode: each attempt as it went over the wire (sent when, to whom, in flight, status, time,
   * x-ratelimit headers), at most ATTEMPT_LOG_CAP per variant; what `gatesim calibrate` reads.
   */
  attemptLog?: AttemptLogJson;
}

export interface RunResult {
  name: string;
  variants: VariantResult[];
  /** A sweep point: each swept field path → its value here, as written in the scenario. */
  point?: Record<string, unknown>;
}

/** A reference line on the sweep charts: at a swept value (x), or at a metric's value in its own unit (y). */
export type { Mark } from '../scenario/types.js';
import type { Mark } from '../scenario/types.js';

export interface Results {
  schema: 'gatesim.results/v1';
  scenario: string;
  description: string | null;
  file: string;
  seed: number;
  mode: 'sim' | 'real';
  /** Real mode: scenario time per wall time (durations ran `timeScale` times as long; results are in scenario time). */
  timeScale?: number;
  /** Real mode: the run was interrupted (Ctrl-C, SIGTERM, SIGHUP); it covers the requests started before. */
  partial?: boolean;
  /** Real mode: a shared key store (Redis) stayed down past `keys.store.giveUpAfter`, so requests gave up (see each variant's `metrics.limiter.store`). */
  degraded?: true;
  baseline: string;
  units: { time: 'ms'; rate: 'fraction'; throughput: 'requests/s'; tokens?: 'tokens'; tokenThroughput?: 'tokens/s' };
  runs: RunResult[];
  reference: Record<string, Record<string, Record<string, number>>>;
  /** A sweep: the swept field paths in order and how many dimensions they make (zipped fields count once); its runs are the points. */
  sweep?: { fields: string[]; dimensions: number };
  /** The scenario's remarks (`notes:`), shown under the tables. */
  notes?: string[];
  /** The scenario's reference lines (`marks:`) for the sweep charts. */
  marks?: Mark[];
  /** The goal the verdict ranks by: the scenario's `goal:`, `--goal`, or the default (absent in results from before goals: the default). */
  goal?: Goal & { text: string };
  /**
   * The command-line changes that make this run a different scenario from the file's (`--seed 3`,
   * `--set keys.count=8`; already redacted): when present and non-empty the published figures do
   * not describe it, and the report does not compare them.
   */
  changed?: string[];
  /** A large sweep written without the series and latency CDFs of points that have no published figures (`--full` writes them). */
  compact?: true;
  /** The scenario YAML as run, already redacted; the page shows it, so a page needs nothing but results.json. */
  source?: string;
  /** Real mode split over processes (`--shard`, then `gatesim merge`): each shard's clock and how late it sent. */
  shards?: ShardsReport;
}

/** Wall ms percentiles (nearest rank) of how late requests were sent against the schedule (null: none sent). */
export interface LatenessStats {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** How a run split over shards was put together. */
export interface ShardsReport {
  count: number;
  /** The shared start instant (epoch ms). */
  startAt: number;
  /**
   * Whose clock `startAt` was read on: `redis-time` (the key pool's Redis: each shard measured its
   * offset against Redis TIME by the shortest of several round trips, within ± half of it, and
   * waited until its own clock less that offset reached startAt), or `none` (no Redis: each
   * shard's own clock, taken as synchronised with the others, e.g. by NTP, with an unknown error).
   */
  offsetMethod: 'redis-time' | 'none';
  /** Every shard's sends together: wall ms each fired after it was due. */
  lateness: LatenessStats;
  shards: {
    index: number;
    requests: number;
    /** When it started sending, by its own clock (epoch ms). */
    startedAt: number;
    /** startedAt − startAt, by its own clock (wall ms). */
    startLateMs: number;
    /** Reference (Redis TIME) − its clock, wall ms, and the estimate's error (null: not measured). */
    offsetMs: number | null;
    offsetErrorMs: number | null;
    /** The same offset measured after its run (null: not measured): the change is its clock's drift over the run. */
    offsetAfterMs: number | null;
    lateness: LatenessStats;
  }[];
}

/** A constraint that was not met: the actual value (null: not measured) and by how much it missed, in the metric's unit (null: not measured). */
export interface FailedConstraint {
  constraint: Constraint;
  actual: number | null;
  by: number | null;
}

/** Whether a variant met a goal, its objective's value, and the constraints it missed. */
export interface GoalCheck {
  met: boolean;
  /** The objective's value (null: not measured, such as tokens/s without request sizes). */
  value: number | null;
  failed: FailedConstraint[];
}
