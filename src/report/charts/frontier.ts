import type { TopLevelSpec } from 'vega-lite';
import { scaleOf, VARIANT_COLOURS } from '../vega.js';
import { single } from './parts.js';

/** One configuration at one rung as the frontier chart draws it. */
export interface FrontierPoint {
  /** Keys the configuration uses. */
  keys: number;
  /** The goal's metric, mean over the seeds. */
  y: number;
  /** `1,000 requests`: the rung's fidelity. */
  rung: string;
  ok: boolean;
  config: string;
  held: string;
}

/**
 * A search over several fields: the goal's metric against the keys a configuration costs. Each
 * configuration at the longest run it reached (colour: that rung's requests; filled where the goal
 * held in every seed, hollow where it failed), the frontier — the most the goal's metric reaches
 * with at most that many keys, among those that met the goal — as a step line, the file as
 * written as a black cross and the answer ringed.
 */
export function frontierChart(o: {
  title: string;
  subtitle: string[];
  yTitle: string;
  rungs: string[];
  points: readonly FrontierPoint[];
  frontier: readonly { keys: number; y: number }[];
  current: { keys: number; y: number } | null;
  answer: { keys: number; y: number } | null;
}): TopLevelSpec | null {
  if (o.points.length === 0) return null;
  const xTitle = 'keys (count)';
  const colour = { field: 'rung', type: 'nominal', sort: o.rungs, title: 'run length', scale: scaleOf(new Map(o.rungs.map((n, i) => [n, VARIANT_COLOURS[i % VARIANT_COLOURS.length]!])), o.rungs) };
  const x = { field: 'keys', type: 'quantitative', title: xTitle, scale: { zero: false, nice: false, padding: 12 }, axis: { format: 'd', tickMinStep: 1 } };
  const y = { field: 'y', type: 'quantitative', title: o.yTitle, scale: { zero: false } };
  const tooltip = [
    { field: 'config', type: 'nominal', title: 'configuration' },
    { field: 'rung', type: 'nominal', title: 'run length' },
    { field: 'keys', type: 'quantitative', title: xTitle },
    { field: 'y', type: 'quantitative', title: o.yTitle, format: '.4~f' },
    { field: 'held', type: 'nominal', title: 'goal' },
  ];
  return single('full', {
    title: { text: o.title, subtitle: o.subtitle },
    height: 280,
    layer: [
      ...(o.frontier.length
        ? [{ data: { values: o.frontier }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5, color: '#555' }, encoding: { x, y } }]
        : []),
      ...[true, false].map((ok) => ({
        data: { values: o.points },
        transform: [{ filter: ok ? 'datum.ok' : '!datum.ok' }],
        mark: { type: 'point', size: 55, strokeWidth: 1.5, filled: ok, opacity: 0.85, ...(ok ? {} : { fill: 'white' }) },
        encoding: { x, y, color: colour, tooltip },
      })),
      ...(o.current ? [{ data: { values: [{ ...o.current, what: 'the file as written' }] }, mark: { type: 'point', shape: 'cross', size: 140, filled: true, color: '#000' }, encoding: { x, y, tooltip: [{ field: 'what', type: 'nominal' }, { field: 'y', type: 'quantitative', title: o.yTitle, format: '.4~f' }] } }] : []),
      ...(o.answer ? [{ data: { values: [{ ...o.answer, what: 'the answer' }] }, mark: { type: 'point', size: 420, strokeWidth: 2, color: '#000' }, encoding: { x, y, tooltip: [{ field: 'what', type: 'nominal' }, { field: 'y', type: 'quantitative', title: o.yTitle, format: '.4~f' }] } }] : []),
    ],
  });
}
