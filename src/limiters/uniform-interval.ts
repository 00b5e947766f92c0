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
 */
export class UniformInterval implements Window {
  private last = -Infinity;
  private readonly interval: number;

  constructor(windowMs: number, count: number) {
    const exact = Number.isInteger(windowMs) && windowMs % count === 0;
    this.interval = exact ? windowMs / count : nextUp(windowMs / count);
  }

  admits(now: number): boolean {
    return now - this.last >= this.interval;
  }

  record(now: number): void {
    this.last = now;
  }

  nextAdmitAt(now: number): number {
    if (now - this.last >= this.interval) return now;
    // Nudged until admits' own expression agrees (last + interval can round below the gap).
    let t = this.last + this.interval;
    while (t - this.last < this.interval) t = nextUp(t);
    return t;
  }

  footprint(): number {
    return 1;
  }
}

export function uniformInterval(limit: Rate, _options: UniformIntervalOptions): Window {
  return new UniformInterval(limit.windowMs, limit.count);
}
