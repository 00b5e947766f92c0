import type { HealthChange } from '../balancers/health.js';
import type { ProviderStats } from '../providers/port.js';
import type { Recorder } from './recorder.js';
import type { BalanceMetrics, ProviderMetrics, ProviderSeries } from './results.js';
import { round } from './stats.js';

/** Per-provider figures and the balance of the run, from the attempt log and health facts. */
export function providerMetrics(
  names: readonly string[],
  stats: readonly ProviderStats[],
  unhealthyMs: readonly number[],
  checks: readonly number[],
  remaps: { atMs: number; fraction: number }[] | undefined,
): { providers: Record<string, ProviderMetrics>; balance: BalanceMetrics } {
  const total = stats.reduce((a, s) => a + s.requests, 0);
  const providers: Record<string, ProviderMetrics> = {};
  let maxShare = 0;
  names.forEach((name, p) => {
    const s = stats[p]!;
    const share = total > 0 ? s.requests / total : null;
    if (share !== null && share > maxShare) maxShare = share;
    providers[name] = {
      requests: s.requests,
      share: share === null ? null : round(share, 6),
      ok: s.ok,
      failed: s.failed,
      rateLimited: s.rateLimited,
      busyPeak: s.busyPeak,
      queuePeak: s.queuePeak,
      unhealthyMs: round(unhealthyMs[p]!)!,
      checks: checks[p]!,
    };
  });
  return {
    providers,
    balance: {
      imbalance: total > 0 ? round(maxShare * names.length, 6) : null,
      remaps: (remaps ?? []).map((r) => ({ atMs: round(r.atMs)!, fraction: round(r.fraction, 6)! })),
    },
  };
}

/** Spreads [from, to) over buckets of `width` into `acc` (time covered per bucket, ms). */
function spread(acc: Float64Array, from: number, to: number, width: number): void {
  const last = acc.length - 1;
  let b = Math.min(last, Math.floor(from / width));
  let t = from;
  while (t < to && b <= last) {
    const edge = b === last ? Infinity : (b + 1) * width;
    const upto = to < edge ? to : edge;
    acc[b]! += upto - t;
    t = upto;
    b++;
  }
}

/** Attempts in flight and health per provider over time, on the run's buckets. */
export function providerSeries(
  rec: Recorder,
  names: readonly string[],
  changes: readonly HealthChange[],
  bucketMs: number,
  buckets: number,
  endMs: number,
): Record<string, ProviderSeries> {
  const busy = names.map(() => new Float64Array(buckets));
  const down = names.map(() => new Float64Array(buckets));
  const starts = rec.attemptStart.view();
  const ends = rec.attemptEnd.view();
  const prov = rec.attemptProvider.view();
  for (let i = 0; i < starts.length; i++) if (prov[i]! >= 0) spread(busy[prov[i]!]!, starts[i]!, ends[i]!, bucketMs);
  const downSince = names.map(() => -1);
  for (const c of changes) {
    if (c.atMs > endMs) break;
    if (!c.healthy) downSince[c.provider] = c.atMs;
    else if (downSince[c.provider]! >= 0) {
      spread(down[c.provider]!, downSince[c.provider]!, c.atMs, bucketMs);
      downSince[c.provider] = -1;
    }
  }
  downSince.forEach((since, p) => since >= 0 && spread(down[p]!, since, endMs, bucketMs));
  const out: Record<string, ProviderSeries> = {};
  names.forEach((name, p) => {
    out[name] = {
      inFlight: Array.from(busy[p]!, (ms) => round(ms / bucketMs, 4)!),
      healthy: Array.from(down[p]!, (ms) => round(1 - ms / bucketMs, 4)!),
    };
  });
  return out;
}
