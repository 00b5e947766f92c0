import { z } from 'zod';
import { duration } from '../../core/units.js';
import type { KeyStore } from '../spec.js';

/**
 * Where a key pool may keep its state besides this process's memory, as a scenario writes it
 * (`keys.store: memory` or `{ redis: URL, … }`): each kind's options and its resolved form. The
 * scenario schema is derived from this table; the clients themselves (ioredis) load only when a
 * real run uses them.
 */
export const storeKinds = {
  redis: {
    options: z.strictObject({
      redis: z.string().regex(/^rediss?:\/\/\S+$/, { error: 'expected a Redis URL such as redis://127.0.0.1:6379' })
        .refine((u) => !/^rediss?:\/\/\S+$/.test(u) || URL.canParse(u), {
          error: 'expected a Redis URL that parses, such as redis://:password@127.0.0.1:6379 (percent-encode / @ : # ? in a password: %2F %40 %3A %23 %3F)',
        })
        .describe('Redis URL such as redis://127.0.0.1:6379 (required)'),
      prefix: z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'expected letters, digits, _ . : or -' }).default('gatesim')
        .describe('Prefix of the Redis keys and channel; processes share a pool when prefix and limiter agree (default gatesim)'),
      failOpen: z.boolean().default(false)
        .describe("Redis unreachable or slow: false (default) sends nothing without a recorded admission; true falls back to this process's own windows, reported in results"),
      timeout: duration.prefault('1s').describe('Wall time a Redis command may take before it counts as failed (default 1s; not time-scaled)'),
      giveUpAfter: duration.optional()
        .describe('Fail closed: wall time Redis may stay down mid-run before requests waiting for a key give up (gaveUp) and the results are marked degraded (default 10 × timeout; not time-scaled)'),
    }),
    resolve: (v: { redis: string; prefix: string; failOpen: boolean; timeout: number; giveUpAfter?: number }): KeyStore => ({
      kind: 'redis',
      url: v.redis,
      prefix: v.prefix,
      failOpen: v.failOpen,
      timeoutMs: v.timeout,
      ...(v.giveUpAfter !== undefined ? { giveUpAfterMs: v.giveUpAfter } : {}),
    }),
  },
};
