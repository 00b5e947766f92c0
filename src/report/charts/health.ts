import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { palette, type Palette, scaleOf } from '../vega.js';
import { commonWidth, rebin, timeFacets, providerSeries } from './parts.js';

/** How much of each interval each provider was healthy, when any provider ever was not (series.providers). */
export function healthChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  const width = commonWidth(run, 60);
  const per = run.variants.map((v) =>
    Object.entries(providerSeries(v)).flatMap(([provider, p]) => rebin(v, p.healthy ?? [], width, 'mean').map((b) => ({ timeS: b.startS, provider, healthy: b.value }))),
  );
  if (per.every((rows) => rows.every((x) => x.healthy >= 1))) return null;
  const providers = [...new Set(per.flatMap((rows) => rows.map((r) => r.provider)))];
  return timeFacets(run, {
    title: 'Provider health over time',
    subtitle: [`Share of each ${width / 1000} s the gateway considered the provider healthy (100% = all of it)`],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 90,
    main: {
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
        y: { field: 'healthy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'time healthy (%)' },
        color: { field: 'provider', type: 'nominal', title: 'provider', sort: providers, scale: scaleOf(pal.providers, providers) },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'provider', type: 'nominal' },
          { field: 'timeS', type: 'quantitative', title: 'from (s)' },
          { field: 'healthy', type: 'quantitative', title: 'healthy (%)', format: '.0%' },
        ],
      },
    },
  });
}
