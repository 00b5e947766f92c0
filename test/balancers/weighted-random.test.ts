import { describe, expect, it } from 'vitest';
import { context } from '../../src/balancers/balancer.js';
import { WeightedRandom } from '../../src/balancers/weighted-random.js';
import { stream } from '../../src/sim/random.js';


/** A random source that returns the given numbers in turn. */
function fixed(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('weighted-random', () => {
  it("follows 002's selectByWeight: r = u * total, the first with r <= cumulative", () => {
    // weights 1, 2, 1: total 4, cumulative 1, 3, 4. The first uniform is drawn at construction.
    const us = [0, 0.25, 0.2501, 0.75, 0.7501, 0.999];
    const b = new WeightedRandom(context([1, 2, 1], fixed(us)));
    // r = 0, 1 (<= 1: the first), 1.0004, 3 (<= 3: the second), 3.0004, 3.996
    expect(us.map(() => b.pick())).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('draws over the healthy providers only', () => {
    const ctx = context([1, 2, 1], fixed([0.5]));
    ctx.healthy[1] = 0;
    // total 2, r = 1: the first (cumulative 1); unhealthy weight is not counted.
    expect(new WeightedRandom(ctx).pick()).toBe(0);
    ctx.healthy[0] = 0;
    expect(new WeightedRandom(ctx).pick()).toBe(2);
  });

  it('shares follow the weights (10^5 picks, within 1 point)', () => {
    const weights = [5, 3, 1, 1];
    const b = new WeightedRandom(context(weights, stream(7, 'balancer')));
    const count = [0, 0, 0, 0];
    const N = 100_000;
    for (let i = 0; i < N; i++) count[b.pick()]!++;
    weights.forEach((w, i) => expect(Math.abs(count[i]! / N - w / 10)).toBeLessThan(0.01));
  });
});
