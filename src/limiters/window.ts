/**
 * One key's window algorithm. Decisions are pure functions of `now` and the window's own state:
 * no clock, no timers, no engine, so every limiter is property-testable and benchmarkable alone.
 *
 * An admission has a weight `w` (default 1): 1 for a request, its tokens for a token quota. Weights
 * are whole numbers ≥ 1 (a settled `actual` may be 0), so every sum a window keeps is exact. A
 * weight above `capacity()` is never admissible: `nextAdmitAt` says Infinity.
 *
 * Charging is "reserve": `record` charges the weight asked for (a request's prompt + max_tokens);
 * `settle` corrects it to what was really used once the response ends. Each algorithm states the
 * bound on actual use that corrections allow (see its file and docs/limiters.md).
 */
export interface Window {
  /** false: the algorithm reproduces a weight-1 original and refuses other weights (throws RangeError). */
  readonly weighted: boolean;
  /** May an admission of weight `w` use this key at `now`? No observable side effect. */
  admits(now: number, w?: number): boolean;
  /** Record an admission of weight `w` at `now` (the caller checked `admits`). */
  record(now: number, w?: number): void;
  /** Earliest time ≥ now at which `admits(t, w)` turns true if nothing else happens; Infinity when w > capacity. */
  nextAdmitAt(now: number, w?: number): number;
  /**
   * The admission recorded at `at` with weight `reserved` really weighed `actual` (more or less):
   * correct the window as the algorithm would have counted it, at `now` (≥ at). Call once per
   * admission; a correction the window has already forgotten (its entry expired) changes nothing.
   */
  settle(at: number, reserved: number, actual: number, now: number): void;
  /** The largest weight admissible at `now`, a whole number ≥ 0: admits(now, w) ⇔ w ≤ remaining(now). */
  remaining(now: number): number;
  /** Earliest time ≥ now at which remaining() is capacity() again if nothing else happens. */
  resetAt(now: number): number;
  /** The largest weight an empty window admits (its N, or its burst). */
  capacity(): number;
  /** Entries held right now (timestamps, buckets, …): the memory figure. */
  footprint(): number;
}
