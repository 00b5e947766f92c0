import { Outcome } from '../core/outcome.js';
import type { Slo } from '../scenario/types.js';
import type { Recorder } from './recorder.js';
import { round } from './stats.js';

/** Goodput and SLO attainment of a run (see goodput). */
export interface Goodput {
  goodputPerS: number | null;
  sloAttainment: number | null;
}

/**
 * Goodput as DistServe defines it: requests per second (over the run's total time, as throughput)
 * that succeeded and met every SLO — latency from arrival to answer ≤ `slo.latency`, time to first
 * token ≤ `slo.ttft` and time per output token ≤ `slo.tpot`. A bound on TTFT or TPOT applies to the
 * requests where it was measured (requests with sizes; a real answer that did not stream has no
 * TTFT). SLO attainment: the share of all requests that succeeded and met every SLO. Without SLOs
 * every success counts: goodput is the throughput of successes. One pass over the recorder's columns.
 */
export function goodput(rec: Recorder, slo: Slo | undefined, totalTimeMs: number, okCount?: number): Goodput {
  const n = rec.finished;
  // No bound at all: every success counts, and a caller that has counted them saves the pass.
  if (okCount !== undefined && slo?.latencyMs === undefined && slo?.ttftMs === undefined && slo?.tpotMs === undefined) return rates(okCount, n, totalTimeMs);
  const lat = slo?.latencyMs ?? Infinity;
  const t = rec.tokens;
  const ttft = t && slo?.ttftMs !== undefined ? t.ttft : undefined;
  const tpot = t && slo?.tpotMs !== undefined ? t.tpot : undefined;
  const ttftMax = slo?.ttftMs ?? Infinity;
  const tpotMax = slo?.tpotMs ?? Infinity;
  let good = 0;
  for (let i = 0; i < n; i++) {
    if (rec.outcome[i] !== Outcome.ok) continue;
    if (rec.end[i]! - rec.arrival[i]! > lat) continue;
    // NaN (not measured) fails neither comparison: the bound does not apply.
    if (ttft && ttft[i]! > ttftMax) continue;
    if (tpot && tpot[i]! > tpotMax) continue;
    good++;
  }
  return rates(good, n, totalTimeMs);
}

function rates(good: number, n: number, totalTimeMs: number): Goodput {
  return {
    goodputPerS: totalTimeMs > 0 ? round((good * 1000) / totalTimeMs, 4) : null,
    sloAttainment: n > 0 ? round(good / n, 6) : null,
  };
}
