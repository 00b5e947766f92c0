import type { TopLevelSpec } from 'vega-lite';
import type { RunResult, VariantMetrics } from '../../metrics/results.js';
import { seconds } from '../vega.js';
import { variantOrder, nearlySame, single } from './parts.js';

/** The phases of a request, in the order it meets them, each with its own colour. */
export const PHASES: readonly { key: keyof VariantMetrics['phasesMs']; label: string; color: string }[] = [
  { key: 'keyWait', label: 'waiting for a key', color: '#4c78a8' },
  { key: 'providerQueue', label: 'provider queue', color: '#f58518' },
  { key: 'connect', label: 'connecting', color: '#b279a2' },
  { key: 'service', label: 'service', color: '#72b7b2' },
  { key: 'retryWait', label: 'retry backoff', color: '#9d755d' },
];

/**
 * Mean time per request in each phase, one stacked bar per variant. Left out when requests spend
 * their time only in service (nothing waits: no key, queue, connection or backoff to see) or every
 * variant splits it the same way.
 */
export function phasesChart(run: RunResult): TopLevelSpec | null {
  const per = run.variants.map((v) => PHASES.map((p) => seconds(v.metrics.phasesMs[p.key].mean ?? 0)));
  const waits = per.some((xs) => PHASES.some((p, i) => p.key !== 'service' && xs[i]! > 0.001));
  // Phases within 5% of the longest request time apart: the bars would look alike.
  const longest = Math.max(...per.map((xs) => xs.reduce((a, b) => a + b, 0)));
  if (!waits || nearlySame(per, 0.05, 0.05 * longest)) return null;
  const shown = PHASES.filter((_, i) => per.some((xs) => xs[i]! > 0));
  const values = run.variants.flatMap((v, j) => PHASES.flatMap((p, order) => (per[j]![order]! > 0 ? [{ variant: v.name, phase: p.label, order, meanS: per[j]![order]! }] : [])));
  return single('half', {
    title: { text: "Where a request's time goes", subtitle: 'Mean time per request in each phase, over all requests (successful or not)' },
    // A number, not a step: vega-lite drops "fit" (with a warning) from a chart with a step size.
    height: run.variants.length * (run.variants.length > 4 ? 18 : 28),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      x: { field: 'meanS', type: 'quantitative', stack: 'zero', title: 'mean time per request (s)' },
      color: { field: 'phase', type: 'nominal', title: 'phase', scale: { domain: shown.map((p) => p.label), range: shown.map((p) => p.color) } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'phase', type: 'nominal' },
        { field: 'meanS', type: 'quantitative', title: 'mean (s)', format: '.3f' },
      ],
    },
  });
}
