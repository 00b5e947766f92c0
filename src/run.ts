import type { Results, RunResult, VariantResult } from './metrics/results.js';
import { runReal, type RealOptions } from './real.js';
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

/**
 * The same plan against live endpoints: every run × variant in turn on the wall clock (scaled).
 * An interruption stops at the variant it hit and marks the results partial.
 */
export async function runPlanReal(plan: Plan, opts: RealOptions, progress?: (run: string, variant: string, wallMs: number) => void): Promise<Results> {
  const runs: RunResult[] = [];
  let partial = false;
  for (const run of plan.runs) {
    const variants: VariantResult[] = [];
    for (const v of run.variants) {
      if (partial) break;
      const started = performance.now();
      const r = await runReal(v.scenario, `${run.name} / ${v.name}`, opts);
      variants.push({ ...r.result, name: v.name });
      progress?.(run.name, v.name, performance.now() - started);
      partial ||= r.partial;
    }
    if (variants.length > 0) runs.push({ name: run.name, variants });
    if (partial) break;
  }
  return {
    schema: 'gatesim.results/v1',
    scenario: plan.name,
    description: plan.description ?? null,
    file: plan.file,
    seed: plan.seed,
    mode: 'real',
    timeScale: opts.timeScale,
    ...(partial ? { partial: true } : {}),
    baseline: plan.baseline,
    units: { time: 'ms', rate: 'fraction', throughput: 'requests/s' },
    runs,
    reference: plan.reference,
  };
}
