import type { Rate } from '../core/units.js';
import type { Window } from './window.js';

/** Options of `sliding-log` (none). */
export type SlidingLogOptions = Record<string, never>;

/**
 * Exact sliding window: at most `count` admissions in any half-open interval [t, t + window).
 * Only the last `count` timestamps can ever matter, so they live in a fixed ring buffer:
 * O(1) memory per key and O(expired) eviction, with no allocation after construction.
 */
export class SlidingLog implements Window {
  private readonly times: Float64Array;
  private head = 0;
  private size = 0;

  constructor(
    private readonly count: number,
    private readonly windowMs: number,
  ) {
    this.times = new Float64Array(Math.max(1, count));
  }

  private evict(now: number): void {
    const cap = this.times.length;
    const w = this.windowMs;
    // Compare as `t + w <= now`, the same float expression nextAdmitAt returns, so waking at
    // nextAdmitAt always finds the key admissible (now - w can round below t).
    while (this.size > 0 && this.times[this.head]! + w <= now) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
  }

  admits(now: number): boolean {
    if (this.size < this.count) return true;
    this.evict(now);
    return this.size < this.count;
  }

  record(now: number): void {
    this.evict(now);
    const cap = this.times.length;
    if (this.size === cap) {
      // Only reachable when a caller records without asking; drop the oldest to stay bounded.
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    let tail = this.head + this.size;
    if (tail >= cap) tail -= cap;
    this.times[tail] = now;
    this.size++;
  }

  nextAdmitAt(now: number): number {
    if (this.admits(now)) return now;
    return this.times[this.head]! + this.windowMs;
  }

  footprint(): number {
    return this.size;
  }
}

export function slidingLog(limit: Rate, _options: SlidingLogOptions): Window {
  return new SlidingLog(limit.count, limit.windowMs);
}
