import { nextUp } from '../float.js';
import type { Window } from '../window.js';

/**
 * A token bucket whose rate, size and level a learning limiter may set at any time (golang.org/x/time/rate
 * semantics between changes: the level refills continuously at `perMs` up to `cap`, a request takes
 * its weight). Kept in plain tokens: a rate that changes has no whole unit to scale by. A level of
 * Infinity is an open gate (it admits anything, and stays open until set). O(1), two numbers.
 */
export class Pacer implements Window {
  private level: number;
  private last = -Infinity;

  constructor(
    private perMs: number,
    private cap: number,
  ) {
    this.level = cap;
  }

  get weighted(): boolean {
    return true;
  }

  /** The refill rate now (tokens per ms). */
  get rate(): number {
    return this.perMs;
  }

  /** The level at `t`: refilled since the last update, capped. */
  levelAt(t: number): number {
    const elapsed = t - this.last;
    // No refill (rate 0) adds nothing, even since the beginning of time (∞ · 0 is NaN).
    if (!(elapsed > 0) || this.perMs === 0) return this.level;
    const level = this.level + elapsed * this.perMs;
    return level > this.cap ? this.cap : level;
  }

  /** From `now` on, refill at `perMs` up to `cap` (the level so far is kept, capped). */
  setRate(now: number, perMs: number, cap: number): void {
    const level = this.levelAt(now);
    this.perMs = perMs;
    this.cap = cap;
    this.level = level > cap ? cap : level;
    if (now > this.last) this.last = now;
  }

  /** The level is `level` at `now` (what a provider just said is left), refilling at `perMs` up to `cap`. */
  set(now: number, level: number, perMs: number, cap: number): void {
    this.perMs = perMs;
    this.cap = cap;
    this.level = level > cap ? cap : level;
    if (now > this.last) this.last = now;
  }

  admits(now: number, w = 1): boolean {
    return this.levelAt(now) >= w;
  }

  record(now: number, w = 1): void {
    this.level = this.levelAt(now) - w;
    if (now > this.last) this.last = now;
  }

  nextAdmitAt(now: number, w = 1): number {
    if (w > this.cap) return Infinity;
    return this.fullFor(now, w);
  }

  settle(_at: number, reserved: number, actual: number, now: number): void {
    if (actual === reserved) return;
    const level = this.levelAt(now) + reserved - actual;
    this.level = level > this.cap ? this.cap : level;
    if (now > this.last) this.last = now;
  }

  remaining(now: number): number {
    const level = this.levelAt(now);
    return level > 0 ? Math.floor(level) : 0;
  }

  resetAt(now: number): number {
    return this.cap === Infinity ? now : this.fullFor(now, this.cap);
  }

  capacity(): number {
    return this.cap;
  }

  footprint(): number {
    return 2;
  }

  /** Earliest t ≥ now with levelAt(t) ≥ need (≤ cap); Infinity when nothing refills it. */
  private fullFor(now: number, need: number): number {
    if (this.levelAt(now) >= need) return now;
    if (!(this.perMs > 0)) return Infinity;
    let t = this.last + (need - this.level) / this.perMs;
    if (t < now) t = now;
    while (this.levelAt(t) < need) t = nextUp(t);
    return t;
  }
}
