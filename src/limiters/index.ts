import { z } from 'zod';
import type { Rate } from '../scenario/types.js';
import { MAX_BUCKETS, MAX_BURST, MIN_TIMER_MS } from '../scenario/limits.js';
import { duration, intIn } from '../scenario/units.js';
import { bucketPublished, type BucketPublishedOptions } from './bucket-published.js';
import { bucketWindow, type BucketWindowOptions } from './bucket-window.js';
import { gcra, type GcraOptions } from './gcra.js';
import { slidingLog } from './sliding-log.js';
import { tokenBucket, type TokenBucketOptions } from './token-bucket.js';
import { uniformInterval } from './uniform-interval.js';
import type { Window } from './window.js';

/** A limiter as the registry knows it: the schema of its scenario options and its factory. */
export interface LimiterEntry {
  /** zod schema of the options beside `type` (strict: unknown options are errors). */
  options: z.ZodObject;
  create(limit: Rate, options: Record<string, unknown>): Window;
}

const geometry = z
  .object({
    buckets: intIn(1, MAX_BUCKETS).optional().describe(`Number of buckets (default 6, at most ${MAX_BUCKETS}: each key holds one counter per bucket)`),
    bucketWidth: duration
      .refine((ms) => ms >= MIN_TIMER_MS, { error: `expected a duration of at least ${MIN_TIMER_MS}ms` })
      .optional()
      .describe(`Width of one bucket, at least ${MIN_TIMER_MS}ms (default: the limit's window / buckets, 10s for 3/min)`),
  })
  .strict();

const burst = z
  .object({ burst: intIn(1, MAX_BURST).optional().describe(`Requests allowed at once after an idle spell (default: the limit's count; at most ${MAX_BURST})`) })
  .strict();

/** Every limiter, under the name a scenario uses (`keys.limiter`). Adding one = one file + one line. */
export const limiters = {
  'sliding-log': { options: z.object({}).strict(), create: (limit, o) => slidingLog(limit, o as never) },
  'bucket-window': { options: geometry, create: (limit, o) => bucketWindow(limit, o as BucketWindowOptions) },
  'bucket-published': { options: geometry, create: (limit, o) => bucketPublished(limit, o as BucketPublishedOptions) },
  'uniform-interval': { options: z.object({}).strict(), create: (limit, o) => uniformInterval(limit, o as never) },
  'token-bucket': { options: burst, create: (limit, o) => tokenBucket(limit, o as TokenBucketOptions) },
  gcra: { options: burst, create: (limit, o) => gcra(limit, o as GcraOptions) },
} satisfies Record<string, LimiterEntry>;

export type LimiterName = keyof typeof limiters;
export const limiterNames = Object.keys(limiters) as LimiterName[];

export function createWindow(name: string, limit: Rate, options: Record<string, unknown>): Window {
  const entry = (limiters as Record<string, LimiterEntry>)[name];
  if (!entry) throw new Error(`unknown limiter "${name}"; known: ${limiterNames.join(', ')}`);
  return entry.create(limit, options);
}
