import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingLog } from '../src/limiters/sliding-log.js';

/** Random non-decreasing arrival times (ms). */
const trace = fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 }).map((gaps) => {
  let t = 0;
  return gaps.map((g) => (t += g));
});

/** Admissions of a greedy client: asks at every arrival, records when admitted. */
function admissions(w: SlidingLog, times: number[]): number[] {
  const out: number[] = [];
  for (const t of times) {
    if (w.admits(t)) {
      w.record(t);
      out.push(t);
    }
  }
  return out;
}

describe('sliding-log', () => {
  it('never admits more than N in any window [t, t + W)', () => {
    fc.assert(
      fc.property(trace, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 60_000 }), (times, n, w) => {
        const got = admissions(new SlidingLog(n, w), times);
        // The tightest windows start at an admission.
        for (let i = 0; i < got.length; i++) {
          let inWindow = 0;
          for (let j = i; j < got.length && got[j]! < got[i]! + w; j++) inWindow++;
          expect(inWindow).toBeLessThanOrEqual(n);
        }
      }),
    );
  });

  it('is exact: it refuses only when N admissions are already in the window', () => {
    fc.assert(
      fc.property(trace, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 60_000 }), (times, n, w) => {
        const log = new SlidingLog(n, w);
        const got: number[] = [];
        for (const t of times) {
          const inWindow = got.filter((a) => a > t - w).length;
          expect(log.admits(t)).toBe(inWindow < n);
          if (inWindow < n) {
            log.record(t);
            got.push(t);
          }
        }
      }),
    );
  });

  it('nextAdmitAt is never in the past, and a request then is admitted', () => {
    fc.assert(
      fc.property(trace, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 60_000 }), (times, n, w) => {
        const log = new SlidingLog(n, w);
        for (const t of times) {
          const next = log.nextAdmitAt(t);
          expect(next).toBeGreaterThanOrEqual(t);
          expect(log.admits(next)).toBe(true);
          if (log.admits(t)) log.record(t);
          expect(log.footprint()).toBeLessThanOrEqual(n);
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
});
