import type { Results, RunResult } from './metrics/results.js';
import type { Plan } from './scenario/types.js';
import { simulate, type SimStats } from './simulate.js';

/** Called after each variant with wall-clock facts (which never enter results.json). */
export type Progress = (run: string, variant: string, stats: SimStats & { wallMs: number }) => void;

/** Scenario file → every run × variant in virtual time → results. Deterministic for a given plan. */
export function runPlan(plan: Plan, progress?: Progress): Results {
  const runs: RunResult[] = plan.runs.map((run) => ({
    name: run.name,
    variants: run.variants.map((v) => {
      const started = performance.now();
      const { result, stats } = simulate(v.scenario, v.name);
      progress?.(run.name, v.name, { ...stats, wallMs: performance.now() - started });
      return result;
    }),
  }));
  return {
    schema: 'gatesim.results/v1',
    scenario: plan.name,
    description: plan.description ?? null,
    file: plan.file,
    seed: plan.seed,
    mode: 'sim',
    baseline: plan.baseline,
    units: { time: 'ms', rate: 'fraction', throughput: 'requests/s' },
    runs,
    reference: plan.reference,
  };
}
