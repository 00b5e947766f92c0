import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { seconds } from '../vega.js';
import { timeFacets } from './parts.js';

/**
 * Each key's tokens in its quota's trailing window (series.tokens.keyWindow, by admission time,
 * as the provider's window counts them) against the quota's limit, drawn as a rule: a panel per
 * variant, a line per key. Only with a tokens quota, and not when no key used any.
 */
export function keyWindowChart(run: RunResult): TopLevelSpec | null {
  const windows = run.variants.map((v) => v.series.tokens?.keyWindow);
  const first = windows.find((w) => w !== undefined);
  if (!first) return null;
  const keys = [...new Set(windows.flatMap((w) => Object.keys(w?.byKey ?? {})))];
  const values = run.variants.flatMap((v, i) => {
    const w = windows[i];
    if (!w) return [];
    return Object.entries(w.byKey).flatMap(([key, xs]) => xs.map((tokens, b) => ({ variant: v.name, key, timeS: seconds((b + 1) * v.series.bucketMs), tokens })));
  });
  if (values.every((x) => x.tokens === 0)) return null;
  const limits = run.variants.flatMap((v, i) => (windows[i] ? [{ variant: v.name, limit: windows[i].limit }] : []));
  const windowS = seconds(first.windowMs);
  const spec = timeFacets(run, {
    title: "Each key's tokens in its quota window over time",
    subtitle: [`Tokens each API key's requests used in the ${windowS} s before each moment (by when they were admitted), against the quota (dashed line: ${first.limit} tokens per ${windowS} s)`],
    values: [...values, ...limits.map((l) => ({ ...l, isLimit: true }))],
    height: 110,
    main: {
      layer: [
        {
          transform: [{ filter: 'datum.isLimit !== true' }],
          mark: { type: 'line', strokeWidth: 1.25 },
          encoding: {
            x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
            y: { field: 'tokens', type: 'quantitative', title: `tokens in the last ${windowS} s (tokens)` },
            color: { field: 'key', type: 'nominal', title: 'API key', sort: keys, scale: { scheme: 'tableau10' } },
            tooltip: [
              { field: 'variant', type: 'nominal' },
              { field: 'key', type: 'nominal', title: 'key' },
              { field: 'timeS', type: 'quantitative', title: 'at (s)' },
              { field: 'tokens', type: 'quantitative', title: 'tokens in the window' },
            ],
          },
        },
        {
          transform: [{ filter: 'datum.isLimit === true' }],
          mark: { type: 'rule', color: '#b3261e', strokeDash: [5, 4], strokeWidth: 1.5 },
          encoding: { y: { field: 'limit', type: 'quantitative' }, tooltip: [{ field: 'limit', type: 'quantitative', title: 'quota (tokens per window)' }] },
        },
      ],
    },
  });
  return spec;
}
