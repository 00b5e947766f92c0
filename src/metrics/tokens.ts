import { Outcome, dimensionNames } from '../core/outcome.js';
import type { Rate } from '../core/units.js';
import { QUOTA_FIELDS, type Recorder, type TokenFacts } from './recorder.js';
import type { TimingStats, TokenMetrics, TokenSeries, ReportedQuota } from './results.js';
import { mean, quantiles, rankIndex, round, sortInPlace, weightedQuantiles } from './stats.js';

/**
 * The token figures of a run whose requests have sizes (`workload.tokens`), the same in both
 * modes: tokens in and out of successful requests and per second, time to first token, time per
 * output token and inter-token latency of streamed answers, the providers' 429s by quota, tokens
 * reserved and not used, and what each key's provider says is left of its quotas.
 */
export function tokenMetrics(rec: Recorder, t: TokenFacts, keyNames: readonly string[], totalTimeMs: number, ttft = ttftSorted(rec, t)): TokenMetrics {
  let prompt = 0;
  let output = 0;
  for (let i = 0; i < rec.finished; i++) {
    if (rec.outcome[i] !== Outcome.ok) continue;
    prompt += t.prompt[i]!;
    output += t.output[i]!;
  }
  const perS = (n: number): number | null => (totalTimeMs > 0 ? round((n * 1000) / totalTimeMs, 3) : null);
  const limitedBy = { requests: 0, tokens: 0, concurrent: 0 };
  dimensionNames.forEach((d, i) => (limitedBy[d] = t.limitedBy[i]!));
  const reported: Record<string, ReportedQuota> = {};
  keyNames.forEach((k, i) => {
    const q = t.quota.subarray(i * QUOTA_FIELDS, (i + 1) * QUOTA_FIELDS);
    if (q.every((v) => Number.isNaN(v))) return;
    const v = (j: number): number | null => round(q[j]!);
    reported[k] = {
      limitRequests: v(0), remainingRequests: v(1), resetRequestsMs: v(2),
      limitTokens: v(3), remainingTokens: v(4), resetTokensMs: v(5),
    };
  });
  return {
    tokens: { prompt, output, reservedUnused: t.reservedUnused, perS: { prompt: perS(prompt), output: perS(output), total: perS(prompt + output) } },
    ttftMs: timing(ttft),
    tpotMs: selected(known(t.tpot, rec)),
    itlMs: weightedTiming(t.gapMs.view(), t.gapCount.view()),
    rateLimitedBy: limitedBy,
    ...(Object.keys(reported).length > 0 ? { reportedQuota: reported } : {}),
  };
}

/** The values a successful request has (NaN: not measured, such as an answer that did not stream), in finishing order. */
function known(values: Float64Array, rec: Recorder): Float64Array {
  let n = 0;
  for (let i = 0; i < rec.finished; i++) if (rec.outcome[i] === Outcome.ok && values[i] === values[i]) n++;
  const out = new Float64Array(n);
  for (let i = 0, j = 0; i < rec.finished; i++) if (rec.outcome[i] === Outcome.ok && values[i] === values[i]) out[j++] = values[i]!;
  return out;
}

/** The times to first token of successful streamed answers, sorted once for both their statistics and their CDF. */
export function ttftSorted(rec: Recorder, t: TokenFacts): Float64Array {
  return sortInPlace(known(t.ttft, rec));
}

function timing(sorted: Float64Array): TimingStats {
  const n = sorted.length;
  const at = (p: number): number | null => (n === 0 ? null : round(sorted[rankIndex(n, p)]!));
  return { mean: round(mean(sorted)), p50: at(50), p90: at(90), p99: at(99) };
}

/** The same statistics by selection, for values no CDF needs sorted. */
function selected(values: Float64Array): TimingStats {
  if (values.length === 0) return { mean: null, p50: null, p90: null, p99: null };
  const [p50, p90, p99] = quantiles(values, [50, 90, 99]).at.map((v) => round(v));
  return { mean: round(mean(values)), p50: p50!, p90: p90!, p99: p99! };
}

/** Statistics of values each standing for `count` gaps (a simulated answer's gaps are all its tpot). */
function weightedTiming(values: Float64Array, counts: Float64Array): TimingStats {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    total += counts[i]!;
    sum += values[i]! * counts[i]!;
  }
  if (total === 0) return { mean: null, p50: null, p90: null, p99: null };
  const [p50, p90, p99] = weightedQuantiles(values, counts, [50, 90, 99]).map((v) => round(v));
  return { mean: round(sum / total), p50: p50!, p90: p90!, p99: p99! };
}

/**
 * Token series per bucket of `t`: prompt and output tokens of the requests that succeeded in it
 * (per second), and — with a tokens quota — each key's tokens used in the quota's trailing window
 * at each bucket's end, beside the limit.
 */
export function tokenSeries(rec: Recorder, t: TokenFacts, keyNames: readonly string[], bucketMs: number, buckets: number, quota: Rate | undefined): TokenSeries {
  const prompt = new Float64Array(buckets);
  const output = new Float64Array(buckets);
  const at = (time: number): number => Math.min(buckets - 1, Math.floor(time / bucketMs));
  for (let i = 0; i < rec.finished; i++) {
    if (rec.outcome[i] !== Outcome.ok) continue;
    const b = at(rec.end[i]!);
    prompt[b]! += t.prompt[i]!;
    output[b]! += t.output[i]!;
  }
  const perS = (a: Float64Array): number[] => Array.from(a, (n) => round((n * 1000) / bucketMs)!);
  const out: TokenSeries = { promptPerS: perS(prompt), outputPerS: perS(output) };
  if (quota) out.keyWindow = keyWindows(t, keyNames, bucketMs, buckets, quota);
  return out;
}

/**
 * Each key's tokens in the trailing `quota.windowMs` at each bucket's end, by admission time (as a
 * provider's window counts them): entries go to their bucket (a counting sort, admissions being
 * out of order), whole buckets inside a window add by prefix sums, and only the bucket the window
 * starts in is scanned entry by entry — exact, O(entries + buckets × keys).
 */
function keyWindows(t: TokenFacts, keyNames: readonly string[], bucketMs: number, buckets: number, quota: Rate): NonNullable<TokenSeries['keyWindow']> {
  const at = t.usedAt.view();
  const key = t.usedKey.view();
  const used = t.usedTokens.view();
  const keys = keyNames.length;
  const bucketOf = (time: number): number => Math.min(buckets - 1, Math.floor(time / bucketMs));
  // Counting sort of the entries by bucket; prefix[(b + 1) * keys + k] = key k's tokens in buckets < b + 1.
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < at.length; i++) start[bucketOf(at[i]!) + 1]!++;
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const order = new Int32Array(at.length);
  const fill = start.slice(0, buckets);
  for (let i = 0; i < at.length; i++) order[fill[bucketOf(at[i]!)]!++] = i;
  const prefix = new Float64Array((buckets + 1) * keys);
  for (let b = 0; b < buckets; b++) {
    for (let k = 0; k < keys; k++) prefix[(b + 1) * keys + k] = prefix[b * keys + k]!;
    for (let j = start[b]!; j < start[b + 1]!; j++) prefix[(b + 1) * keys + key[order[j]!]!]! += used[order[j]!]!;
  }
  const byKey = keyNames.map(() => new Array<number>(buckets).fill(0));
  const partial = new Float64Array(keys);
  for (let b = 0; b < buckets; b++) {
    const from = (b + 1) * bucketMs - quota.windowMs;
    // Buckets after the one the window starts in are whole; in that one, entries at or after `from` count.
    const c = from <= 0 ? -1 : Math.floor(from / bucketMs);
    partial.fill(0);
    if (c >= 0 && c <= b) {
      for (let j = start[c]!; j < start[c + 1]!; j++) if (at[order[j]!]! >= from) partial[key[order[j]!]!]! += used[order[j]!]!;
    }
    const first = Math.min(c + 1, b + 1);
    for (let k = 0; k < keys; k++) byKey[k]![b] = prefix[(b + 1) * keys + k]! - prefix[Math.max(0, first) * keys + k]! + partial[k]!;
  }
  return { windowMs: quota.windowMs, limit: quota.count, byKey: Object.fromEntries(keyNames.map((k, i) => [k, byKey[i]!])) };
}

/** Time-to-first-token distribution as [percentile, ms] pairs (the latency CDF's points); empty without streamed answers. */
export function ttftCdf(s: Float64Array, points: readonly number[]): [number, number][] {
  if (s.length === 0) return [];
  return points.map((p) => [p, round(s[rankIndex(s.length, p)]!)!]);
}
