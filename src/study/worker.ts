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
}

export interface TaskResult {
  result: VariantResult;
  stats: SimStats & { wallMs: number };
}

export default function run(task: Task): TaskResult {
  const started = performance.now();
  const { result, stats } = simulate(task.scenario, task.name);
  return { result, stats: { ...stats, wallMs: performance.now() - started } };
}
