import { z } from 'zod';
import { MAX_COUNT } from '../core/limits.js';
import { duration, intIn, MAX_TOKEN_LIMIT } from '../core/units.js';
import { MAX_TOKENS } from '../sim/dist.js';
import type { IterationServing } from './iteration.js';

/** The shortest step base: a step must take some time, or a run of empty-cost steps would never advance the clock. */
export const MIN_STEP_BASE_MS = 0.001;

const coefficient = (what: string) => duration.prefault('0ms').describe(what);

/**
 * `serving: { model: iteration, … }`: the iteration-level serving model (src/providers/iteration.ts,
 * docs/serving-model.md). Every size has a bound; maxBatchedTokens must hold a decode token of every
 * sequence.
 */
export const iterationServing = z
  .strictObject({
    model: z.enum(['iteration']).describe('iteration: in steps (continuous batching)'),
    step: z
      .strictObject({
        base: duration.describe(`c0 (≥ ${MIN_STEP_BASE_MS}ms)`),
        perPrefillToken: coefficient('Per prompt token prefilled'),
        perDecodeSequence: coefficient('Per sequence decoding'),
        perKvToken: coefficient('Per KV token held'),
        perDecodeSequence2: coefficient('Per decoding sequence squared (a step that grows faster than linearly with its batch)'),
        perBatchedToken: coefficient('Compute roofline: a step lasts at least this × the tokens it carries (prefill + decode)'),
      })
      .describe('Step time: base + the others × what it carries, at least perBatchedToken × its tokens'),
    maxBatchedTokens: intIn(1, MAX_TOKENS).describe('Tokens per step (≥ maxSequences)'),
    maxSequences: intIn(1, MAX_COUNT).describe('Sequences at once; the rest queue'),
    maxKvTokens: intIn(1, MAX_TOKEN_LIMIT).optional()
      .describe('KV tokens reservable, prompt + output per request (default none)'),
    frontend: z
      .strictObject({
        perRequest: coefficient('Per request, before the engine sees it'),
        perPromptToken: coefficient('Per prompt token, before the engine sees it'),
        perOutputToken: coefficient('Per output token, after the step that made it; the client sees a token when the frontend has passed it'),
      })
      .optional()
      .describe('API server, tokenizer, detokenizer: one first-come first-served processor in front of the engine (default none)'),
  })
  .superRefine((s, ctx) => {
    if (s.step.base < MIN_STEP_BASE_MS) ctx.addIssue({ code: 'custom', path: ['step', 'base'], message: `expected at least ${MIN_STEP_BASE_MS}ms (a step takes some time), got ${s.step.base}ms` });
    if (s.maxBatchedTokens < s.maxSequences) {
      ctx.addIssue({ code: 'custom', path: ['maxBatchedTokens'], message: `expected at least maxSequences (${s.maxSequences}): every running sequence decodes a token each step, got ${s.maxBatchedTokens}` });
    }
  })
  .transform((s): IterationServing => ({
    model: 'iteration',
    step: {
      base: s.step.base, perPrefillToken: s.step.perPrefillToken, perDecodeSequence: s.step.perDecodeSequence, perKvToken: s.step.perKvToken,
      // The newer terms only when set, so a scenario without them reads exactly as before.
      ...(s.step.perDecodeSequence2 > 0 ? { perDecodeSequence2: s.step.perDecodeSequence2 } : {}),
      ...(s.step.perBatchedToken > 0 ? { perBatchedToken: s.step.perBatchedToken } : {}),
    },
    maxBatchedTokens: s.maxBatchedTokens,
    maxSequences: s.maxSequences,
    maxKvTokens: s.maxKvTokens ?? Infinity,
    ...(s.frontend && (s.frontend.perRequest > 0 || s.frontend.perPromptToken > 0 || s.frontend.perOutputToken > 0) ? { frontend: { ...s.frontend } } : {}),
  }));

/** `serving`: the iteration model (with `model: iteration`) or the simple form the scenario schema defines. */
export function servingForms<S extends z.ZodType>(simple: S) {
  return z.union([iterationServing, simple], {
    error: 'expected { ttft, tpot, maxSequences } or { model: iteration, step, maxBatchedTokens, maxSequences, maxKvTokens, frontend }',
  });
}
