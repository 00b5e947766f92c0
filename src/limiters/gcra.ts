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
 *
 * Weights (redis-cell's quantity): an admission of w moves TAT by w·T and is admitted when
 * max(TAT, now) + w·T − burst·T ≤ now, i.e. w ≤ burst and base + (k + w − burst)·T ≤ now. settle
 * moves TAT by (actual − reserved)·T, never below now (a full bucket holds no more): the same
 * corrections, and the same bound on actual use, as `token-bucket`.
 */
export class Gcra implements Window {
  private base = -Infinity;
  private k = 0;

  constructor(
    private readonly interval: number,
    private readonly burst: number,
  ) {}

  get weighted(): boolean {
    return true;
  }

  /** When weight w is admitted (TAT − τ for w = 1): admits and nextAdmitAt share this one expression. */
  private allowAt(w: number): number {
    return this.base + (this.k + w - this.burst) * this.interval;
  }

  admits(now: number, w = 1): boolean {
    return w <= this.burst && this.allowAt(w) <= now;
  }

  record(now: number, w = 1): void {
    if (this.base + this.k * this.interval <= now) {
      this.base = now;
      this.k = w;
    } else {
      this.k += w;
    }
  }

  nextAdmitAt(now: number, w = 1): number {
    if (w > this.burst) return Infinity;
    const t = this.allowAt(w);
    return t > now ? t : now;
  }

  settle(_at: number, reserved: number, actual: number, now: number): void {
    if (actual === reserved) return;
    // TAT at or before now is a full bucket: start the correction from now, and end no earlier.
    if (this.base + this.k * this.interval <= now) {
      this.base = now;
      this.k = 0;
    }
    this.k += actual - reserved;
    if (this.k < 0) this.k = 0;
  }

  remaining(now: number): number {
    // The largest whole w ≤ burst with allowAt(w) ≤ now: estimated, then checked with allowAt itself.
    let w = Math.floor((now - this.base) / this.interval - this.k + this.burst);
    if (!(w < this.burst)) w = this.burst;
    if (w < 0) w = 0;
    while (w < this.burst && this.allowAt(w + 1) <= now) w++;
    while (w > 0 && this.allowAt(w) > now) w--;
    return w;
  }

  resetAt(now: number): number {
    const t = this.base + this.k * this.interval;
    return t > now ? t : now;
  }

  capacity(): number {
    return this.burst;
  }

  footprint(): number {
    return 2;
  }
}

export function gcra(limit: Rate, options: GcraOptions): Window {
  return new Gcra(limit.windowMs / limit.count, options.burst ?? limit.count);
}
