/** The workload's configuration, resolved: who sends requests, how fast, and how large. Every time in ms. */
import type { Dist } from '../sim/dist.js';
import type { TraceSpec } from './trace-schema.js';

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
