import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingLog } from '../../src/limiters/sliding-log.js';
import { greedy, limitArb, maxInWindow, traceArb, windowContract } from './contract.js';

windowContract<Record<string, never>>({
  type: 'sliding-log',
  options: fc.constant({}),
  maxFootprint: (limit) => limit.count,
  burst: (limit) => limit.count,
  bound: (limit, _o, admitted) => expect(maxInWindow(admitted, limit.windowMs)).toBeLessThanOrEqual(limit.count),
});

describe('sliding-log', () => {
  it('is exact: it refuses only when N admissions are already in the window', () => {
    fc.assert(
      fc.property(traceArb, limitArb, (times, { count: n, windowMs: w }) => {
        const log = new SlidingLog(n, w);
        const got: number[] = [];
        for (const t of times) {
          const inWindow = got.filter((a) => !(a + w <= t)).length;
          expect(log.admits(t)).toBe(inWindow < n);
          if (inWindow < n) {
            log.record(t);
            got.push(t);
          }
        }
      }),
    );
  });

  it('holds 3/min as the document describes (hand-checked)', () => {
    const log = new SlidingLog(3, 60_000);
    for (const t of [0, 1_000, 2_000]) {
      expect(log.admits(t)).toBe(true);
      log.record(t);
    }
    expect(log.admits(59_999)).toBe(false);
    expect(log.nextAdmitAt(30_000)).toBe(60_000);
    expect(log.admits(60_000)).toBe(true);
  });

  it('a request every second for two minutes at 3/min: 6 admitted, at 0, 1, 2, 60, 61, 62 s', () => {
    const times = Array.from({ length: 120 }, (_, i) => i * 1_000);
    expect(greedy(new SlidingLog(3, 60_000), times)).toEqual([0, 1_000, 2_000, 60_000, 61_000, 62_000]);
  });
});
