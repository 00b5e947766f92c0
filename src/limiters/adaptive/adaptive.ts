import type { OutcomeCode } from '../../core/outcome.js';
import type { Window } from '../window.js';

/**
 * What an answer says besides its outcome, as a limiter that learns reads it: the sizes the
 * provider counted and its x-ratelimit figures (limit, remaining, ms until whole) per dimension;
 * NaN where it said nothing. The provider port's `Usage` has these fields, so the dispatcher hands
 * its reused Usage over as is (no copy, no allocation).
 */
export interface Figures {
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly limitRequests: number;
  readonly remainingRequests: number;
  readonly resetRequestsMs: number;
  readonly limitTokens: number;
  readonly remainingTokens: number;
  readonly resetTokensMs: number;
}

/**
 * A key's limiter that learns the limit nobody told it, from what each answer of the key says.
 * It sits beside the Window contract, not inside it: a fixed limiter is a Window alone and never
 * sees an answer; a learning one hands the key's quota a window (its own gate, under the
 * `keys.limit` ceiling when one is given), a bound on requests in flight, or both, and moves them
 * as answers come. The key pool calls it at three points only:
 * - `admitted(now)` right after an admission of the key is recorded (true: reject it locally —
 *   sre-throttle — so it never leaves the client);
 * - `observe(...)` when an attempt that reached a provider ends (the dispatcher's reply: in both modes);
 * - `believed(now)` when it changed, for the results' believed-versus-true series.
 */
export interface Adaptive {
  /** The key's requests window: the gate this limiter moves (and the ceiling, when given); undefined: none. */
  readonly window: Window | undefined;
  /** Requests the key may have in flight now (Infinity: this limiter does not bound them). */
  readonly maxInFlight: number;
  /**
   * One answer of the key: its outcome, the latency of the attempt (sent → answer, ms), a 429's
   * retry-after (ms; 0 otherwise), the figures (undefined: none came) and the key's requests in
   * flight before this one ended (counted when `maxInFlight` is finite). True when the key may
   * admit more, or sooner, than before: the pool wakes its waiters.
   */
  observe(now: number, outcome: OutcomeCode, latencyMs: number, retryAfterMs: number, figures: Figures | undefined, inFlight: number): boolean;
  /** An admission of the key was just recorded at `now`; true: reject it locally instead of sending it. */
  admitted(now: number): boolean;
  /**
   * The rate this limiter lets the key send at `now`, requests per minute: its own rate, or for a
   * concurrency limit, the limit over its latency estimate (Little's law); NaN before it has one.
   */
  believed(now: number): number;
}

/** Requests per minute ↔ per ms. */
export const MINUTE_MS = 60_000;
