import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../metrics/results.js';
import { adaptiveChart } from './charts/adaptive.js';
import { admissionsChart } from './charts/admissions.js';
import { healthChart } from './charts/health.js';
import { inFlightChart } from './charts/in-flight.js';
import { keyWaitChart } from './charts/key-wait.js';
import { keyWindowChart } from './charts/key-window.js';
import { latencyCdfChart } from './charts/latency.js';
import { limiterChart } from './charts/limiter.js';
import { offeredChart } from './charts/offered.js';
import { offeredTokensChart } from './charts/offered-tokens.js';
import { outcomesChart } from './charts/outcomes.js';
import { phasesChart } from './charts/phases.js';
import { providerShareChart } from './charts/provider-share.js';
import { tokensChart } from './charts/tokens.js';
import { ttftCdfChart } from './charts/ttft.js';
import { palette, type Palette } from './vega.js';

/**
 * The report's charts: one file per chart under charts/, each a function from results.json data
 * alone to a vega-lite spec (so `gatesim report results.json` redraws them), null when its chart
 * would say nothing for this run: empty, flat, the same for every variant, or about a part of the
 * gateway the scenario does not configure (no limiter, one provider, nothing unhealthy).
 *
 * The charts drawn for every run are registered here by name, each with its place on the page and
 * its width (vitest's ReportersMap is the model): adding one is a file under charts/ and a line
 * below. The page charts (runs across a sweep, published against simulated) and the search
 * page's chart are called by their pages.
 *
 * Floors (test/report-floors.test.ts): vega.ts (the kit) ← catalogue.ts (rows) ← answer.ts ←
 * charts/parts.ts ← charts/<chart>.ts ← this registry ← the pages.
 */

/** A chart drawn for each run of a page. */
export interface RunChart {
  /** Its place on the page: ascending (steps of 10 leave room for a new chart between two). */
  order: number;
  /** Its width on the page: `half` (two to a row), `full`, or `fit` when the chart picks by what it shows (its spec's usermeta says). */
  size: 'half' | 'full' | 'fit';
  /** The spec, or null when the chart has nothing to say for this run. Colours come from the page's palette. */
  draw(run: RunResult, pal: Palette): TopLevelSpec | null;
  /** `workload`: about what the workload offered; the page shows it with the workload's tables (folded when the page has several runs). Default: among the run's charts. */
  group?: 'workload';
}

export const RUN_CHARTS = {
  outcomes: { order: 10, size: 'full', draw: outcomesChart },
  latency: { order: 20, size: 'half', draw: latencyCdfChart },
  ttft: { order: 30, size: 'half', draw: ttftCdfChart },
  tokens: { order: 40, size: 'full', draw: tokensChart },
  // What the workload offered against what passed, then how long requests waited for keys (the burst behind the longest wait shaded on each).
  offered: { order: 42, size: 'full', draw: offeredChart, group: 'workload' },
  offeredTokens: { order: 44, size: 'full', draw: offeredTokensChart, group: 'workload' },
  keyWait: { order: 46, size: 'full', draw: keyWaitChart, group: 'workload' },
  keyWindow: { order: 50, size: 'full', draw: keyWindowChart },
  phases: { order: 60, size: 'half', draw: phasesChart },
  providerShare: { order: 70, size: 'half', draw: providerShareChart },
  // One or two cost figures fit half the column; more take the whole of it.
  limiter: { order: 80, size: 'fit', draw: limiterChart },
  health: { order: 90, size: 'full', draw: healthChart },
  admissions: { order: 100, size: 'full', draw: admissionsChart },
  inFlight: { order: 110, size: 'full', draw: inFlightChart },
  adaptive: { order: 120, size: 'full', draw: adaptiveChart },
} as const satisfies Record<string, RunChart>;

/** The name a run chart is registered under. */
export type RunChartName = keyof typeof RUN_CHARTS;

/** The run charts by name, in page order. */
export const RUN_CHART_ORDER: readonly RunChartName[] = (Object.keys(RUN_CHARTS) as RunChartName[]).sort((a, b) => RUN_CHARTS[a].order - RUN_CHARTS[b].order);

/** Every per-run chart that has something to show, in the order the page shows them, colours from the page's palette. */
export function runCharts(run: RunResult, pal: Palette = palette([run])): TopLevelSpec[] {
  return RUN_CHART_ORDER.flatMap((name) => {
    const spec = RUN_CHARTS[name].draw(run, pal);
    return spec ? [spec] : [];
  });
}

/** The per-run charts that have something to show, split as the page shows them: the run's own, and those about its workload. */
export function runChartGroups(run: RunResult, pal: Palette = palette([run])): { run: TopLevelSpec[]; workload: TopLevelSpec[] } {
  const out: { run: TopLevelSpec[]; workload: TopLevelSpec[] } = { run: [], workload: [] };
  for (const name of RUN_CHART_ORDER) {
    const entry: RunChart = RUN_CHARTS[name];
    const spec = entry.draw(run, pal);
    if (spec) out[entry.group ?? 'run'].push(spec);
  }
  return out;
}

// Every chart and the kit's names the report's tests and pages have always taken from here.
export { sweepAxis } from './answer.js';
export { adaptiveChart, admissionsChart, healthChart, inFlightChart, keyWaitChart, keyWindowChart, latencyCdfChart, limiterChart, offeredChart, offeredTokensChart, outcomesChart, phasesChart, providerShareChart, tokensChart, ttftCdfChart };
export { KEY_WAIT_STATS } from './charts/key-wait.js';
export { BURST_LEGEND, FLOWS } from './charts/parts.js';
export { OUTCOMES } from './charts/outcomes.js';
export { PHASES } from './charts/phases.js';
export { LIMITER_FIGURES } from './charts/limiter.js';
export { TOKEN_FLOWS } from './charts/tokens.js';
export { publishedChart, VERDICTS } from './charts/published.js';
export { runsChart } from './charts/runs.js';
export { searchChart, type SearchPoint } from './charts/search.js';
export { commonWidth, type FaultSpan, faultSpans, nearlySame, rebin } from './charts/parts.js';
export { chartSize, facetColumns, FULL, HALF, palette, wrap, wrapList } from './vega.js';
export type { Palette } from './vega.js';
