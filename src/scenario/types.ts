/**
 * The resolved scenario: what the loader hands the engine after YAML parsing, schema checks,
 * unit conversion and defaults. Every time is in milliseconds, every rate is a count per window.
 */

/** A distribution of non-negative durations in ms. */
export type Dist =
  | { dist: 'constant'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'exponential'; mean: number }
  /** Normal, truncated at 0 (negative draws are redrawn). */
  | { dist: 'normal'; mean: number; sd: number }
  /** Lognormal: ln(ms) ~ N(mu, sigma). From `median`/`p99`: mu = ln(median), sigma = ln(p99/median)/2.3263. */
  | { dist: 'lognormal'; mu: number; sigma: number }
  /** Draws uniformly from the listed samples (ms). */
  | { dist: 'empirical'; samples: number[] };

/** `3/min` → { count: 3, windowMs: 60000 }. */
export interface Rate {
  count: number;
  windowMs: number;
}

/** A registry entry chosen by name, with its options (already unit-converted where the option is a duration). */
export interface Named {
  type: string;
  options: Record<string, unknown>;
}

export interface Workload {
  /** Total requests. */
  requests: number;
  /** Closed model: workers. Open model: optional cap on requests in flight (undefined = no cap). */
  concurrency: number | undefined;
  /** Closed model: pause between a worker's requests. */
  think: Dist;
  /** Open model (arrivals instead of workers). */
  arrivals: { process: 'poisson' | 'constant'; perMs: number } | undefined;
  /** Distinct client ids carried by requests. */
  clients: number;
}

export type WaitMode = { mode: 'notify' } | { mode: 'poll'; intervalMs: number };

export interface Keys {
  count: number;
  /** Client-side limit per key; undefined = no limit. */
  limit: Rate | undefined;
  limiter: Named;
  choice: 'least-used' | 'round-robin' | 'random';
  exclusive: boolean;
  wait: WaitMode;
  acquireTimeoutMs: number;
}

export interface Provider {
  name: string;
  weight: number;
  latency: Dist;
  /** Probability a request fails with a 5xx. */
  failure: number;
  /** Requests served at once; Infinity = unlimited. */
  capacity: number;
  /** The provider's own per-key limit (exact sliding window → 429 + retry-after). */
  limit: Rate | undefined;
  /** Client-side timeout of one attempt; Infinity = none. */
  timeoutMs: number;
  /**
   * Cost of a new connection, the most the provider accepts open at once, and how long a new one
   * waits in the provider's accept backlog when that many are open before it fails (0 = refused at once),
   * and how long a closed connection still counts against `max` at the provider.
   */
  connect: { handshakeMs: number; max: number; timeoutMs: number; lingerMs: number };
}

export type RetryOn = 'rateLimited' | 'serverError' | 'timeout' | 'connectFailed';

export interface Retry {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  jitter: 'full' | 'equal' | 'none';
  on: RetryOn[];
}

export interface Scenario {
  name: string;
  description: string | undefined;
  seed: number;
  workload: Workload;
  keys: Keys;
  balancer: Named;
  providers: Provider[];
  connections: 'pooled' | 'fresh';
  retry: Retry;
}

export interface PlanVariant {
  name: string;
  scenario: Scenario;
}

export interface PlanRun {
  name: string;
  variants: PlanVariant[];
}

/** A whole scenario file: every (run × variant) fully resolved. */
export interface Plan {
  file: string;
  name: string;
  description: string | undefined;
  seed: number;
  /** Variant name the improvement column compares against. */
  baseline: string;
  runs: PlanRun[];
  /** Published figures: run name → variant name → metric key → value. */
  reference: Record<string, Record<string, Record<string, number>>>;
  /** The YAML text as read (for reports). */
  source: string;
}
