/**
 * What a user wants from a study, as text and as data: "maximise goodput subject to 429s = 0,
 * p99 TTFT ≤ 2s". The syntax (parse, describe) and the names of the metrics a goal may speak of live
 * here, below the scenario (which parses `goal:`) and the metrics (which evaluate it, metrics/goal.ts).
 *
 * Syntax (docs/goals.md): `[maximise OBJECTIVE] [subject to] CONSTRAINT, CONSTRAINT, …` where a
 * constraint is `METRIC OP VALUE`; OP is one of <= >= < > = (≤ ≥ == too); constraints are separated
 * by `,`, `;` or ` and `. Metric names ignore case, spaces, `-` and `_` (`p99 latency`, `latencyP99`).
 * A value carries the metric's unit: a share as `0`, `1%` or `0.01`; a time as `2s`, `500ms` (`0`
 * alone); a rate as `2/s`, `120/min` or a bare number per second; a count as a whole number.
 */
import { MAX_ARRIVALS_PER_MS, MAX_ATTEMPT_LOG, MAX_DURATION_MS, MAX_DURATION_TEXT, MAX_GOAL_CONSTRAINTS, MAX_GOAL_TEXT } from './limits.js';
import { parseDuration, parseRate } from './units.js';

/** What a goal maximises. */
export type Objective = 'goodput' | 'throughput' | 'tokensPerS' | 'successRate';
export const objectives: readonly Objective[] = ['goodput', 'throughput', 'tokensPerS', 'successRate'];

/** One bound on a metric, in the metric's canonical unit: ms, fractions, counts, per second. */
export interface Constraint {
  metric: string;
  op: '<=' | '>=' | '<' | '>' | '=';
  value: number;
}

/** Maximise one metric subject to every constraint. */
export interface Goal {
  maximise: Objective;
  constraints: Constraint[];
}

/** The canonical unit of a goal metric: a share (0–1), milliseconds, a count, or a rate per second. */
export type GoalUnit = 'fraction' | 'ms' | 'count' | 'perS';

/** A metric a goal may name: its key, how it reads, its unit, which way is better and other names it goes by. */
export interface GoalMetricName {
  key: string;
  label: string;
  unit: GoalUnit;
  better: 'higher' | 'lower';
  /** What it measures, for docs and `--help`. */
  about: string;
  aliases: readonly string[];
}

/** Every metric a goal may speak of (the objectives among them), in the order the docs list them. */
export const GOAL_METRIC_NAMES: readonly GoalMetricName[] = [
  { key: 'goodput', label: 'goodput', unit: 'perS', better: 'higher', about: 'requests per second that succeeded and met every SLO', aliases: ['goodputPerS'] },
  { key: 'throughput', label: 'throughput', unit: 'perS', better: 'higher', about: 'successful requests per second', aliases: ['throughputPerS'] },
  { key: 'tokensPerS', label: 'tokens/s', unit: 'perS', better: 'higher', about: 'prompt and output tokens of successful requests per second', aliases: ['tokens/s', 'tokens per s', 'tokens per second'] },
  { key: 'successRate', label: 'success', unit: 'fraction', better: 'higher', about: 'share of requests that succeeded', aliases: ['success', 'success rate'] },
  { key: 'sloAttainment', label: 'SLO attainment', unit: 'fraction', better: 'higher', about: 'share of requests that succeeded and met every SLO', aliases: ['slo', 'slo attainment'] },
  { key: 'rateLimited', label: '429s', unit: 'fraction', better: 'lower', about: "share of attempts a provider answered 429", aliases: ['429s', '429', 'rate limited', '429 share'] },
  { key: 'quotaViolations', label: 'quota violations', unit: 'count', better: 'lower', about: "admissions beyond a key's own configured limit in some window", aliases: ['quota violations', 'violations', 'over admissions', 'overadmissions'] },
  { key: 'tooLarge', label: 'too large', unit: 'count', better: 'lower', about: "requests refused at once as larger than a quota's capacity", aliases: ['too large', 'request too large'] },
  { key: 'gaveUp', label: 'gave up', unit: 'count', better: 'lower', about: 'requests that gave up waiting for a key', aliases: ['gave up', 'gaveup'] },
  { key: 'latencyMean', label: 'mean latency', unit: 'ms', better: 'lower', about: 'mean latency of successful requests (arrival to answer)', aliases: ['mean latency', 'latency mean'] },
  { key: 'latencyP50', label: 'p50 latency', unit: 'ms', better: 'lower', about: 'median latency of successful requests', aliases: ['p50 latency', 'latency p50', 'median latency'] },
  { key: 'latencyP90', label: 'p90 latency', unit: 'ms', better: 'lower', about: 'p90 latency of successful requests', aliases: ['p90 latency', 'latency p90'] },
  { key: 'latencyP99', label: 'p99 latency', unit: 'ms', better: 'lower', about: 'p99 latency of successful requests', aliases: ['p99 latency', 'latency p99'] },
  { key: 'ttftP50', label: 'p50 TTFT', unit: 'ms', better: 'lower', about: 'median time to first token (from reaching the provider)', aliases: ['p50 ttft', 'ttft p50'] },
  { key: 'ttftP99', label: 'p99 TTFT', unit: 'ms', better: 'lower', about: 'p99 time to first token', aliases: ['p99 ttft', 'ttft p99'] },
  { key: 'tpotP50', label: 'p50 TPOT', unit: 'ms', better: 'lower', about: 'median time per output token after the first', aliases: ['p50 tpot', 'tpot p50'] },
  { key: 'tpotP99', label: 'p99 TPOT', unit: 'ms', better: 'lower', about: 'p99 time per output token after the first', aliases: ['p99 tpot', 'tpot p99'] },
  { key: 'keyWaitMean', label: 'mean key wait', unit: 'ms', better: 'lower', about: 'mean time a request waited for a key', aliases: ['mean key wait', 'key wait mean'] },
  { key: 'keyWaitP99', label: 'p99 key wait', unit: 'ms', better: 'lower', about: 'p99 time a request waited for a key', aliases: ['p99 key wait', 'key wait p99'] },
];

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');
const byName = new Map<string, GoalMetricName>();
for (const m of GOAL_METRIC_NAMES) for (const n of [m.key, m.label, ...m.aliases]) byName.set(norm(n), m);

/** The goal metric called `name` (any alias, any case), or undefined. */
export const goalMetric = (name: string): GoalMetricName | undefined => byName.get(norm(name));

/** The goal of a study that says none: the most goodput with no 429s and no admission beyond a key's own limit. */
export const DEFAULT_GOAL: Goal = {
  maximise: 'goodput',
  constraints: [
    { metric: 'rateLimited', op: '=', value: 0 },
    { metric: 'quotaViolations', op: '=', value: 0 },
  ],
};

/** A goal that does not parse: one line saying where and what was expected. */
export class GoalError extends Error {
  override name = 'GoalError';
}

const OPS: Record<string, Constraint['op']> = { '<=': '<=', '≤': '<=', '>=': '>=', '≥': '>=', '<': '<', '>': '>', '=': '=', '==': '=' };
const CONSTRAINT_RE = /^(.*?)\s*(<=|>=|==|≤|≥|<|>|=)\s*(.*)$/;
const NUMBER_RE = /^[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const show = (s: string): string => JSON.stringify(s);

const quote = (names: readonly string[]): string => names.join(' | ');

/** A constraint's value text in the metric's unit → its canonical number, or the reason it is not one. */
function valueOf(m: GoalMetricName, text: string): number | string {
  const t = text.replace(/\s+/g, '');
  switch (m.unit) {
    case 'fraction': {
      const pct = /%$/.test(t);
      const body = pct ? t.slice(0, -1) : t;
      const v = NUMBER_RE.test(body) ? Number(body) / (pct ? 100 : 1) : NaN;
      return v >= 0 && v <= 1 ? v : 'expected a share such as 0, 1% or 0.01 (at most 100%)';
    }
    case 'ms': {
      const v = parseDuration(t);
      if (v === undefined) return 'expected a duration such as 2s or 500ms';
      return v <= MAX_DURATION_MS ? v : `expected a duration of at most ${MAX_DURATION_TEXT}`;
    }
    case 'count': {
      const v = NUMBER_RE.test(t) ? Number(t) : NaN;
      return Number.isInteger(v) && v <= MAX_ATTEMPT_LOG ? v : `expected a whole number up to ${MAX_ATTEMPT_LOG}`;
    }
    case 'perS': {
      const max = MAX_ARRIVALS_PER_MS * 1000;
      const r = NUMBER_RE.test(t) ? { count: Number(t), windowMs: 1000 } : parseRate(t);
      const v = r ? (r.count * 1000) / r.windowMs : NaN;
      return v >= 0 && v <= max ? v : `expected a rate such as 2/s, 120/min or 2 (per second), at most ${max}/s`;
    }
  }
}

/** One constraint's text → the constraint (throws GoalError naming the constraint by its position, from 1). */
export function parseConstraint(text: string, at: number): Constraint {
  const where = `goal: constraint ${at}`;
  const m = CONSTRAINT_RE.exec(text);
  if (!m || m[1] === '') throw new GoalError(`${where}: expected METRIC OP VALUE such as "p99 latency <= 2s" or "429s = 0", got ${show(text)}`);
  const metric = goalMetric(m[1]!);
  if (!metric) throw new GoalError(`${where}: unknown metric ${show(m[1]!)}; expected one of ${quote(GOAL_METRIC_NAMES.map((g) => g.key))}`);
  if (m[3] === '') throw new GoalError(`${where} (${metric.key}): expected a value after ${m[2]}`);
  const value = valueOf(metric, m[3]!);
  if (typeof value === 'string') throw new GoalError(`${where} (${metric.key}): ${value}, got ${show(m[3]!)}`);
  return { metric: metric.key, op: OPS[m[2]!]!, value };
}

/**
 * `maximise goodput subject to 429s = 0, p99 ttft <= 2s` → a Goal. Without `maximise …` the objective
 * is goodput; without constraints, there are none (the text is the whole goal, not an addition to
 * the default). Errors: one line (GoalError).
 */
export function parseGoal(text: string): Goal {
  if (typeof text !== 'string') throw new GoalError('goal: expected text such as "maximise goodput subject to 429s = 0"');
  if (text.length > MAX_GOAL_TEXT) throw new GoalError(`goal: expected at most ${MAX_GOAL_TEXT} characters, got ${text.length}`);
  let rest = text.trim();
  const maximise = parseObjectiveHead(rest);
  if (maximise) rest = rest.slice(maximise.length).trim().replace(/^(subject\s+to|s\.t\.|with|where|:|,|;)\s*/i, '');
  else rest = rest.replace(/^subject\s+to\s*/i, '');
  const parts = rest === '' ? [] : rest.split(/\s*(?:,|;|\band\b)\s*/i);
  if (parts.length > MAX_GOAL_CONSTRAINTS) throw new GoalError(`goal: expected at most ${MAX_GOAL_CONSTRAINTS} constraints, got ${parts.length}`);
  return { maximise: maximise?.objective ?? 'goodput', constraints: parts.map((p, i) => parseConstraint(p, i + 1)) };
}

/** `maximise X` at the start of a goal: the objective and the length of the words read (undefined: the text does not start with maximise). */
function parseObjectiveHead(text: string): { objective: Objective; length: number } | undefined {
  const head = /^maximi[sz]e\s+(\S+)/i.exec(text);
  if (head) {
    const o = goalMetric(head[1]!.replace(/[,;:]$/, ''));
    if (!o || !objectives.includes(o.key as Objective)) {
      throw new GoalError(`goal: expected an objective after maximise (one of ${quote(objectives)}), got ${show(head[1]!)}`);
    }
    return { objective: o.key as Objective, length: head[0].length - (/[,;:]$/.test(head[1]!) ? 1 : 0) };
  }
  if (/^maximi[sz]e\b/i.test(text)) throw new GoalError(`goal: expected an objective after maximise (one of ${quote(objectives)})`);
  return undefined;
}

/** An objective's name (any alias, any case: `goodput`, `tokens/s`, `success`) → the objective; GoalError otherwise. */
export function parseObjective(text: string): Objective {
  const o = goalMetric(text.trim());
  if (!o || !objectives.includes(o.key as Objective)) throw new GoalError(`expected an objective (one of ${quote(objectives)}), got ${show(text)}`);
  return o.key as Objective;
}

const trim = (v: number, digits: number): string => String(Number(v.toFixed(digits)));

/**
 * A value of `metric` in its own unit, as a goal writes it: `0%`, `2s`, `350ms`, `1.5/s`, `3`.
 * `measured`: a measured value, shown to the digits that matter (a share to 0.1 pp above 1%).
 */
export function formatGoalValue(metric: string, v: number, measured = false): string {
  const unit = goalMetric(metric)?.unit ?? 'count';
  switch (unit) {
    case 'fraction':
      return `${trim(v * 100, measured && Math.abs(v) >= 0.01 ? 1 : 3)}%`;
    case 'ms':
      return Math.abs(v) >= 1000 ? `${trim(v / 1000, 3)}s` : `${trim(v, 3)}ms`;
    case 'perS':
      return `${trim(v, 4)}/s`;
    case 'count':
      return trim(v, 3);
  }
}

/** How far a value misses, in the metric's unit: "12.5 pp", "1.2s", "3". */
export function formatGoalGap(metric: string, by: number): string {
  const unit = goalMetric(metric)?.unit ?? 'count';
  return unit === 'fraction' ? `${trim(by * 100, Math.abs(by) >= 0.01 ? 1 : 3)} pp` : formatGoalValue(metric, by, true);
}

const OP_TEXT: Record<Constraint['op'], string> = { '<=': '≤', '>=': '≥', '<': '<', '>': '>', '=': '=' };

/** "p99 TTFT ≤ 2s" (parseGoal reads it back). */
export function describeConstraint(c: Constraint): string {
  return `${goalMetric(c.metric)?.label ?? c.metric} ${OP_TEXT[c.op]} ${formatGoalValue(c.metric, c.value)}`;
}

/** "maximise goodput subject to 429s = 0%, quota violations = 0" (parseGoal reads it back). */
export function describeGoal(goal: Goal): string {
  const head = `maximise ${goalMetric(goal.maximise)?.label ?? goal.maximise}`;
  return goal.constraints.length ? `${head} subject to ${goal.constraints.map(describeConstraint).join(', ')}` : head;
}

/**
 * Per-request service-level objectives (`slo:`): a request counts toward goodput when it succeeded
 * and each bound given holds for it. Absent bounds do not apply.
 */
export interface Slo {
  /** Arrival to answer (ms). */
  latencyMs?: number;
  /** Time to first token, from reaching the provider (ms). */
  ttftMs?: number;
  /** Time per output token after the first (ms). */
  tpotMs?: number;
}
