/**
 * `gatesim search` on the simulator: a scenario file, one field varied over a range, each variant
 * searched on its own (search.ts), every probe a simulation per seed, on worker threads or here.
 * The probes of every variant go to one pool at once; each variant's probes depend only on its own
 * answers, so the answer and the probes are the same whatever the number of threads.
 */
import type { VariantMetrics, VariantResult } from '../metrics/results.js';
import { simulate } from '../modes/simulate.js';
import { redact } from '../report/redact.js';
import type { SearchMiss, SearchProbeJson, SearchResults, SearchRunJson } from '../report/search-page.js';
import { showSearchValue } from '../report/search-page.js';
import { loadScenario } from '../scenario/load.js';
import { readYaml } from '../scenario/yaml.js';
import type { Plan, Scenario } from '../scenario/types.js';
import { parseRate } from '../core/units.js';
import { checkGoal, describeConstraint, formatGoalValue, type Goal } from '../metrics/goal.js';
import { openPool, type OpenPool } from './pool.js';
import { confidence, defaultStep, replicationSeeds, search, searchProblems, type Check } from './search.js';

/** The varied field and its range, as `--vary FIELD=LOW..HIGH` gives them. */
export interface Vary {
  field: string;
  low: number;
  high: number;
  /** A rate: values are requests per second, set as `N/s`. */
  rate: boolean;
  /** Values are whole numbers (keys, workers): the grid steps by whole numbers. */
  integer: boolean;
}

const NUM = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?`;
const BOUND = new RegExp(`^(${NUM})(/(?:${NUM})?(?:ms|s|min|m|h))?$`);

/** `workload.arrivals.rate=0.5/s..20/s` → a Vary, or why not (one line). Rates may be in any unit; they are kept per second. */
export function parseVary(text: string): Vary | string {
  const eq = text.indexOf('=');
  const field = text.slice(0, eq).trim();
  const range = text.slice(eq + 1).split('..');
  const expected = 'expected FIELD=LOW..HIGH such as workload.arrivals.rate=0.5/s..20/s or keys.count=1..16';
  if (eq < 1 || range.length !== 2 || !/^[A-Za-z_$][\w$]*(\.[\w$]+)*$/.test(field)) return `${expected}, got ${text}`;
  const ends = range.map((r) => BOUND.exec(r.trim()));
  if (!ends[0] || !ends[1]) return `${expected}, got ${text}`;
  const perS = (m: RegExpExecArray): number => {
    if (!m[2]) return Number(m[1]);
    const r = parseRate(`${m[1]}${m[2]}`)!;
    return (r.count / r.windowMs) * 1000;
  };
  const [low, high] = ends.map((m) => perS(m!)) as [number, number];
  const rate = ends.some((m) => m![2] !== undefined) || field.endsWith('.rate');
  if (ends.some((m) => m![2] !== undefined) && ends.some((m) => m![2] === undefined)) return `${field}: expected both ends of the range with a unit (0.5/s..20/s) or neither, got ${text}`;
  if (!(low < high)) return `${field}: expected LOW below HIGH, got ${text}`;
  if (rate && low <= 0) return `${field}: expected a rate above 0 at LOW, got ${text}`;
  return { field, low: tidy(low), high: tidy(high), rate, integer: !rate && Number.isInteger(low) && Number.isInteger(high) };
}

/** 120/min → 2, not 1.9999999999999998. */
const tidy = (v: number): number => Number(v.toPrecision(12));

/** The text `--set` gets for a value of the field. */
export const setText = (vary: Vary, v: number): string => (vary.rate ? `${v}/s` : String(v));

/** A goal as a search's judge: met or not, the goal's metric, each constraint missed with its measured value. */
export function judgeBy(goal: Goal): (m: VariantMetrics) => Judged {
  return (m) => {
    const c = checkGoal(goal, m);
    return {
      met: c.met,
      value: c.value,
      failed: c.failed.map((f) => ({ constraint: describeConstraint(f.constraint), actual: f.actual === null ? null : formatGoalValue(f.constraint.metric, f.actual), by: f.by })),
    };
  };
}

/** What one simulation says of the goal, with the constraints it missed. */
export interface Judged extends Check {
  failed: SearchMiss[];
}

export interface SearchSpec {
  file: string;
  /** The command line's `--set`s, before the varied field's. */
  sets: string[];
  seed?: number;
  vary: Vary;
  step?: number;
  want: 'largest' | 'smallest';
  /** Replications per probe. */
  seeds: number;
  /** The goal, applied to one simulation's metrics. */
  judge: (m: VariantMetrics) => Judged;
  goal: SearchResults['goal'];
  /** Variants to search (all when empty). */
  only?: string[];
  /** Worker threads (1: simulate here). */
  jobs: number;
  /** Run every simulation on this pool instead (a queue's workers); the caller destroys it. */
  pool?: OpenPool;
  /** Called as each probe is decided: the variant, the value as shown, the seeds that held, of how many, the goal's metric's mean. */
  progress?: (variant: string, value: string, heldIn: number, of: number, mean: number | null) => void;
}

/** A problem with the search as asked (bad range, step, variant): thrown as one line. */
export class SearchError extends Error {}

/** Names of the file's variants that set `field` themselves (a variant's own value wins over --set). */
export function variantsSetting(source: string, field: string): string[] {
  const read = readYaml(source);
  if (!read.ok) return [];
  const variants = (read.value as { variants?: unknown }).variants;
  if (!Array.isArray(variants)) return [];
  const path = field.split('.');
  const has = (v: unknown, i: number): boolean => {
    if (i === path.length) return true;
    return typeof v === 'object' && v !== null && Object.hasOwn(v, path[i]!) && has((v as Record<string, unknown>)[path[i]!], i + 1);
  };
  return variants.filter((v) => has(v, 0)).map((v) => String((v as { name?: unknown }).name));
}

/**
 * Why a loaded file cannot be searched over `field` (one line), or undefined: a sweep or runs, an
 * unknown variant in `only`, or a variant that sets the field itself.
 */
export function searchProblem(base: Plan, field: string, only: readonly string[]): string | undefined {
  if (base.sweep) return `${base.file}: expected a file without sweep: (search varies ${field} itself)`;
  if (base.runs.length > 1) return `${base.file}: expected a file without runs: (search answers for each variant of one run)`;
  const names = base.runs[0]!.variants.map((v) => v.name);
  for (const n of only) {
    if (!names.includes(n)) return `--only ${n}: expected a variant name (one of ${names.join(' | ')})`;
  }
  // A variant that sets the field itself keeps its own value (variants apply after --set): the search could not move it.
  const own = variantsSetting(base.source, field).filter((n) => only.length === 0 || only.includes(n));
  if (own.length) {
    return `${base.file}: variant ${own.join(', ')} sets ${field} itself, so the search cannot vary it there; remove it from the variant, or leave the variant out with --only`;
  }
  return undefined;
}

/** The file loaded with the varied field at `value` (the field set after the command line's --sets). */
function planAt(spec: SearchSpec, value: number | null): Plan {
  const sets = value === null ? spec.sets : [...spec.sets, `${spec.vary.field}=${setText(spec.vary, value)}`];
  return loadScenario(spec.file, { seed: spec.seed, sets });
}

export async function runSearch(spec: SearchSpec): Promise<SearchResults> {
  const base = planAt(spec, null);
  const problem = searchProblem(base, spec.vary.field, spec.only ?? []);
  if (problem) throw new SearchError(problem);
  const variants = base.runs[0]!.variants.filter((v) => !spec.only?.length || spec.only.includes(v.name));
  const step = spec.step ?? defaultStep(spec.vary.low, spec.vary.high, spec.vary.integer);
  if (spec.vary.integer && !Number.isInteger(step)) throw new SearchError(`--step: ${spec.vary.field} takes whole numbers, expected a whole step, got ${step}`);
  const seeds = replicationSeeds(base.seed, spec.seeds);
  const options = { low: spec.vary.low, high: spec.vary.high, step, want: spec.want, seeds };
  const problems = searchProblems(options);
  if (problems.length) throw new SearchError(`--vary ${spec.vary.field}: ${problems.join('; ')}`);
  // Each value loaded once (a value out of the field's bounds is the file's error, named with the value).
  const plans = new Map<number, Plan>();
  const scenarioAt = (value: number, variant: string, seed: number): Scenario => {
    let plan = plans.get(value);
    if (!plan) plans.set(value, (plan = planAt(spec, value)));
    const v = plan.runs[0]!.variants.find((x) => x.name === variant)!;
    return { ...v.scenario, seed };
  };
  const pool = spec.pool ?? (spec.jobs > 1 ? await openPool(spec.jobs) : undefined);
  const simulateOne = async (scenario: Scenario, name: string): Promise<VariantResult> =>
    pool ? (await pool.run({ scenario, name, metricsOnly: true })).result : simulate(scenario, name).result;
  try {
    const answers = await Promise.all(
      variants.map(async (v) => {
        const metricsOf = new Map<string, VariantMetrics>();
        const a = await search<Judged>(options, async (batch) => {
          const scenarios = batch.map((p) => scenarioAt(p.value, v.name, p.seed));
          const results = await Promise.all(scenarios.map((s) => simulateOne(s, v.name)));
          const checks = results.map((r, i) => {
            metricsOf.set(`${batch[i]!.value} ${batch[i]!.seed}`, r.metrics);
            return spec.judge(r.metrics);
          });
          if (spec.progress) {
            for (let i = 0; i < batch.length; i += seeds.length) {
              const mine = checks.slice(i, i + seeds.length);
              const values = mine.map((c) => c.value).filter((x): x is number => x !== null);
              const mean = values.length ? values.reduce((x, y) => x + y, 0) / values.length : null;
              spec.progress(v.name, showSearchValue(spec.vary, batch[i]!.value), mine.filter((c) => c.met).length, seeds.length, mean);
            }
          }
          return checks;
        });
        const probes = a.probes.map((p): SearchProbeJson => ({
          order: p.order,
          value: p.value,
          held: p.held,
          heldIn: p.heldIn,
          mean: p.mean,
          runs: p.runs.map((r): SearchRunJson => ({ seed: r.seed, met: r.check.met, value: r.check.value, failed: r.check.failed, metrics: metricsOf.get(`${p.value} ${r.seed}`)! })),
        }));
        return {
          name: v.name,
          ...(v.condition ? { condition: true as const } : {}),
          status: a.status,
          value: a.value,
          next: a.next,
          failedAtNext: a.failedAtNext,
          confidence: confidence(a, (x) => showSearchValue(spec.vary, x)),
          probes,
        };
      }),
    );
    return {
      schema: 'gatesim.search/v1',
      scenario: base.name,
      description: base.description ?? null,
      file: base.file,
      seed: base.seed,
      seeds,
      vary: { field: spec.vary.field, rate: spec.vary.rate, integer: spec.vary.integer, low: spec.vary.low, high: spec.vary.high, step, want: spec.want },
      goal: spec.goal,
      variants: answers,
      ...(base.changed?.length ? { changed: base.changed } : {}),
      source: redact(base.source),
    };
  } finally {
    if (!spec.pool) await pool?.destroy();
  }
}
