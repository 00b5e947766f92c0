import type { TopLevelSpec } from 'vega-lite';
import { scaleOf, VARIANT_COLOURS } from '../vega.js';
import { single } from './parts.js';

/** A search's probes as the chart draws them: per variant, each probed value and the goal's metric there. */
export interface SearchPoint {
  variant: string;
  x: number;
  /** The goal's metric, mean over the seeds (null: not measured). */
  y: number | null;
  /** `held in 3 of 3` / `failed in 2 of 3`. */
  held: string;
  ok: boolean;
}

/**
 * A search: the goal's metric against the varied field, a line per variant through its probes
 * (filled where the goal held in every seed, hollow where it failed), and each variant's bound as
 * a dashed rule in its colour.
 */
export function searchChart(o: { title: string; subtitle: string[]; xTitle: string; yTitle: string; integer: boolean; points: readonly SearchPoint[]; bounds: readonly { variant: string; x: number }[] }): TopLevelSpec | null {
  const points = o.points.filter((p) => p.y !== null);
  if (points.length === 0) return null;
  const names = [...new Set(o.points.map((p) => p.variant))];
  const colour = { field: 'variant', type: 'nominal', sort: names, title: 'variant', scale: scaleOf(new Map(names.map((n, i) => [n, VARIANT_COLOURS[i % VARIANT_COLOURS.length]!])), names) };
  // A count (keys, workers) has whole ticks only.
  const x = { field: 'x', type: 'quantitative', title: o.xTitle, scale: { zero: false }, ...(o.integer ? { axis: { format: 'd', tickMinStep: 1 } } : {}) };
  const tooltip = [
    { field: 'variant', type: 'nominal' },
    { field: 'x', type: 'quantitative', title: o.xTitle },
    { field: 'y', type: 'quantitative', title: o.yTitle, format: '.4~f' },
    { field: 'held', type: 'nominal', title: 'goal' },
  ];
  return single('full', {
    title: { text: o.title, subtitle: o.subtitle },
    height: 260,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'y', type: 'quantitative', title: o.yTitle }, color: colour, order: { field: 'x' } },
      },
      // Filled where the goal held in every seed, hollow where it failed in some.
      ...[true, false].map((ok) => ({
        data: { values: points },
        transform: [{ filter: ok ? 'datum.ok' : '!datum.ok' }],
        mark: { type: 'point', size: 60, strokeWidth: 1.5, filled: ok, ...(ok ? {} : { fill: 'white' }) },
        encoding: { x, y: { field: 'y', type: 'quantitative' }, color: colour, tooltip },
      })),
      ...(o.bounds.length
        ? [{
            data: { values: o.bounds },
            mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5 },
            encoding: { x: { field: 'x', type: 'quantitative' }, color: colour, tooltip: [{ field: 'variant', type: 'nominal' }, { field: 'x', type: 'quantitative', title: `bound: ${o.xTitle}` }] },
          }]
        : []),
    ],
  });
}
