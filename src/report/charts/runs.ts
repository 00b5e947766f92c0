import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../../metrics/results.js';
import { comparable, pointX, sweepAxisKind } from '../answer.js';
import { axisTitle } from '../axis.js';
import { METRICS, type MetricRow } from '../catalogue.js';
import { FULL, GAP, LEGEND_TOP, palette, type Palette, panelWidth, scaleOf, vegaSpec, wrap } from '../vega.js';
import { allSame } from './parts.js';

/**
 * The table metrics worth a panel across the runs: those with a better direction, and the failure
 * counts, that differ somewhere (a panel of identical values compares nothing). Descriptive rows
 * (min and max latency, clients and connections opened) stay in the tables.
 */
function varyingRows(results: Results): MetricRow[] {
  const failures = new Set(['rateLimited', 'serverError', 'timeout', 'connectFailed', 'unavailable', 'gaveUp', 'tooLarge']);
  return METRICS.filter((m) => {
    if (m.better === 'none' && !failures.has(m.key)) return false;
    const xs = results.runs.flatMap((r) => r.variants.map((v) => m.value(v.metrics)));
    return xs.some((x) => x !== null && x !== 0) && !allSame(xs);
  });
}

/**
 * Each table metric across the runs: only when the scenario has several runs. Values are in the
 * table's units. A sweep of one numeric field keeps lines over that field, with the scenario's
 * `marks` as dashed rules (`x` on every panel, `metric`/`y` on that metric's panel); runs that are
 * categories (separate experiments) are compared as grouped horizontal bars, a bar per variant,
 * run names wrapped so they never overlap.
 */
export function runsChart(results: Results, pal: Palette = palette(results.runs)): TopLevelSpec | null {
  if (results.runs.length < 2) return null;
  const runNames = results.runs.map((r) => r.name);
  const variants = [...new Set(results.runs.flatMap((r) => r.variants.map((v) => v.name)))];
  const ax = sweepAxisKind(results);
  const axis = ax?.field ?? null;
  const rows = varyingRows(results);
  const label = new Map(runNames.map((n) => [n, wrap(n).join('\n')]));
  const values = results.runs.flatMap((r) =>
    r.variants.flatMap((v) =>
      rows.flatMap((m) => {
        const x = m.value(v.metrics);
        if (x === null) return [];
        return [{ run: r.name, ...(axis ? { x: pointX(ax!, r) } : { runLabel: label.get(r.name)! }), variant: v.name, metric: m.key, value: Number((x * m.scale).toFixed(m.digits)) }];
      }),
    ),
  );
  if (values.length === 0) return null;
  const colour = { field: 'variant', type: 'nominal' as const, sort: variants, title: 'variant', scale: scaleOf(pal.variants, variants) };
  if (!axis) {
    // Five narrower panels to a row when there are many, so the chart stays a screen or so tall.
    const cols = rows.length > 12 ? 5 : 4;
    const width = Math.floor((FULL - 160 - 30 - (cols - 1) * GAP) / cols);
    // A step on the offset scale: each variant's bar is 3–4 px, and a run's group is at least as
    // tall as its wrapped name (13 px a line), so names never run into each other.
    const lines = Math.max(...runNames.map((n) => wrap(n).length));
    const step = Math.max(variants.length > 4 ? 3 : 4, Math.ceil((lines * 13) / variants.length));
    return vegaSpec({
      config: LEGEND_TOP,
      title: { text: 'Each metric across the runs', subtitle: 'The tables’ numbers side by side: a group of bars per run (in the order the scenario lists them), a bar per variant' },
      data: { values },
      columns: cols,
      concat: rows.map((m, i) => {
        const title = `${m.label} (${m.unit})`;
        return {
          width,
          height: { step, for: 'offset' },
          title: { text: title, fontSize: 12 },
          transform: [{ filter: { field: 'metric', equal: m.key } }],
          mark: { type: 'bar' },
          encoding: {
            y: {
              field: 'runLabel',
              type: 'nominal',
              sort: runNames.map((n) => label.get(n)),
              title: null,
              // Only the first panel of a row names the runs; the rest line up with it.
              axis: i % cols === 0 ? { labelExpr: "split(datum.label, '\\n')", labelLimit: 160, labelFontSize: 11 } : { labels: false, ticks: false },
            },
            yOffset: { field: 'variant', type: 'nominal', sort: variants },
            x: { field: 'value', type: 'quantitative', title },
            color: colour,
            tooltip: [
              { field: 'run', type: 'nominal' },
              { field: 'variant', type: 'nominal' },
              { field: 'value', type: 'quantitative', title },
            ],
          },
        };
      }),
    });
  }
  const marks = results.marks ?? [];
  const xMarks = marks.flatMap((k) => ('x' in k ? [k] : []));
  // The published figures of each point (reference:), drawn beside the simulated lines, in the table's units.
  const published = comparable(results)
    ? results.runs.flatMap((r) =>
        Object.entries(results.reference[r.name] ?? {}).flatMap(([variant, figures]) =>
          rows.flatMap((m) => (figures[m.key] === undefined ? [] : [{ x: pointX(ax!, r), run: r.name, variant, metric: m.key, value: Number((figures[m.key]! * m.scale).toFixed(m.digits)) }])),
        ),
      )
    : [];
  const rule = { type: 'rule', strokeDash: [5, 4], color: '#b3261e', strokeWidth: 1.5 };
  const markTip = [{ field: 'label', type: 'nominal', title: 'mark' }];
  // A few round ticks: a narrow panel of many points would print its labels into each other.
  const x = { field: 'x', type: 'quantitative', title: axisTitle(axis, ax!.axis), scale: { zero: false }, axis: { tickCount: 5, labelOverlap: 'greedy' } };
  const cols = 3;
  return vegaSpec({
    title: {
      text: `Each metric against ${axis}`,
      subtitle: [
        `The tables’ numbers at every point of the sweep, one line per variant${published.length ? '; hollow diamonds: the published figures' : ''}`,
        ...marks.map((k) => `dashed: ${'x' in k ? `${axis} = ${k.x}` : `${k.metric} = ${k.y}`}: ${k.label}`),
      ],
    },
    data: { values },
    columns: cols,
    concat: rows.map((m) => {
      const yMarks = marks.flatMap((k) => ('metric' in k && k.metric === m.key ? [{ y: Number((k.y * m.scale).toFixed(m.digits + 2)), label: k.label }] : []));
      const title = `${m.label} (${m.unit})`;
      const line = {
        transform: [{ filter: { field: 'metric', equal: m.key } }],
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title },
          color: colour,
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'variant', type: 'nominal' },
            { field: 'value', type: 'quantitative', title },
          ],
        },
      };
      const pubHere = published.filter((p) => p.metric === m.key);
      const rules = [
        ...(pubHere.length
          ? [
              {
                data: { values: pubHere },
                mark: { type: 'point', shape: 'diamond', filled: false, size: 70, strokeWidth: 1.5, color: '#1f2328' },
                encoding: {
                  x: { field: 'x', type: 'quantitative' },
                  y: { field: 'value', type: 'quantitative' },
                  tooltip: [
                    { field: 'run', type: 'nominal' },
                    { field: 'variant', type: 'nominal' },
                    { field: 'value', type: 'quantitative', title: `published ${title}` },
                  ],
                },
              },
            ]
          : []),
        ...(xMarks.length ? [{ data: { values: xMarks }, mark: rule, encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: markTip } }] : []),
        ...(yMarks.length ? [{ data: { values: yMarks }, mark: rule, encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: markTip } }] : []),
      ];
      const size = { width: panelWidth(cols, cols), height: 140, title: { text: title, fontSize: 12 } };
      return rules.length ? { ...size, layer: [line, ...rules] } : { ...size, ...line };
    }),
  });
}
