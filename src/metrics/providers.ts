import type { HealthChange } from './facts.js';
import type { ProviderStats } from '../providers/port.js';
import type { Recorder } from './recorder.js';
import type { Fault } from '../scenario/types.js';
import type { BalanceMetrics, FaultMetrics, ProviderMetrics, ProviderSeries } from './results.js';
import { round } from './stats.js';

/** Per-provider figures and the balance of the run, from the attempt log and health facts. */
export function providerMetrics(
  names: readonly string[],
  stats: readonly ProviderStats[],
  unhealthyMs: readonly number[],
  checks: readonly number[],
  remaps: { atMs: number; fraction: number }[] | undefined,
  health?: { faults: readonly (readonly Fault[])[]; changes: readonly HealthChange[] },
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
    const faults = health?.faults[p] ?? [];
    if (faults.length) providers[name]!.faults = faults.map((f) => faultMetrics(f, health!.changes.filter((c) => c.provider === p)));
  });
  return {
    providers,
    balance: {
      imbalance: total > 0 ? round(maxShare * names.length, 6) : null,
      remaps: (remaps ?? []).map((r) => ({ atMs: round(r.atMs)!, fraction: round(r.fraction, 6)! })),
    },
  };
}

/** When the health rules noticed a fault (first unhealthy mark inside it) and its end (first healthy mark after it). */
export function faultMetrics(f: Fault, changes: readonly HealthChange[]): FaultMetrics {
  const end = f.atMs + f.forMs;
  const down = changes.find((c) => !c.healthy && c.atMs >= f.atMs && c.atMs < end);
  // Unhealthy at the fault's end: the last change at or before it marked the provider unhealthy.
  const before = changes.filter((c) => c.atMs <= end).at(-1);
  const back = before && !before.healthy ? changes.find((c) => c.healthy && c.atMs > end) : undefined;
  return {
    kind: f.kind,
    atMs: f.atMs,
    forMs: f.forMs,
    detectedAfterMs: down ? round(down.atMs - f.atMs)! : null,
    restoredAfterMs: back ? round(back.atMs - end)! : null,
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
  const last = buckets - 1;
  for (let i = 0; i < starts.length; i++) {
    const p = prov[i]!;
    if (p < 0) continue;
    const from = starts[i]!;
    const to = ends[i]!;
    const b = Math.floor(from / bucketMs);
    // Most attempts start and end in one bucket (not the last): spread's first step, inline.
    if (b < last && to < (b + 1) * bucketMs) {
      if (from < to) busy[p]![b]! += to - from;
    } else spread(busy[p]!, from, to, bucketMs);
  }
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
