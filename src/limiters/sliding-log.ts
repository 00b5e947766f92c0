import type { Rate } from '../core/units.js';
import type { Window } from './window.js';

/** Options of `sliding-log` (none). */
export type SlidingLogOptions = Record<string, never>;

/**
 * A log of N up to this many slots is allocated whole: a request limit holds N at full use, and a
 * ring that never grows keeps V8's view of it constant (a ring that was reassigned costs ~1 ns a
 * decision). A larger N — a token quota, whose window holds far fewer entries than N — starts at
 * INITIAL_SLOTS and doubles when full, up to N (a log of N ones never needs more).
 */
const WHOLE_SLOTS = 4_096;
const INITIAL_SLOTS = 64;

/**
 * Exact sliding window: admitted weights sum to at most N (`count`) in any half-open interval
 * [t, t + window). Entries are (time, weight) in a ring buffer, oldest first: O(1) amortized per
 * decision, O(expired) eviction. Weights are whole and ≥ 1 (an entry settled to 0 is removed), so
 * at most N entries are ever in the window and the ring never outgrows N; for a large N it starts
 * small and doubles when full (a few allocations in a key's life, none per call), since a token
 * quota's N can be a million where a minute holds a few hundred requests. While every weight is 1
 * — request counting — the weights array does not exist.
 *
 * settle finds the entry by its time and weight (binary search: entries are in time order; entries
 * alike in both are interchangeable) and sets its weight, if it is still in the window. Bound on
 * actual use: in any window [t, t + W), Σ actual ≤ N + Σ (actual − reserved)⁺ over the window's
 * own admissions: an admission is decided on the weights then known, so only a correction upward
 * that arrives later can push the sum past N, by its difference; corrections downward never do.
 */
export class SlidingLog implements Window {
  private times: Float64Array;
  /** Weight per slot; null while every entry weighs 1. */
  private weights: Float64Array | null = null;
  private head = 0;
  private size = 0;
  /** N − Σ weights of the entries held: what admits compares a weight with (below 0 after a correction upward). */
  private room: number;

  constructor(
    private readonly count: number,
    private readonly windowMs: number,
  ) {
    this.room = count;
    this.times = new Float64Array(count <= WHOLE_SLOTS ? Math.max(1, count) : INITIAL_SLOTS);
  }

  get weighted(): boolean {
    return true;
  }

  /**
   * Drops what left the window by `now`. Most checks of a full window find nothing to drop, and
   * that test alone stays small enough for V8 to inline into admits and record.
   */
  private evict(now: number): void {
    if (this.size > 0 && this.times[this.head]! + this.windowMs <= now) this.drop(now);
  }

  private drop(now: number): void {
    const cap = this.times.length;
    const w = this.windowMs;
    const ws = this.weights;
    // Compare as `t + w <= now`, the same float expression nextAdmitAt returns, so waking at
    // nextAdmitAt always finds the key admissible (now - w can round below t).
    do {
      this.room += ws === null ? 1 : ws[this.head]!;
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    } while (this.size > 0 && this.times[this.head]! + w <= now);
  }

  admits(now: number, w = 1): boolean {
    if (w <= this.room) return true;
    // Nothing has left the window by now: the answer stands (the usual case of a full window).
    if (this.size === 0 || this.times[this.head]! + this.windowMs > now) return false;
    this.drop(now);
    return w <= this.room;
  }

  record(now: number, w = 1): void {
    this.evict(now);
    if (this.size === this.times.length) this.full();
    if (w !== 1 && this.weights === null) this.weights = new Float64Array(this.times.length).fill(1);
    const times = this.times;
    let tail = this.head + this.size;
    if (tail >= times.length) tail -= times.length;
    times[tail] = now;
    if (this.weights !== null) this.weights[tail] = w;
    this.size++;
    this.room -= w;
  }

  /** The ring is full: double it up to N, or — only when a caller records without asking — drop the oldest. */
  private full(): void {
    if (this.times.length < this.count) {
      this.grow();
      return;
    }
    this.room += this.weights === null ? 1 : this.weights[this.head]!;
    this.head = this.head + 1 === this.times.length ? 0 : this.head + 1;
    this.size--;
  }

  nextAdmitAt(now: number, w = 1): number {
    if (w > this.count) return Infinity;
    if (this.admits(now, w)) return now;
    // Oldest first: once entries weighing w − room have left, w fits; the last of them leaves at t + W.
    let need = w - this.room;
    const ws = this.weights;
    for (let i = 0; i < this.size; i++) {
      const s = this.slot(i);
      need -= ws === null ? 1 : ws[s]!;
      if (need <= 0) return this.times[s]! + this.windowMs;
    }
    return Infinity; // unreachable: with every entry gone, room is N and w ≤ N
  }

  settle(at: number, reserved: number, actual: number, now: number): void {
    if (actual === reserved) return;
    this.evict(now);
    const i = this.find(at, reserved);
    if (i < 0) return;
    this.room -= actual - reserved;
    if (actual === 0) {
      this.removeAt(i);
      return;
    }
    if (this.weights === null) this.weights = new Float64Array(this.times.length).fill(1);
    this.weights[this.slot(i)] = actual;
  }

  remaining(now: number): number {
    this.evict(now);
    return this.room > 0 ? this.room : 0;
  }

  resetAt(now: number): number {
    this.evict(now);
    // Every held entry weighs ≥ 1, so the window is whole once the newest has left.
    return this.size > 0 ? this.times[this.slot(this.size - 1)]! + this.windowMs : now;
  }

  capacity(): number {
    return this.count;
  }

  footprint(): number {
    return this.size;
  }

  /** Ring slot of the i-th oldest entry. */
  private slot(i: number): number {
    const s = this.head + i;
    return s >= this.times.length ? s - this.times.length : s;
  }

  /** Doubles the (full) ring, up to N slots, oldest entry first. */
  private grow(): void {
    const cap = this.times.length;
    const next = Math.min(this.count, cap * 2);
    const unroll = (a: Float64Array): Float64Array => {
      const b = new Float64Array(next);
      b.set(a.subarray(this.head));
      b.set(a.subarray(0, this.head), cap - this.head);
      return b;
    };
    this.times = unroll(this.times);
    if (this.weights !== null) this.weights = unroll(this.weights);
    this.head = 0;
  }

  /** Index (oldest = 0) of an entry recorded at `at` weighing `w`, or -1. */
  private find(at: number, w: number): number {
    // The last entry at or before `at`, then back over the entries at `at`.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[this.slot(mid)]! <= at) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const s = this.slot(i);
      if (this.times[s] !== at) break;
      if ((this.weights === null ? 1 : this.weights[s]) === w) return i;
    }
    return -1;
  }

  /** Removes the i-th oldest entry (its weight already back in `room`), moving the shorter side. */
  private removeAt(i: number): void {
    const ws = this.weights;
    if (i < this.size - 1 - i) {
      for (let j = i; j > 0; j--) this.move(this.slot(j - 1), this.slot(j), ws);
      this.head = this.slot(1);
    } else {
      for (let j = i; j < this.size - 1; j++) this.move(this.slot(j + 1), this.slot(j), ws);
    }
    this.size--;
  }

  private move(from: number, to: number, ws: Float64Array | null): void {
    this.times[to] = this.times[from]!;
    if (ws !== null) ws[to] = ws[from]!;
  }
}

export function slidingLog(limit: Rate, _options: SlidingLogOptions): Window {
  return new SlidingLog(limit.count, limit.windowMs);
}
