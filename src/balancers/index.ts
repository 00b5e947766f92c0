import { z } from 'zod';
import { MAX_CHOICES, MAX_COUNT, MAX_VNODES } from '../core/limits.js';
import { create, entry, type Named } from '../core/registry.js';
import { intIn } from '../core/units.js';
import { availability } from './availability.js';
import type { Balancer, BalancerContext } from './balancer.js';
import { consistentHash } from './consistent-hash.js';
import { latencyEwma } from './latency-ewma.js';
import { leastConnections } from './least-connections.js';
import { p2c } from './p2c.js';
import { roundRobin } from './round-robin.js';
import { smoothWeighted } from './smooth-weighted.js';
import { weightedRandom } from './weighted-random.js';

const none = z.strictObject({});

/** Every balancer, under the name a scenario uses (`balancer`). Adding one = one file + one line. */
export const balancers = {
  'round-robin': entry({ options: none, create: (ctx: BalancerContext) => roundRobin(ctx, {}) }),
  'weighted-random': entry({ options: none, create: (ctx: BalancerContext) => weightedRandom(ctx, {}) }),
  'smooth-weighted': entry({
    options: z.strictObject({
      maxFails: intIn(0, MAX_COUNT).default(1).describe(`nginx's max_fails: a failed attempt lowers the effective weight by weight/maxFails; 0 = never (default 1, at most ${MAX_COUNT})`),
    }),
    create: (ctx: BalancerContext, o) => smoothWeighted(ctx, o),
  }),
  'least-connections': entry({ options: none, create: (ctx: BalancerContext) => leastConnections(ctx, {}) }),
  p2c: entry({
    options: z.strictObject({
      choices: intIn(1, MAX_CHOICES).default(2).describe(`Envoy's choice_count: providers drawn at random, the least loaded wins (default 2, at most ${MAX_CHOICES}: each pick draws that many)`),
    }),
    create: (ctx: BalancerContext, o) => p2c(ctx, o),
  }),
  'consistent-hash': entry({
    options: z.strictObject({
      vnodes: intIn(1, MAX_VNODES).default(150).describe(`Points per provider on the hash ring (default 150, at most ${MAX_VNODES})`),
    }),
    create: (ctx: BalancerContext, o) => consistentHash(ctx, o),
  }),
  'latency-ewma': entry({ options: none, create: (ctx: BalancerContext) => latencyEwma(ctx, {}) }),
  availability: entry({ options: none, create: (ctx: BalancerContext) => availability(ctx, {}) }),
};

export type BalancerName = keyof typeof balancers;
export const balancerNames = Object.keys(balancers) as BalancerName[];

/** The balancer a scenario's choice builds. */
export function createBalancer(choice: Named, ctx: BalancerContext): Balancer {
  return create(balancers, 'balancer', choice, ctx);
}
