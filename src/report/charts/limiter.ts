import type { TopLevelSpec } from 'vega-lite';
import type { RunResult, VariantMetrics } from '../../metrics/results.js';
import { FULL, GAP, HALF, LEGEND, palette, type Palette, scaleOf, vegaSpec } from '../vega.js';
import { variantOrder, allSame, hasLimiter } from './parts.js';

export const LIMITER_FIGURES: readonly { key: Exclude<keyof VariantMetrics['limiter'], 'store'>; label: string; means: string }[] = [
  { key: 'checks', label: 'checks', means: 'looks for an admissible key' },
  { key: 'wastedChecks', label: 'wasted checks', means: 'looks that found none' },
  { key: 'wakeups', label: 'wake-ups', means: 'a waiter woke to look again (CPU)' },
  { key: 'entriesPeak', label: 'entries peak (per key)', means: 'most entries one key’s window held (memory)' },
];

/** The limiter's cost figures (metrics.limiter), a panel per figure, a bar per variant: only with a key limit, and only figures that differ between variants. */
export function limiterChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  if (!hasLimiter(run)) return null;
  const figures = LIMITER_FIGURES.filter((f) => {
    const xs = run.variants.map((v) => v.metrics.limiter[f.key] ?? 0);
    return xs.some((x) => x > 0) && (run.variants.length === 1 || !allSame(xs));
  });
  if (figures.length === 0) return null;
  const names = variantOrder(run);
  const values = run.variants.flatMap((v) => figures.map((f) => ({ variant: v.name, figure: f.label, value: v.metrics.limiter[f.key] ?? 0 })));
  // Two figures fit half the column; more get the whole of it, so no panel is a sliver.
  const size = figures.length > 2 ? 'full' : 'half';
  const budget = (size === 'full' ? FULL : HALF) - LEGEND;
  return vegaSpec({
    title: { text: 'Limiter cost', subtitle: figures.map((f) => `${f.label}: ${f.means}`).join('; ') },
    data: { values },
    columns: figures.length,
    concat: figures.map((f) => ({
      width: Math.floor((budget - figures.length * 56 - (figures.length - 1) * GAP) / figures.length),
      height: 110,
      title: { text: f.label, fontSize: 12 },
      transform: [{ filter: { field: 'figure', equal: f.label } }],
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'variant', type: 'nominal', sort: names, title: null, axis: { labels: false, ticks: false } },
        y: { field: 'value', type: 'quantitative', title: 'count' },
        color: { field: 'variant', type: 'nominal', sort: names, title: 'variant', scale: scaleOf(pal.variants, names) },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'figure', type: 'nominal' },
          { field: 'value', type: 'quantitative', title: 'count' },
        ],
      },
    })),
    resolve: { scale: { y: 'independent' } },
    usermeta: { size },
  });
}
