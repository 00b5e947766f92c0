import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../../metrics/results.js';
import { checkFigures, TOLERANCE, type Verdict, withinTolerance } from '../answer.js';
import { FULL, GAP, LEGEND_TOP, r3, vegaSpec, wrapList } from '../vega.js';

/** Verdict colours of the published-vs-simulated chart. */
export const VERDICTS: readonly { key: Verdict; label: string; color: string }[] = [
  { key: 'reproduced', label: 'reproduced', color: '#2e7d32' },
  { key: 'off', label: 'off by more than the tolerance', color: '#e8a33d' },
  { key: 'contradicted', label: 'contradicted', color: '#c62828' },
];

/**
 * Published against simulated, a panel per metric: each published figure (hollow) beside its
 * simulated value (filled, coloured by verdict) on the metric's own axis, with the tolerance
 * around the published figure shaded. Null without published figures, or when they do not describe this run.
 */
export function publishedChart(results: Results): TopLevelSpec | null {
  const checks = checkFigures(results).filter((c) => c.simulated !== null);
  if (checks.length === 0) return null;
  const runs = [...new Set(checks.map((c) => c.run))];
  const who = (run: string, variant: string): string => (runs.length > 1 ? `${runs.indexOf(run) + 1} · ${variant}` : variant);
  const metrics = [...new Map(checks.map((c) => [c.row.key, c.row])).values()];
  const values = checks.map((c) => {
    const s = c.row.scale;
    const [lo, hi] = c.row.unit === '%' ? [c.published - TOLERANCE.points / 100, c.published + TOLERANCE.points / 100] : [c.published * (1 - TOLERANCE.relative), c.published * (1 + TOLERANCE.relative)];
    return {
      metric: c.row.key,
      who: who(c.run, c.variant),
      run: c.run,
      variant: c.variant,
      published: r3(c.published * s),
      simulated: r3(c.simulated! * s),
      lo: r3(Math.min(lo, hi) * s),
      hi: r3(Math.max(lo, hi) * s),
      verdict: VERDICTS.find((v) => v.key === c.verdict)!.label,
      within: withinTolerance(c.row, c.simulated!, c.published),
    };
  });
  const cols = 3;
  const labelW = runs.length > 1 ? 110 : 90;
  const width = Math.floor((FULL - cols * (labelW + 10) - (cols - 1) * GAP) / cols);
  const verdictScale = { domain: VERDICTS.map((v) => v.label), range: VERDICTS.map((v) => v.color) };
  return vegaSpec({
    config: LEGEND_TOP,
    title: {
      text: 'Published against simulated',
      subtitle: [
        'Hollow: the published figure, with the tolerance around it shaded; filled: the simulated one, coloured by verdict.',
        // Lines of at most ~160 characters: a sweep's run names are long, and a subtitle does not wrap by itself.
        ...(runs.length > 1 ? wrapList('Runs: ', runs.map((r, i) => `${i + 1} = ${r}`), 160) : []),
      ],
    },
    data: { values },
    columns: cols,
    concat: metrics.map((m) => {
      const title = `${m.label} (${m.unit})`;
      const y = { field: 'who', type: 'nominal', title: null, sort: [...new Set(values.filter((v) => v.metric === m.key).map((v) => v.who))], axis: { labelLimit: labelW } };
      const tooltip = [
        { field: 'run', type: 'nominal' },
        { field: 'variant', type: 'nominal' },
        { field: 'published', type: 'quantitative', title: `published (${m.unit})` },
        { field: 'simulated', type: 'quantitative', title: `simulated (${m.unit})` },
        { field: 'verdict', type: 'nominal' },
      ];
      return {
        width,
        height: { step: 16 },
        title: { text: title, fontSize: 12 },
        transform: [{ filter: { field: 'metric', equal: m.key } }],
        layer: [
          { mark: { type: 'bar', color: '#d8dee4', height: 10 }, encoding: { y, x: { field: 'lo', type: 'quantitative', title, scale: { zero: false } }, x2: { field: 'hi' }, tooltip } },
          { mark: { type: 'rule', color: '#8c959f' }, encoding: { y, x: { field: 'published', type: 'quantitative' }, x2: { field: 'simulated' } } },
          { mark: { type: 'point', shape: 'circle', size: 60, filled: false, color: '#57606a', strokeWidth: 1.5 }, encoding: { y, x: { field: 'published', type: 'quantitative' }, tooltip } },
          {
            // No layer `name` here: vega-lite resolves equal names across panels to one mark.
            mark: { type: 'point', shape: 'circle', size: 60, filled: true, opacity: 1 },
            encoding: { y, x: { field: 'simulated', type: 'quantitative' }, color: { field: 'verdict', type: 'nominal', title: 'simulated figure', scale: verdictScale }, tooltip },
          },
        ],
      };
    }),
    resolve: { scale: { x: 'independent', y: 'independent' } },
    usermeta: { size: 'full' },
  });
}
