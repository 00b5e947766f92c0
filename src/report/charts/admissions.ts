import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { allSame, commonWidth, rebin, timeFacets, hasLimiter } from './parts.js';

/** Above this many keys a stacked bar has more bands than colours: the chart becomes a heat map. */
const STACKED_KEYS = 8;

/**
 * Admissions per second per key, one panel per variant on one bucket width (series.admissions):
 * stacked bars for a few keys, a key × time heat map for many. Only with a key limit (without one
 * admissions are just arrivals), and not when every variant admits alike.
 */
export function admissionsChart(run: RunResult): TopLevelSpec | null {
  if (!hasLimiter(run)) return null;
  const keys = [...new Set(run.variants.flatMap((v) => Object.keys(v.series.admissions)))];
  const width = commonWidth(run);
  const per = run.variants.map((v) => Object.entries(v.series.admissions).flatMap(([key, counts]) => rebin(v, counts, width).filter((b) => b.value > 0).map((b) => ({ key, startS: b.startS, endS: b.endS, perS: b.value }))));
  if (per.every((p) => p.length === 0) || allSame(per)) return null;
  const values = per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r })));
  const time = { field: 'startS', type: 'quantitative', bin: { binned: true }, scale: { domainMin: 0 }, title: 'time since start (s)' };
  const tooltip = [
    { field: 'variant', type: 'nominal' },
    { field: 'startS', type: 'quantitative', title: 'from (s)' },
    { field: 'endS', type: 'quantitative', title: 'to (s)' },
    { field: 'key', type: 'nominal', title: 'key' },
    { field: 'perS', type: 'quantitative', title: 'admissions/s' },
  ];
  if (keys.length > STACKED_KEYS) {
    return timeFacets(run, {
      title: 'Key admissions over time',
      subtitle: [`Requests each of the ${keys.length} API keys let through per second (per ${width / 1000} s); a key's row goes pale while its window is full`],
      values,
      height: Math.max(60, Math.min(110, keys.length * 1.5)),
      main: {
        mark: { type: 'rect' },
        encoding: {
          x: time,
          x2: { field: 'endS' },
          y: { field: 'key', type: 'nominal', sort: keys, title: 'API key', axis: { labels: false, ticks: false } },
          color: { field: 'perS', type: 'quantitative', title: 'admissions per second (requests/s)', scale: { scheme: 'blues', zero: true }, legend: { format: '~g' } },
          tooltip,
        },
      },
    });
  }
  return timeFacets(run, {
    title: 'Key admissions over time',
    subtitle: [`Requests each API key let through per second (per ${width / 1000} s), stacked; a key's band thins out while its window is full`],
    values,
    height: 100,
    main: {
      mark: { type: 'bar', binSpacing: 0 },
      encoding: {
        x: time,
        x2: { field: 'endS' },
        y: { field: 'perS', type: 'quantitative', stack: 'zero', title: 'admitted (requests/s)' },
        color: { field: 'key', type: 'nominal', title: 'API key', sort: keys, scale: { scheme: 'tableau10' } },
        tooltip,
      },
    },
  });
}
