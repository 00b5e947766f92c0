/**
 * `gatesim search`: the largest (or smallest) value of one monotone field for which a goal holds,
 * by bisection on a grid. Pure: it sees the simulator only through `evaluate`, so it is tested
 * without it, and the probes it asks for depend on nothing but the answers it gets (never on how
 * many threads answer them, or in which order).
 *
 * The method: the range LOW..HIGH is a grid of points LOW + k·step. Both ends are probed first
 * (the bracket); if the goal holds at the near end and fails at the far end, the bracket is
 * halved on the grid until its ends are one step apart. A probe is one value run with every seed;
 * it holds only when the goal holds in all of them. With `largest`, the goal is assumed to hold
 * below some bound and fail above it (more arrivals, more 429s); with `smallest`, the reverse
 * (fewer keys, more 429s).
 */
import { MAX_SEARCH_GRID } from '../core/limits.js';

/** What one simulation says of the goal: met or not, and the goal's metric (null: not measured). */
export interface Check {
  met: boolean;
  value: number | null;
}

/** One simulation to run: the field at `value`, with `seed`. */
export interface ProbeRequest {
  value: number;
  seed: number;
}

/**
 * Answers a batch of simulations, in the order asked (they may run at once on other threads).
 * May return the checks directly or a promise of them.
 */
export type Evaluate<C extends Check = Check> = (batch: readonly ProbeRequest[]) => readonly C[] | Promise<readonly C[]>;

export interface SearchOptions {
  low: number;
  high: number;
  /** Grid step (> 0): the answer is exact to within it. */
  step: number;
  /** `largest`: the goal holds below the bound; `smallest`: above it. */
  want: 'largest' | 'smallest';
  /** Seeds every probe runs with (at least one). */
  seeds: readonly number[];
}

/** One probed value: each seed's check, and whether it held in all of them. */
export interface Probe<C extends Check = Check> {
  /** 1-based order in which it was probed. */
  order: number;
  value: number;
  held: boolean;
  /** Seeds whose run met the goal. */
  heldIn: number;
  /** Mean of the goal's metric over the seeds that measured it (null: none did). */
  mean: number | null;
  runs: { seed: number; check: C }[];
}

/**
 * found: the bound lies in the range (`value` held, `next` one step beyond it failed).
 * none: the goal fails already at the near end (`next` = that end, no value holds).
 * all: the goal holds at the far end too (`value` = that end; the bound lies beyond the range).
 */
export type SearchStatus = 'found' | 'none' | 'all';

export interface SearchAnswer<C extends Check = Check> {
  status: SearchStatus;
  /** The largest (smallest) value that held in every seed, or null (status none). */
  value: number | null;
  /** The value one step beyond it that failed, or null (status all). */
  next: number | null;
  /** Seeds at `value` (all of them held) and seeds at `next` that failed. */
  seeds: number;
  failedAtNext: number | null;
  /** Every probe, in the order probed. */
  probes: Probe<C>[];
}

/** Problems with the options, as one line each (empty: fine). */
export function searchProblems(o: SearchOptions): string[] {
  const p: string[] = [];
  if (!Number.isFinite(o.low) || !Number.isFinite(o.high)) p.push(`expected finite bounds, got ${o.low}..${o.high}`);
  else if (!(o.low < o.high)) p.push(`expected LOW below HIGH, got ${o.low}..${o.high}`);
  if (!(o.step > 0) || !Number.isFinite(o.step)) p.push(`expected a positive step, got ${o.step}`);
  else if (Number.isFinite(o.low) && o.high > o.low && (o.high - o.low) / o.step > MAX_GRID) p.push(`expected at most ${MAX_GRID} steps between LOW and HIGH, got ${Math.ceil((o.high - o.low) / o.step)}`);
  if (o.seeds.length === 0) p.push('expected at least one seed');
  return p;
}

/** Grid points at most (bisection needs log2 of it, ~30 probes). */
export const MAX_GRID = MAX_SEARCH_GRID;

/** Decimal digits of a step (0.05 → 2), so grid values print as written rather than 0.30000000000000004. */
const digits = (step: number): number => {
  const s = String(step);
  const e = /e-(\d+)$/.exec(s);
  if (e) return Number(e[1]) + (s.split('e')[0]!.split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
};

/**
 * The search. Deterministic: the probes asked for depend only on the options and the checks
 * returned. Probes the near end and the far end together, then bisects.
 */
export async function search<C extends Check>(o: SearchOptions, evaluate: Evaluate<C>): Promise<SearchAnswer<C>> {
  const problems = searchProblems(o);
  if (problems.length) throw new RangeError(problems.join('; '));
  // Grid index k ↦ value; the last index is HIGH itself even when the range is not a whole number of steps.
  const last = Math.ceil((o.high - o.low) / o.step - 1e-9);
  const places = Math.min(15, Math.max(digits(o.step), digits(o.low)));
  const at = (k: number): number => (k >= last ? o.high : Number((o.low + k * o.step).toFixed(places)));
  const probes: Probe<C>[] = [];
  const byIndex = new Map<number, Probe<C>>();
  const run = async (ks: number[]): Promise<Probe<C>[]> => {
    const batch = ks.flatMap((k) => o.seeds.map((seed) => ({ value: at(k), seed })));
    const checks = await evaluate(batch);
    if (checks.length !== batch.length) throw new Error(`evaluate answered ${checks.length} of ${batch.length} probes`);
    return ks.map((k, i) => {
      const runs = o.seeds.map((seed, j) => ({ seed, check: checks[i * o.seeds.length + j]! }));
      const measured = runs.map((r) => r.check.value).filter((v): v is number => v !== null && Number.isFinite(v));
      const heldIn = runs.filter((r) => r.check.met).length;
      const probe: Probe<C> = {
        order: probes.length + 1,
        value: at(k),
        held: heldIn === runs.length,
        heldIn,
        mean: measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : null,
        runs,
      };
      probes.push(probe);
      byIndex.set(k, probe);
      return probe;
    });
  };
  // `near` is where the goal should hold (LOW for largest), `far` where it should fail.
  const near = o.want === 'largest' ? 0 : last;
  const far = o.want === 'largest' ? last : 0;
  const [pn, pf] = await run([near, far]);
  const answer = (status: SearchStatus, good: number | null, bad: number | null): SearchAnswer<C> => ({
    status,
    value: good === null ? null : at(good),
    next: bad === null ? null : at(bad),
    seeds: o.seeds.length,
    failedAtNext: bad === null ? null : o.seeds.length - byIndex.get(bad)!.heldIn,
    probes,
  });
  if (!pn!.held) return answer('none', null, near);
  if (pf!.held) return answer('all', far, null);
  let good = near;
  let bad = far;
  while (Math.abs(bad - good) > 1) {
    const mid = Math.floor((good + bad) / 2);
    const [p] = await run([mid]);
    if (p!.held) good = mid;
    else bad = mid;
  }
  return answer('found', good, bad);
}

/** The seeds of K replications: the scenario's seed, then the next ones (`--seed N+i` reruns probe i alone). */
export function replicationSeeds(seed: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => seed + i);
}

/** A step of 1, 2 or 5 × a power of ten, about a hundredth of the range: the default precision of a search. */
export function defaultStep(low: number, high: number, integer: boolean): number {
  if (integer) return 1;
  const raw = (high - low) / 100;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return Number(((m >= 5 ? 5 : m >= 2 ? 2 : 1) * p).toPrecision(1));
}

/** "held in 3 of 3 seeds at 33.3, failed in 2 of 3 at 33.4": the confidence of an answer in words. */
export function confidence(a: Pick<SearchAnswer, 'status' | 'value' | 'next' | 'seeds' | 'failedAtNext'>, show: (v: number) => string = String): string {
  const of = `${a.seeds} seed${a.seeds === 1 ? '' : 's'}`;
  const held = a.value === null ? '' : `held in ${a.seeds} of ${of} at ${show(a.value)}`;
  const failed = a.next === null ? '' : `failed in ${a.failedAtNext} of ${of} at ${show(a.next)}`;
  if (a.status === 'none') return `${failed}, the end of the range where it holds most easily: no value in the range holds`;
  if (a.status === 'all') return `${held}, the end of the range where it holds least easily: the bound lies beyond it`;
  return `${held}, ${failed}, the next step`;
}
