/**
 * The resolved scenario: what the loader hands the engine after YAML parsing, schema checks,
 * unit conversion and defaults. Every time is in milliseconds, every rate is a count per window.
 */

export type { Dist } from '../sim/dist.js';
import type { Dist } from '../sim/dist.js';

export type { Rate } from '../core/units.js';

export type { Named } from '../core/registry.js';
import type { Named } from '../core/registry.js';
import type { Goal } from '../core/goal.js';
import type { TraceSpec } from './trace-schema.js';
export type { TraceSpec };

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
  /** The size of each request in tokens; absent: requests have no size (as before tokens existed). */
  tokens?: TokenMix;
  /** `workload.trace`: arrivals, sizes and routes from a file's rows, at their own times (docs/traces.md). */
  trace?: TraceSpec;
}

/**
 * Where each request's prompt and output sizes come from: distributions (`workload.tokens`) or a
 * dataset's rows (`workload.dataset`), drawn from the workload's own `tokens` stream.
 */
export interface TokenMix {
  prompt: Dist | undefined;
  output: Dist | undefined;
  /** A dataset's rows (prompt and output tokens), sampled uniformly; replaces the two distributions. */
  rows?: { file: string; prompt: Int32Array; output: Int32Array; order?: 'sequential' | 'shuffle' };
  /** `max_tokens` of each request; absent: each request's own output (nothing reserved beyond it). */
  maxTokens: Dist | undefined;
}





export type { Keys, KeyStore, WaitMode } from '../keys/spec.js';
import type { Keys } from '../keys/spec.js';
export type { Provider, RequestTemplate } from '../providers/spec.js';
export type { Fault } from '../providers/faults.js';
import type { Provider, RequestTemplate } from '../providers/spec.js';

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
  /** the Go router's rule: failure-rate EMA (success ×0.5, failure ×0.9+0.1); unhealthy above `threshold`; `recover` brings it back after that long (the Go router never does: Infinity). */
  passive: { threshold: number; recoverMs: number } | undefined;
  /** LiteLLM-style cooldown: `fails` failures within `windowMs` → out for `forMs`. */
  cooldown: { fails: number; windowMs: number; forMs: number } | undefined;
  /** Circuit breaker: `failures` in a row → open for `openMs`, then half-open letting `probes` attempts through; a success closes it, a failure reopens it. */
  breaker: { failures: number; openMs: number; probes: number } | undefined;
  /** Active checks: every `intervalMs` each provider gets a check costing `costMs` of its capacity; a check that fails or takes longer than `timeoutMs` marks it unhealthy, one that passes marks it healthy. */
  active: { intervalMs: number; costMs: number; timeoutMs: number } | undefined;
}


/**
 * Per-request service-level objectives (`slo:`): a request counts toward goodput when it succeeded
 * and each bound given holds for it. Absent bounds do not apply.
 */
export interface Slo {
  /** Arrival to answer (ms). */
  latencyMs?: number;
  /** Time to first token, from reaching the provider (ms). */
  ttftMs?: number;
  /** Time per output token after the first (ms). */
  tpotMs?: number;
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
  /** Per-request SLOs goodput counts against (absent: every success counts). */
  slo?: Slo;
}

export interface PlanVariant {
  name: string;
  /**
   * The variant changes the world (a quota removed, a provider down), not a choice a user makes:
   * compared, never picked as the best. Present only when the file says `condition: true`.
   */
  condition?: true;
  /**
   * The variant told the truth at each moment (a fixed limit that steps with the provider's quota):
   * every other variant of its run gets its throughput as a share of this one's. Present only when
   * the file says `oracle: true`.
   */
  oracle?: true;
  scenario: Scenario;
}

export interface PlanRun {
  name: string;
  variants: PlanVariant[];
  /** A sweep point: swept field path → its value here, as written in the file. */
  point?: Record<string, unknown>;
}


/** A reference line on the sweep charts: at a swept value (x), or at a metric's value in its own unit (y). */
export type Mark = { x: number; label: string } | { metric: string; y: number; label: string };

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
  /** What the study wants (`goal:`, or `--goal`); absent: the default goal. */
  goal?: Goal;
  /** The command line's changes to the file (`--seed 3`, `--set …`), as results record them (set by the CLI). */
  changed?: string[];
}
