import { z } from 'zod';
import type { Rate } from '../scenario/types.js';
import { slidingLog } from './sliding-log.js';
import type { Window } from './window.js';

/** A limiter as the registry knows it: the schema of its scenario options and its factory. */
export interface LimiterEntry {
  /** zod schema of the options beside `type` (strict: unknown options are errors). */
  options: z.ZodObject;
  create(limit: Rate, options: Record<string, unknown>): Window;
}

/** Every limiter, under the name a scenario uses (`keys.limiter`). Adding one = one file + one line. */
export const limiters = {
  'sliding-log': { options: z.object({}).strict(), create: (limit, o) => slidingLog(limit, o as never) },
} satisfies Record<string, LimiterEntry>;

export type LimiterName = keyof typeof limiters;
export const limiterNames = Object.keys(limiters) as LimiterName[];

export function createWindow(name: string, limit: Rate, options: Record<string, unknown>): Window {
  const entry = (limiters as Record<string, LimiterEntry>)[name];
  if (!entry) throw new Error(`unknown limiter "${name}"; known: ${limiterNames.join(', ')}`);
  return entry.create(limit, options);
}
