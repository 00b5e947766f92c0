/**
 * The worker-thread side of a parallel run: one (run × variant) simulation per task. Bundled on
 * demand by pool.ts (esbuild, like bin/gatesim.js bundles the CLI) so the thread runs plain JS.
 */
import type { VariantResult } from '../metrics/results.js';
import type { Scenario } from '../scenario/types.js';
import { simulate, type SimStats } from '../modes/simulate.js';

export interface Task {
  scenario: Scenario;
  name: string;
  /** Send back the metrics only (no series or latency CDF): a search needs nothing else. */
  metricsOnly?: boolean;
}

export interface TaskResult {
  result: VariantResult;
  stats: SimStats & { wallMs: number };
}

export default function run(task: Task): TaskResult {
  const started = performance.now();
  const { result, stats } = simulate(task.scenario, task.name);
  if (task.metricsOnly) {
    const { series: _s, latencyCdf: _c, ...rest } = result;
    return { result: rest as VariantResult, stats: { ...stats, wallMs: performance.now() - started } };
  }
  return { result, stats: { ...stats, wallMs: performance.now() - started } };
}
