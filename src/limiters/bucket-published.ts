import type { Rate } from '../core/units.js';
import { nextUp } from './float.js';
import type { Window } from './window.js';

/** Options of `bucket-published` (the original's `bucket_size` and `bucket_duration`). */
export interface BucketPublishedOptions {
  /** Number of buckets (default 6). */
  buckets?: number;
  /** Width of one bucket in ms (default: the limit's window / `buckets`, so 10 s for 3/min). */
  bucketWidth?: number;
}

/**
 * The Python review client's bucket counter (seed 001, AppIDManager `_update_buckets` and the counting in
 * `_try_get_app_id`), deciding exactly as its code (ms instead of s; the test checks it against a
 * literal transcription of the Python):
 *
 *     shift = int(time_diff / bucket_duration)
 *     buckets = buckets[shift:] + [0] * shift            (or all zero if shift >= bucket_size)
 *     timestamp = current_time - (time_diff % bucket_duration)
 *     ...
 *     self.app_id_buckets[app_id][0] += 1                 # "current_bucket = 0"
 *
 * The timestamp is created on the key's first check (`defaultdict(lambda: time.time())`), and
 * every check runs `_update_buckets` (`_can_use_app_id`), so `admits` has that side effect too.
 *
 * What it enforces: it counts into bucket 0 and shifts by dropping from the front, so the newest
 * requests are the first dropped, and buckets 1…B−1 only ever receive the zeros shifted in. The
 * sum is therefore just the requests since the last boundary (first use + k·w): a fixed window of
 * one bucket width, not the 60 s its comments describe, holding the per-minute limit. For 3/min
 * in 6 × 10 s that is 3 per 10 s: up to N·B = 18 a minute on a steady stream, and N·(B + 1) = 21
 * in a 60 s window straddling 7 cells.
 *
 * Weights: none. The original counts requests, so this window admits weight 1 only (`weighted`
 * is false; another weight, or a settle that changes one, throws a RangeError): a registry that
 * weighs admissions must refuse it at validation.
 *
 * Cost: O(1) per check — the original sums the list on every check; a running total gives the
 * same sums without the loop, and a check within one width of the last update skips the shift
 * arithmetic (int(time_diff / w) is 0 exactly when time_diff < w). Memory B counters and one time.
 */
export class BucketPublished implements Window {
  private readonly buckets: Float64Array;
  /** sum(buckets). */
  private total = 0;
  /** The original's `app_id_bucket_timestamps[app_id]`; NaN until the first check. */
  private last = NaN;

  constructor(
    private readonly limit: number,
    private readonly size: number,
    private readonly duration: number,
  ) {
    this.buckets = new Float64Array(size);
  }

  /** `_update_buckets`. */
  private update(now: number): void {
    if (Number.isNaN(this.last)) this.last = now;
    const timeDiff = now - this.last;
    if (!(timeDiff >= this.duration)) return;
    // Python's int() truncates; its float % equals JS % for the non-negative operands met here.
    const shift = Math.trunc(timeDiff / this.duration);
    if (shift >= this.size) {
      this.buckets.fill(0);
      this.total = 0;
    } else {
      for (let i = 0; i < shift; i++) this.total -= this.buckets[i]!;
      this.buckets.copyWithin(0, shift);
      this.buckets.fill(0, this.size - shift);
    }
    this.last = now - (timeDiff % this.duration);
  }

  get weighted(): boolean {
    return false;
  }

  /** `_can_use_app_id`, bucket branch. */
  admits(now: number, w = 1): boolean {
    if (w !== 1) unweighted();
    this.update(now);
    return this.total < this.limit;
  }

  /** The bucket branch of `_try_get_app_id`'s bookkeeping. */
  record(now: number, w = 1): void {
    if (w !== 1) unweighted();
    this.update(now);
    this.buckets[0]! += 1;
    this.total++;
  }

  nextAdmitAt(now: number, w = 1): number {
    if (this.admits(now, w)) return now;
    return this.shiftAt(false);
  }

  settle(_at: number, reserved: number, actual: number, _now: number): void {
    if (reserved !== 1 || actual !== 1) unweighted();
  }

  remaining(now: number): number {
    this.update(now);
    const r = this.limit - this.total;
    return r > 0 ? r : 0;
  }

  resetAt(now: number): number {
    this.update(now);
    return this.total > 0 ? this.shiftAt(true) : now;
  }

  capacity(): number {
    return this.limit;
  }

  /** The first time a shift leaves room for a request (or, `whole`, leaves nothing); the state is up to date. */
  private shiftAt(whole: boolean): number {
    // A shift by k drops buckets 0…k−1; it happens once int((t − last) / w) reaches k.
    let left = this.total;
    for (let k = 1; k <= this.size; k++) {
      left -= this.buckets[k - 1]!;
      if (whole ? left === 0 : left < this.limit) {
        let t = this.last + k * this.duration;
        while (Math.trunc((t - this.last) / this.duration) < k) t = nextUp(t);
        return t;
      }
    }
    return Infinity; // unreachable: a shift by B empties the list
  }

  footprint(): number {
    return this.size + 1;
  }
}

function unweighted(): never {
  throw new RangeError('bucket-published counts requests: it admits weight 1 only');
}

export function bucketPublished(limit: Rate, options: BucketPublishedOptions): Window {
  const buckets = options.buckets ?? 6;
  return new BucketPublished(limit.count, buckets, options.bucketWidth ?? limit.windowMs / buckets);
}
