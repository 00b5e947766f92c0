import type { Rate } from '../core/units.js';
import { nextUp } from './float.js';
import type { Window } from './window.js';

/** Options of `token-bucket`. */
export interface TokenBucketOptions {
  /** Bucket size: requests allowed at once after an idle spell (default: the limit's count). */
  burst?: number;
}

/**
 * A token bucket with golang.org/x/time/rate semantics (`Allow`): tokens refill continuously at
 * rate r = N / W up to `burst` (b, default N), the bucket starts full, and a request takes one
 * token. Guarantee: at most b + r·T admissions in any closed interval of length T. With b = N
 * that is up to 2N − 1 in a window [t, t + W): a full bucket spent at once plus a window's refill,
 * so against an exact N-per-W provider it overshoots (shown as 429s); b = 1 is uniform-interval.
 *
 * The level is kept in tokens × W when W is a whole number of ms (a request costs W, the refill
 * is N per ms), so whole-ms times decide in exact integer arithmetic; in plain tokens, 3/min
 * rounds 0.1 + 0.9 below one token and refuses a request that is due. A fractional W keeps plain
 * tokens, where a burst at one instant is still exact. O(1) time; two numbers per key (level,
 * time of the last update).
 *
 * Weights: an admission of w takes w tokens, so w > burst never fits (nextAdmitAt: Infinity) and
 * the bound above holds for admitted weights. settle gives back reserved − actual (the level
 * capped at burst, as x/time/rate's Cancel) or takes actual − reserved (the level may go below
 * zero: a debt the refill pays before the next admission). Bound on actual use over admissions
 * i…j (a closed interval Δ = t_j − t_i): Σ actual ≤ burst + rate·Δ + (refunds of earlier
 * admissions given back between i and j) + Σ (actual − reserved)⁺ of i…j corrected after j.
 * Corrections of the interval's own admissions that arrive inside it cancel out; a refund that
 * arrives late, after the bucket has refilled past what it would have held, is spent again: the
 * bucket cannot tell, in O(1) state, tokens it lost to the cap since the admission.
 */
export class TokenBucket implements Window {
  private level: number;
  private last = -Infinity;
  /** What one token is worth in level units, the level's cap, and its refill per ms. */
  private readonly unit: number;
  private readonly cap: number;
  private readonly refill: number;

  constructor(
    count: number,
    windowMs: number,
    private readonly burst: number,
  ) {
    this.unit = Number.isInteger(windowMs) ? windowMs : 1;
    this.cap = burst * this.unit;
    this.refill = (count * this.unit) / windowMs;
    this.level = this.cap;
  }

  /** x/time/rate's `advance`: the level at `t`, refilled since the last update, capped. */
  private levelAt(t: number): number {
    const elapsed = t - this.last;
    if (!(elapsed > 0)) return this.level;
    const level = this.level + elapsed * this.refill;
    return level > this.cap ? this.cap : level;
  }

  get weighted(): boolean {
    return true;
  }

  admits(now: number, w = 1): boolean {
    return this.levelAt(now) >= w * this.unit;
  }

  record(now: number, w = 1): void {
    this.level = this.levelAt(now) - w * this.unit;
    if (now > this.last) this.last = now;
  }

  nextAdmitAt(now: number, w = 1): number {
    const need = w * this.unit;
    if (need > this.cap) return Infinity;
    return this.fullFor(now, need);
  }

  settle(_at: number, reserved: number, actual: number, now: number): void {
    if (actual === reserved) return;
    const level = this.levelAt(now) + (reserved - actual) * this.unit;
    this.level = level > this.cap ? this.cap : level;
    if (now > this.last) this.last = now;
  }

  remaining(now: number): number {
    const level = this.levelAt(now);
    // Whole tokens: w ≤ ⌊level / unit⌋ ⇔ w·unit ≤ level for whole w (the division rounds monotonically).
    return level > 0 ? Math.floor(level / this.unit) : 0;
  }

  resetAt(now: number): number {
    return this.fullFor(now, this.cap);
  }

  capacity(): number {
    return this.burst;
  }

  /** Earliest t ≥ now with levelAt(t) ≥ need (≤ cap). */
  private fullFor(now: number, need: number): number {
    if (this.levelAt(now) >= need) return now;
    // The refill time of the missing part, nudged until levelAt itself says it is there.
    let t = this.last + (need - this.level) / this.refill;
    if (t < now) t = now;
    while (this.levelAt(t) < need) t = nextUp(t);
    return t;
  }

  footprint(): number {
    return 2;
  }
}

export function tokenBucket(limit: Rate, options: TokenBucketOptions): Window {
  return new TokenBucket(limit.count, limit.windowMs, options.burst ?? limit.count);
}
