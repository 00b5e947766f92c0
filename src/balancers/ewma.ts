/**
 * The update rules of the `002_*` router's `RecordResult`, as pure functions, shared by the
 * `latency-ewma` and `availability` balancers and by passive health.
 */

/**
 * the Go router's latency average in whole milliseconds: a sample of 0 ms or less is ignored; while the
 * average is 0 (never measured) the sample replaces it; otherwise `L = (L*7 + l) / 8` in Go's
 * int64 arithmetic, which truncates. `latencyMs` may be fractional: it is first truncated as Go's
 * `int64(...)` / `Duration.Milliseconds()` would.
 */
export function latencyEmaUpdate(averageMs: number, latencyMs: number): number {
  const l = Math.trunc(latencyMs);
  if (!(l > 0)) return averageMs;
  return averageMs === 0 ? l : Math.trunc((averageMs * 7 + l) / 8);
}

/**
 * the Go router's failure-rate average: a success halves it and snaps it to 0 below 0.01; a failure moves
 * it a tenth of the way to 1 (`rate*0.9 + 0.1`), capped at 1. The Go router marks the provider unavailable
 * above 0.5 (health's rule, not applied here).
 */
export function failureRateUpdate(rate: number, success: boolean): number {
  if (success) {
    const r = rate * 0.5;
    return r < 0.01 ? 0 : r;
  }
  const r = rate * 0.9 + 0.1;
  return r > 1 ? 1 : r;
}
