import { z } from 'zod';
import { MAX_BUCKETS, MAX_BURST, MIN_TIMER_MS } from '../core/limits.js';
import { create, entry, type Named } from '../core/registry.js';
import { MAX_COUNT } from '../core/limits.js';
import { duration, intIn, positiveUpTo, type Rate } from '../core/units.js';
import { bucketPublished } from './bucket-published.js';
import { bucketWindow } from './bucket-window.js';
import { fixedWindow } from './fixed-window.js';
import { nextUp } from './float.js';
import { gcra } from './gcra.js';
import { slidingLog } from './sliding-log.js';
import { tokenBucket } from './token-bucket.js';
import { uniformInterval } from './uniform-interval.js';
import type { Window } from './window.js';
import type { Adaptive } from './adaptive/adaptive.js';
import { aimd } from './adaptive/aimd.js';
import { gradient } from './adaptive/gradient.js';
import { headers } from './adaptive/headers.js';
import { sreThrottle } from './adaptive/sre-throttle.js';
import type { Random } from '../sim/random.js';

/**
 * How a limiter runs as the Redis store's Lua script: the script's name for it and its three
 * parameters in wall ms, derived with the same expressions as the TypeScript window so both decide
 * alike (`n` the limit's count, `w` its window with the guard, in wall ms; `scale` wall per scenario ms).
 */
export type RedisForm = (n: number, w: number, options: never, scale: number) => { limiter: string; params: [number, number, number] };

const geometry = z.strictObject({
  buckets: intIn(1, MAX_BUCKETS).default(6).describe(`Number of buckets (default 6, at most ${MAX_BUCKETS}: each key holds one counter per bucket)`),
  bucketWidth: duration
    .refine((ms) => ms >= MIN_TIMER_MS, { error: `expected a duration of at least ${MIN_TIMER_MS}ms` })
    .optional()
    .describe(`Width of one bucket, at least ${MIN_TIMER_MS}ms (default: the limit's window / buckets, 10s for 3/min)`),
});

const burst = z.strictObject({
  burst: intIn(1, MAX_BURST).optional().describe(`Requests allowed at once after an idle spell (default: the limit's count; at most ${MAX_BURST})`),
});

const none = z.strictObject({});

const ratio = (what: string) =>
  z.number({ error: 'expected a number from 0.01 to 0.99' }).min(0.01, { error: 'expected a number from 0.01 to 0.99' }).max(0.99, { error: 'expected a number from 0.01 to 0.99' })
    .default(0.9).describe(`${what} (default 0.9, from 0.01 to 0.99)`);
const limitValue = (what: string) => positiveUpTo(MAX_COUNT).describe(`${what}; at most ${MAX_COUNT}`);
/** A learning limiter's period: at least 1ms, as every interval that drives its decisions. */
const period = (what: string, floor: number) =>
  duration.refine((ms) => ms >= floor, { error: `expected a duration of at least ${floor}ms (${what})` });

const aimdOptions = z.strictObject({
  mode: z.enum(['rate', 'concurrency']).default('rate').describe('rate: requests per minute, paced; concurrency: requests in flight (default rate)'),
  initialLimit: limitValue('The limit it starts from, in requests per minute (rate) or in flight (concurrency) (default 60/min or 10, within min…max)').optional(),
  minLimit: limitValue('It never goes below (default 1)').default(1),
  maxLimit: limitValue("It never goes above (default: keys.limit's rate in rate mode, else 1000000)").optional(),
  backoffRatio: ratio('Multiplied by on a 429 or 5xx, at most once per window'),
  increase: limitValue("Added after each window with successes, no 429 or 5xx and at least half the limit used, in the limit's unit (default 1)").default(1),
  window: period('the limit changes at most once per window each way', MIN_TIMER_MS).prefault('1s').describe('The success window, at least 1ms (default 1s)'),
  burst: intIn(1, MAX_BURST).default(1).describe(`Rate mode: requests paced out at once after an idle spell (default 1, at most ${MAX_BURST})`),
});
type AimdOptions = z.output<typeof aimdOptions>;
const aimdCheck = (o: AimdOptions, ctx: z.RefinementCtx): void => {
  if (o.maxLimit !== undefined && o.minLimit > o.maxLimit) ctx.addIssue({ code: 'custom', path: ['minLimit'], message: `expected minLimit ≤ maxLimit, got ${o.minLimit} > ${o.maxLimit}` });
};

const gradientOptions = z.strictObject({
  initialLimit: intIn(1, MAX_COUNT).default(20).describe(`Concurrency it starts from (default 20, at most ${MAX_COUNT})`),
  minLimit: intIn(1, MAX_COUNT).default(1).describe('It never goes below (default 1)'),
  maxConcurrency: intIn(1, MAX_COUNT).default(200).describe(`It never goes above (default 200, at most ${MAX_COUNT})`),
  smoothing: z.number({ error: 'expected a number above 0 and at most 1' }).gt(0, { error: 'expected a number above 0 and at most 1' }).max(1, { error: 'expected a number above 0 and at most 1' })
    .default(0.2).describe('Share of each new estimate the limit takes, above 0 and at most 1 (default 0.2)'),
  queueSize: z.number({ error: `expected a number from 0 to ${MAX_COUNT}` }).min(0, { error: `expected a number from 0 to ${MAX_COUNT}` }).max(MAX_COUNT, { error: `expected a number from 0 to ${MAX_COUNT}` })
    .default(4).describe('Requests allowed to queue beyond the estimate while latency holds (default 4)'),
  longWindow: intIn(1, MAX_COUNT).default(600).describe('Samples the long-term latency averages over (default 600)'),
  backoffRatio: ratio('Multiplied by on a 429 or 5xx, at most once per long-term latency'),
});
const gradientCheck = (o: z.output<typeof gradientOptions>, ctx: z.RefinementCtx): void => {
  if (o.minLimit > o.maxConcurrency) ctx.addIssue({ code: 'custom', path: ['minLimit'], message: `expected minLimit ≤ maxConcurrency, got ${o.minLimit} > ${o.maxConcurrency}` });
};

/** sre-throttle counts in 60 buckets of window / 60: a bucket of at least 1 ms. */
const SRE_MIN_WINDOW_MS = 60 * MIN_TIMER_MS;
const sreOptions = z.strictObject({
  K: z.number({ error: 'expected a number from 1 to 100' }).min(1, { error: 'expected a number from 1 to 100' }).max(100, { error: 'expected a number from 1 to 100' })
    .default(2).describe('Requests let through per accepted one, from 1 to 100 (default 2, the SRE book\'s)'),
  window: period('it counts in 60 buckets of window / 60', SRE_MIN_WINDOW_MS).prefault('2m')
    .describe(`Over how long requests and accepts are counted, at least ${SRE_MIN_WINDOW_MS}ms (default 2m)`),
});

/** What a learning limiter is built from: the key's ceiling (keys.limit's window, if any) and its rate, and a seeded stream. */
export interface LearnContext {
  ceiling: Window | undefined;
  ceilingRate: Rate | undefined;
  random: Random;
}

/** A learning entry's window for the contract suite: the limiter under `limit` as its ceiling (an exact sliding log), before any answer. */
const untaught = (limit: Rate, learn: (c: LearnContext) => Adaptive): Window =>
  learn({ ceiling: slidingLog(limit, {}), ceilingRate: limit, random: () => 0 }).window!;

/**
 * Every limiter, under the name a scenario uses (`keys.limiter`). An entry: its options, whether
 * it weighs admissions (a tokens quota needs it), its window factory, and `redis` when the shared
 * key pool can run it (`keys.store: { redis }`, request counts only).
 * Adding a limiter is one file and one line here.
 */
export const limiters = {
  'sliding-log': entry({
    options: none,
    weighted: true,
    create: (limit: Rate) => slidingLog(limit, {}),
    redis: (n: number, w: number) => ({ limiter: 'sliding-log', params: [n, w, 0] as [number, number, number] }),
  }),
  'bucket-window': entry({
    options: geometry,
    weighted: true,
    create: (limit: Rate, o) => bucketWindow(limit, o),
    redis: (n: number, w: number, o: z.output<typeof geometry>, scale: number) => ({
      limiter: 'bucket-window',
      params: [n, o.buckets, o.bucketWidth !== undefined ? o.bucketWidth * scale : w / o.buckets] as [number, number, number],
    }),
  }),
  // One process's published code (the Python review client's bucket counter): no shared version.
  'bucket-published': entry({ options: geometry, weighted: false, create: (limit: Rate, o) => bucketPublished(limit, o) }),
  'uniform-interval': entry({
    options: none,
    weighted: true,
    create: (limit: Rate) => uniformInterval(limit, {}),
    redis: (n: number, w: number) => {
      const exact = Number.isInteger(w) && w % n === 0;
      return { limiter: 'uniform-interval', params: [exact ? w / n : nextUp(w / n), 0, 0] as [number, number, number] };
    },
  }),
  'token-bucket': entry({
    options: burst,
    weighted: true,
    create: (limit: Rate, o) => tokenBucket(limit, o),
    redis: (n: number, w: number, o: z.output<typeof burst>) => {
      const unit = Number.isInteger(w) ? w : 1;
      return { limiter: 'token-bucket', params: [unit, (o.burst ?? n) * unit, (n * unit) / w] as [number, number, number] };
    },
  }),
  gcra: entry({
    options: burst,
    weighted: true,
    create: (limit: Rate, o) => gcra(limit, o),
    redis: (n: number, w: number, o: z.output<typeof burst>) => ({ limiter: 'gcra', params: [w / n, o.burst ?? n, 0] as [number, number, number] }),
  }),
  'fixed-window': entry({ options: none, weighted: true, create: (limit: Rate) => fixedWindow(limit, {}) }),
  // Limiters that learn (src/limiters/adaptive/): no keys.limit needed; with one, they adapt under it.
  aimd: entry({
    options: aimdOptions,
    check: aimdCheck,
    weighted: false,
    learn: (c: LearnContext, o: AimdOptions) => aimd(o, c.ceiling, c.ceilingRate),
    create: (limit: Rate, o: AimdOptions) => untaught(limit, (c) => aimd(o, c.ceiling, c.ceilingRate)),
  }),
  gradient: entry({
    options: gradientOptions,
    check: gradientCheck,
    weighted: false,
    learn: (c: LearnContext, o: z.output<typeof gradientOptions>) => gradient(o, c.ceiling),
    create: (limit: Rate, o: z.output<typeof gradientOptions>) => untaught(limit, (c) => gradient(o, c.ceiling)),
  }),
  'sre-throttle': entry({
    options: sreOptions,
    weighted: false,
    learn: (c: LearnContext, o: z.output<typeof sreOptions>) => sreThrottle(o, c.ceiling, c.random),
    create: (limit: Rate, o: z.output<typeof sreOptions>) => untaught(limit, (c) => sreThrottle(o, c.ceiling, c.random)),
  }),
  headers: entry({
    options: none,
    weighted: false,
    learn: (c: LearnContext) => headers(c.ceiling),
    create: (limit: Rate) => untaught(limit, (c) => headers(c.ceiling)),
  }),
};

type Learner = (c: LearnContext, options: never) => Adaptive;

/** Does this limiter learn from answers (an entry with `learn`)? */
export const learns = (choice: Named): boolean => typeof (limiters as Record<string, { learn?: Learner }>)[choice.type]?.learn === 'function';

/** The learning limiters' names. */
export const learningNames = (): string[] => Object.keys(limiters).filter((n) => learns({ type: n, options: {} }));

/** A key's learning limiter for a choice that learns (undefined for a fixed one). */
export function createAdaptive(choice: Named, c: LearnContext): Adaptive | undefined {
  const learn = (limiters as Record<string, { learn?: Learner }>)[choice.type]?.learn;
  return learn ? learn(c, choice.options as never) : undefined;
}

/** Can this limiter weigh admissions (a tokens quota)? */
export const weighted = (choice: Named): boolean => (limiters as Record<string, { weighted: boolean }>)[choice.type]?.weighted === true;

export type LimiterName = keyof typeof limiters;
export const limiterNames = Object.keys(limiters) as LimiterName[];

/** The window a scenario's limiter choice builds for one key's `limit`. */
export function createWindow(choice: Named, limit: Rate): Window {
  return create(limiters, 'limiter', choice, limit);
}

/** The Redis form of a limiter choice, or undefined when it has none. */
export function redisForm(choice: Named): RedisForm | undefined {
  const e = (limiters as Record<string, { redis?: RedisForm }>)[choice.type];
  return e?.redis;
}
