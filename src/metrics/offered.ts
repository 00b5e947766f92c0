import { Outcome } from '../core/outcome.js';
import type { Recorder } from './recorder.js';
import type { OfferedMetrics, OfferedSeries, PerMinute, SizeStats, WorstWait } from './results.js';
import { quantiles, rankIndex, round, selectInPlace } from './stats.js';

/**
 * What the workload offered, whatever became of it (a trace's rows or a synthetic workload's
 * draws alike): its arrivals and sizes, their rates per minute, and against them what the keys
 * admitted, what was refused with a 429, and how long requests waited for a key — with the burst
 * that decided the longest wait. All of it is read after the run from the recorder's columns
 * (arrival, key wait, sizes, the attempt log); nothing is kept per event for it.
 */

const MINUTE = 60_000;

/**
 * Requests 0..n−1 in order of arrival: null when their ids already are (an open workload numbers
 * them as they arrive), else their ids sorted by arrival, ties by id.
 */
export function arrivalOrder(arrival: Float64Array, n: number): Int32Array | null {
  for (let i = 1; i < n; i++) {
    if (arrival[i]! >= arrival[i - 1]!) continue;
    const order = new Int32Array(n);
    for (let j = 0; j < n; j++) order[j] = j;
    return order.sort((a, b) => arrival[a]! - arrival[b]! || a - b);
  }
  return null;
}

const perMinute = (mean: number | null, peak: number): PerMinute => ({ mean: mean === null ? null : round(mean), peak });

/** Above this largest size, percentiles are selected from the values rather than counted (the histogram would outgrow them). */
const COUNTED_MAX = 1 << 20;

/**
 * Nearest-rank p50/p90/p99 and the largest of `n` sizes. Sizes are whole tokens: a histogram up to
 * the largest counts them exactly in O(n + max), where a selection over doubles that share their
 * top bits (small integers do) costs ten times as much.
 */
function sizeStats(values: Int32Array, n: number): SizeStats {
  if (n === 0) return { p50: null, p90: null, p99: null, max: null };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const ps = [50, 90, 99];
  let at: number[];
  if (min >= 0 && max <= COUNTED_MAX) {
    const counts = new Uint32Array(max + 1);
    for (let i = 0; i < n; i++) counts[values[i]!]!++;
    at = ps.map((p) => {
      const k = rankIndex(n, p);
      let v = 0;
      for (let seen = counts[0]!; seen <= k; seen += counts[++v]!);
      return v;
    });
  } else {
    const copy = new Float64Array(n);
    copy.set(values.subarray(0, n));
    at = quantiles(copy, ps).at;
  }
  return { p50: at[0]!, p90: at[1]!, p99: at[2]!, max };
}

/**
 * The workload's own statistics: requests, the time from the first arrival to the last, arrivals
 * and tokens per minute (mean, and the peak of one whole minute of the run: [k, k + 1) minutes
 * from its start), and with sizes the percentiles of prompt and output tokens. The mean rate is
 * (requests − 1) ÷ duration (exact for evenly spaced arrivals; null under two distinct arrival
 * times); a mean in tokens is that rate times the mean size.
 */
export function offeredMetrics(rec: Recorder, order: Int32Array | null = arrivalOrder(rec.arrival, rec.finished)): OfferedMetrics {
  const n = rec.finished;
  const arrival = rec.arrival;
  const t = rec.tokens;
  const prompt = t?.prompt;
  const output = t?.offeredOutput;
  // This minute's requests, prompt and output tokens, and the peaks of requests, prompt, output and
  // both: typed arrays, not captured lets, as the loop may run ten million times.
  const cur = new Float64Array(3);
  const peak = new Float64Array(4);
  let minute = NaN;
  let sumP = 0;
  let sumO = 0;
  for (let k = 0; k <= n; k++) {
    const i = k < n ? (order ? order[k]! : k) : -1;
    const m = i < 0 ? NaN : Math.floor(arrival[i]! / MINUTE);
    if (m !== minute) {
      peak[0] = Math.max(peak[0]!, cur[0]!);
      peak[1] = Math.max(peak[1]!, cur[1]!);
      peak[2] = Math.max(peak[2]!, cur[2]!);
      peak[3] = Math.max(peak[3]!, cur[1]! + cur[2]!);
      cur.fill(0);
      minute = m;
    }
    if (i < 0) break;
    cur[0]!++;
    if (prompt && output) {
      cur[1]! += prompt[i]!;
      cur[2]! += output[i]!;
      sumP += prompt[i]!;
      sumO += output[i]!;
    }
  }
  const first = n > 0 ? arrival[order ? order[0]! : 0]! : NaN;
  const last = n > 0 ? arrival[order ? order[n - 1]! : n - 1]! : NaN;
  const duration = last - first;
  const rate = duration > 0 ? ((n - 1) * MINUTE) / duration : null;
  const out: OfferedMetrics = { requests: n, durationMs: n > 0 ? round(duration) : null, requestsPerMin: perMinute(rate, peak[0]!) };
  if (t) {
    const times = (sum: number): number | null => (rate === null || n === 0 ? null : (rate * sum) / n);
    out.tokensPerMin = { prompt: perMinute(times(sumP), peak[1]!), output: perMinute(times(sumO), peak[2]!), total: perMinute(times(sumP + sumO), peak[3]!) };
    out.sizes = { prompt: sizeStats(t.prompt, n), output: sizeStats(t.offeredOutput, n) };
  }
  return out;
}

/**
 * The request that waited longest for a key (the first to arrive among equals), and the burst it
 * queued behind. A request waits from its arrival to its arrival plus its key wait (its admission,
 * when its first attempt was admitted, or when it gave up waiting; a retried request's later waits count as if they came at
 * once). A busy period is a maximal stretch in which some request was waiting: a request arriving
 * while another still waited, or at the instant one was admitted, belongs to that one's period.
 * The burst runs from the start of the busy period holding the worst wait to that request's
 * admission; its requests and tokens are the arrivals from the period's start up to and including
 * that request (the ones it could queue behind). Absent when no request waited.
 */
export function worstWait(rec: Recorder, order: Int32Array | null = arrivalOrder(rec.arrival, rec.finished)): WorstWait | undefined {
  const n = rec.finished;
  const arrival = rec.arrival;
  const wait = rec.keyWait;
  const t = rec.tokens;
  let worst = -1;
  let longest = 0;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k]! : k;
    if (wait[i]! > longest) {
      longest = wait[i]!;
      worst = i;
    }
  }
  if (worst < 0) return undefined;
  let start = NaN;
  let end = -Infinity;
  let requests = 0;
  let tokens = 0;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k]! : k;
    const a = arrival[i]!;
    if (a > end) {
      start = a;
      end = a;
      requests = 0;
      tokens = 0;
    }
    if (a + wait[i]! > end) end = a + wait[i]!;
    requests++;
    if (t) tokens += t.prompt[i]! + t.offeredOutput[i]!;
    if (i === worst) break;
  }
  const at = arrival[worst]!;
  const span = at - start;
  return {
    waitMs: round(longest)!,
    arrivalMs: round(at)!,
    admittedMs: round(at + longest)!,
    burst: {
      fromMs: round(start)!,
      toMs: round(at + longest)!,
      requests,
      ...(t ? { tokens } : {}),
      requestsPerMin: span > 0 ? round(((requests - 1) * MINUTE) / span) : null,
    },
  };
}

/**
 * Per bucket of `bucketMs` (the run's series' buckets): requests and tokens offered (by arrival),
 * attempts admitted by a key and not refused, and attempts refused with a 429 (both by when they
 * were admitted; a retry counts again), and the p99 and largest key wait of the requests arriving
 * in each bucket (null: none arrived). Tokens are prompt + output asked, with sizes only.
 * `arrivalBucket`: each request's arrival bucket on these buckets, as series() fills it (absent:
 * computed here).
 */
export function offeredSeries(rec: Recorder, bucketMs: number, buckets: number, arrivalBucket?: Int32Array): OfferedSeries {
  const n = rec.finished;
  const last = buckets - 1;
  const t = rec.tokens;
  const prompt = t?.prompt;
  const asked = t?.offeredOutput;
  const arrival = rec.arrival;
  const keyWait = rec.keyWait;
  const offered = new Float64Array(buckets);
  const admitted = new Float64Array(buckets);
  const refused = new Float64Array(buckets);
  const offeredT = new Float64Array(buckets);
  const admittedT = new Float64Array(buckets);
  const refusedT = new Float64Array(buckets);
  // Each request's arrival bucket (the series' when it computed them), kept for the grouping
  // below; with it each bucket's smallest and largest wait (the largest in request order, as a
  // scan of the bucket's group would find it).
  const known = arrivalBucket !== undefined;
  const bucketOf = arrivalBucket ?? new Int32Array(n);
  const start = new Int32Array(buckets + 1);
  const low = new Float64Array(buckets).fill(Infinity);
  const high = new Float64Array(buckets).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    let b: number;
    if (known) b = bucketOf[i]!;
    else {
      b = Math.floor(arrival[i]! / bucketMs);
      if (b > last) b = last;
      if (b < 0) b = 0;
      bucketOf[i] = b;
    }
    offered[b]!++;
    offeredT[b]! += prompt && asked ? prompt[i]! + asked[i]! : 0;
    start[b + 1]!++;
    const w = keyWait[i]!;
    if (w < low[b]!) low[b] = w;
    if (w > high[b]!) high[b] = w;
  }
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  // Waits grouped by arrival bucket (a counting sort), so each bucket's p99 is a selection of its
  // own — only for buckets whose waits differ: where every wait is the same (no request waited,
  // most often), that one value is every percentile.
  let spread = 0;
  for (let b = 0; b < buckets; b++) if (start[b] !== start[b + 1] && low[b] !== high[b]) spread += start[b + 1]! - start[b]!;
  const grouped = new Float64Array(spread);
  const fill = new Int32Array(buckets).fill(-1);
  for (let b = 0, at = 0; b < buckets; b++) {
    if (start[b] === start[b + 1] || low[b] === high[b]) continue;
    fill[b] = at;
    at += start[b + 1]! - start[b]!;
  }
  const from = fill.slice();
  if (spread > 0) for (let i = 0; i < n; i++) if (fill[bucketOf[i]!]! >= 0) grouped[fill[bucketOf[i]!]!++] = keyWait[i]!;
  const p99: (number | null)[] = [];
  const max: (number | null)[] = [];
  for (let b = 0; b < buckets; b++) {
    const count = start[b + 1]! - start[b]!;
    if (count === 0) {
      p99.push(null);
      max.push(null);
      continue;
    }
    max.push(round(high[b]!));
    if (from[b]! < 0) p99.push(round(high[b]!));
    // The grouping is this function's own scratch: each bucket's p99 is selected in place, no copy.
    else p99.push(round(selectInPlace(grouped.subarray(from[b]!, from[b]! + count), rankIndex(count, 99))));
  }
  const sent = rec.attemptStart.view();
  const outcome = rec.attemptOutcome.view();
  const request = rec.attemptRequest.view();
  for (let j = 0; j < sent.length; j++) {
    let b = Math.floor(sent[j]! / bucketMs);
    if (b > last) b = last;
    if (b < 0) b = 0;
    const r = request[j]!;
    const size = prompt && asked && r >= 0 ? prompt[r]! + asked[r]! : 0;
    if (outcome[j] === Outcome.rateLimited) {
      refused[b]!++;
      refusedT[b]! += size;
    } else {
      admitted[b]!++;
      admittedT[b]! += size;
    }
  }
  const list = (a: Float64Array): number[] => Array.from(a);
  const out: OfferedSeries = { requests: { offered: list(offered), admitted: list(admitted), refused: list(refused) }, keyWaitMs: { p99, max } };
  if (t) out.tokens = { offered: list(offeredT), admitted: list(admittedT), refused: list(refusedT) };
  return out;
}
