import { describe, expect, it } from 'vitest';
import { context } from '../../src/balancers/balancer.js';
import { Outcome } from '../../src/core/outcome.js';
import { Availability } from '../../src/balancers/availability.js';


const route = { client: 0, attempt: 1, previous: -1, avoid: -1 };

describe('availability', () => {
  it('picks the lowest failure rate; ties (all 0 at the start) go to the first', () => {
    const b = new Availability(context([1, 1, 1], Math.random));
    expect(b.pick(route, 0)).toBe(0);
    b.finished(0, Outcome.serverError, 10, 0);
    expect(b.failureRate[0]).toBeCloseTo(0.1, 15);
    expect(b.pick(route, 0)).toBe(1);
    b.finished(1, Outcome.timeout, 10, 0);
    b.finished(1, Outcome.timeout, 10, 0);
    expect(b.pick(route, 0)).toBe(2);
    b.finished(2, Outcome.rateLimited, 10, 0); // not ok: a failure for 002
    expect(b.pick(route, 0)).toBe(0); // 0.1 = 0.1, the first
    b.finished(0, Outcome.ok, 10, 0); // 0.05
    expect(b.pick(route, 0)).toBe(0);
    b.finished(0, Outcome.ok, 10, 0);
    b.finished(0, Outcome.ok, 10, 0);
    b.finished(0, Outcome.ok, 10, 0); // 0.00625 → 0
    expect(b.failureRate[0]).toBe(0);
  });

  it('skips unhealthy providers', () => {
    const ctx = context([1, 1], Math.random);
    const b = new Availability(ctx);
    b.finished(1, Outcome.serverError, 10, 0);
    ctx.healthy[0] = 0;
    expect(b.pick(route, 0)).toBe(1);
  });
});
