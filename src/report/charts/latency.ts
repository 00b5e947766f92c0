import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { palette, type Palette } from '../vega.js';
import { cdfChart } from './parts.js';

/** Latency distribution per variant: share of successful requests done within x (log x). Left out when every variant's latency is one value. */
export function latencyCdfChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  return cdfChart(run, pal, (v) => v.latencyCdf ?? [], {
    title: 'How long successful requests took',
    subtitle: 'Share of successful requests finished within a time after they arrived',
    field: 'latencyS',
    xTitle: 'latency from arrival to success (s, log scale)',
    yTitle: 'finished within (%)',
    tip: 'latency (s)',
    within: 'finished within (%)',
  });
}
