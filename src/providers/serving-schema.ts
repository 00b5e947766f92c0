import { z } from 'zod';
import { MAX_COUNT } from '../core/limits.js';
import { duration, intIn, MAX_TOKEN_LIMIT } from '../core/units.js';
import { MAX_TOKENS } from '../sim/dist.js';
import type { IterationServing } from './iteration.js';

/** The shortest step base: a step must take some time, or a run of empty-cost steps would never advance the clock. */
export const MIN_STEP_BASE_MS = 0.001;

const coefficient = (what: string) => duration.prefault('0ms').describe(`${what} (default 0ms)`);

/**
 * `serving: { model: iteration, … }`: the iteration-level serving model (src/providers/iteration.ts,
 * docs/serving-model.md). Every size has a bound; maxBatchedTokens must hold a decode token of every
 * sequence.
 */
export const iterationServing = z
  .strictObject({
    model: z.literal('iteration').describe('iteration: continuous batching in steps (the simple form has no model field)'),
    step: z
      .strictObject({
        base: duration
          .refine((ms) => ms >= MIN_STEP_BASE_MS, { error: `expected at least ${MIN_STEP_BASE_MS}ms (a step takes some time)` })
          .describe(`c0: the fixed part of every step (required, at least ${MIN_STEP_BASE_MS}ms)`),
        perPrefillToken: coefficient('c_prefill: added per prompt token the step prefills'),
        perDecodeSequence: coefficient('c_decode: added per sequence the step decodes (one token each)'),
        perKvToken: coefficient('c_kv: added per KV token the running sequences hold at the step\'s start'),
      })
      .describe('Step duration = base + perPrefillToken × prefill tokens + perDecodeSequence × decoding sequences + perKvToken × KV tokens held'),
    maxBatchedTokens: intIn(1, MAX_TOKENS).describe(`Tokens in one step, decode and prefill together: chunked prefill's budget (at least maxSequences, at most ${MAX_TOKENS})`),
    maxSequences: intIn(1, MAX_COUNT).describe(`Sequences running at once; the rest queue (at most ${MAX_COUNT})`),
    maxKvTokens: intIn(1, MAX_TOKEN_LIMIT).optional()
      .describe(`KV tokens the running sequences may hold at their full length (prompt + output, reserved at admission; past it new sequences queue; default no limit; at most ${MAX_TOKEN_LIMIT})`),
  })
  .superRefine((s, ctx) => {
    if (s.maxBatchedTokens < s.maxSequences) {
      ctx.addIssue({ code: 'custom', path: ['maxBatchedTokens'], message: `expected at least maxSequences (${s.maxSequences}): every running sequence decodes a token each step, got ${s.maxBatchedTokens}` });
    }
  })
  .transform((s): IterationServing => ({
    model: 'iteration',
    step: { base: s.step.base, perPrefillToken: s.step.perPrefillToken, perDecodeSequence: s.step.perDecodeSequence, perKvToken: s.step.perKvToken },
    maxBatchedTokens: s.maxBatchedTokens,
    maxSequences: s.maxSequences,
    maxKvTokens: s.maxKvTokens ?? Infinity,
  }));

/** `serving`: the iteration model (with `model: iteration`) or the simple form the scenario schema defines. */
export function servingForms<S extends z.ZodType>(simple: S) {
  return z.union([iterationServing, simple], {
    error: 'expected { ttft, tpot, maxSequences } or { model: iteration, step, maxBatchedTokens, maxSequences, maxKvTokens }',
  });
}
