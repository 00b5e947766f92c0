import { Outcome, type OutcomeCode } from '../../core/outcome.js';
import type { Window } from '../window.js';
import { MINUTE_MS, type Adaptive } from './adaptive.js';
import { gated } from './capped.js';

/** Options of `sre-throttle` (names as the Google SRE book's client-side throttling). */
export interface SreThrottleOptions {
  /** How many requests per accepted one the client lets through (default 2, the book's). */
  K: number;
  /** Over how long requests and accepts are counted, ms (default 2 min, the book's). */
  window: number;
}

/** Counting buckets per window: the window slides in steps of window / BUCKETS. */
const BUCKETS = 60;

/**
 * Google SRE's client-side throttling ("Handling Overload"): each key counts, over the last
 * `window`, the requests it tried and the accepts — answers the provider did not refuse (anything
 * but a 429 or a refused connection) — and rejects a new request locally with probability
 * max(0, (requests − K·accepts) / (requests + 1)), drawn from the key pool's seeded stream. A local
 * rejection never leaves the client: the attempt ends `rateLimited` with no provider. The counts
 * slide in 60 buckets of window / 60 (O(1) per request, 120 numbers per key).
 */
export class SreThrottle implements Adaptive {
  readonly window: Window | undefined;
  readonly maxInFlight = Infinity;
  private readonly requests = new Float64Array(BUCKETS);
  private readonly accepts = new Float64Array(BUCKETS);
  private requestSum = 0;
  private acceptSum = 0;
  /** Index of the current bucket, counted from time 0. */
  private current = 0;
  private readonly width: number;

  constructor(
    private readonly o: SreThrottleOptions,
    ceiling: Window | undefined,
    private readonly random: () => number,
  ) {
    this.width = o.window / BUCKETS;
    this.window = gated(ceiling, undefined);
  }

  /** Moves to `now`'s bucket, forgetting the buckets that left the window. */
  private slide(now: number): void {
    const b = Math.floor(now / this.width);
    if (b <= this.current) return;
    const gone = Math.min(BUCKETS, b - this.current);
    for (let i = 1; i <= gone; i++) {
      const s = (this.current + i) % BUCKETS;
      this.requestSum -= this.requests[s]!;
      this.acceptSum -= this.accepts[s]!;
      this.requests[s] = 0;
      this.accepts[s] = 0;
    }
    this.current = b;
  }

  /** The probability a request is rejected locally now. */
  rejectProbability(now: number): number {
    this.slide(now);
    const p = (this.requestSum - this.o.K * this.acceptSum) / (this.requestSum + 1);
    return p > 0 ? p : 0;
  }

  admitted(now: number): boolean {
    const p = this.rejectProbability(now);
    this.requests[this.current % BUCKETS]!++;
    this.requestSum++;
    return p > 0 && this.random() < p;
  }

  observe(now: number, outcome: OutcomeCode): boolean {
    if (outcome === Outcome.rateLimited || outcome === Outcome.connectFailed) return false;
    this.slide(now);
    this.accepts[this.current % BUCKETS]!++;
    this.acceptSum++;
    return false;
  }

  /** What it lets through at most: K accepts per window, per minute. */
  believed(now: number): number {
    this.slide(now);
    return (this.o.K * this.acceptSum * MINUTE_MS) / this.o.window;
  }
}

export function sreThrottle(o: SreThrottleOptions, ceiling: Window | undefined, random: () => number): SreThrottle {
  return new SreThrottle(o, ceiling, random);
}
