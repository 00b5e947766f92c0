import type { Rate } from '../core/units.js';
import { cellStart } from './float.js';
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
 * Weights: the buckets hold weights and an admission of w needs the newest B buckets to hold at
 * most N − w; the bounds above hold for admitted weights. settle corrects the admission's bucket
 * if it is still counted. Bound on actual use: in a window of (B − 1)·w, Σ actual ≤ N + Σ
 * (actual − reserved)⁺ over its admissions; in B·w, 2N + the same (each half is decided on the
 * counts then known, so only corrections upward arriving later exceed it, by their difference).
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

  get weighted(): boolean {
    return true;
  }

  /** The first time whose bucket ⌊t / w⌋ is `k` or later (the same decision as dividing). */
  private start(k: number): number {
    return cellStart(k, this.width);
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

  admits(now: number, w = 1): boolean {
    // Rolling only ever lowers the total, so an admitting total needs no roll.
    if (w <= this.limit - this.total) return true;
    this.roll(now);
    return w <= this.limit - this.total;
  }

  record(now: number, w = 1): void {
    this.roll(now);
    this.counts[this.head]! += w;
    this.total += w;
  }

  nextAdmitAt(now: number, w = 1): number {
    if (w > this.limit) return Infinity;
    if (this.admits(now, w)) return now;
    // Oldest first: the bucket `age` places behind the newest leaves when bucket newest + B − age starts.
    let left = this.total;
    for (let age = this.buckets - 1; age >= 0; age--) {
      left -= this.counts[this.slotOf(age)]!;
      if (w <= this.limit - left) return this.start(this.newest - age + this.buckets);
    }
    return Infinity; // unreachable: with every bucket gone the total is 0 and w ≤ N
  }

  settle(at: number, reserved: number, actual: number, now: number): void {
    if (actual === reserved) return;
    this.roll(now);
    // The admission's bucket, if it is still one of the newest B (the expression roll uses).
    const age = this.newest - Math.floor(at / this.width);
    if (!(age >= 0 && age < this.buckets)) return;
    this.counts[this.slotOf(age)]! += actual - reserved;
    this.total += actual - reserved;
  }

  remaining(now: number): number {
    this.roll(now);
    const r = this.limit - this.total;
    return r > 0 ? r : 0;
  }

  resetAt(now: number): number {
    this.roll(now);
    // Whole again when the newest bucket holding anything leaves.
    for (let age = 0; age < this.buckets; age++) {
      if (this.counts[this.slotOf(age)]! > 0) return this.start(this.newest - age + this.buckets);
    }
    return now;
  }

  capacity(): number {
    return this.limit;
  }

  /** Slot of the bucket `age` places behind the newest. */
  private slotOf(age: number): number {
    const slot = this.head - age;
    return slot < 0 ? slot + this.buckets : slot;
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
