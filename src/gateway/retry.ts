import { Outcome, type OutcomeCode } from '../core/outcome.js';
import type { Random } from '../sim/random.js';
import type { Retry, RetryOn } from '../scenario/types.js';

const CODES: Record<RetryOn, OutcomeCode> = {
  rateLimited: Outcome.rateLimited,
  serverError: Outcome.serverError,
  timeout: Outcome.timeout,
  connectFailed: Outcome.connectFailed,
  unavailable: Outcome.unavailable,
};

/** Which attempt outcomes are retried and how long to wait before the next attempt. */
export class RetryPolicy {
  private readonly mask: number;

  constructor(
    private readonly spec: Retry,
    private readonly random: Random,
  ) {
    this.mask = spec.on.reduce((m, name) => m | (1 << CODES[name]), 0);
  }

  /** Should a failed attempt number `attempt` (1-based) with this outcome be tried again? */
  retries(outcome: OutcomeCode, attempt: number): boolean {
    return attempt < this.spec.attempts && (this.mask & (1 << outcome)) !== 0;
  }

  /**
   * Exponential backoff `backoff · 2^(attempt-1)` capped at `maxBackoff`, with jitter (full: U(0, b);
   * equal: b/2 + U(0, b/2); none: b), and never sooner than the provider's retry-after.
   */
  delay(attempt: number, retryAfterMs: number): number {
    const b = Math.min(this.spec.maxBackoffMs, this.spec.backoffMs * 2 ** (attempt - 1));
    let d = b;
    if (this.spec.jitter === 'full') d = b * this.random();
    else if (this.spec.jitter === 'equal') d = b / 2 + (b / 2) * this.random();
    return d > retryAfterMs ? d : retryAfterMs;
  }
}
