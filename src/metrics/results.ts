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
}

export interface VariantMetrics {
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
  providers: Record<string, { requests: number; ok: number; failed: number; rateLimited: number; busyPeak: number; queuePeak: number }>;
  limiter: { checks: number; wastedChecks: number; wakeups: number; entriesPeak: number };
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
}

export interface VariantResult {
  name: string;
  metrics: VariantMetrics;
  series: Series;
}

export interface RunResult {
  name: string;
  variants: VariantResult[];
}

export interface Results {
  schema: 'gatesim.results/v1';
  scenario: string;
  description: string | null;
  file: string;
  seed: number;
  mode: 'sim';
  baseline: string;
  units: { time: 'ms'; rate: 'fraction'; throughput: 'requests/s' };
  runs: RunResult[];
  reference: Record<string, Record<string, Record<string, number>>>;
}
