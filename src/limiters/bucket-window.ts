import type { Rate } from '../core/units.js';
import { nextDown, nextUp } from './float.js';
import type { Window } from './window.js';

/** Options of `bucket-window`. */
export interface BucketWindowOptions {
  /** Number of buckets (default 6). */
  buckets?: number;
  /** Width of one bucket in ms (default: the limit's window / `buckets`, so 10 s for 3/min). */
  bucketWidth?: number;
}

/**
 * A sliding counter of `B` buckets × width `w` (default 6 × 10 s), buckets aligned to multiples of
 * `w` as the Python review client describes: a request counts in bucket ⌊t / w⌋, and a key admits while the
 * newest B buckets (the current one included) hold fewer than N.
 *
 * Guarantee (N = limit.count, span = B·w, by default the limit's window W):
 * - at most N admissions in any window of length (B − 1)·w = W − w: such a window lies inside
 *   the B buckets counted when its last admission was decided;
 * - at most 2N in any window of length B·w = W, and 2N is reached: N at the end of bucket j are
 *   still counted until bucket j + B starts, then N more are admitted at its first instant, all
 *   within (B − 1)·w + ε. So against an exact N-per-W provider it can overshoot by up to N.
 *
 * Cost: O(1) amortized per decision (each bucket is cleared once per pass, and the bucket edge is
 * compared, not divided for); memory B counters and the newest bucket's index, whatever N is.
 */
export class BucketWindow implements Window {
  private readonly counts: Float64Array;
  /** Absolute index ⌊t / w⌋ of the newest bucket, its slot in `counts`, and when the next starts. */
  private newest = -Infinity;
  private head = 0;
  private edge = -Infinity;
  private total = 0;

  constructor(
    private readonly limit: number,
    private readonly buckets: number,
    private readonly width: number,
  ) {
    this.counts = new Float64Array(buckets);
  }

  /**
   * The first time whose bucket ⌊t / w⌋ is `k` or later. Comparing `now` with it is the same
   * decision as dividing, without a division on every check.
   */
  private start(k: number): number {
    let t = k * this.width;
    while (Math.floor(t / this.width) < k) t = nextUp(t);
    while (Math.floor(nextDown(t) / this.width) >= k) t = nextDown(t);
    return t;
  }

  /** Drops the buckets that slid out by `now`. */
  private roll(now: number): void {
    if (now < this.edge) return;
    const idx = Math.floor(now / this.width);
    const steps = idx - this.newest;
    if (steps >= this.buckets) {
      this.counts.fill(0);
      this.total = 0;
    } else {
      for (let s = 0; s < steps; s++) {
        this.head = this.head + 1 === this.buckets ? 0 : this.head + 1;
        this.total -= this.counts[this.head]!;
        this.counts[this.head] = 0;
      }
    }
    this.newest = idx;
    this.edge = this.start(idx + 1);
  }

  admits(now: number): boolean {
    // Rolling only ever lowers the total, so an admitting total needs no roll.
    if (this.total < this.limit) return true;
    this.roll(now);
    return this.total < this.limit;
  }

  record(now: number): void {
    this.roll(now);
    this.counts[this.head]!++;
    this.total++;
  }

  nextAdmitAt(now: number): number {
    if (this.admits(now)) return now;
    // Oldest first: the bucket `age` places behind the newest leaves when bucket newest + B − age starts.
    let left = this.total;
    for (let age = this.buckets - 1; age >= 0; age--) {
      let slot = this.head - age;
      if (slot < 0) slot += this.buckets;
      left -= this.counts[slot]!;
      if (left < this.limit) return this.start(this.newest - age + this.buckets);
    }
    return Infinity; // unreachable: with every bucket gone the total is 0 < limit
  }

  /** B counters and the newest bucket's index (its slot and end are derived from it). */
  footprint(): number {
    return this.buckets + 1;
  }
}

export function bucketWindow(limit: Rate, options: BucketWindowOptions): Window {
  const buckets = options.buckets ?? 6;
  return new BucketWindow(limit.count, buckets, options.bucketWidth ?? limit.windowMs / buckets);
}
