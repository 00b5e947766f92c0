/**
 * Successive halving (Jamieson & Talwalkar 2016; one bracket of Hyperband, Li et al. 2018) with
 * requests as the fidelity and seeds as replications. Pure: it sees the simulator only through
 * `evaluate`, and every decision is taken on a whole rung's results in configuration order, so the
 * trials asked for depend on nothing but the answers (never on how many threads or machines run
 * them, or in which order they finish).
 *
 * Rung i runs its configurations for a fraction of the file's requests (the last rung: all of
 * them), each with every seed. The rung is ranked (`rankRung`) and the best ⌈n/η⌉ go on to the
 * next (at least two while two are left, so the last rung always compares a winner with a
 * runner-up).
 */

/** What one simulation says: the goal met or not, the goal's metric, how far from the goal (0 when met), the configuration's cost (keys). */
export interface Outcome {
  met: boolean;
  value: number | null;
  shortfall: number;
  cost: number;
}

/** One simulation to run: configuration `config` (its index in draw order) at rung `rung` with `seed`. */
export interface TrialRequest {
  config: number;
  rung: number;
  seed: number;
}

/** One configuration at one rung, run with every seed. */
export interface RungEntry<O extends Outcome = Outcome> {
  config: number;
  rung: number;
  /** Seeds whose run met the goal. */
  heldIn: number;
  /** The goal held in every seed. */
  held: boolean;
  /** Mean of the goal's metric over the seeds that measured it (null: none did). */
  mean: number | null;
  /** Mean shortfall over the seeds (0: the goal held in all). */
  shortfall: number;
  cost: number;
  runs: { seed: number; outcome: O }[];
}

export interface HalvingOptions {
  /** Configurations at the first rung (indices 0 … configs−1). */
  configs: number;
  /** Rungs, each a share of the requests, increasing, the last 1. */
  rungs: readonly number[];
  /** Keep ⌈n/η⌉ of n at each rung (η ≥ 2). */
  eta: number;
  seeds: readonly number[];
  /** Feasible configurations whose metric is within this share of the best are ranked by cost first. */
  tolerance: number;
}

export type EvaluateTrials<O extends Outcome = Outcome> = (batch: readonly TrialRequest[]) => readonly O[] | Promise<readonly O[]>;

/** How many of `n` go on to the next rung: ⌈n/η⌉, but two while at least two are left. */
export const survivors = (n: number, eta: number): number => (n <= 2 ? n : Math.max(2, Math.ceil(n / eta)));

/** Configurations at each rung, starting from `n`. */
export function rungSizes(n: number, rungs: number, eta: number): number[] {
  const sizes: number[] = [];
  for (let i = 0, k = n; i < rungs; i++, k = survivors(k, eta)) sizes.push(k);
  return sizes;
}

/** What a plan costs: every rung's configurations × seeds × the rung's cost per simulation. */
export function planCost(n: number, unitCost: readonly number[], eta: number, seeds: number): number {
  return rungSizes(n, unitCost.length, eta).reduce((sum, k, i) => sum + k * seeds * unitCost[i]!, 0);
}

/**
 * The most configurations (at most `max`) whose plan costs no more than `budget`; 0 when not even
 * one fits. `unitCost[i]` is one simulation's cost at rung i (1 each for a budget of simulations).
 */
export function configsWithin(budget: number, max: number, unitCost: readonly number[], eta: number, seeds: number): number {
  let lo = 0;
  let hi = Math.max(0, Math.floor(max));
  // planCost grows with n, so the largest n that fits is found by bisection.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (planCost(mid, unitCost, eta, seeds) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const byMeanDesc = (a: RungEntry, b: RungEntry): number => (b.mean ?? -Infinity) - (a.mean ?? -Infinity);

/**
 * A rung ranked best first. Where the goal held in every seed: those within `tolerance` of the
 * best metric (as good, in practice) cheapest first, then the rest by metric. Then those where it
 * failed: held in more seeds first, then nearer the goal, then by metric. Ties: draw order.
 */
export function rankRung<E extends RungEntry>(entries: readonly E[], tolerance: number): E[] {
  const feasible = entries.filter((e) => e.held);
  const best = Math.max(...feasible.map((e) => e.mean ?? -Infinity));
  const near = (e: E): boolean => e.held && (e.mean ?? -Infinity) >= best - tolerance * Math.abs(best);
  const tier = (e: E): number => (near(e) ? 0 : e.held ? 1 : 2);
  return [...entries].sort((a, b) => {
    const t = tier(a) - tier(b);
    if (t) return t;
    let d = 0;
    if (tier(a) === 0) d = a.cost - b.cost || byMeanDesc(a, b);
    else if (tier(a) === 1) d = byMeanDesc(a, b) || a.cost - b.cost;
    else d = b.heldIn - a.heldIn || a.shortfall - b.shortfall || byMeanDesc(a, b) || a.cost - b.cost;
    return d || a.config - b.config;
  });
}

/** Problems with the options, one line each (empty: fine). */
export function halvingProblems(o: HalvingOptions): string[] {
  const p: string[] = [];
  if (!Number.isInteger(o.configs) || o.configs < 1) p.push(`expected at least one configuration, got ${o.configs}`);
  if (o.rungs.length === 0 || o.rungs.at(-1) !== 1 || o.rungs.some((r, i) => !(r > 0) || (i > 0 && r <= o.rungs[i - 1]!))) p.push(`expected rungs increasing to 1, got ${o.rungs.join(', ')}`);
  if (!(o.eta >= 2)) p.push(`expected η of at least 2, got ${o.eta}`);
  if (o.seeds.length === 0) p.push('expected at least one seed');
  if (!(o.tolerance >= 0)) p.push(`expected a tolerance of 0 or more, got ${o.tolerance}`);
  return p;
}

export interface HalvingAnswer<O extends Outcome = Outcome> {
  /** Every rung ranked best first; rung i's first `rungSizes[i+1]` went on. */
  rungs: RungEntry<O>[][];
  /** The last rung's first (null: nothing ran). */
  best: RungEntry<O> | null;
  /** The last rung's second, if any. */
  runnerUp: RungEntry<O> | null;
}

/** The search: each rung asked for at once (configuration order, then seed order), ranked, halved. */
export async function successiveHalving<O extends Outcome>(o: HalvingOptions, evaluate: EvaluateTrials<O>): Promise<HalvingAnswer<O>> {
  const problems = halvingProblems(o);
  if (problems.length) throw new RangeError(problems.join('; '));
  const ranked: RungEntry<O>[][] = [];
  let alive = Array.from({ length: o.configs }, (_, i) => i);
  for (let rung = 0; rung < o.rungs.length; rung++) {
    // Configuration order, whatever order they were ranked in: a rung's batch is the same set however it was reached.
    alive = [...alive].sort((a, b) => a - b);
    const batch = alive.flatMap((config) => o.seeds.map((seed) => ({ config, rung, seed })));
    const outcomes = await evaluate(batch);
    if (outcomes.length !== batch.length) throw new Error(`evaluate answered ${outcomes.length} of ${batch.length} trials`);
    const entries = alive.map((config, i): RungEntry<O> => {
      const runs = o.seeds.map((seed, j) => ({ seed, outcome: outcomes[i * o.seeds.length + j]! }));
      const measured = runs.map((r) => r.outcome.value).filter((v): v is number => v !== null && Number.isFinite(v));
      const heldIn = runs.filter((r) => r.outcome.met).length;
      return {
        config,
        rung,
        heldIn,
        held: heldIn === runs.length,
        mean: measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : null,
        shortfall: runs.reduce((a, r) => a + r.outcome.shortfall, 0) / runs.length,
        cost: runs[0]!.outcome.cost,
        runs,
      };
    });
    const order = rankRung(entries, o.tolerance);
    ranked.push(order);
    alive = order.slice(0, survivors(order.length, o.eta)).map((e) => e.config);
  }
  const last = ranked.at(-1) ?? [];
  return { rungs: ranked, best: last[0] ?? null, runnerUp: last[1] ?? null };
}

/** Two-sided 95% quantiles of Student's t for 1 … 30 degrees of freedom. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** t(0.975, df); beyond 30, 1.96 + 2.4/df (within 0.002 of the table at 40, 60 and 120). */
export const t95 = (df: number): number => (df <= 30 ? T95[df - 1]! : 1.96 + 2.4 / df);

/** A mean with its 95% interval (Student's t over the values); null bounds with a single value. */
export interface Interval {
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
}

export function meanInterval(values: readonly number[]): Interval | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: null, high: null, n };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half, n };
}

/**
 * The difference a − b, paired by seed (both ran the same seeds, so the arrivals and sizes they
 * saw are the same draws): its mean and 95% interval, and whether the interval excludes 0.
 * With one seed, or identical differences, the interval is the mean itself.
 */
export function pairedDifference(a: readonly (number | null)[], b: readonly (number | null)[]): (Interval & { separable: boolean }) | null {
  const d: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== null && b[i] !== null && a[i] !== undefined && b[i] !== undefined) d.push(a[i]! - b[i]!);
  }
  const iv = meanInterval(d);
  if (!iv) return null;
  const low = iv.low ?? iv.mean;
  const high = iv.high ?? iv.mean;
  // With one seed there is no spread to judge by: never call it separable.
  return { ...iv, separable: iv.n > 1 && (low > 0 || high < 0) };
}
