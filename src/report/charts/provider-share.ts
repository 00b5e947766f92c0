import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { palette, type Palette, scaleOf } from '../vega.js';
import { variantOrder, single } from './parts.js';

/** Which provider got the attempts: a 100% bar per variant (from metrics.providers). Only with two or more providers, and not when every variant splits alike. */
export function providerShareChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  const names = [...new Set(run.variants.flatMap((v) => Object.keys(v.metrics.providers)))];
  if (names.length < 2) return null;
  const values = run.variants.flatMap((v) =>
    Object.entries(v.metrics.providers).map(([provider, p]) => ({ variant: v.name, provider, attempts: p.requests, ok: p.ok, rateLimited: p.rateLimited, failed: p.failed })),
  );
  if (values.every((x) => x.attempts === 0)) return null;
  // Shares within a percentage point of each other everywhere: the bars would look alike.
  const shares = run.variants.map((v) => names.map((n) => v.metrics.providers[n]?.share ?? 0));
  if (shares.length > 1 && shares.every((xs) => xs.every((x, i) => Math.abs(x - shares[0]![i]!) <= 0.01))) return null;
  return single('half', {
    title: { text: 'Share of attempts per provider', subtitle: 'Which provider the balancer sent each attempt to' },
    // A number, not a step: vega-lite drops "fit" (with a warning) from a chart with a step size.
    height: run.variants.length * (run.variants.length > 4 ? 18 : 28),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: variantOrder(run), title: 'variant' },
      x: { field: 'attempts', type: 'quantitative', stack: 'normalize', axis: { format: '%' }, title: 'share of attempts (%)' },
      color: { field: 'provider', type: 'nominal', title: 'provider', sort: names, scale: scaleOf(pal.providers, names) },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'provider', type: 'nominal' },
        { field: 'attempts', type: 'quantitative', title: 'attempts' },
        { field: 'ok', type: 'quantitative', title: 'ok' },
        { field: 'rateLimited', type: 'quantitative', title: '429' },
        { field: 'failed', type: 'quantitative', title: 'failed (5xx, timeout, connect)' },
      ],
    },
  });
}
