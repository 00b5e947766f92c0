import { z } from 'zod';
import type { Balancer, BalancerContext } from './balancer.js';
import { roundRobin } from './round-robin.js';

export interface BalancerEntry {
  /** zod schema of the options beside `type` (strict). */
  options: z.ZodObject;
  create(ctx: BalancerContext, options: Record<string, unknown>): Balancer;
}

/** Every balancer, under the name a scenario uses (`balancer`). */
export const balancers = {
  'round-robin': { options: z.object({}).strict(), create: (ctx, o) => roundRobin(ctx, o as never) },
} satisfies Record<string, BalancerEntry>;

export type BalancerName = keyof typeof balancers;
export const balancerNames = Object.keys(balancers) as BalancerName[];

export function createBalancer(name: string, ctx: BalancerContext, options: Record<string, unknown>): Balancer {
  const entry = (balancers as Record<string, BalancerEntry>)[name];
  if (!entry) throw new Error(`unknown balancer "${name}"; known: ${balancerNames.join(', ')}`);
  return entry.create(ctx, options);
}
