import { z } from 'zod';
import { MAX_CHOICES, MAX_COUNT, MAX_VNODES } from '../scenario/limits.js';
import { intIn } from '../scenario/units.js';
import { availability } from './availability.js';
import type { Balancer, BalancerContext } from './balancer.js';
import { consistentHash, type ConsistentHashOptions } from './consistent-hash.js';
import { latencyEwma } from './latency-ewma.js';
import { leastConnections } from './least-connections.js';
import { p2c, type P2cOptions } from './p2c.js';
import { roundRobin } from './round-robin.js';
import { smoothWeighted, type SmoothWeightedOptions } from './smooth-weighted.js';
import { weightedRandom } from './weighted-random.js';

export interface BalancerEntry {
  /** zod schema of the options beside `type` (strict). */
  options: z.ZodObject;
  create(ctx: BalancerContext, options: Record<string, unknown>): Balancer;
}

const none = () => z.object({}).strict();

/** Every balancer, under the name a scenario uses (`balancer`). Adding one = one file + one line. */
export const balancers = {
  'round-robin': { options: none(), create: (ctx, o) => roundRobin(ctx, o as never) },
  'weighted-random': { options: none(), create: (ctx, o) => weightedRandom(ctx, o as never) },
  'smooth-weighted': {
    options: z.strictObject({
      maxFails: intIn(0, MAX_COUNT).default(1).describe(`nginx's max_fails: a failed attempt lowers the effective weight by weight/maxFails; 0 = never (default 1, at most ${MAX_COUNT})`),
    }),
    create: (ctx, o) => smoothWeighted(ctx, o as SmoothWeightedOptions),
  },
  'least-connections': { options: none(), create: (ctx, o) => leastConnections(ctx, o as never) },
  p2c: {
    options: z.strictObject({
      choices: intIn(1, MAX_CHOICES).default(2).describe(`Envoy's choice_count: providers drawn at random, the least loaded wins (default 2, at most ${MAX_CHOICES}: each pick draws that many)`),
    }),
    create: (ctx, o) => p2c(ctx, o as P2cOptions),
  },
  'consistent-hash': {
    options: z.strictObject({
      vnodes: intIn(1, MAX_VNODES).default(150).describe(`Points per provider on the hash ring (default 150, at most ${MAX_VNODES})`),
    }),
    create: (ctx, o) => consistentHash(ctx, o as ConsistentHashOptions),
  },
  'latency-ewma': { options: none(), create: (ctx, o) => latencyEwma(ctx, o as never) },
  availability: { options: none(), create: (ctx, o) => availability(ctx, o as never) },
} satisfies Record<string, BalancerEntry>;

export type BalancerName = keyof typeof balancers;
export const balancerNames = Object.keys(balancers) as BalancerName[];

export function createBalancer(name: string, ctx: BalancerContext, options: Record<string, unknown>): Balancer {
  const entry = (balancers as Record<string, BalancerEntry>)[name];
  if (!entry) throw new Error(`unknown balancer "${name}"; known: ${balancerNames.join(', ')}`);
  return entry.create(ctx, options);
}
