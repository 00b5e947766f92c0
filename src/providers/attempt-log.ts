import type { Usage } from './port.js';

/**
 * Real mode's record of each attempt as it went over the wire: what `gatesim calibrate` fits a
 * provider from (its latency, failures and quota shape). Simulated results never carry it.
 * Keys appear by position (the variant's `metrics.keys` in order), never by value.
 */

/** At most this many attempts are recorded per variant; later ones are counted in `dropped` only. */
export const ATTEMPT_LOG_CAP = 20_000;

/** How an attempt ended, as the wire showed it. `abandoned`: the client stopped waiting (its timeout, or the run's end). */
export type AttemptEnd = 'ok' | 'rateLimited' | 'serverError' | 'connectFailed' | 'tooLarge' | 'abandoned';

/** One attempt. Times in scenario ms (wall ÷ time scale); absent fields were not said. */
export interface AttemptRecord {
  /** Sent, from the variant's start. */
  at: number;
  /** Index into the log's `providers`. */
  provider: number;
  /** Index of the key (the order of the variant's `metrics.keys`). */
  key: number;
  /** Attempts in flight at this provider when it was sent, itself included. */
  inFlight: number;
  /** HTTP status of the answer; 0: none came (the connection failed, or the client stopped waiting). */
  status: number;
  end: AttemptEnd;
  /** From sending to the answer's end (or to the client's giving up). */
  ms: number;
  /** A streamed answer: from sending to its first content token, and the mean gap between its tokens after it. */
  ttftMs?: number;
  tpotMs?: number;
  /** Output tokens the answer carried (usage, or its stream's content events). */
  outputTokens?: number;
  /** A 429's retry-after. */
  retryAfterMs?: number;
  /** The x-ratelimit-* headers of the answer: limit, remaining and reset of the requests and tokens quotas. */
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsMs?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
}

/** A variant's attempts (results' `attemptLog`, real mode only). */
export interface AttemptLogJson {
  /** The largest number of attempts kept (ATTEMPT_LOG_CAP), and how many were left out beyond it. */
  cap: number;
  dropped: number;
  /** Wall clock (Unix ms) at the variant's start: places the variants of one run on one timeline. */
  startedAt: number;
  providers: string[];
  attempts: AttemptRecord[];
}

const finite = (n: number): boolean => Number.isFinite(n);

/** Collects the attempts of one real-mode variant, at most `cap`. */
export class AttemptLog {
  readonly attempts: AttemptRecord[] = [];
  dropped = 0;
  constructor(
    readonly providers: string[],
    readonly startedAt: number,
    readonly cap = ATTEMPT_LOG_CAP,
  ) {}

  /** A new attempt's record, or undefined beyond the cap (counted). */
  open(at: number, provider: number, key: number, inFlight: number): AttemptRecord | undefined {
    if (this.attempts.length >= this.cap) {
      this.dropped++;
      return undefined;
    }
    const r: AttemptRecord = { at, provider, key, inFlight, status: 0, end: 'abandoned', ms: 0 };
    this.attempts.push(r);
    return r;
  }

  /** Copies what the answer's headers said of the quotas (only what was said). */
  static quotas(r: AttemptRecord, u: Usage): void {
    if (finite(u.limitRequests)) r.limitRequests = u.limitRequests;
    if (finite(u.remainingRequests)) r.remainingRequests = u.remainingRequests;
    if (finite(u.resetRequestsMs)) r.resetRequestsMs = u.resetRequestsMs;
    if (finite(u.limitTokens)) r.limitTokens = u.limitTokens;
    if (finite(u.remainingTokens)) r.remainingTokens = u.remainingTokens;
    if (finite(u.resetTokensMs)) r.resetTokensMs = u.resetTokensMs;
  }

  toJSON(): AttemptLogJson {
    return { cap: this.cap, dropped: this.dropped, startedAt: this.startedAt, providers: this.providers, attempts: this.attempts };
  }
}
