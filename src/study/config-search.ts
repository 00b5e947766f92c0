/**
 * `gatesim search` over several fields at once (`--choose`, several `--vary`): configurations drawn
 * from the grid of choices × ranges (space.ts), raced by successive halving with requests as the
 * fidelity (halving.ts), every simulation through an `OpenPool` (threads here, or another backend),
 * then the winner compared with the runner-up and with the file as written, at full fidelity over
 * the same seeds.
 */
import { MAX_SEARCH_BUDGET } from '../core/limits.js';
import { checkGoal, describeConstraint, formatGoalValue, shortfall, type Goal } from '../metrics/goal.js';
import type { VariantMetrics } from '../metrics/results.js';
import type { ConfigSearchResults, ConfigTrialJson, ConfigEntryJson } from '../report/config-search-page.js';
import type { SearchMiss } from '../report/search-page.js';
import { redact } from '../report/redact.js';
import { ScenarioError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import type { Plan, PlanVariant, Scenario } from '../scenario/types.js';
import { configsWithin, meanInterval, pairedDifference, planCost, rungSizes, successiveHalving, type Outcome, type RungEntry } from './halving.js';
import type { OpenPool } from './pool.js';
import { replicationSeeds } from './search.js';
import { SearchError, setText, variantsSetting } from './search-run.js';
import { configValues, drawConfigs, gridSize, type Dimension } from './space.js';
import run from './worker.js';

/** Keep ⌈n/η⌉ at each rung. */
export const ETA = 3;
/** The rungs' shares of the file's requests: 1/9, 1/3, all (a rung below MIN_RUNG_REQUESTS is left out). */
export const RUNG_SHARES = [1 / 9, 1 / 3, 1] as const;
/** A short run of fewer requests than this says too little to rank by. */
export const MIN_RUNG_REQUESTS = 100;

/** A budget: simulations, or CPU milliseconds (converted to simulated requests from the file as written's own timing). */
export type Budget = { kind: 'simulations'; simulations: number } | { kind: 'cpu'; ms: number; text: string };

export interface ConfigSearchSpec {
  file: string;
  sets: string[];
  seed?: number;
  dims: Dimension[];
  seeds: number;
  budget: Budget;
  tolerance: number;
  goal: Goal;
  goalText: ConfigSearchResults['goal'];
  only?: string[];
  /** The pool every simulation goes to (the caller's threads or queue); absent: simulated here, one at a time. */
  open?: () => Promise<OpenPool>;
  progress?: (line: string) => void;
}

/** A trial's outcome, with what a report needs. */
interface Trial extends Outcome {
  failed: SearchMiss[];
  metrics: VariantMetrics;
  requests: number;
  wallMs: number;
}

/** Simulations here, on this thread, through the same interface as the threads. */
const here = (): OpenPool => ({ run: async (task) => run(task), destroy: async () => {} });

const VARIANT = 'variant';

/** The file's choosable variants (a condition changes the world, it is not chosen). */
const choosable = (plan: Plan, only: readonly string[]): PlanVariant[] =>
  plan.runs[0]!.variants.filter((v) => !v.condition && (only.length === 0 || only.includes(v.name)));

/**
 * Why the file cannot be searched over these fields (one line), or undefined: a sweep or runs, an
 * unknown variant in `only`, or a variant that sets a field the search sets.
 */
export function configSearchProblem(base: Plan, fields: readonly string[], only: readonly string[]): string | undefined {
  if (base.sweep) return `${base.file}: expected a file without sweep: (search varies ${fields.join(', ')} itself)`;
  if (base.runs.length > 1) return `${base.file}: expected a file without runs: (search answers for one run)`;
  const names = base.runs[0]!.variants.map((v) => v.name);
  for (const n of only) if (!names.includes(n)) return `--only ${n}: expected a variant name (one of ${names.join(' | ')})`;
  if (choosable(base, only).length === 0) return `${base.file}: expected a variant that is not a condition to search`;
  const twice = fields.find((f, i) => fields.indexOf(f) !== i);
  if (twice) return `${twice}: expected each field once among --vary and --choose`;
  for (const field of [...fields, 'workload.requests']) {
    const own = variantsSetting(base.source, field).filter((n) => only.length === 0 || only.includes(n));
    if (own.length) return `${base.file}: variant ${own.join(', ')} sets ${field} itself, so the search cannot set it there; remove it from the variant, or leave the variant out with --only`;
  }
  return undefined;
}

/** `--set` texts for one configuration (its variant apart). */
function setsOf(dims: readonly Dimension[], values: readonly (string | number)[]): string[] {
  return dims.flatMap((d, i) => (d.field === VARIANT && d.kind === 'choice' ? [] : [`${d.field}=${d.kind === 'range' ? setText(d, values[i] as number) : values[i]}`]));
}

/** Loads the file with these `--set`s, a schema's refusal turned into the search's one line. */
function load(spec: ConfigSearchSpec, sets: string[], blame: string): Plan {
  try {
    return loadScenario(spec.file, { seed: spec.seed, sets: [...spec.sets, ...sets] });
  } catch (e) {
    if (e instanceof ScenarioError) throw new SearchError(`${blame}: ${e.lines[0]!.replace(/^--set [^:]*: /, '')}`);
    throw e;
  }
}

/** The rungs' requests for a file of `requests`: 1/9, 1/3 and all of them, each at least MIN_RUNG_REQUESTS (the last always). */
export function rungRequests(requests: number): number[] {
  const out: number[] = [];
  for (const share of RUNG_SHARES) {
    const n = share === 1 ? requests : Math.round(requests * share);
    if ((share === 1 || n >= MIN_RUNG_REQUESTS) && !out.includes(n)) out.push(n);
  }
  return out;
}

export async function runConfigSearch(spec: ConfigSearchSpec): Promise<ConfigSearchResults> {
  const only = spec.only ?? [];
  const base = load(spec, [], 'the file');
  const problem = configSearchProblem(base, spec.dims.map((d) => d.field), only);
  if (problem) throw new SearchError(problem);
  const variants = choosable(base, only);
  // Several variants: which one is a choice too.
  const dims: Dimension[] = variants.length > 1 ? [{ kind: 'choice', field: VARIANT, values: variants.map((v) => v.name) }, ...spec.dims] : [...spec.dims];
  // Each value a schema might refuse, checked once before anything runs (a range at both ends).
  for (const d of spec.dims) {
    const texts = d.kind === 'choice' ? d.values : [setText(d, d.low), setText(d, d.high)];
    for (const t of texts) load(spec, [`${d.field}=${t}`], `--${d.kind === 'choice' ? 'choose' : 'vary'} ${d.field}=${t}`);
  }
  const seeds = replicationSeeds(base.seed, spec.seeds);
  const fileRequests = variants[0]!.scenario.workload.requests;
  const rungs = rungRequests(fileRequests);
  const size = gridSize(dims);
  const pool = spec.open ? await spec.open() : here();
  try {
    const simulate = async (scenario: Scenario, name: string): Promise<Trial> => {
      const r = await pool.run({ scenario, name, metricsOnly: true });
      const c = checkGoal(spec.goal, r.result.metrics);
      return {
        met: c.met,
        value: c.value,
        shortfall: c.met ? 0 : shortfall(c, r.result.metrics),
        cost: scenario.keys.count,
        failed: c.failed.map((f) => ({ constraint: describeConstraint(f.constraint), actual: f.actual === null ? null : formatGoalValue(f.constraint.metric, f.actual), by: f.by })),
        metrics: r.result.metrics,
        requests: scenario.workload.requests,
        wallMs: r.stats.wallMs,
      };
    };
    // The file as written: the comparison the answer is read against (and, for a CPU budget, the clock).
    const current = variants[0]!;
    const used = { simulations: seeds.length, requests: seeds.length * fileRequests };
    const tooSmall = (budget: number, unitCost: number[], asked: string): SearchError => {
      const need = planCost(1, unitCost, ETA, seeds.length) + (spec.budget.kind === 'simulations' ? used.simulations : used.requests);
      return new SearchError(
        spec.budget.kind === 'simulations'
          ? `--budget: expected at least ${need} simulations (the file as written and one configuration, ${seeds.length} seed${seeds.length === 1 ? '' : 's'} each at ${rungs.length} rung${rungs.length === 1 ? '' : 's'}), got ${asked}`
          : `--budget: ${asked} of CPU time simulates about ${budget + used.requests} requests here, expected room for at least ${need}`,
      );
    };
    // A budget of simulations is checked before anything runs.
    const simulationsPlan = spec.budget.kind === 'simulations' ? rungs.map(() => 1) : null;
    if (spec.budget.kind === 'simulations' && configsWithin(spec.budget.simulations - used.simulations, size, simulationsPlan!, ETA, seeds.length) < 1) {
      throw tooSmall(spec.budget.simulations - used.simulations, simulationsPlan!, String(spec.budget.simulations));
    }
    const currentTrials = await Promise.all(seeds.map((seed) => simulate({ ...current.scenario, seed }, current.name)));
    let unitCost: number[];
    let budget: number;
    let budgetJson: ConfigSearchResults['method']['budget'];
    if (spec.budget.kind === 'simulations') {
      unitCost = simulationsPlan!;
      budget = spec.budget.simulations - used.simulations;
      budgetJson = { kind: 'simulations', asked: String(spec.budget.simulations), simulations: spec.budget.simulations };
    } else {
      // CPU time → requests simulated, at the rate this machine simulated the file as written.
      const msPerRequest = Math.max(1e-6, currentTrials.reduce((a, t) => a + t.wallMs, 0) / used.requests);
      unitCost = [...rungs];
      budget = Math.floor(spec.budget.ms / msPerRequest) - used.requests;
      budgetJson = { kind: 'cpu', asked: spec.budget.text, requests: Math.floor(spec.budget.ms / msPerRequest) };
    }
    // Whatever the budget, no more simulations than MAX_SEARCH_BUDGET.
    const n = Math.min(configsWithin(budget, size, unitCost, ETA, seeds.length), configsWithin(MAX_SEARCH_BUDGET - used.simulations, size, rungs.map(() => 1), ETA, seeds.length));
    if (n < 1) throw tooSmall(budget, unitCost, spec.budget.kind === 'simulations' ? String(spec.budget.simulations) : spec.budget.text);
    const drawn = drawConfigs(dims, n, base.seed);
    const values = drawn.map((c) => configValues(dims, c));
    const sizes = rungSizes(n, rungs.length, ETA);
    spec.progress?.(`${n} of ${size} configuration${size === 1 ? '' : 's'}; rungs of ${rungs.map((r, i) => `${sizes[i]} × ${r} requests`).join(', then ')}; ${seeds.length} seed${seeds.length === 1 ? '' : 's'} each`);
    const plans = new Map<string, Scenario>();
    const scenarioOf = (config: number, rung: number): { scenario: Scenario; name: string } => {
      const v = values[config]!;
      const name = variants.length > 1 ? (v[0] as string) : current.name;
      const key = `${config} ${rung}`;
      let scenario = plans.get(key);
      if (!scenario) {
        const plan = load(spec, [...setsOf(dims, v), `workload.requests=${rungs[rung]}`], `configuration ${config + 1}`);
        scenario = plan.runs[0]!.variants.find((x) => x.name === name)!.scenario;
        plans.set(key, scenario);
      }
      return { scenario, name };
    };
    const answer = await successiveHalving<Trial>({ configs: n, rungs: rungs.map((r) => r / fileRequests), eta: ETA, seeds, tolerance: spec.tolerance }, async (batch) => {
      const out = await Promise.all(batch.map((t) => {
        const { scenario, name } = scenarioOf(t.config, t.rung);
        return simulate({ ...scenario, seed: t.seed }, name);
      }));
      const rung = batch[0]?.rung ?? 0;
      spec.progress?.(`rung ${rung + 1} of ${rungs.length}: ${batch.length / seeds.length} configuration${batch.length === seeds.length ? '' : 's'} × ${rungs[rung]} requests × ${seeds.length} seed${seeds.length === 1 ? '' : 's'} done`);
      return out;
    });
    const fields = dims.map((d) => d.field);
    const valuesJson = (config: number): Record<string, string | number> => Object.fromEntries(fields.map((f, i) => [f, values[config]![i]!]));
    const entryJson = (e: RungEntry<Trial>, rank: number): ConfigEntryJson => ({
      config: e.config,
      rung: e.rung,
      requests: rungs[e.rung]!,
      rank,
      promoted: e.rung < rungs.length - 1 && rank <= (sizes[e.rung + 1] ?? 0),
      keys: e.cost,
      seeds: e.runs.length,
      heldIn: e.heldIn,
      held: e.held,
      mean: e.mean,
    });
    const trialJson = (config: number | null, rung: number, t: { seed: number; outcome: Trial }): ConfigTrialJson => ({
      config,
      rung,
      requests: t.outcome.requests,
      seed: t.seed,
      met: t.outcome.met,
      value: t.outcome.value,
      keys: t.outcome.cost,
      failed: t.outcome.failed,
      metrics: t.outcome.metrics,
    });
    const valuesOf = (runs: readonly { outcome: Trial }[]): (number | null)[] => runs.map((r) => r.outcome.value);
    const measured = (runs: readonly { outcome: Trial }[]): number[] => valuesOf(runs).filter((v): v is number => v !== null);
    const currentRuns = currentTrials.map((outcome, i) => ({ seed: seeds[i]!, outcome }));
    const summary = (e: RungEntry<Trial>) => ({
      config: e.config,
      values: valuesJson(e.config),
      keys: e.cost,
      held: e.held,
      heldIn: e.heldIn,
      metric: meanInterval(measured(e.runs)),
    });
    const best = answer.best!;
    const runnerUp = answer.runnerUp;
    const currentHeldIn = currentTrials.filter((t) => t.met).length;
    return {
      schema: 'gatesim.configsearch/v1',
      scenario: base.name,
      description: base.description ?? null,
      file: base.file,
      seed: base.seed,
      seeds,
      goal: spec.goalText,
      space: {
        dimensions: dims.map((d) => (d.kind === 'choice' ? { kind: 'choice', field: d.field, values: d.values } : { kind: 'range', field: d.field, low: d.low, high: d.high, step: d.step, rate: d.rate, integer: d.integer })),
        size,
      },
      method: {
        name: 'successive halving',
        eta: ETA,
        tolerance: spec.tolerance,
        rungs: rungs.map((requests, i) => ({ requests, configs: sizes[i]! })),
        budget: budgetJson,
        simulations: used.simulations + sizes.reduce((a, k) => a + k * seeds.length, 0),
        requestsSimulated: used.requests + sizes.reduce((a, k, i) => a + k * seeds.length * rungs[i]!, 0),
      },
      current: {
        name: current.name,
        keys: current.scenario.keys.count,
        held: currentHeldIn === seeds.length,
        heldIn: currentHeldIn,
        metric: meanInterval(measured(currentRuns)),
      },
      answer: {
        ...summary(best),
        vsCurrent: pairedDifference(valuesOf(best.runs), valuesOf(currentRuns)),
        runnerUp: runnerUp ? { ...summary(runnerUp), difference: pairedDifference(valuesOf(best.runs), valuesOf(runnerUp.runs)) } : null,
      },
      configs: values.map((_, i) => ({ config: i, values: valuesJson(i) })),
      entries: answer.rungs.flatMap((r) => r.map((e, i) => entryJson(e, i + 1))),
      trials: [
        ...currentRuns.map((t) => trialJson(null, rungs.length - 1, t)),
        ...answer.rungs.flatMap((r) => [...r].sort((a, b) => a.config - b.config).flatMap((e) => e.runs.map((t) => trialJson(e.config, e.rung, t)))),
      ],
      ...(base.changed?.length ? { changed: base.changed } : {}),
      source: redact(base.source),
    };
  } finally {
    await pool.destroy();
  }
}
