import type { Rate } from '../core/units.js';
import { cellStart } from './float.js';
import type { Window } from './window.js';

/** Options of `fixed-window` (none). */
export type FixedWindowOptions = Record<string, never>;

/**
 * N per aligned window [k·W, (k + 1)·W): one counter that starts over at every multiple of W — what
 * many providers and Redis `INCR` + `EXPIRE` limiters do (a key per window, expiring with it).
 * An admission of w is admitted while the current window's count is at most N − w.
 *
 * Guarantee (for admitted weights): at most N in each aligned window; at most 2N in any window
 * [t, t + W), and 2N is reached — N at the end of window k and N at the first instant of k + 1,
 * ε apart — so against an exact N-per-W provider it can overshoot by N, more often than
 * `bucket-window` does (its cells are W wide, not W / B).
 *
 * settle corrects the count if the admission's window is still the current one (a window that has
 * ended is forgotten). Bound on actual use: in each aligned window Σ actual ≤ N + Σ (actual −
 * reserved)⁺ of its admissions (each is decided on the count then known), so 2N + the same in any
 * window W; corrections downward never exceed N.
 *
 * Window edges are compared, not divided for (the edge is the first float whose ⌊t / W⌋ reaches
 * the next window). O(1) time; two numbers per key (the count and the window's index).
 */
export class FixedWindow implements Window {
  private index = -Infinity;
  private edge = -Infinity;
  private count = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  get weighted(): boolean {
    return true;
  }

  /** Starts the window holding `now` if the current one has ended. */
  private roll(now: number): void {
    if (now < this.edge) return;
    this.index = Math.floor(now / this.windowMs);
    this.edge = cellStart(this.index + 1, this.windowMs);
    this.count = 0;
  }

  admits(now: number, w = 1): boolean {
    // A new window only lowers the count, so an admitting count needs no roll.
    if (w <= this.limit - this.count) return true;
    this.roll(now);
    return w <= this.limit - this.count;
  }

  record(now: number, w = 1): void {
    this.roll(now);
    this.count += w;
  }

  nextAdmitAt(now: number, w = 1): number {
    if (w > this.limit) return Infinity;
    return this.admits(now, w) ? now : this.edge;
  }

  settle(at: number, reserved: number, actual: number, now: number): void {
    if (actual === reserved) return;
    this.roll(now);
    if (Math.floor(at / this.windowMs) === this.index) this.count += actual - reserved;
  }

  remaining(now: number): number {
    this.roll(now);
    const r = this.limit - this.count;
    return r > 0 ? r : 0;
  }

  resetAt(now: number): number {
    this.roll(now);
    return this.count > 0 ? this.edge : now;
  }

  capacity(): number {
    return this.limit;
  }

  footprint(): number {
    return 2;
  }
}

export function fixedWindow(limit: Rate, _options: FixedWindowOptions): Window {
  return new FixedWindow(limit.count, limit.windowMs);
}
