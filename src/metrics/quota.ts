import type { Rate } from '../core/units.js';
import type { QuotaStep } from '../limiters/stepped.js';
import type { Charge } from '../core/outcome.js';
import type { Recorder } from './recorder.js';

/**
 * Admissions beyond a key's own configured requests limit (N per W): an admission at t counts when
 * its key's admissions in the window ending at t — those at a with a + W > t, itself included —
 * number more than N. A window holding more than N admissions is exactly a window whose (N+1)-th
 * admission counts, so the count is 0 if and only if no window of length W ever held more than N.
 * The expiry test `a + W > t` is sliding-log's own float expression, so an exact limiter reads 0.
 *
 * A stepping limit (`keys.limit.steps`) applies the limit in force at t, and each period starts
 * empty as the limiter's does. With `weights` (a tokens limit) the admissions' weights in the window
 * are summed instead of counted. `times` and `keys` are the admission log, in time order. One pass
 * per key with two pointers: O(admissions) after a counting sort by key (two typed arrays, no
 * allocation per admission).
 */
export function quotaViolations(
  times: ArrayLike<number>,
  keys: ArrayLike<number>,
  keyCount: number,
  limit: Rate | undefined,
  steps?: readonly QuotaStep[],
  /** Each admission's weight (tokens); absent: each counts 1 and the limit is a count of admissions. */
  weights?: ArrayLike<number>,
): number {
  const n = times.length;
  if (!limit || n === 0 || keyCount <= 0) return 0;
  // Admissions grouped by key, each group still in time order: their times (and weights) copied
  // into the groups, so the window's two pointers read one array each, not through an index.
  const start = new Int32Array(keyCount + 1);
  for (let i = 0; i < n; i++) start[keys[i]! + 1]!++;
  for (let k = 0; k < keyCount; k++) start[k + 1]! += start[k]!;
  const at = new Float64Array(n);
  const weight = weights ? new Float64Array(n) : undefined;
  const fill = start.slice(0, keyCount);
  for (let i = 0; i < n; i++) {
    const j = fill[keys[i]!]!++;
    at[j] = times[i]!;
    if (weight) weight[j] = weights![i]!;
  }
  const starts = steps?.map((s) => s.atMs) ?? [];
  const rates = [limit, ...(steps?.map((s) => s.requests) ?? [])];
  let violations = 0;
  if (!weight && starts.length === 0) {
    // One limit, each admission counting 1: the window holds j − lo + 1 admissions.
    const windowMs = limit.windowMs;
    const most = limit.count;
    for (let k = 0; k < keyCount; k++) {
      let lo = start[k]!;
      for (let j = lo; j < start[k + 1]!; j++) {
        const t = at[j]!;
        while (lo < j && at[lo]! + windowMs <= t) lo++;
        if (j - lo + 1 > most) violations++;
      }
    }
    return violations;
  }
  for (let k = 0; k < keyCount; k++) {
    let lo = start[k]!;
    let period = 0;
    let from = -Infinity;
    let r = rates[0]!;
    let windowMs = r.windowMs;
    // The weight of the admissions in [lo, j]: added as j enters, taken off as lo leaves.
    let held = 0;
    for (let j = start[k]!; j < start[k + 1]!; j++) {
      const t = at[j]!;
      if (period < starts.length && starts[period]! <= t) {
        while (period < starts.length && starts[period]! <= t) period++;
        from = starts[period - 1]!;
        r = rates[period]!;
        windowMs = r.windowMs;
      }
      held += weight ? weight[j]! : 1;
      while (lo < j && (at[lo]! + windowMs <= t || at[lo]! < from)) {
        held -= weight ? weight[lo]! : 1;
        lo++;
      }
      // An admission that weighs nothing (its charge given back) adds nothing and is never the one beyond.
      if (held > r.count && (!weight || weight[j]! > 0)) violations++;
    }
  }
  return violations;
}

/**
 * Admissions beyond a key's own tokens limit (T per W): an admission at t counts when the tokens of
 * its key's admissions in the window ending at t, itself included, come to more than T — each
 * admission weighing what the key's limiter stays charged with for it, at its admission (the
 * dispatcher logs it when the attempt ends): with `charge: reserve` (the default) what the answer
 * used, or the whole reservation after a 429 (the provider counted the request); with `prompt`
 * the prompt. With `charge: actual` the limiter counts what was used when the answer ends, not at
 * admission: 0 (not measured).
 */
export function tokenViolations(rec: Recorder, keyCount: number, limit: { tokens?: Rate | undefined; charge?: Charge | undefined } | undefined): number {
  const t = rec.tokens;
  if (!t || !limit?.tokens || (limit.charge ?? 'reserve') === 'actual') return 0;
  const at = t.usedAt.view();
  const no = t.usedAdmission.view();
  const tokens0 = t.usedTokens.view();
  // Each entry knows its admission's ordinal: its weight goes to that admission, read in the admission
  // log's own (time) order — no sort (a comparator sort of a million entries took ~190 ms).
  if (no.every((x) => x >= 0)) {
    const weights = new Float64Array(rec.admissionAt.length);
    for (let i = 0; i < no.length; i++) weights[no[i]!]! += tokens0[i]!;
    return quotaViolations(rec.admissionAt.view(), rec.admissionKey.view(), keyCount, limit.tokens, undefined, weights);
  }
  const order = Int32Array.from({ length: at.length }, (_, i) => i).sort((a, b) => at[a]! - at[b]! || a - b);
  const keys = t.usedKey.view();
  const tokens = t.usedTokens.view();
  const times = new Float64Array(order.length);
  const byKey = new Int32Array(order.length);
  const weights = new Float64Array(order.length);
  order.forEach((i, j) => {
    times[j] = at[i]!;
    byKey[j] = keys[i]!;
    weights[j] = tokens[i]!;
  });
  return quotaViolations(times, byKey, keyCount, limit.tokens, undefined, weights);
}
