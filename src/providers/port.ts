import type { OutcomeCode } from '../core/outcome.js';

/** Where a provider delivers replies. `token` identifies the attempt; stale tokens are ignored by the owner. */
export interface ReplySink {
  /** The attempt ended with `outcome`; a 429 says when to come back (`retryAfterMs`, scenario ms; 0 otherwise). */
  reply(token: number, outcome: OutcomeCode, retryAfterMs: number): void;
  /** The attempt left the provider's queue and is being served (simulation only). */
  started(token: number): void;
  /** Is the attempt still waiting for this reply? (A server drops queued work whose client left.) */
  live(token: number): boolean;
}

/** A provider as the dispatcher sees it: the mock model in simulation, an HTTP client in real mode. */
export interface ProviderPort {
  send(token: number, key: number): void;
  /** The caller stopped waiting for the attempt (its timeout); real mode aborts the request. */
  abandon?(token: number): void;
  /** A health check costing `costMs` of the provider's capacity; `done(ok)` when it answers. */
  check(costMs: number, done: (ok: boolean) => void): void;
}

/** Per-provider counters. */
export interface ProviderStats {
  requests: number;
  ok: number;
  failed: number;
  rateLimited: number;
  /** Most requests in service at once. */
  busyPeak: number;
  /** Most requests queued at once. */
  queuePeak: number;
}
