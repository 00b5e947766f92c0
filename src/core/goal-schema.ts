/** The configuration of what a study wants: `goal:` (parsed by goal.ts) and per-request `slo:` bounds. */
import { z } from 'zod';
import {
  DEFAULT_GOAL, GoalError, describeGoal, objectives, parseConstraint, parseGoal, parseObjective, type Constraint, type Goal, type Objective, type Slo,
} from './goal.js';
import { MAX_GOAL_CONSTRAINTS } from './limits.js';
import { duration } from './units.js';

const SLO_BOUND = 'expected a positive duration such as 2s or 300ms';
const sloBound = duration.refine((ms) => ms > 0, { error: SLO_BOUND });
/** `slo: { latency, ttft, tpot }`: per-request bounds goodput counts against. */
export const sloSchema = z
  .strictObject({
    latency: sloBound.optional().describe('A request meets it when its latency (arrival to answer) is at most this (default: no bound)'),
    ttft: sloBound.optional().describe('…when its time to first token is at most this; applies where TTFT is measured (needs request sizes; default: no bound)'),
    tpot: sloBound.optional().describe('…when its time per output token after the first is at most this (needs request sizes; default: no bound)'),
  })
  .transform((o): Slo => ({
    ...(o.latency !== undefined ? { latencyMs: o.latency } : {}),
    ...(o.ttft !== undefined ? { ttftMs: o.ttft } : {}),
    ...(o.tpot !== undefined ? { tpotMs: o.tpot } : {}),
  }));

/**
 * `goal:` — the goal's text (`maximise goodput subject to 429s = 0, p99 ttft <= 2s`), or the same
 * as `{ maximise, constraints: [text, …] }`; parsed by core/goal.ts, each problem at its place.
 */
export const goalSchema = z
  .union([
    z.string(),
    z.strictObject({
      maximise: z.string().optional().describe(`What to maximise: ${objectives.join(' | ')} (default goodput)`),
      constraints: z.array(z.string()).max(MAX_GOAL_CONSTRAINTS).optional()
        .describe('Each METRIC OP VALUE, such as "429s = 0", "p99 latency <= 2s", "success >= 99%" (default none)'),
    }),
  ], { error: 'expected a goal such as "maximise goodput subject to 429s = 0" or { maximise, constraints }' })
  .transform((g, ctx): Goal => {
    const issue = (e: unknown, path: (string | number)[]): never => {
      if (!(e instanceof GoalError)) throw e;
      ctx.addIssue({ code: 'custom', path, message: e.message.replace(/^goal: /, '') });
      return z.NEVER;
    };
    if (typeof g === 'string') {
      try {
        return parseGoal(g);
      } catch (e) {
        return issue(e, []);
      }
    }
    let maximise: Objective = 'goodput';
    try {
      if (g.maximise !== undefined) maximise = parseObjective(g.maximise);
    } catch (e) {
      return issue(e, ['maximise']);
    }
    const constraints: Constraint[] = [];
    for (const [i, text] of (g.constraints ?? []).entries()) {
      try {
        constraints.push(parseConstraint(text, i + 1));
      } catch (e) {
        return issue(new GoalError(((e as Error).message ?? '').replace(/^goal: constraint \d+(?: \(\w+\))?: /, '')), ['constraints', i]);
      }
    }
    return { maximise, constraints };
  })
  .describe(`What the verdict ranks by: "maximise OBJECTIVE subject to METRIC OP VALUE, …" (docs/goals.md; default: ${describeGoal(DEFAULT_GOAL)})`);

