import type { TopLevelSpec } from 'vega-lite';
import type { RunResult, VariantResult } from '../../metrics/results.js';
import { allSame, commonWidth, rebin, timeFacets } from './parts.js';

/** How outcomes read in a legend, in stacking order, with a colour a reader can tell apart. */
export const OUTCOMES: readonly { key: string; label: string; color: string }[] = [
  { key: 'ok', label: 'ok', color: '#4e9a5d' },
  { key: 'rateLimited', label: '429 rate limited', color: '#e8a33d' },
  { key: 'serverError', label: '5xx server error', color: '#d1495b' },
  { key: 'timeout', label: 'timeout', color: '#8e6bbf' },
  { key: 'connectFailed', label: 'connect failure', color: '#6c757d' },
  { key: 'gaveUp', label: 'gave up (no key)', color: '#2f2f2f' },
  { key: 'unavailable', label: 'no healthy provider', color: '#9c6b3c' },
  { key: 'tooLarge', label: 'too large for a quota', color: '#b5179e' },
];

/** Attempts per second by outcome, stacked bars, one panel per variant on one bucket width (series.attempts); empty intervals left out. */
export function outcomesChart(run: RunResult): TopLevelSpec | null {
  const count = (v: VariantResult, key: string): number[] => (v.series.attempts as Record<string, number[] | undefined>)[key] ?? [];
  const shown = OUTCOMES.filter((o) => o.key === 'ok' || run.variants.some((v) => count(v, o.key).some((n) => n > 0)));
  const width = commonWidth(run);
  const per = run.variants.map((v) => shown.flatMap((o, order) => rebin(v, count(v, o.key), width).filter((b) => b.value > 0).map((b) => ({ outcome: o.label, order, startS: b.startS, endS: b.endS, perS: b.value }))));
  if (per.every((p) => p.length === 0) || allSame(per)) return null;
  return timeFacets(run, {
    title: 'Throughput and outcomes over time',
    subtitle: [`Attempts ending per second, stacked by how they ended (retries count as attempts), per ${width / 1000} s`],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 100,
    main: {
      mark: { type: 'bar', binSpacing: 0 },
      encoding: {
        x: { field: 'startS', type: 'quantitative', bin: { binned: true }, scale: { domainMin: 0 }, title: 'time since start (s)' },
        x2: { field: 'endS' },
        y: { field: 'perS', type: 'quantitative', stack: 'zero', title: 'ending (attempts/s)' },
        color: { field: 'outcome', type: 'nominal', title: 'outcome', scale: { domain: shown.map((o) => o.label), range: shown.map((o) => o.color) } },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'startS', type: 'quantitative', title: 'from (s)' },
          { field: 'endS', type: 'quantitative', title: 'to (s)' },
          { field: 'outcome', type: 'nominal' },
          { field: 'perS', type: 'quantitative', title: 'attempts/s' },
        ],
      },
    },
  });
}
