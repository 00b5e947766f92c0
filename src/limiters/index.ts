import { z } from 'zod';
import { MAX_BUCKETS, MAX_BURST, MIN_TIMER_MS } from '../core/limits.js';
import { create, entry, type Named } from '../core/registry.js';
import { duration, intIn, type Rate } from '../core/units.js';
import { bucketPublished } from './bucket-published.js';
import { bucketWindow } from './bucket-window.js';
import { fixedWindow } from './fixed-window.js';
import { nextUp } from './float.js';
import { gcra } from './gcra.js';
import { slidingLog } from './sliding-log.js';
import { tokenBucket } from './token-bucket.js';
import { uniformInterval } from './uniform-interval.js';
import type { Window } from './window.js';

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
};

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
