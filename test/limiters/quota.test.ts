import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dimension } from '../../src/core/outcome.js';
import { createWindow } from '../../src/limiters/index.js';
import { Quota } from '../../src/limiters/quota.js';

const sliding = (count: number, windowMs: number) => createWindow({ type: 'sliding-log', options: {} }, { count, windowMs });

describe('Quota: dimensions decided together', () => {
  it('admits only when every dimension does, names the first that refuses, and waits for the latest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), tokens: fc.integer({ min: 1, max: 900 }), ends: fc.boolean() }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        (steps, maxInFlight) => {
          const q = new Quota(sliding(3, 10_000), sliding(1_000, 10_000), maxInFlight);
          // Twins of each dimension alone, driven the same way: the quota's answer is theirs combined.
          const r = sliding(3, 10_000);
          const t = sliding(1_000, 10_000);
          let inFlight = 0;
          let now = 0;
          for (const s of steps) {
            now += s.gap;
            if (s.ends && inFlight > 0) {
              const freed = q.release();
              expect(freed).toBe(inFlight === maxInFlight);
              inFlight--;
            }
            const no = q.refuses(now, s.tokens);
            const want = !r.admits(now) ? Dimension.requests : !t.admits(now, s.tokens) ? Dimension.tokens : inFlight >= maxInFlight ? Dimension.concurrent : Dimension.none;
            expect(no).toBe(want);
            expect(q.admits(now, s.tokens)).toBe(want === Dimension.none);
            const next = q.nextAdmitAt(now, s.tokens);
            if (inFlight >= maxInFlight) expect(next).toBe(Infinity);
            else expect(next).toBe(Math.max(r.nextAdmitAt(now), t.nextAdmitAt(now, s.tokens)));
            if (no === Dimension.none) {
              q.record(now, s.tokens);
              r.record(now);
              t.record(now, s.tokens);
              inFlight++;
            }
            expect(q.inFlight).toBe(inFlight);
          }
        },
      ),
    );
  });

  it('settles a reservation down, and counts actual use at the end', () => {
    const q = new Quota(undefined, sliding(1_000, 60_000), Infinity);
    q.record(0, 800);
    expect(q.refuses(1, 300)).toBe(Dimension.tokens);
    q.settle(0, 800, 500, 10);
    expect(q.refuses(11, 500)).toBe(Dimension.none);
    q.charge(20, 500);
    expect(q.refuses(21, 1)).toBe(Dimension.tokens);
    expect(q.nextAdmitAt(21, 1)).toBe(60_000);
  });

  it('a request-only quota ignores weights; an unbounded one never refuses for concurrency', () => {
    const q = new Quota(sliding(1, 1_000), undefined, Infinity);
    expect(q.refuses(0, 5_000)).toBe(Dimension.none);
    q.record(0, 5_000);
    expect(q.inFlight).toBe(0);
    expect(q.release()).toBe(false);
    expect(q.refuses(0, 0)).toBe(Dimension.requests);
    expect(q.footprint()).toBe(1);
  });
});
