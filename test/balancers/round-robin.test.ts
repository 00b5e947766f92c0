import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NONE, context } from '../../src/balancers/balancer.js';
import { RoundRobin } from '../../src/balancers/round-robin.js';


describe('round-robin', () => {
  it('goes through the providers in list order', () => {
    const rr = new RoundRobin(context([1, 1, 1], Math.random));
    expect(Array.from({ length: 7 }, () => rr.pick())).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('shares differ by at most one over any prefix (all healthy)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 300 }), (n, picks) => {
        const rr = new RoundRobin(context(Array<number>(n).fill(1), Math.random));
        const count = new Array<number>(n).fill(0);
        for (let i = 0; i < picks; i++) {
          count[rr.pick()]!++;
          expect(Math.max(...count) - Math.min(...count)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('skips an unhealthy provider without counting it, and resumes after the last pick', () => {
    const ctx = context([1, 1, 1, 1], Math.random);
    const rr = new RoundRobin(ctx);
    expect(rr.pick()).toBe(0);
    ctx.healthy[1] = 0;
    expect([rr.pick(), rr.pick(), rr.pick()]).toEqual([2, 3, 0]);
    ctx.healthy[1] = 1;
    expect([rr.pick(), rr.pick()]).toEqual([1, 2]);
    ctx.healthy.fill(0);
    expect(rr.pick()).toBe(NONE);
    expect(rr.peek()).toBe(NONE);
    ctx.healthy[0] = 1;
    expect(rr.pick()).toBe(0);
  });
});
