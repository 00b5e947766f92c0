/**
 * The resolved scenario: what the loader hands the engine after YAML parsing, schema checks,
 * unit conversion and defaults. Every time is in milliseconds, every rate is a count per window.
 */
import type { Mark } from '../metrics/results.js';

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

export type { Rate } from '../core/units.js';
import type { Rate } from '../core/units.js';

export type { Named } from '../core/registry.js';
import type { Named } from '../core/registry.js';

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

/**
 * Where the key pool keeps its state (windows, lifetime use, exclusive holds). `memory` (default):
 * this process only. `redis`: shared by every process using the same server and prefix (real mode;
 * the simulation always uses memory and virtual time).
 */
export type KeyStore =
  | { kind: 'memory' }
  | {
      kind: 'redis';
      /** redis://host:port[/db] (may carry a password; never printed). */
      url: string;
      /** Prefix of every Redis key and channel (default gatesim). */
      prefix: string;
      /** Redis unreachable or slow: false (default) sends nothing without a recorded admission; true decides on this process's own windows. */
      failOpen: boolean;
      /** Wall ms a Redis command may take before it counts as failed (default 1000). */
      timeoutMs: number;
      /** Fail closed: wall ms Redis may stay down before waiting requests give up and the run is marked degraded (default 10 × timeoutMs). */
      giveUpAfterMs?: number;
    };

export interface Keys {
  count: number;
  /** Real mode: the environment variable holding the keys, comma-separated (never the keys themselves). */
  env?: string;
  /** Client-side limit per key; undefined = no limit. */
  limit: Rate | undefined;
  /**
   * Added to the limiter's window: the client counts a request when it takes the key, the
   * provider when the request arrives, and connection setup (or the network) delays some requests
   * more than others. A guard ≥ that spread keeps the provider's window.
   */
  guardMs: number;
  limiter: Named;
  choice: 'least-used' | 'round-robin' | 'random';
  exclusive: boolean;
  wait: WaitMode;
  acquireTimeoutMs: number;
  /** Where the pool's state lives; absent means memory (the default, and always in simulation). */
  store?: KeyStore;
}

/** A fault injected into one provider for a while. */
export interface Fault {
  atMs: number;
  forMs: number;
  /**
   * down: connections are refused (connectFailed); slow: latency × `factor`; errors: each request
   * fails with a 5xx with probability `rate`; throttle: each request gets a 429 with probability
   * `rate`, with retry-after = the rest of the fault.
   */
  kind: 'down' | 'slow' | 'errors' | 'throttle';
  factor: number;
  rate: number;
}

export interface Provider {
  name: string;
  /** Real mode: the OpenAI-compatible base URL (requests go to `{url}/chat/completions`). */
  url?: string;
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
  faults: Fault[];
}

export type RetryOn = 'rateLimited' | 'serverError' | 'timeout' | 'connectFailed' | 'unavailable';

export interface Retry {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** A retry goes to another provider than the failed attempt's when a healthy one exists. */
  fallback: boolean;
  backoffMs: number;
  maxBackoffMs: number;
  jitter: 'full' | 'equal' | 'none';
  on: RetryOn[];
}

/**
 * How providers are judged healthy. An attempt ending serverError, timeout or connectFailed is a
 * failure; ok is a success; 429s count for neither. A provider is picked only while every enabled
 * rule says it is healthy.
 */
export interface Health {
  /** 002's rule: failure-rate EMA (success ×0.5, failure ×0.9+0.1); unhealthy above `threshold`; `recover` brings it back after that long (the document never does: Infinity). */
  passive: { threshold: number; recoverMs: number } | undefined;
  /** LiteLLM-style cooldown: `fails` failures within `windowMs` → out for `forMs`. */
  cooldown: { fails: number; windowMs: number; forMs: number } | undefined;
  /** Circuit breaker: `failures` in a row → open for `openMs`, then half-open letting `probes` attempts through; a success closes it, a failure reopens it. */
  breaker: { failures: number; openMs: number; probes: number } | undefined;
  /** Active checks: every `intervalMs` each provider gets a check costing `costMs` of its capacity; a check that fails or takes longer than `timeoutMs` marks it unhealthy, one that passes marks it healthy. */
  active: { intervalMs: number; costMs: number; timeoutMs: number } | undefined;
}

/** Real mode: what each request asks for. */
export interface RequestTemplate {
  model: string;
  maxTokens: number;
  prompt: string;
  /** Replaces the whole JSON body when given. */
  body: Record<string, unknown> | undefined;
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
  health: Health;
  request: RequestTemplate;
}

export interface PlanVariant {
  name: string;
  /**
   * The variant changes the world (a quota removed, a provider down), not a choice a user makes:
   * compared, never picked as the best. Present only when the file says `condition: true`.
   */
  condition?: true;
  scenario: Scenario;
}

export interface PlanRun {
  name: string;
  variants: PlanVariant[];
  /** A sweep point: swept field path → its value here, as written in the file. */
  point?: Record<string, unknown>;
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
  /** A sweep: the swept field paths in order (its runs are the points). */
  sweep?: { fields: string[]; dimensions: number };
  /** Remarks for the report. */
  notes?: string[];
  marks?: Mark[];
  /** The command line's changes to the file (`--seed 3`, `--set …`), as results record them (set by the CLI). */
  changed?: string[];
}
