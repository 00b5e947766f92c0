import type { Rate } from '../core/units.js';
import type { QuotaStep } from '../limiters/stepped.js';

/**
 * Admissions beyond a key's own configured requests limit (N per W): an admission at t counts when
 * its key's admissions in the window ending at t — those at a with a + W > t, itself included —
 * number more than N. A window holding more than N admissions is exactly a window whose (N+1)-th
 * admission counts, so the count is 0 if and only if no window of length W ever held more than N.
 * The expiry test `a + W > t` is sliding-log's own float expression, so an exact limiter reads 0.
 *
 * A stepping limit (`keys.limit.steps`) applies the limit in force at t, and each period starts
 * empty as the limiter's does. `times` and `keys` are the admission log, in time order. One pass
 * per key with two pointers: O(admissions) after a counting sort by key (two typed arrays, no
 * allocation per admission).
 */
export function quotaViolations(
  times: ArrayLike<number>,
  keys: ArrayLike<number>,
  keyCount: number,
  limit: Rate | undefined,
  steps?: readonly QuotaStep[],
): number {
  const n = times.length;
  if (!limit || n === 0 || keyCount <= 0) return 0;
  // Admissions grouped by key, each group still in time order.
  const start = new Int32Array(keyCount + 1);
  for (let i = 0; i < n; i++) start[keys[i]! + 1]!++;
  for (let k = 0; k < keyCount; k++) start[k + 1]! += start[k]!;
  const order = new Int32Array(n);
  const fill = start.slice(0, keyCount);
  for (let i = 0; i < n; i++) order[fill[keys[i]!]!++] = i;
  const starts = steps?.map((s) => s.atMs) ?? [];
  const rates = [limit, ...(steps?.map((s) => s.requests) ?? [])];
  let violations = 0;
  for (let k = 0; k < keyCount; k++) {
    let lo = start[k]!;
    let period = 0;
    for (let j = start[k]!; j < start[k + 1]!; j++) {
      const t = times[order[j]!]!;
      while (period < starts.length && starts[period]! <= t) period++;
      const from = period === 0 ? -Infinity : starts[period - 1]!;
      const r = rates[period]!;
      while (lo < j && (times[order[lo]!]! + r.windowMs <= t || times[order[lo]!]! < from)) lo++;
      if (j - lo + 1 > r.count) violations++;
    }
  }
  return violations;
}
