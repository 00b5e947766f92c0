import type { Results, RunResult, VariantResult } from './metrics/results.js';
import type { Cooldown, RealOptions } from './modes/real.js';
import { redact } from './report/redact.js';
import { DEFAULT_GOAL, checkGoal, describeGoal, type Goal } from './metrics/goal.js';
import type { Plan, PlanVariant, Scenario } from './scenario/types.js';
import { runTasks } from './study/pool.js';
import type { Task, TaskResult } from './study/worker.js';
import { simulate, type SimStats } from './modes/simulate.js';

/** Called after each variant with wall-clock facts (which never enter results.json). */
export type Progress = (run: string, variant: string, stats: SimStats & { wallMs: number }) => void;

/** A variant's entry in results: its result, marked when the plan calls it a condition (compared, never the best). */
function entry(result: VariantResult, v: PlanVariant): VariantResult {
  const marked = v.condition ? { ...result, condition: true as const } : result;
  return v.oracle ? { ...marked, oracle: true } : marked;
}

/**
 * A run's entry in results: its name, its sweep point, its variants (each with its throughput as a
 * share of the oracle's, when one is marked, and whether it met the goal).
 */
function runEntry(run: Plan['runs'][number], variants: VariantResult[], goal: Goal): RunResult {
  return { name: run.name, ...(run.point ? { point: run.point } : {}), variants: withOracleShare(variants).map((v) => ({ ...v, goal: checkGoal(goal, v.metrics) })) };
}

/** The goal a plan's verdict ranks by: its own, else the default. */
export const goalOf = (plan: Plan): Goal => plan.goal ?? DEFAULT_GOAL;

/** Every variant but the oracle gets metrics.oracleShare: its throughput ÷ the oracle's (null when the oracle got none through). */
function withOracleShare(variants: VariantResult[]): VariantResult[] {
  const oracle = variants.find((v) => v.oracle);
  if (!oracle) return variants;
  const base = oracle.metrics.throughputPerS;
  return variants.map((v) => {
    if (v === oracle) return v;
    const mine = v.metrics.throughputPerS;
    const share = base !== null && base > 0 && mine !== null ? Math.round((mine / base) * 1e4) / 1e4 : null;
    return { ...v, metrics: { ...v.metrics, oracleShare: share } };
  });
}

/** The runs of the plan, each variant's result given by `variant(runIndex, variantIndex)`. */
function runsOf(plan: Plan, variant: (r: number, v: number) => VariantResult): RunResult[] {
  return plan.runs.map((run, r) => runEntry(run, run.variants.map((v, i) => entry(variant(r, i), v)), goalOf(plan)));
}

/** The parts of results.json every mode shares; `mode` and its own fields come from the caller. */
function resultsOf(plan: Plan, runs: RunResult[], mode: Pick<Results, 'mode' | 'timeScale' | 'partial'>): Results {
  return {
    schema: 'gatesim.results/v1',
    scenario: plan.name,
    description: plan.description ?? null,
    file: plan.file,
    seed: plan.seed,
    ...mode,
    baseline: plan.baseline,
    units: {
      time: 'ms', rate: 'fraction', throughput: 'requests/s',
      ...(plan.runs.some((r) => r.variants.some((v) => v.scenario.workload.tokens)) ? { tokens: 'tokens' as const, tokenThroughput: 'tokens/s' as const } : {}),
    },
    runs,
    reference: plan.reference,
    ...studyFields(plan),
    ...(plan.changed?.length ? { changed: plan.changed } : {}),
    source: redact(plan.source),
  };
}

function simResults(plan: Plan, runs: RunResult[], partial = false): Results {
  return resultsOf(plan, runs, { mode: 'sim', ...(partial ? { partial: true } : {}) });
}

/** A sweep's fields, notes and marks (present only when the scenario has them), and the goal. */
function studyFields(plan: Plan): Pick<Results, 'sweep' | 'notes' | 'marks' | 'goal'> {
  return {
    ...(plan.sweep ? { sweep: plan.sweep } : {}),
    ...(plan.notes ? { notes: plan.notes } : {}),
    ...(plan.marks ? { marks: plan.marks } : {}),
    goal: { text: describeGoal(goalOf(plan)), ...goalOf(plan) },
  };
}

/**
 * Numbers one variant's series and latency CDF hold: per bucket (about 100) the outcome counts of
 * requests and attempts, mean latency, requests in flight, a count per key and two per provider.
 */
export function seriesNumbers(s: Scenario): number {
  return 101 * (16 + s.keys.count + 2 * s.providers.length) + 103;
}

/** Above this many series numbers in all (~40 MB of results.json), a sweep keeps series only where published figures are. */
export const COMPACT_ABOVE_NUMBERS = 5_000_000;
/** `--full` writes at most this many (~0.5 GB of results.json, a few GB of memory while written). */
export const FULL_MAX_NUMBERS = 50_000_000;

/** The series numbers a whole plan's results would hold. */
export const planSeriesNumbers = (plan: Plan): number =>
  plan.runs.reduce((n, r) => n + r.variants.reduce((m, v) => m + seriesNumbers(v.scenario), 0), 0);

/**
 * Which runs keep their series and latency CDF: every run, unless the plan is a sweep whose
 * series would exceed COMPACT_ABOVE_NUMBERS and `full` is not asked for; then the points with
 * published figures (the page's full sections) keep theirs and the others are dropped as each
 * simulation ends, so they never fill memory.
 */
export function seriesKept(plan: Plan, full: boolean): ((run: number) => boolean) | undefined {
  if (full || !plan.sweep || planSeriesNumbers(plan) <= COMPACT_ABOVE_NUMBERS) return undefined;
  return (r) => plan.reference[plan.runs[r]!.name] !== undefined;
}

/** A variant without its series and CDF (compact results). */
function stripped(result: VariantResult): VariantResult {
  const { series: _s, latencyCdf: _c, ...rest } = result;
  return rest as VariantResult;
}

/** Scenario file → every run × variant in virtual time → results. Deterministic for a given plan. */
export function runPlan(plan: Plan, progress?: Progress, keep?: (run: number) => boolean): Results {
  const results = simResults(
    plan,
    runsOf(plan, (r, i) => {
      const run = plan.runs[r]!;
      const v = run.variants[i]!;
      const started = performance.now();
      const { result, stats } = simulate(v.scenario, v.name);
      progress?.(run.name, v.name, { ...stats, wallMs: performance.now() - started });
      return keep && !keep(r) ? stripped(result) : result;
    }),
  );
  return keep ? { ...results, compact: true } : results;
}

/** Every (run × variant) of a plan: how many simulations it takes. */
export const planSize = (plan: Plan): number => plan.runs.reduce((n, r) => n + r.variants.length, 0);

/**
 * Runs the tasks somewhere (threads, a queue) and gives their results in task order, `done(i, r)`
 * as each comes back; a task not measured (the run stopped early) is undefined. `labels`: each
 * task as a person names it (run / variant).
 */
export type TaskRunner = (tasks: readonly Task[], done: (index: number, r: TaskResult) => void, labels: readonly string[]) => Promise<readonly (TaskResult | undefined)[]>;

/**
 * `runPlan` for several plans on up to `jobs` worker threads (or on `runner`: a queue's workers),
 * all their simulations at once: the same results, byte for byte (each simulation is deterministic
 * and they are gathered in plan order). `progress` is called as each finishes, in whatever order
 * that is. When the runner stops early, each plan keeps the runs whose variants all came back and
 * is marked partial.
 */
export async function runPlansParallel(plans: readonly Plan[], jobs: number, progress?: Progress, full = false, runner?: TaskRunner): Promise<Results[]> {
  const keeps = plans.map((plan) => seriesKept(plan, full));
  const tasks = plans.flatMap((plan, p) =>
    plan.runs.flatMap((run, r) => run.variants.map((v) => ({ scenario: v.scenario, name: v.name, run: run.name, keep: keeps[p]?.(r) ?? true }))),
  );
  const run: TaskRunner = runner ?? ((ts, each) => runTasks(ts, jobs, each));
  const done = await run(
    tasks.map(({ scenario, name }) => ({ scenario, name })),
    (i, r) => {
      if (!tasks[i]!.keep) r.result = stripped(r.result);
      progress?.(tasks[i]!.run, tasks[i]!.name, r.stats);
    },
    tasks.map((t) => `${t.run} / ${t.name}`),
  );
  let next = 0;
  return plans.map((plan, p) => {
    const first = next;
    next += planSize(plan);
    const offsets: number[] = [];
    plan.runs.reduce((n, x, r) => ((offsets[r] = n), n + x.variants.length), first);
    const at = (r: number, v: number): TaskResult | undefined => done[offsets[r]! + v];
    const whole = plan.runs.map((run, r) => run.variants.every((_, v) => at(r, v) !== undefined));
    const partial = whole.some((w) => !w);
    const kept = partial ? { ...plan, runs: plan.runs.filter((_, r) => whole[r]) } : plan;
    const index = plan.runs.map((_, r) => r).filter((r) => whole[r]);
    const results = simResults(kept, runsOf(kept, (r, v) => at(index[r]!, v)!.result), partial);
    return keeps[p] ? { ...results, compact: true } : results;
  });
}

/**
 * The same plan against live endpoints: every run × variant in turn on the wall clock (scaled).
 * Before each variant after the first, a cooldown (reset or wait) lets the providers' windows
 * clear, so no variant inherits another's quota use; before the first, a gatesim serve is reset
 * when it can be (its clock then starts with the run); each variant records what was done.
 * `--max-duration` truncates a variant and the next one still runs; an interruption (signal)
 * stops at the variant it hit and marks the results partial.
 */
export async function runPlanReal(plan: Plan, opts: RealOptions, progress?: (run: string, variant: string, wallMs: number) => void): Promise<Results> {
  // Real mode's HTTP client and Redis store load only for a real run: a simulation starts without them.
  const { coolDown, resetTokenFromEnv, runReal } = await import('./modes/real.js');
  resetTokenFromEnv(opts.env); // a malformed token is a mistake before anything runs
  const runs: RunResult[] = [];
  let partial = false;
  let degraded = false;
  let previous: Scenario | undefined;
  for (const run of plan.runs) {
    const variants: VariantResult[] = [];
    for (const v of run.variants) {
      const name = `${run.name} / ${v.name}`;
      const cooldown: Cooldown = await coolDown(previous, v.scenario, name, opts);
      if (opts.signal.aborted) {
        partial = true;
        break;
      }
      const started = performance.now();
      const r = await runReal(v.scenario, name, opts);
      variants.push(entry({ ...r.result, name: v.name, cooldown, ...(r.truncated ? { truncated: true as const } : {}) }, v));
      progress?.(run.name, v.name, performance.now() - started);
      partial ||= r.interrupted;
      degraded ||= r.degraded;
      previous = v.scenario;
      if (partial) break;
    }
    if (variants.length > 0) runs.push(runEntry(run, variants, goalOf(plan)));
    if (partial) break;
  }
  return {
    ...resultsOf(plan, runs, { mode: 'real', timeScale: opts.timeScale, ...(partial ? { partial: true } : {}) }),
    ...(degraded ? { degraded: true as const } : {}),
  };
}

/** results.json of a real run without its runs: what each shard file carries, for `gatesim merge` to write the same results. */
export function realHeader(plan: Plan, timeScale: number): Omit<Results, 'runs'> {
  const { runs: _runs, ...header } = resultsOf(plan, [], { mode: 'real', timeScale });
  return header;
}
