/**
 * The configuration of a quota — a limit in one or more dimensions, its steps, its quantum, and for
 * a provider its algorithm and scope — shared by keys.limit and providers[].limit. Composed by
 * keys/schema.ts and providers/schema.ts.
 */
import { z } from 'zod';
import { named, type Named } from '../core/registry.js';
import type { Charge } from '../core/outcome.js';
import { MAX_COUNT, MAX_STEPS } from '../core/limits.js';
import { duration, intIn, rate, tokenRate, type Rate } from '../core/units.js';
import { limiters } from './index.js';
import type { QuotaStep } from './stepped.js';
import { quantumRate } from './quota.js';

/** A limiter by name, or `{ type: name, …options }`, from the registry. */
export const limiterChoice = named(limiters, 'limiter');

const charge = z.enum(['reserve', 'actual', 'prompt']).default('reserve')
  .describe('When tokens count: reserve (prompt + max_tokens when admitted, corrected to actual use at the end, as OpenAI documents), actual (what was used, at the end) or prompt (default reserve)');


const steps = z
  .array(z.strictObject({
    at: duration.describe('When the step happens, from the start of the run (required)'),
    requests: rate.describe('Requests per window from then on, such as 200/min (required)'),
  }))
  .min(1, { error: 'expected at least one step { at, requests }' })
  .max(MAX_STEPS, { error: (iss) => `expected at most ${MAX_STEPS} steps, got ${(iss.input as unknown[]).length}` })
  .superRefine((list, ctx) => {
    list.forEach((st, i) => {
      const before = i === 0 ? 0 : list[i - 1]!.at;
      if (!(st.at > before)) ctx.addIssue({ code: 'custom', path: [i, 'at'], message: `expected a time after ${i === 0 ? 'the start (0)' : `the step before (${before}ms)`}, got ${st.at}ms` });
    });
  })
  .transform((list): QuotaStep[] => list.map((st) => ({ atMs: st.at, requests: st.requests })));

/** A quota in one or more dimensions: a rate (requests), or `{ requests, tokens, concurrent, charge }` (a provider's adds `algorithm` and `scope`). */
export function quota(provider: boolean) {
  const dims = {
    requests: rate.optional().describe('Requests per window, such as 500/min'),
    steps: steps.optional().describe(`How the requests limit changes: [{ at: 2m, requests: 200/min }, …], times increasing, at most ${MAX_STEPS}; each period's window starts empty (default: it never changes)`),
    tokens: tokenRate.optional().describe('Tokens per window, such as 30000/min (requests need sizes: workload.tokens)'),
    concurrent: intIn(1, MAX_COUNT).optional().describe(`Requests in flight at once (at most ${MAX_COUNT})`),
    charge,
    quantum: duration.optional().describe(
      'The same limits also enforced over this shorter period, the count scaled and rounded down: 600/min with quantum: 1s admits at most 10 in any second, as OpenAI quantises (at least 1ms, shorter than each window, and the scaled count at least 1; not with steps) (default: none)',
    ),
  };
  const object = provider
    ? z.strictObject({
        ...dims,
        refused: z.enum(['counts', 'free']).default('counts').describe(
          'Whether a request this quota refuses still counts in it: counts (default: OpenAI documents that "unsuccessful requests contribute to your per-minute limit", so retrying at once only keeps the window full) or free',
        ),
        algorithm: limiterChoice.optional().describe("The provider's limiter for its quotas, any registered one with its options (default sliding-log: an exact window)"),
        scope: z.enum(['key', 'all']).default('key').describe('key: a quota per API key; all: one quota for every key (an organisation\'s) (default key)'),
      })
    : z.strictObject(dims);
  return z
    .union([rate, object], { error: 'expected a rate such as 3/min or { requests, tokens, concurrent, charge }' })
    .superRefine((q, ctx) => {
      if (typeof q === 'object' && 'charge' in q && q.requests === undefined && q.tokens === undefined && q.concurrent === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected at least one of requests, tokens or concurrent' });
      }
      if (typeof q === 'object' && 'charge' in q && q.steps && q.requests === undefined) {
        ctx.addIssue({ code: 'custom', path: ['steps'], message: 'expected requests beside steps (the limit before the first step)' });
      }
      if (typeof q === 'object' && 'charge' in q && q.quantum !== undefined) {
        const quantum = q.quantum;
        if (q.steps) ctx.addIssue({ code: 'custom', path: ['quantum'], message: 'expected no quantum beside steps (a stepping quota is enforced over its window only)' });
        if (quantum < 1) ctx.addIssue({ code: 'custom', path: ['quantum'], message: `expected a quantum of at least 1ms, got ${quantum}ms` });
        for (const [dim, r] of [['requests', q.requests], ['tokens', q.tokens]] as const) {
          if (r === undefined) continue;
          if (!(quantum < r.windowMs)) ctx.addIssue({ code: 'custom', path: ['quantum'], message: `expected a quantum shorter than the ${dim} window (${r.windowMs}ms), got ${quantum}ms` });
          else if (quantumRate(r, quantum).count < 1) {
            ctx.addIssue({ code: 'custom', path: ['quantum'], message: `expected a quantum long enough to admit one of ${r.count} ${dim} per ${r.windowMs}ms (at least ${Math.ceil(r.windowMs / r.count)}ms), got ${quantum}ms` });
          }
        }
      }
    })
    .transform((q) =>
      'count' in q
        ? { requests: q, charge: 'reserve' as const }
        : (q as { requests?: Rate; steps?: QuotaStep[]; tokens?: Rate; concurrent?: number; charge: Charge; quantum?: number; refused?: 'counts' | 'free'; algorithm?: Named; scope?: 'key' | 'all' }),
    );
}

