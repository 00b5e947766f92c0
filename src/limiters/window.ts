/**
 * One key's window algorithm. Decisions are pure functions of `now` and the window's own state:
 * no clock, no timers, no engine, so every limiter is property-testable and benchmarkable alone.
 */
export interface Window {
  /** May a request use this key at `now`? No side effect. */
  admits(now: number): boolean;
  /** Record an admission at `now` (the caller checked `admits`). */
  record(now: number): void;
  /** Earliest time ≥ now at which `admits` can turn true if nothing else happens. */
  nextAdmitAt(now: number): number;
  /** Entries held right now (timestamps, buckets, …): the memory figure. */
  footprint(): number;
}
