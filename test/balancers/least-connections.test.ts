import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NONE } from '../../src/balancers/balancer.js';
import { drive, make, makeContext, setup } from './contract.js';


describe('least-connections', () => {
  it('never picks a provider with more in flight than another healthy one', () => {
    fc.assert(
      fc.property(setup, (s) => {
        const ctx = makeContext(s);
        drive(make('least-connections', ctx), ctx, s, false, (p) => {
          if (p === NONE) return;
          for (let i = 0; i < s.weights.length; i++) {
            if (ctx.healthy[i]) expect(ctx.inFlight[p]).toBeLessThanOrEqual(ctx.inFlight[i]!);
          }
        });
      }),
    );
  });

  it('breaks ties in list order (the first minimum, as min_by_key)', () => {
    const ctx = makeContext({ weights: [1, 1, 1, 1], healthy: [true, true, true, true], inFlight: [3, 1, 1, 2], seed: 0, ops: [] });
    const b = make('least-connections', ctx);
    const route = { client: 0, attempt: 1, previous: -1, avoid: -1 };
    expect(b.pick(route, 0)).toBe(1);
    ctx.healthy[1] = 0;
    expect(b.pick(route, 0)).toBe(2);
    ctx.inFlight.fill(0);
    expect(b.pick(route, 0)).toBe(0);
  });

  it('spreads a burst evenly when the caller counts what it sends', () => {
    const ctx = makeContext({ weights: [1, 1, 1], healthy: [true, true, true], inFlight: [0, 0, 0], seed: 0, ops: [] });
    const b = make('least-connections', ctx);
    const got: number[] = [];
    for (let i = 0; i < 7; i++) {
      const p = b.pick({ client: i, attempt: 1, previous: -1, avoid: -1 }, 0);
      ctx.inFlight[p]!++;
      got.push(p);
    }
    expect(got).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});
