/** The configuration of the key pool (`keys:`), beside its spec (spec.ts); composed by scenario/schema.ts. */
import { z } from 'zod';
import { MAX_KEYS } from '../core/limits.js';
import { duration, intIn, timerInterval } from '../core/units.js';
import { learns, limiterNames, redisForm, weighted } from '../limiters/index.js';
import { limiterChoice, quota } from '../limiters/quota-schema.js';
import { keyChoiceNames } from './choice.js';
import { storeKinds } from './store/kinds.js';
import type { Keys, KeyStore, WaitMode } from './spec.js';

const wait = z
  .union([
    z.literal('notify', { error: 'expected notify or { poll: interval }' }),
    z.strictObject({ poll: timerInterval('each waiting request re-checks at this interval').describe('Polling interval, at least 1ms') }),
  ])
  .transform((v): WaitMode => (v === 'notify' ? { mode: 'notify' } : { mode: 'poll', intervalMs: v.poll }));

const store = z
  .union([
    z.literal('memory', { error: 'expected memory or { redis: redis://host:port }' }),
    ...Object.values(storeKinds).map((k) => k.options),
  ])
  .transform((v): KeyStore => (v === 'memory' ? { kind: 'memory' } : storeKinds.redis.resolve(v as z.output<typeof storeKinds.redis.options>)));

/** `keys:` — the client-side key pool. */
export const keysSchema = z
  .strictObject({
    count: intIn(1, MAX_KEYS).default(1).describe(`Number of API keys (default 1, at most ${MAX_KEYS}; real mode: the keys in \`env\`)`),
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name such as GATESIM_KEYS' }).optional()
      .describe('Real mode: environment variable holding the keys, comma-separated (keys never go in the file)'),
    limit: quota(false).optional()
      .describe('Client-side limit per key: requests such as 3/min, or { requests, tokens, concurrent, charge } (default: no limit)'),
    guard: duration.prefault('0ms')
      .describe("Added to the limiter's window to absorb the spread between taking a key and the provider counting the request (connection setup, network); default 0ms"),
    limiter: limiterChoice.prefault('sliding-log')
      .describe('Limiter enforcing the per-key limit, every dimension unless tokenLimiter is given: a name or { type: name, …options } (default sliding-log)'),
    tokenLimiter: limiterChoice.optional()
      .describe('Limiter of the tokens dimension, when it differs from limiter: a name or { type: name, …options } (default: limiter)'),
    choice: z.enum(keyChoiceNames).default('least-used')
      .describe(`How a free key is chosen: ${keyChoiceNames.join(' | ')} (default least-used)`),
    exclusive: z.boolean().default(false).describe('A key serves one request at a time (default false)'),
    wait: wait.prefault('notify').describe('How a request waits for a key: notify, or { poll: interval } (default notify)'),
    acquireTimeout: duration.prefault('5m').describe('Give up waiting for a key after this long (default 5m)'),
    cooldown: z.enum(['retry-after', 'none']).default('retry-after').describe(
      "What a provider's 429 does to its key: retry-after (default) — it is not handed out again before the 429's retry-after; none — it is handed out again at once, as a client that ignores retry-after (the seeds' Python clients)",
    ),
    store: store.prefault('memory')
      .describe('Where the pool keeps its state: memory (default) or { redis: URL, prefix, failOpen } shared across processes (real mode; the simulation always uses memory)'),
  })
  .superRefine((k, ctx) => {
    const requests = k.limiter;
    const tokens = k.tokenLimiter ?? k.limiter;
    // A shared pool decides in Redis: only limiters with a Redis form can, for requests only (refused here, not at connect time).
    if (k.store.kind === 'redis' && k.limit?.requests && !redisForm(requests)) {
      const able = limiterNames.filter((n) => redisForm({ type: n, options: {} }));
      ctx.addIssue({ code: 'custom', path: ['limiter'], message: `expected a limiter the Redis store runs (${able.join(' | ')}) with keys.store: redis, got ${JSON.stringify(requests.type)}` });
    }
    if (k.store.kind === 'redis' && learns(requests)) {
      ctx.addIssue({ code: 'custom', path: ['limiter'], message: `expected keys.store: memory with a limiter that learns (${requests.type} learns from this process's answers; the Redis store shares fixed limits only)` });
    }
    if (k.store.kind === 'redis' && (k.limit?.tokens || k.limit?.concurrent)) {
      ctx.addIssue({ code: 'custom', path: ['store'], message: 'expected keys.store: memory with a tokens or concurrent limit (the Redis store shares request limits only)' });
    }
    if (k.limit?.tokens && !weighted(tokens)) {
      ctx.addIssue({ code: 'custom', path: ['limiter'], message: `expected a limiter that weighs admissions for the tokens limit (${limiterNames.filter((n) => weighted({ type: n, options: {} })).join(' | ')}), got ${JSON.stringify(tokens.type)}` });
    }
  })
  .transform(({ acquireTimeout, guard, store, limit, tokenLimiter, cooldown, ...k }): Keys => ({
    ...k,
    // retry-after is the absence of the field: resolved scenarios (and results) look as before
    ...(cooldown === 'none' ? { cooldown } : {}),
    limit: limit?.requests,
    ...(limit?.steps ? { steps: limit.steps } : {}),
    ...(limit?.tokens ? { tokens: limit.tokens, charge: limit.charge } : {}),
    ...(limit?.tokens && tokenLimiter ? { tokenLimiter } : {}),
    ...(limit?.quantum !== undefined ? { quantumMs: limit.quantum } : {}),
    ...(limit?.concurrent !== undefined ? { concurrent: limit.concurrent } : {}),
    guardMs: guard,
    acquireTimeoutMs: acquireTimeout,
    // memory is the absence of a store: resolved scenarios (and results) look as before
    ...(store.kind === 'redis' ? { store } : {}),
  }));

