import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { seconds } from '../vega.js';
import { allSame, BURST_LEGEND, burstLayers, burstRows, timeFacets } from './parts.js';

/** The key wait statistics drawn over time, each with its own colour and dash. */
export const KEY_WAIT_STATS: readonly { key: 'p99' | 'max'; label: string; color: string }[] = [
  { key: 'p99', label: 'p99 key wait', color: '#4c78a8' },
  { key: 'max', label: 'longest key wait', color: '#d1495b' },
];

/** Below this longest wait (ms) a run's requests did not queue for keys: same-instant hand-offs only. */
const WAITED_MS = 1;

/**
 * How long requests waited for a key (the concurrency gate included), by when they arrived: the
 * p99 and the longest of each bucket's arrivals, at each variant's own bucket width (a p99 does
 * not merge across buckets), a panel per variant, with the burst behind the longest wait shaded
 * (series.offered.keyWaitMs, metrics.worstWait). Only when some request waited at least a
 * millisecond, and not when every variant draws alike.
 */
export function keyWaitChart(run: RunResult): TopLevelSpec | null {
  if (!run.variants.some((v) => (v.metrics.worstWait?.waitMs ?? 0) >= WAITED_MS)) return null;
  const per = run.variants.map((v) => {
    const w = v.series.offered?.keyWaitMs;
    if (!w) return [];
    return KEY_WAIT_STATS.flatMap((s) =>
      w[s.key].flatMap((ms, b) => (ms === null ? [] : [{ stat: s.label, timeS: seconds(b * v.series.bucketMs), endS: seconds((b + 1) * v.series.bucketMs), waitS: seconds(ms) }])),
    );
  });
  if (per.every((rows) => rows.length === 0) || allSame(per)) return null;
  const widths = [...new Set(run.variants.map((v) => v.series.bucketMs / 1000))];
  return timeFacets(run, {
    title: 'Key wait over time',
    subtitle: [
      `How long requests arriving in each ${widths.length === 1 ? `${widths[0]} s` : `bucket (${widths.join(', ')} s)`} waited for a key (the concurrency gate included): their p99 and the longest.`,
      BURST_LEGEND,
    ],
    values: [...per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))), ...burstRows(run)],
    height: 110,
    main: {
      layer: [
        ...burstLayers(),
        {
          transform: [{ filter: 'datum.isBurst !== true' }],
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'arrival, time since start (s)' },
            y: { field: 'waitS', type: 'quantitative', title: 'key wait (s)' },
            color: { field: 'stat', type: 'nominal', title: 'of the arrivals', sort: KEY_WAIT_STATS.map((s) => s.label), scale: { domain: KEY_WAIT_STATS.map((s) => s.label), range: KEY_WAIT_STATS.map((s) => s.color) } },
            tooltip: [
              { field: 'variant', type: 'nominal' },
              { field: 'stat', type: 'nominal', title: 'statistic' },
              { field: 'timeS', type: 'quantitative', title: 'arrived from (s)' },
              { field: 'endS', type: 'quantitative', title: 'to (s)' },
              { field: 'waitS', type: 'quantitative', title: 'key wait (s)', format: '.3f' },
            ],
          },
        },
      ],
    },
  });
}
