import type { Results, RunResult, VariantMetrics, VariantResult } from '../metrics/results.js';
import {
  DEFAULT_GOAL, checkGoal, describeMiss, describeGoal, goalMetric, goalValue, shortfall, type Goal, type GoalCheck,
} from '../metrics/goal.js';
import { direction, type MetricRow, rowsOf } from './catalogue.js';
import { type AxisKind, axisKind, axisValue } from './axis.js';

/**
 * The answer a study's page and tables open with: per run, which option wins on the main metric
 * and by how much; for a study with published figures, which of them the simulation reproduces.
 */

/**
 * The verdict ranks options by the study's goal (results.goal, else DEFAULT_GOAL): the options that
 * meet it first, then those that miss it, closest first. Among options that meet it, those that
 * complete (about) the most requests come first — requests meeting every SLO for goodput, successes
 * for the other rates; within SAME_SUCCESS of the best count as equal — and among those the highest
 * objective wins: a rate alone would crown an option that fails fast (a limiter whose requests come
 * back 429 finishes a batch sooner with a quarter of it done). Then fewer 429s, fewer quota
 * violations, the order the scenario lists them. Finally no option stays above one with as many
 * successes (within SAME_SUCCESS) and no more 429s and quota violations, one of them fewer: an
 * option that draws more 429s or over-admits for the same successes is never the answer.
 */
export const bestBy = (goal: Goal): string => `the goal (${describeGoal(goal)}): options that meet it first, then the closest`;
/** The goal of results from before goals, and of results that name none. */
export const BEST_BY = bestBy(DEFAULT_GOAL);
/** Shares (success, SLO attainment) closer than this (a fraction: 1 percentage point) are equal; so are success counts within this share of the requests. */
export const SAME_SUCCESS = 0.01;

/** The goal a results file ranks by. */
export const goalOf = (results: Pick<Results, 'goal'>): Goal => results.goal ?? DEFAULT_GOAL;

/** The variants a user can pick: a condition (such as "no rate limit") is compared, never picked. */
export const options = (run: RunResult): VariantResult[] => run.variants.filter((v) => !v.condition);

const orMinus = (v: number | null | undefined): number => (v === null || v === undefined || Number.isNaN(v) ? -Infinity : v);
/** The share an objective's options must complete (about) the most of before its rate decides. */
const completion = (goal: Goal, m: VariantMetrics): number =>
  orMinus(goal.maximise === 'goodput' ? (m.sloAttainment ?? m.successRate) : m.successRate);
const rateLimitedShare = (m: VariantMetrics): number => goalValue('rateLimited', m) ?? 0;
const violations = (m: VariantMetrics): number => m.quotaViolations ?? 0;

/** `a` has as many successes as `b` (within SAME_SUCCESS of the requests) with no more 429s and quota violations, one of them fewer. */
export function dominates(a: VariantMetrics, b: VariantMetrics): boolean {
  const requests = Math.max(a.requests, b.requests, 1);
  if (a.ok < b.ok - SAME_SUCCESS * requests - 1e-9) return false;
  const [ar, br] = [a.attemptOutcomes.rateLimited, b.attemptOutcomes.rateLimited];
  const [av, bv] = [violations(a), violations(b)];
  return ar <= br && av <= bv && (ar < br || av < bv);
}

/** An option of a run with its goal check. */
export interface Ranked {
  v: VariantResult;
  check: GoalCheck;
  /** Its place in the run's list. */
  i: number;
}

/** The options of a run, best first by the goal (see bestBy), each with its check. */
export function rankedChecks(run: RunResult, goal: Goal = DEFAULT_GOAL): Ranked[] {
  const all = options(run).map((v, i) => ({ v, check: checkGoal(goal, v.metrics), i }));
  const met = all.filter((x) => x.check.met);
  const unmet = all.filter((x) => !x.check.met);
  const out: Ranked[] = [];
  // Met: repeatedly, among those within SAME_SUCCESS of the best completion left, the highest objective.
  const left = [...met];
  while (left.length) {
    const top = Math.max(...left.map((x) => completion(goal, x.v.metrics)));
    const near = left.filter((x) => completion(goal, x.v.metrics) >= top - SAME_SUCCESS - 1e-12);
    near.sort((a, b) => orMinus(b.check.value) - orMinus(a.check.value) || tieBreak(a, b));
    const pick = near[0]!;
    out.push(pick);
    left.splice(left.indexOf(pick), 1);
  }
  // Not met: the closest first — fewest constraints missed, then the least missed (shortfall).
  unmet.sort((a, b) => a.check.failed.length - b.check.failed.length || shortfall(a.check, a.v.metrics) - shortfall(b.check, b.v.metrics) || orMinus(b.check.value) - orMinus(a.check.value) || tieBreak(a, b));
  out.push(...unmet);
  return undominated(out);
}

function tieBreak(a: Ranked, b: Ranked): number {
  const [am, bm] = [a.v.metrics, b.v.metrics];
  return rateLimitedShare(am) - rateLimitedShare(bm) || violations(am) - violations(bm) || orMinus(bm.successRate) - orMinus(am.successRate) || a.i - b.i;
}

/**
 * The ranking with every option that is dominated (see dominates) by a later one of the same
 * standing (met or not) moved behind it. Dominance strictly lowers (429s, violations), so this ends.
 */
function undominated(list: Ranked[]): Ranked[] {
  const out = [...list];
  for (let guard = out.length * out.length; guard > 0; guard--) {
    let moved = false;
    for (let i = 0; i < out.length && !moved; i++) {
      for (let j = i + 1; j < out.length; j++) {
        if (out[j]!.check.met === out[i]!.check.met && dominates(out[j]!.v.metrics, out[i]!.v.metrics)) {
          out.splice(i, 0, out.splice(j, 1)[0]!);
          moved = true;
          break;
        }
      }
    }
    if (!moved) break;
  }
  return out;
}

/** The options of a run, best first by the goal. */
export function ranked(run: RunResult, goal: Goal = DEFAULT_GOAL): VariantResult[] {
  return rankedChecks(run, goal).map((x) => x.v);
}

/** The best option of a run by the goal (the first listed on a tie); null when every variant is a condition. */
export function bestVariant(run: RunResult, goal: Goal = DEFAULT_GOAL): VariantResult | null {
  return ranked(run, goal)[0] ?? null;
}

/** One run's answer: the winner, the next best, and how far apart they are. */
export interface RunAnswer {
  run: RunResult;
  winner: VariantResult | null;
  runnerUp: VariantResult | null;
  /** The winner's goal check (null without a winner). */
  check: GoalCheck | null;
  /** "+12.5 pp success rate over x", "+47.3% goodput over x", "meets the goal; x misses 429s 12%", "no option meets the goal; the closest misses …". */
  margin: string;
  /** Variants compared but not picked. */
  conditions: VariantResult[];
  /** Every option with its check, best first. */
  ranking: Ranked[];
}

/** A rate margin under this (in %) is called a near tie: open-arrival runs move that much with the last request's latency. */
export const NEAR_TIE = 1;

const objectiveRow = (goal: Goal): MetricRow => {
  const label = goalMetric(goal.maximise)?.label ?? goal.maximise;
  const unit = goal.maximise === 'tokensPerS' ? 'tokens/s' : goal.maximise === 'successRate' ? '%' : 'req/s';
  return { key: goal.maximise, label, unit, value: (m) => goalValue(goal.maximise, m), scale: unit === '%' ? 100 : 1, digits: 2, better: unit === '%' ? 'points' : 'higher' };
};

/** What sets the winner above the runner-up, both meeting the goal or both not. */
function marginOver(goal: Goal, w: Ranked, r: Ranked): string {
  const [wm, rm] = [w.v.metrics, r.v.metrics];
  const name = r.v.name;
  const [wc, rc] = [completion(goal, wm), completion(goal, rm)];
  const slo = (m: VariantMetrics): boolean => m.sloAttainment !== undefined && m.sloAttainment !== m.successRate;
  const what = goal.maximise === 'goodput' && (slo(wm) || slo(rm)) ? 'SLO attainment' : 'success rate';
  if (w.check.met && wc - rc > SAME_SUCCESS) return `+${((wc - Math.max(rc, 0)) * 100).toFixed(1)} pp ${what} over ${name}`;
  const row = objectiveRow(goal);
  const [wv, rv] = [w.check.value, r.check.value];
  if (dominates(wm, rm) && !(wv !== null && rv !== null && direction(row, wv, rv) > 0)) {
    const fewer = [
      ...(wm.attemptOutcomes.rateLimited < rm.attemptOutcomes.rateLimited ? [`${rm.attemptOutcomes.rateLimited - wm.attemptOutcomes.rateLimited} fewer 429s`] : []),
      ...(violations(wm) < violations(rm) ? [`${violations(rm) - violations(wm)} fewer quota violations`] : []),
    ];
    return `as many successes as ${name} with ${fewer.join(' and ')}`;
  }
  if (wv !== null && (rv === null || direction(row, wv, rv) !== 0)) {
    if (row.unit === '%') return `+${((wv - (rv ?? 0)) * 100).toFixed(1)} pp ${row.label} over ${name}`;
    const gain = rv === null || rv === 0 ? null : ((wv - rv) / rv) * 100;
    return gain === null ? `${wv.toFixed(2)} ${row.unit} against none for ${name}` : `+${gain.toFixed(1)}% ${row.label} over ${name}${gain < NEAR_TIE ? ' (a near tie)' : ''}`;
  }
  return `tied with ${name}`;
}

export function runAnswer(run: RunResult, goal: Goal = DEFAULT_GOAL): RunAnswer {
  const conditions = run.variants.filter((v) => v.condition);
  const ranking = rankedChecks(run, goal);
  const [w, r] = ranking;
  const base = { run, conditions, ranking };
  // Nothing got through anywhere: there is no best, only failures to read in the table.
  if (w && !(w.v.metrics.ok > 0)) return { ...base, winner: null, runnerUp: null, check: null, margin: 'no option got a request through' };
  if (!w) return { ...base, winner: null, runnerUp: null, check: null, margin: 'no option: every variant is a condition' };
  let margin: string;
  if (!w.check.met) margin = `${r ? 'no option meets the goal; the closest misses' : 'the only option; it misses'} ${w.check.failed.map(describeMiss).join(', ')}`;
  else if (!r) margin = 'the only option';
  else if (!r.check.met) margin = `meets the goal; ${r.v.name} misses ${r.check.failed.map(describeMiss).join(', ')}`;
  else margin = marginOver(goal, w, r);
  return { ...base, winner: w.v, runnerUp: r?.v ?? null, check: w.check, margin };
}

/** Published figures are compared only with runs of the scenario they describe (no `--seed`/`--set` change). */
export const comparable = (results: Results): boolean => !results.changed?.length;

/**
 * A simulated figure reproduces a published one when it is within 10% of it (rates: within 5
 * percentage points) and, for a variant other than the baseline, its change against the baseline
 * goes the same way as the published change (on rows where a direction means something).
 */
export const TOLERANCE = { relative: 0.1, points: 5 } as const;
export const TOLERANCE_TEXT = 'within 10% of the published value (rates: 5 percentage points) and, against the baseline, changing the same way';

/** reproduced; off: same way (or no way to compare) but outside the tolerance; contradicted: goes the other way; missing: not simulated. */
export type Verdict = 'reproduced' | 'off' | 'contradicted' | 'missing';

/** One published figure beside its simulated counterpart, both in the metric's own unit (as results.json). */
export interface FigureCheck {
  run: string;
  variant: string;
  row: MetricRow;
  published: number;
  simulated: number | null;
  verdict: Verdict;
  /** For `contradicted`: the baseline the direction was compared against. */
  baseline?: string;
}

export function withinTolerance(row: MetricRow, sim: number, pub: number): boolean {
  if (row.unit === '%') return Math.abs(sim - pub) * 100 <= TOLERANCE.points + 1e-9;
  if (pub === 0) return sim === 0;
  return Math.abs(sim - pub) <= TOLERANCE.relative * Math.abs(pub) + 1e-9;
}

/** Every published figure of the results, checked; empty when there are none or they do not describe this run. */
export function checkFigures(results: Results): FigureCheck[] {
  if (!comparable(results)) return [];
  const out: FigureCheck[] = [];
  for (const run of results.runs) {
    const ref = results.reference[run.name];
    if (!ref) continue;
    const base = run.variants.find((v) => v.name === results.baseline) ?? run.variants[0]!;
    const rows = rowsOf(run, base);
    for (const v of run.variants) {
      const figures = ref[v.name] ?? {};
      for (const row of rows) {
        const pub = figures[row.key];
        if (pub === undefined) continue;
        const sim = row.value(v.metrics);
        if (sim === null) {
          out.push({ run: run.name, variant: v.name, row, published: pub, simulated: null, verdict: 'missing' });
          continue;
        }
        const pb = ref[base.name]?.[row.key];
        const sb = row.value(base.metrics);
        const against = v !== base && row.better !== 'none' && pb !== undefined && sb !== null;
        const contra = against && direction(row, sim, sb) * direction(row, pub, pb) < 0;
        const verdict: Verdict = contra ? 'contradicted' : withinTolerance(row, sim, pub) ? 'reproduced' : 'off';
        out.push({ run: run.name, variant: v.name, row, published: pub, simulated: sim, verdict, ...(contra ? { baseline: base.name } : {}) });
      }
    }
  }
  return out;
}

/** A figure in the table's unit: "3.401 s", "99.0%". */
export function shown(row: MetricRow, v: number | null): string {
  if (v === null) return '–';
  const x = (v * row.scale).toFixed(row.digits);
  return row.unit === '%' ? `${x}%` : `${x} ${row.unit}`;
}

/** One line about a figure that was not reproduced, for the lists under the answer. */
export function describeCheck(c: FigureCheck, withRun: boolean): string {
  const where = `${c.row.label}, ${c.variant}${withRun ? ` (${c.run})` : ''}`;
  const nums = `published ${shown(c.row, c.published)}, simulated ${shown(c.row, c.simulated)}`;
  if (c.verdict === 'contradicted') return `${where}: ${nums}; against ${c.baseline} it goes the other way`;
  if (c.verdict === 'missing') return `${where}: published ${shown(c.row, c.published)}, not measured here`;
  return `${where}: ${nums}`;
}

/** Counts per verdict. */
export function tally(checks: readonly FigureCheck[]): Record<Verdict, number> {
  const t: Record<Verdict, number> = { reproduced: 0, off: 0, contradicted: 0, missing: 0 };
  for (const c of checks) t[c.verdict]++;
  return t;
}

/** The sentence that sums up the published figures (null when the study has none). */
export function publishedSummary(results: Results): string | null {
  const hasRef = Object.keys(results.reference).length > 0;
  if (!hasRef) return null;
  if (!comparable(results)) return `Published figures not compared: they describe the scenario as written, and this run changed it (${results.changed!.join(' ')}).`;
  const checks = checkFigures(results);
  const t = tally(checks);
  const parts = [`${t.reproduced} of ${checks.length} published figures reproduced`, `${t.contradicted} contradicted`, `${t.off} off by more than the tolerance`];
  if (t.missing) parts.push(`${t.missing} not measured`);
  return `${parts.join(', ')}. Reproduced: ${TOLERANCE_TEXT}.`;
}

/**
 * The swept field a sweep's charts put on a numeric x axis: the field of a one-dimension sweep
 * (the first of a zip) whose values are all numbers, or all rates, or all durations (axis.ts).
 * Null otherwise (the runs are categories).
 */
export function sweepAxis(results: Results): string | null {
  return sweepAxisKind(results)?.field ?? null;
}

/** The swept field on the x axis and how its values read as numbers, or null. */
export function sweepAxisKind(results: Results): { field: string; axis: AxisKind } | null {
  const field = results.sweep?.dimensions === 1 ? results.sweep.fields[0] : undefined;
  if (field === undefined) return null;
  const axis = axisKind(results.runs.map((r) => r.point?.[field]));
  return axis ? { field, axis } : null;
}

/** A sweep point's x: its swept value as a number on the axis `a` (sweepAxisKind's, which said every point has one). */
export function pointX(a: { field: string; axis: AxisKind }, run: RunResult): number {
  return axisValue(run.point![a.field], a.axis);
}

/** Sweep points as a short list: "field = 1–9, 12, 20–40" on a numeric axis, else "a, b, c" or "a … z and 10 between". */
export function pointList(results: Results, runs: readonly RunResult[]): string {
  const axis = sweepAxis(results);
  if (axis === null) {
    const names = runs.map((r) => r.name);
    return names.length <= 4 ? names.join(', ') : `${names[0]} … ${names.at(-1)} and ${names.length - 2} between`;
  }
  // Consecutive points of the sweep (by position) merge into one range.
  const all = results.runs;
  const parts: string[] = [];
  let start = -1;
  let prev = -1;
  const flush = (): void => {
    if (start < 0) return;
    const a = String(all[start]!.point![axis]);
    const b = String(all[prev]!.point![axis]);
    parts.push(start === prev ? a : `${a}–${b}`);
  };
  for (const r of runs) {
    const i = all.indexOf(r);
    if (start >= 0 && i === prev + 1) prev = i;
    else {
      flush();
      start = prev = i;
    }
  }
  flush();
  return `${axis} = ${parts.join(', ')}`;
}

/**
 * A serving sweep: every point runs one option (nothing to pick) against a server, over a numeric
 * swept value (concurrency), and the requests have sizes. There the answer is not which option
 * wins but where to run: past the point where output tokens/s stops growing, more requests in
 * flight only wait longer for their first token.
 */
export const SATURATED = 0.05;
export const SERVING_BY = `output tokens/s: the smallest value within ${SATURATED * 100}% of the most (beyond it more requests in flight only wait longer for their first token)`;

/** One point of a serving sweep as the answer shows it. */
export interface ServingPoint {
  run: RunResult;
  x: number;
  outputPerS: number;
  ttftP50Ms: number | null;
  itlP50Ms: number | null;
}

/** The knee of a serving sweep (the smallest swept value within SATURATED of the peak output tokens/s), the point before it, and the peak. */
export interface ServingAnswer {
  axis: string;
  knee: ServingPoint;
  before: ServingPoint | null;
  peak: ServingPoint;
}

export function servingAnswer(results: Results): ServingAnswer | null {
  const ax = sweepAxisKind(results);
  const axis = ax?.field ?? null;
  if (ax === null || axis === null || results.runs.length < 2) return null;
  if (!results.runs.every((r) => options(r).length === 1 && r.variants.length === 1)) return null;
  const points: ServingPoint[] = [];
  for (const run of results.runs) {
    const m = run.variants[0]!.metrics;
    const out = m.tokens?.perS.output;
    if (out === null || out === undefined) return null;
    points.push({ run, x: pointX(ax, run), outputPerS: out, ttftP50Ms: m.ttftMs?.p50 ?? null, itlP50Ms: m.itlMs?.p50 ?? null });
  }
  points.sort((a, b) => a.x - b.x);
  const peak = points.reduce((a, b) => (b.outputPerS > a.outputPerS ? b : a));
  const i = points.findIndex((p) => p.outputPerS >= (1 - SATURATED) * peak.outputPerS);
  return { axis, knee: points[i]!, before: i > 0 ? points[i - 1]! : null, peak };
}
