import {
  DEFAULT_GOAL, GOAL_METRIC_NAMES, GoalError, describeConstraint, describeGoal, formatGoalGap, formatGoalValue, goalMetric, objectives, parseGoal,
  type Constraint, type Goal, type GoalMetricName, type GoalUnit, type Objective,
} from '../core/goal.js';
import type { FailedConstraint, GoalCheck, VariantMetrics } from './results.js';

/**
 * A goal evaluated on one variant's metrics. The syntax and the names live in core/goal.ts (the
 * scenario parses `goal:` below this floor); this file adds what each name measures and the check.
 */
export { DEFAULT_GOAL, GOAL_METRIC_NAMES, GoalError, describeConstraint, describeGoal, formatGoalGap, formatGoalValue, goalMetric, objectives, parseGoal };
export type { Constraint, Goal, GoalMetricName, GoalUnit, Objective };
/** The check's shapes are part of results.json (results.ts); named here too, beside the check that makes them. */
export type { FailedConstraint, GoalCheck };

/** A goal metric with what it measures on a variant. */
export interface GoalMetric extends GoalMetricName {
  value(m: VariantMetrics): number | null;
}

const share = (n: number, of: number): number => (of > 0 ? n / of : 0);

const VALUES: Record<string, (m: VariantMetrics) => number | null> = {
  // Without SLOs goodput is the throughput of successes (results from before goodput: the same).
  goodput: (m) => m.goodputPerS ?? m.throughputPerS,
  throughput: (m) => m.throughputPerS,
  tokensPerS: (m) => m.tokens?.perS.total ?? null,
  successRate: (m) => m.successRate,
  sloAttainment: (m) => m.sloAttainment ?? m.successRate,
  rateLimited: (m) => share(m.attemptOutcomes.rateLimited, m.attempts),
  quotaViolations: (m) => m.quotaViolations ?? null,
  gaveUp: (m) => m.outcomes.gaveUp,
  // Results from before the outcome existed had none.
  tooLarge: (m) => m.outcomes.tooLarge ?? 0,
  latencyMean: (m) => m.latencyMs.mean,
  latencyP50: (m) => m.latencyMs.p50,
  latencyP90: (m) => m.latencyMs.p90,
  latencyP99: (m) => m.latencyMs.p99,
  ttftP50: (m) => m.ttftMs?.p50 ?? null,
  ttftP99: (m) => m.ttftMs?.p99 ?? null,
  tpotP50: (m) => m.tpotMs?.p50 ?? null,
  tpotP99: (m) => m.tpotMs?.p99 ?? null,
  keyWaitMean: (m) => m.phasesMs.keyWait.mean,
  keyWaitP99: (m) => m.phasesMs.keyWait.p99,
};

/** Every goal metric with its measure, in GOAL_METRIC_NAMES' order. */
export const GOAL_METRICS: readonly GoalMetric[] = GOAL_METRIC_NAMES.map((n) => ({ ...n, value: VALUES[n.key]! }));

/** The value of goal metric `key` on a variant (null: not measured). */
export function goalValue(key: string, m: VariantMetrics): number | null {
  const f = VALUES[key];
  return f ? f(m) : null;
}

/** Figures are rounded when measured: equal within this (relative, and absolute near zero) is equal. */
const EPS = 1e-9;

/** How far `actual` misses `c` (null: it holds; 0: a strict bound missed by reaching it exactly). */
function miss(c: Constraint, actual: number): number | null {
  const tol = EPS * Math.max(1, Math.abs(c.value));
  const over = actual - c.value;
  switch (c.op) {
    case '<=':
      return over > tol ? over : null;
    case '<':
      return over < -tol ? null : Math.max(over, 0);
    case '>=':
      return -over > tol ? -over : null;
    case '>':
      return over > tol ? null : Math.max(-over, 0);
    case '=':
      return Math.abs(over) > tol ? Math.abs(over) : null;
  }
}

/** Whether `m` meets every constraint of `goal`; a constraint on a metric not measured (null) is not met. */
export function checkGoal(goal: Goal, m: VariantMetrics): GoalCheck {
  const failed: FailedConstraint[] = [];
  for (const c of goal.constraints) {
    const actual = goalValue(c.metric, m);
    if (actual === null) {
      failed.push({ constraint: c, actual: null, by: null });
      continue;
    }
    const by = miss(c, actual);
    if (by !== null) failed.push({ constraint: c, actual, by });
  }
  return { met: failed.length === 0, value: goalValue(goal.maximise, m), failed };
}

/**
 * How far a variant is from meeting its goal, for naming the closest when none meets it: the
 * misses added up, each relative to its bound (a share's miss as it is, since a share's bound is
 * often 0; a count's against the variant's requests; a time's against the bound, at least 1 s).
 * A constraint on something not measured counts as a whole miss (1).
 */
export function shortfall(check: GoalCheck, m: VariantMetrics): number {
  let sum = 0;
  for (const f of check.failed) {
    if (f.by === null) {
      sum += 1;
      continue;
    }
    const unit = goalMetric(f.constraint.metric)?.unit;
    const v = Math.abs(f.constraint.value);
    const scale = unit === 'fraction' ? 1 : unit === 'count' ? Math.max(v, m.requests, 1) : unit === 'ms' ? Math.max(v, 1000) : Math.max(v, 1e-9);
    sum += f.by / scale;
  }
  return sum;
}

/** "429s 30.1% (goal = 0%, off by 30.1 pp)"; "p99 TTFT not measured (goal ≤ 2s)". */
export function describeFailure(f: FailedConstraint): string {
  const label = goalMetric(f.constraint.metric)?.label ?? f.constraint.metric;
  const goal = describeConstraint(f.constraint).slice(label.length + 1);
  if (f.actual === null || f.by === null) return `${label} not measured (goal ${goal})`;
  return `${label} ${formatGoalValue(f.constraint.metric, f.actual, true)} (goal ${goal}, off by ${formatGoalGap(f.constraint.metric, f.by)})`;
}

/**
 * A miss where the goal is stated nearby: "p99 latency 2.5s (off by 500ms)"; against a bound of 0
 * the value is the miss: "429s 30.1%"; "p99 TTFT not measured".
 */
export function describeMiss(f: FailedConstraint): string {
  const label = goalMetric(f.constraint.metric)?.label ?? f.constraint.metric;
  if (f.actual === null || f.by === null) return `${label} not measured`;
  const value = `${label} ${formatGoalValue(f.constraint.metric, f.actual, true)}`;
  const zero = f.constraint.value === 0 && (f.constraint.op === '=' || f.constraint.op === '<=');
  return zero ? value : `${value} (off by ${formatGoalGap(f.constraint.metric, f.by)})`;
}

/** "met" or "not met: 429s 30.1% (goal = 0%, off by 30.1 pp); …". */
export function describeCheck(check: GoalCheck): string {
  return check.met ? 'met' : `not met: ${check.failed.map(describeFailure).join('; ')}`;
}
