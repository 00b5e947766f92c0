import { describe, expect, it } from 'vitest';
import { context } from '../../src/balancers/balancer.js';
import { P2c } from '../../src/balancers/p2c.js';
import { stream } from '../../src/sim/random.js';
import { balancerContract } from './contract.js';

balancerContract('p2c', { choices: 3 });

const route = { client: 0, attempt: 1, previous: -1, avoid: -1 };

function fixed(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('p2c', () => {
  it('with two providers of unequal load picks the busier one 25% of the time (10^5 picks, within 1%)', () => {
    for (const busy of [0, 1]) {
      const ctx = context([1, 1], stream(11 + busy, 'balancer'));
      ctx.inFlight[busy] = 5;
      const b = new P2c(ctx, 2);
      let hits = 0;
      const N = 100_000;
      for (let i = 0; i < N; i++) if (b.pick(route, 0) === busy) hits++;
      expect(Math.abs(hits / N - 0.25)).toBeLessThan(0.01);
    }
  });

  it('draws with replacement among the healthy providers; the first drawn wins a tie', () => {
    // Providers 0..3 with 2 unhealthy: the healthy list is [0, 1, 3] and a uniform u draws list[floor(3u)].
    // Two uniforms are drawn at construction, two more after each pick.
    const ctx = context([1, 1, 1, 1], fixed([0.9, 0.1, 0.5, 0.9, 0.4, 0.4, 0.1, 0.5]));
    ctx.healthy[2] = 0;
    ctx.inFlight.set([2, 2, 0, 1]);
    const b = new P2c(ctx, 2);
    expect(b.pick(route, 0)).toBe(3); // 3 (1 in flight) then 0 (2)
    expect(b.pick(route, 0)).toBe(3); // 1 (2) then 3 (1): fewer wins
    expect(b.pick(route, 0)).toBe(1); // 1 twice: with replacement
    expect(b.pick(route, 0)).toBe(0); // 0 (2) then 1 (2): tie, the first drawn
  });

  it('with one choice is a uniform random pick', () => {
    const ctx = context([1, 1, 1, 1], stream(3, 'balancer'));
    ctx.inFlight.set([0, 9, 9, 9]);
    const b = new P2c(ctx, 1);
    const count = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) count[b.pick(route, 0)]!++;
    for (const c of count) expect(Math.abs(c / 40_000 - 0.25)).toBeLessThan(0.015);
  });
});
