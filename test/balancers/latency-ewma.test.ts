import { describe, expect, it } from 'vitest';
import { context } from '../../src/balancers/balancer.js';
import { Outcome } from '../../src/core/outcome.js';
import { LatencyEwma } from '../../src/balancers/latency-ewma.js';


const route = { client: 0, attempt: 1, previous: -1, avoid: -1 };

describe('latency-ewma', () => {
  it('a provider never measured (0 ms) wins until measured, as in 002', () => {
    const b = new LatencyEwma(context([1, 1, 1], Math.random));
    expect(b.pick(route, 0)).toBe(0);
    b.finished(0, Outcome.ok, 80, 0);
    expect(b.pick(route, 0)).toBe(1);
    b.finished(1, Outcome.ok, 120, 0);
    expect(b.pick(route, 0)).toBe(2);
    b.finished(2, Outcome.ok, 100, 0);
    expect(b.pick(route, 0)).toBe(0);
  });

  it('follows the EMA: a slow sample moves the average an eighth of the way, truncated', () => {
    const b = new LatencyEwma(context([1, 1], Math.random));
    b.finished(0, Outcome.ok, 100, 0);
    b.finished(1, Outcome.ok, 110, 0);
    b.finished(0, Outcome.ok, 190.9, 0); // (700 + 190) / 8 = 111.25 → 111
    expect(Array.from(b.latencyMs)).toEqual([111, 110]);
    expect(b.pick(route, 0)).toBe(1);
    // failures count too (002 records latency whatever the outcome)
    b.finished(1, Outcome.timeout, 1000, 0); // (770 + 1000) / 8 = 221.25
    expect(b.latencyMs[1]).toBe(221);
    expect(b.pick(route, 0)).toBe(0);
  });

  it('ties go to the first in list order; unhealthy ones are skipped', () => {
    const ctx = context([1, 1, 1], Math.random);
    const b = new LatencyEwma(ctx);
    for (let p = 0; p < 3; p++) b.finished(p, Outcome.ok, 50, 0);
    expect(b.pick(route, 0)).toBe(0);
    ctx.healthy[0] = 0;
    expect(b.pick(route, 0)).toBe(1);
  });
});
