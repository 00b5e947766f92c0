import type { Rate } from '../core/units.js';
import { nextUp } from './float.js';
import type { Window } from './window.js';

/** Options of `uniform-interval` (none). */
export type UniformIntervalOptions = Record<string, never>;

/**
 * The Python review client's UniformRateLimiter (seed 001) ("固定时间窗口 + 均匀调度"): one request per W / N per key,
 * storing only the last send time. Guarantee: consecutive admissions of a key are at least W / N
 * apart, hence at most N in any window [t, t + W) — it keeps an exact provider's promise, but
 * never lets a burst through (3/min means one every 20 s, even after an idle minute), which is
 * why the Python review client found the whole run slower. O(1) time, one number per key.
 *
 * It compares gaps, not sums: `now − last` is exact for nearby times, and the interval is W / N
 * rounded up, so N gaps really span W and an exact provider (`t + W <= now`) never sees N + 1.
 * With `last + interval <= now`, 140/min (428.57… ms) drifts below W in 140 additions.
 *
 * Weights: a pacer. An admission of weight w (≤ N) is followed by a gap of w intervals — the time
 * its weight takes at N per W — before the next, whatever that one weighs. Guarantee: consecutive
 * admissions are at least (weight of the first) · W / N apart, so a window [t, t + W) holds less
 * than N before its last admission: Σ weights ≤ N − 1 + the last one's (N for weight 1). A pacer
 * cannot do better: a lump arriving after a full gap goes whole. settle corrects the gap of the
 * latest admission to its actual weight; a correction of an earlier one adds its difference to
 * the current gap when upward (a debt) and changes nothing when downward (its gap has passed).
 * Bound on actual use: in a window [t, t + W), Σ actual ≤ N − 1 + reserved of its last admission
 * + Σ (actual − reserved)⁺ of its admissions.
 */
export class UniformInterval implements Window {
  private last = -Infinity;
  /** The gap owed after `last`: its weight (plus debts) in intervals, and that times the interval. */
  private units = 1;
  private gap: number;
  private readonly interval: number;

  constructor(
    windowMs: number,
    private readonly count: number,
  ) {
    const exact = Number.isInteger(windowMs) && windowMs % count === 0;
    this.interval = exact ? windowMs / count : nextUp(windowMs / count);
    this.gap = this.interval;
  }

  get weighted(): boolean {
    return true;
  }

  admits(now: number, w = 1): boolean {
    return now - this.last >= this.gap && w <= this.count;
  }

  record(now: number, w = 1): void {
    this.last = now;
    this.units = w;
    this.gap = w * this.interval;
  }

  nextAdmitAt(now: number, w = 1): number {
    if (w > this.count) return Infinity;
    return this.paced(now);
  }

  settle(at: number, reserved: number, actual: number, _now: number): void {
    if (actual === reserved) return;
    if (at !== this.last && actual < reserved) return;
    this.units += actual - reserved;
    this.gap = this.units * this.interval;
  }

  remaining(now: number): number {
    return now - this.last >= this.gap ? this.count : 0;
  }

  resetAt(now: number): number {
    return this.paced(now);
  }

  capacity(): number {
    return this.count;
  }

  footprint(): number {
    return 1;
  }

  /** Earliest t ≥ now at which the gap has passed. */
  private paced(now: number): number {
    if (now - this.last >= this.gap) return now;
    // Nudged until admits' own expression agrees (last + gap can round below the gap).
    let t = this.last + this.gap;
    while (t - this.last < this.gap) t = nextUp(t);
    return t;
  }
}

export function uniformInterval(limit: Rate, _options: UniformIntervalOptions): Window {
  return new UniformInterval(limit.windowMs, limit.count);
}
