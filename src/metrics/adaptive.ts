import type { Rate } from '../core/units.js';
import { rateAt, type QuotaStep } from '../limiters/stepped.js';
import type { Tenant } from '../providers/spec.js';
import type { AdaptiveMetrics, AdaptiveSeries } from './results.js';
import { round } from './stats.js';

const MINUTE_MS = 60_000;
/** Believed within this share of the true rate counts as converged. */
export const CONVERGED_WITHIN = 0.1;

/** The provider's quota as it really is at each moment: its steps, and other tenants' share of an organisation's. */
export interface TrueQuota {
  limit: Rate;
  steps?: readonly QuotaStep[];
  tenants?: readonly Tenant[];
  /** `all`: one quota for the organisation (our keys together); absent: one per key. */
  scope?: 'all';
  /** Our keys (a per-key quota allows them this many times its rate together). */
  keys: number;
}

/** What the key pool believed: a learning limiter's log of changes, or a fixed limit it was told. */
export type Belief =
  | { kind: 'learnt'; at: Float64Array; key: Int32Array; perMin: Float64Array }
  | { kind: 'told'; limit: Rate; steps?: readonly QuotaStep[] };

/** What a run hands over for the believed-versus-true figures. */
export interface AdaptiveFacts {
  truth: TrueQuota;
  belief: Belief | undefined;
  /** Requests a learning limiter rejected locally (sre-throttle). */
  localRejects: number | undefined;
}

/** The rate our keys may send together at `t`, per minute: the quota's, less what other tenants take. */
export function truePerMin(q: TrueQuota, t: number): number {
  const r = rateAt(q.limit, q.steps, t);
  let perMin = (r.count * MINUTE_MS) / r.windowMs;
  if (q.scope === 'all') {
    for (const x of q.tenants ?? []) if (t >= x.fromMs && t < x.toMs) perMin -= x.perMs * MINUTE_MS;
  } else perMin *= q.keys;
  return perMin > 0 ? perMin : 0;
}

/** The moments the true rate changes (the start included), in order. */
function changesOf(q: TrueQuota, endMs: number): number[] {
  const at = new Set<number>([0]);
  for (const s of q.steps ?? []) at.add(s.atMs);
  if (q.scope === 'all') for (const x of q.tenants ?? []) [x.fromMs, x.toMs].forEach((t) => at.add(t));
  return [...at].filter((t) => t < endMs).sort((a, b) => a - b);
}

/** A step function of time: values[i] holds from times[i] until times[i + 1] (NaN: nothing believed). */
interface Steps {
  times: number[];
  values: number[];
}

/** One key's believed rate as a step function from 0. */
function believedOf(b: Belief, key: number, endMs: number): Steps {
  if (b.kind === 'told') return believedTotal(b, 1, endMs);
  const times = [0];
  const values = [NaN];
  for (let i = 0; i < b.at.length; i++) {
    if (b.key[i] !== key) continue;
    if (b.at[i] === times[times.length - 1]) values[values.length - 1] = b.perMin[i]!;
    else {
      times.push(b.at[i]!);
      values.push(b.perMin[i]!);
    }
  }
  return { times, values };
}

/** The keys' believed rates added up, as a step function from 0 (a key that believes nothing yet makes the sum NaN). */
function believedTotal(b: Belief, keys: number, endMs: number): Steps {
  if (b.kind === 'told') {
    const times = [0, ...(b.steps ?? []).map((s) => s.atMs).filter((t) => t < endMs)];
    return { times, values: times.map((t) => { const r = rateAt(b.limit, b.steps, t); return (r.count * MINUTE_MS * keys) / r.windowMs; }) };
  }
  const each = new Float64Array(keys).fill(NaN);
  const times = [0];
  const values = [NaN];
  for (let i = 0; i < b.at.length; i++) {
    each[b.key[i]!] = b.perMin[i]!;
    let sum = 0;
    for (let k = 0; k < keys; k++) sum += each[k]!;
    const t = b.at[i]!;
    if (t === times[times.length - 1]) values[values.length - 1] = sum;
    else {
      times.push(t);
      values.push(sum);
    }
  }
  return { times, values };
}

/** Time-weighted mean of a step function over each bucket [b·w, (b + 1)·w) ∩ [0, end) (null: nothing known there). */
function perBucket(f: Steps, bucketMs: number, buckets: number, endMs: number): (number | null)[] {
  const sum = new Float64Array(buckets);
  const span = new Float64Array(buckets);
  for (let i = 0; i < f.times.length; i++) {
    const v = f.values[i]!;
    if (v !== v) continue;
    let from = f.times[i]!;
    const to = Math.min(i + 1 < f.times.length ? f.times[i + 1]! : endMs, endMs);
    while (from < to) {
      const b = Math.min(buckets - 1, Math.floor(from / bucketMs));
      const edge = b === buckets - 1 ? to : Math.min(to, (b + 1) * bucketMs);
      sum[b]! += v * (edge - from);
      span[b]! += edge - from;
      from = edge;
    }
  }
  return Array.from(sum, (s, b) => (span[b]! > 0 ? round(s / span[b]!, 1) : null));
}

/**
 * After each change of the true rate: how long until the believed total came within 10% of it
 * and stayed there for a whole window of the quota (null: not before the next change or the end);
 * and the longest stretch the believed total spent above the true rate.
 */
function convergence(f: Steps, q: TrueQuota, endMs: number): Pick<AdaptiveMetrics, 'changes' | 'longestAboveMs'> {
  const windowMs = q.limit.windowMs;
  const cuts = changesOf(q, endMs);
  // The two step functions merged: on each piece both are constant.
  const edges = [...new Set([...cuts, ...f.times.filter((t) => t < endMs), endMs])].sort((a, b) => a - b);
  let j = 0;
  const pieces = edges.slice(0, -1).map((from, i) => {
    while (j + 1 < f.times.length && f.times[j + 1]! <= from) j++;
    const believed = f.times[j]! <= from ? f.values[j]! : NaN;
    return { from, to: edges[i + 1]!, believed, truth: truePerMin(q, from) };
  });
  let longest = 0;
  let run = 0;
  for (const p of pieces) {
    run = p.believed > p.truth ? run + (p.to - p.from) : 0;
    if (run > longest) longest = run;
  }
  const changes = cuts.map((c, i) => {
    const until = i + 1 < cuts.length ? cuts[i + 1]! : endMs;
    const truth = truePerMin(q, c);
    let start = NaN;
    let converged: number | null = null;
    for (const p of pieces) {
      if (p.from < c || p.from >= until) continue;
      const within = Math.abs(p.believed - truth) <= CONVERGED_WITHIN * truth;
      if (!within) {
        start = NaN;
        continue;
      }
      if (start !== start) start = p.from;
      if (Math.min(p.to, until) - start >= windowMs) {
        converged = start - c;
        break;
      }
    }
    return { atMs: round(c)!, truePerMin: round(truth, 1)!, convergedAfterMs: converged === null ? null : round(converged)! };
  });
  return { changes, longestAboveMs: round(longest)! };
}

/** The believed-versus-true figures of a run, and their series on the run's buckets. */
export function adaptiveResult(a: AdaptiveFacts, keyNames: readonly string[], endMs: number, bucketMs: number, buckets: number): { metrics: AdaptiveMetrics; series: AdaptiveSeries } {
  const truth: Steps = { times: changesOf(a.truth, endMs), values: [] };
  truth.values = truth.times.map((t) => truePerMin(a.truth, t));
  const total = a.belief ? believedTotal(a.belief, a.truth.keys, endMs) : undefined;
  const metrics: AdaptiveMetrics = {
    windowMs: a.truth.limit.windowMs,
    learns: a.belief?.kind === 'learnt',
    ...(total ? convergence(total, a.truth, endMs) : { changes: [], longestAboveMs: null }),
    ...(a.localRejects !== undefined ? { localRejects: a.localRejects } : {}),
  };
  return {
    metrics,
    series: {
      truePerMin: perBucket(truth, bucketMs, buckets, endMs).map((v) => v ?? 0),
      believedPerMin: total ? perBucket(total, bucketMs, buckets, endMs) : new Array<null>(buckets).fill(null),
      byKey: Object.fromEntries(keyNames.map((k, i) => [k, a.belief ? perBucket(believedOf(a.belief, i, endMs), bucketMs, buckets, endMs) : new Array<null>(buckets).fill(null)])),
    },
  };
}
