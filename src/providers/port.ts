import type { DimensionCode, OutcomeCode } from '../core/outcome.js';

/**
 * What a provider says about an answer besides its outcome, filled in place by the provider just
 * before `reply` (one object per provider, reused: no allocation per answer). Times are scenario ms.
 */
export interface Usage {
  /** Tokens the request's prompt counted and the answer generated (NaN: not known). */
  promptTokens: number;
  outputTokens: number;
  /** When the first token reached the client (NaN: the answer did not stream, or it failed). */
  firstTokenAt: number;
  /** Time per output token after the first (NaN: not known). */
  tpotMs: number;
  /** What is left of the provider's quotas for this key and when each is whole again (x-ratelimit-*; NaN: not said). */
  limitRequests: number;
  remainingRequests: number;
  resetRequestsMs: number;
  limitTokens: number;
  remainingTokens: number;
  resetTokensMs: number;
}

/** A Usage that says nothing, for a provider to reset its own to. */
export function blankUsage(u: Usage = {} as Usage): Usage {
  u.promptTokens = NaN;
  u.outputTokens = NaN;
  u.firstTokenAt = NaN;
  u.tpotMs = NaN;
  u.limitRequests = NaN;
  u.remainingRequests = NaN;
  u.resetRequestsMs = NaN;
  u.limitTokens = NaN;
  u.remainingTokens = NaN;
  u.resetTokensMs = NaN;
  return u;
}

/** Where a provider delivers replies. `token` identifies the attempt; stale tokens are ignored by the owner. */
export interface ReplySink {
  /**
   * The attempt ended with `outcome`; a 429 says when to come back (`retryAfterMs`, scenario ms; 0
   * otherwise) and which quota said no (`limitedBy`). `usage`, when given, is read during the call only.
   */
  reply(token: number, outcome: OutcomeCode, retryAfterMs: number, limitedBy?: DimensionCode, usage?: Usage): void;
  /** Real mode: one gap between two tokens of a streamed answer (scenario ms), as it arrives. */
  gap?(token: number, ms: number): void;
  /**
   * The attempt left the provider's queue and is being served (the provider model only). With a
   * serving model it also says when the first token will come and the time per token after it
   * (scenario ms; NaN without one): what `gatesim serve` paces a stream by.
   */
  started(token: number, firstTokenAt?: number, tpotMs?: number): void;
  /**
   * The iteration serving model: the attempt's first token came at `at` (scenario ms), and tokens
   * follow about one per `tpotMs` (the step time then) — what `gatesim serve` paces a stream by
   * when the first token's time was not known when it started.
   */
  firstToken?(token: number, at: number, tpotMs: number): void;
  /** Is the attempt still waiting for this reply? (A server drops queued work whose client left.) */
  live(token: number): boolean;
}

/** A provider as the dispatcher sees it: the mock model in simulation, an HTTP client in real mode. */
export interface ProviderPort {
  /**
   * Sends an attempt with `key`. With request sizes (`workload.tokens`): its prompt tokens, the
   * output tokens its answer will have, and its max_tokens; all 0 without them.
   */
  send(token: number, key: number, promptTokens: number, outputTokens: number, maxTokens: number): void;
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
