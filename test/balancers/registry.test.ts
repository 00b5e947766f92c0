import { describe, expect, it } from 'vitest';
import { context } from '../../src/balancers/balancer.js';
import { balancerNames, balancers, createBalancer } from '../../src/balancers/index.js';
import { choose, named } from '../../src/core/registry.js';

describe('balancer registry', () => {
  it('registers every balancer of issue 4 under its scenario name', () => {
    expect(balancerNames).toEqual([
      'round-robin', 'weighted-random', 'smooth-weighted', 'least-connections', 'p2c', 'consistent-hash', 'latency-ewma', 'availability',
    ]);
  });

  it('parses the scenario forms, with defaults, and rejects unknown or bad options', () => {
    const schema = named(balancers, 'balancer');
    // A name alone goes through the same schema: the same defaults as the object form.
    expect(schema.parse('consistent-hash')).toEqual({ type: 'consistent-hash', options: { vnodes: 150 } });
    expect(schema.parse('p2c')).toEqual({ type: 'p2c', options: { choices: 2 } });
    expect(schema.parse({ type: 'consistent-hash', vnodes: 150 })).toEqual({ type: 'consistent-hash', options: { vnodes: 150 } });
    expect(schema.parse({ type: 'consistent-hash' })).toEqual({ type: 'consistent-hash', options: { vnodes: 150 } });
    expect(schema.parse({ type: 'smooth-weighted' })).toEqual({ type: 'smooth-weighted', options: { maxFails: 1 } });
    expect(schema.parse({ type: 'p2c' })).toEqual({ type: 'p2c', options: { choices: 2 } });
    expect(schema.safeParse({ type: 'consistent-hash', vnodes: 0 }).success).toBe(false);
    expect(schema.safeParse({ type: 'consistent-hash', vnodes: 1.5 }).success).toBe(false);
    expect(schema.safeParse({ type: 'least-connections', vnodes: 3 }).success).toBe(false);
    expect(schema.safeParse({ type: 'smooth-weighted', maxFails: -1 }).success).toBe(false);
    expect(schema.safeParse('fastest').success).toBe(false);
  });

  it('creates each one, with options left out taking their defaults', () => {
    for (const name of balancerNames) {
      const b = createBalancer(choose(balancers, name), context([1, 2, 3], Math.random));
      expect(b.pick({ client: 1, attempt: 1, previous: -1, avoid: -1 }, 0)).toBeGreaterThanOrEqual(0);
    }
  });

  it('an unknown name is an error that lists the known ones', () => {
    expect(() => createBalancer({ type: 'fastest', options: {} }, context([1], Math.random))).toThrow(/unknown balancer "fastest"; known: round-robin, weighted-random/);
  });
});
