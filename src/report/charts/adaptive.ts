import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { FULL, LEGEND, type Palette, vegaSpec } from '../vega.js';

/**
 * The report's chart of limits nobody told the client (results' metrics.adaptive and
 * series.adaptive): what each variant believed against the true rate over time. Its table rows
 * (convergence, the longest stretch above the truth, …) are metric rows like the others and live
 * in catalogue.ts (adaptiveRows), which imports no chart.
 */
const TRUE = 'true rate (quota less other tenants)';

const adaptiveRun = (run: RunResult): boolean => run.variants.some((v) => v.metrics.adaptive && v.series?.adaptive);

/** Believed against true limits over time: a line per variant, the truth dashed in black. Null without metrics.adaptive. */
export function adaptiveChart(run: RunResult, pal: Palette): TopLevelSpec | null {
  if (!adaptiveRun(run)) return null;
  const first = run.variants.find((v) => v.series?.adaptive)!;
  const s = first.series;
  const values: { timeS: number; who: string; perMin: number }[] = [];
  s.adaptive!.truePerMin.forEach((perMin, i) => values.push({ timeS: s.t[i]! / 1000, who: TRUE, perMin }));
  for (const v of run.variants) {
    const a = v.series?.adaptive;
    if (!a) continue;
    a.believedPerMin.forEach((perMin, i) => {
      if (perMin !== null) values.push({ timeS: v.series.t[i]! / 1000, who: v.name, perMin });
    });
  }
  // A belief far above the truth (a limiter the quota never stopped) would flatten the rest: the axis ends at twice the truth's peak.
  const top = 2 * Math.max(...s.adaptive!.truePerMin, 1);
  const names = run.variants.filter((v) => v.series?.adaptive?.believedPerMin.some((x) => x !== null)).map((v) => v.name);
  const domain = [TRUE, ...names];
  const range = ['#1f2328', ...names.map((n) => pal.variants.get(n) ?? '#888888')];
  return vegaSpec({
    width: FULL - LEGEND,
    height: 260,
    usermeta: { size: 'full' },
    title: {
      text: 'Believed against true limit over time',
      subtitle: [
        `What each variant's limiter believed the key may send (a learning limiter's own rate; a concurrency limit over its latency; a fixed limit as told), keys added up, mean over each ${s.bucketMs / 1000} s;`,
        'dashed: what the provider really allowed us then — its quota at the time, less the other tenants’ share. The axis ends at twice its peak (higher beliefs run off the top).',
      ],
    },
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 'timeS', type: 'quantitative', title: 'time since start (s)', scale: { domainMin: 0 } },
      y: { field: 'perMin', type: 'quantitative', title: 'rate (requests/min)', scale: { domain: [0, top] } },
      color: { field: 'who', type: 'nominal', title: 'believed by', sort: domain, scale: { domain, range } },
      strokeDash: { condition: { test: `datum.who === '${TRUE}'`, value: [6, 3] }, value: [1, 0] },
      strokeWidth: { condition: { test: `datum.who === '${TRUE}'`, value: 2.5 }, value: 1.5 },
      tooltip: [
        { field: 'who', type: 'nominal', title: 'believed by' },
        { field: 'timeS', type: 'quantitative', title: 'from (s)' },
        { field: 'perMin', type: 'quantitative', title: 'requests/min' },
      ],
    },
  });
}
