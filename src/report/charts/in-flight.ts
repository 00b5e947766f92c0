import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { palette, type Palette } from '../vega.js';
import { allSame, commonWidth, rebin, timeFacets, providerSeries, queues } from './parts.js';

/**
 * Requests in flight in the gateway (arrived, not finished: waiting included) and attempts in
 * flight at each provider, one panel per variant on one bucket width (series.inFlight,
 * series.providers). Only where load spreads or piles up at providers: two or more of them, or a
 * provider with a queue (how long requests wait in the gateway the phases chart shows).
 */
export function inFlightChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  const providers = [...new Set(run.variants.flatMap((v) => Object.keys(providerSeries(v))))];
  if (providers.length < 2 && !queues(run)) return null;
  const width = commonWidth(run, 60);
  const per = run.variants.map((v) => {
    const gateway = rebin(v, v.series.inFlight ?? [], width, 'mean').map((b) => ({ timeS: b.startS, where: 'all requests (gateway)', inFlight: b.value }));
    const at = Object.entries(providerSeries(v)).flatMap(([name, p]) => rebin(v, p.inFlight ?? [], width, 'mean').map((b) => ({ timeS: b.startS, where: `at ${name}`, inFlight: b.value })));
    return [...gateway, ...at];
  });
  if (per.every((p) => p.length === 0) || allSame(per)) return null;
  const where = ['all requests (gateway)', ...providers.map((p) => `at ${p}`)];
  return timeFacets(run, {
    title: 'Requests in flight over time',
    subtitle: [
      `In the gateway: requests that have arrived and not yet finished (waiting for a key or a connection included); at a provider: attempts sent to it and not yet answered. Mean over each ${width / 1000} s.`,
    ],
    values: per.flatMap((rows, i) => rows.map((r) => ({ variant: run.variants[i]!.name, ...r }))),
    height: 100,
    main: {
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'timeS', type: 'quantitative', scale: { domainMin: 0 }, title: 'time since start (s)' },
        y: { field: 'inFlight', type: 'quantitative', title: 'in flight (requests)' },
        color: { field: 'where', type: 'nominal', title: 'where', sort: where, scale: { domain: where, range: ['#1f2328', ...providers.map((p) => pal.providers.get(p) ?? '#888888')] } },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'where', type: 'nominal' },
          { field: 'timeS', type: 'quantitative', title: 'from (s)' },
          { field: 'inFlight', type: 'quantitative', title: 'in flight' },
        ],
      },
    },
  });
}
