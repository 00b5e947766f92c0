import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { allSame, commonWidth, rebin, timeFacets } from './parts.js';

/** What the tokens-over-time chart draws, in order, each with its own colour. */
export const TOKEN_FLOWS: readonly { key: 'output' | 'total'; label: string; color: string }[] = [
  { key: 'output', label: 'output tokens/s', color: '#e45756' },
  { key: 'total', label: 'total tokens/s (prompt + output)', color: '#4c78a8' },
];

/**
 * Tokens per second of successful requests over time (series.tokens), output and total (prompt +
 * output), a panel per variant on one bucket width. Only with request sizes; not when nothing
 * succeeded or every variant draws alike.
 */
export function tokensChart(run: RunResult): TopLevelSpec | null {
  if (!run.variants.some((v) => v.series.tokens)) return null;
  const width = commonWidth(run, 60);
  const per = run.variants.map((v) => {
    const t = v.series.tokens;
    if (!t) return [];
    const total = t.promptPerS.map((p, i) => p + (t.outputPerS[i] ?? 0));
    return [
      ...rebin(v, t.outputPerS, width, 'mean').map((b) => ({ timeS: b.startS, flow: TOKEN_FLOWS[0]!.label, perS: b.value })),
      ...rebin(v, total, width, 'mean').map((b) => ({ timeS: b.startS, flow: TOKEN_FLOWS[1]!.label, perS: b.value })),
    ];
  });
  if (per.every((rows) => rows.every((r) => r.perS === 0)) || allSame(per)) return null;
  return timeFacets(run, {
    title: 'Tokens per second over time',
    subtitle: [`Tokens of the requests that succeeded, by when they ended: output, and prompt + output, per second (mean over each ${width / 1000} s)`],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 100,
    main: {
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
        y: { field: 'perS', type: 'quantitative', title: 'tokens per second (tokens/s)' },
        color: { field: 'flow', type: 'nominal', title: 'tokens', sort: TOKEN_FLOWS.map((f) => f.label), scale: { domain: TOKEN_FLOWS.map((f) => f.label), range: TOKEN_FLOWS.map((f) => f.color) } },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'flow', type: 'nominal', title: 'tokens' },
          { field: 'timeS', type: 'quantitative', title: 'from (s)' },
          { field: 'perS', type: 'quantitative', title: 'tokens/s', format: '.1f' },
        ],
      },
    },
  });
}
