import type { Rate } from '../core/units.js';
import type { Window } from './window.js';

/** Options of `gcra`. */
export interface GcraOptions {
  /** Requests allowed at once after an idle spell (default: the limit's count). */
  burst?: number;
}

/**
 * The generic cell rate algorithm (virtual scheduling, as in redis-cell or throttled): emission
 * interval T = W / N, tolerance τ = (burst − 1)·T, and the theoretical arrival time TAT. A request
 * at `now` is admitted when TAT − τ ≤ now, and moves TAT to max(TAT, now) + T. It decides as
 * `token-bucket` with the same rate and burst (GCRA is a token bucket kept as a time instead of
 * tokens), so the guarantee is the same: at most burst + Δ / T admissions in any closed interval
 * of length Δ; burst 1 is uniform-interval.
 *
 * TAT is kept as base + k·T (a time and a count of intervals), so TAT − τ = base + (k − burst + 1)·T
 * takes one rounding, and a burst at one instant is exactly `burst` long: a float TAT grown by
 * repeated `+ T` drifts, and at fractional times the burst can come out one short. O(1) time, two
 * numbers per key.
 */
export class Gcra implements Window {
  private base = -Infinity;
  private k = 0;

  constructor(
    private readonly interval: number,
    private readonly burst: number,
  ) {}

  /** TAT − τ: admits and nextAdmitAt share this one expression. */
  private allowAt(): number {
    return this.base + (this.k - this.burst + 1) * this.interval;
  }

  admits(now: number): boolean {
    return this.allowAt() <= now;
  }

  record(now: number): void {
    if (this.base + this.k * this.interval <= now) {
      this.base = now;
      this.k = 1;
    } else {
      this.k++;
    }
  }

  nextAdmitAt(now: number): number {
    const t = this.allowAt();
    return t > now ? t : now;
  }

  footprint(): number {
    return 2;
  }
}

export function gcra(limit: Rate, options: GcraOptions): Window {
  return new Gcra(limit.windowMs / limit.count, options.burst ?? limit.count);
}
