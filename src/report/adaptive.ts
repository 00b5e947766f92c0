import type { TopLevelSpec } from 'vega-lite';
import type { RunResult, VariantMetrics } from '../metrics/results.js';
import type { MetricRow } from './catalogue.js';
import type { Palette } from './charts.js';

/**
 * The report's view of limits nobody told the client (results' metrics.adaptive and
 * series.adaptive): a chart of what each variant believed against the true rate over time, and
 * the table rows — convergence after each change, the longest stretch above the truth, the
 * provider's 429s, local rejections and the share of the oracle's throughput. Small functions of
 * results.json alone, as the rest of the report; charts.ts and catalogue.ts call them.
 */

/** charts.ts's width budget for a full-width chart, and its look (kept in step by hand: this file imports only types from there). */
const FULL = 1060;
const CONFIG = {
  title: { anchor: 'start', fontSize: 15, subtitleFontSize: 12, subtitleColor: '#57606a', offset: 8 },
  axis: { titleFontWeight: 'normal', titleFontSize: 12, labelFontSize: 11 },
  legend: { titleFontWeight: 'normal', labelFontSize: 11, labelLimit: 140, symbolLimit: 60 },
  view: { stroke: '#d8dee4' },
} as const;
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
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: FULL - 175,
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
  } as unknown as TopLevelSpec;
}

const rowOf = (key: string, label: string, unit: string, value: (m: VariantMetrics) => number | null, scale: number, digits: number, extra: Partial<MetricRow> = {}): MetricRow =>
  ({ key, label, unit, value, scale, digits, better: 'none', ...extra });

/** The table rows of a run with metrics.adaptive (none otherwise). */
export function adaptiveRows(run: RunResult): MetricRow[] {
  if (!run.variants.some((v) => v.metrics.adaptive)) return [];
  const changes = run.variants.find((v) => v.metrics.adaptive)!.metrics.adaptive!.changes;
  const providers429 = (m: VariantMetrics): number => Object.values(m.providers).reduce((a, p) => a + p.rateLimited, 0);
  return [
    rowOf('oracleShare', "throughput, share of the oracle's", '%', (m) => m.oracleShare ?? null, 100, 1),
    rowOf('providerRateLimited', "429s from the provider (share of attempts)", '%', (m) => (m.attempts > 0 ? providers429(m) / m.attempts : null), 100, 2),
    rowOf('localRejects', 'rejected locally (sre-throttle)', 'requests', (m) => m.adaptive?.localRejects ?? null, 1, 0),
    ...changes.map((c, i) => rowOf(
      `convergedAfterMs.${i}`,
      `within 10% of ${c.truePerMin}/min (from ${c.atMs / 1000} s) after`,
      's',
      (m) => m.adaptive?.changes[i]?.convergedAfterMs ?? null,
      1e-3,
      1,
    )),
    rowOf('longestAboveMs', 'longest stretch believing above the true rate', 's', (m) => m.adaptive?.longestAboveMs ?? null, 1e-3, 1),
  ];
}
