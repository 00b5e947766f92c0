import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UniformInterval, uniformInterval } from '../../src/limiters/uniform-interval.js';
import { expectPacedBound } from './bounds.js';
import { arrivalsOf, greedy, limitArb, maxInWindow, runWeighted, traceArb, windowContract } from './contract.js';

windowContract<Record<string, never>>({
  name: 'uniform-interval',
  create: uniformInterval,
  options: fc.constant({}),
  weighted: true,
  capacity: (limit) => limit.count,
  maxFootprint: () => 1,
  burst: (limit, _o, w) => (w <= limit.count ? 1 : 0),
  bound: (limit, _o, ledger) => {
    // A window [t, t + W) holds N − 1 + its last admission's reservation (N for weight 1), plus
    // upward corrections, judged as an exact provider judges it (t + W <= now).
    expectPacedBound(ledger, limit.windowMs, limit.count);
    if (ledger.every((x) => x.r === 1 && x.a === 1)) expect(maxInWindow(ledger.map((x) => x.t), limit.windowMs)).toBeLessThanOrEqual(limit.count);
  },
});

describe('uniform-interval', () => {
  it('3/min: one request every 20 s, even after an idle minute (no burst)', () => {
    const times = [0, 1_000, 2_000, 19_999, 20_000, 20_001, 40_000, 200_000, 200_001, 219_999, 220_000];
    expect(greedy(new UniformInterval(60_000, 3), times)).toEqual([0, 20_000, 40_000, 200_000, 220_000]);
  });

  it('140/min (428.57… ms apart, woken at nextAdmitAt): never 141 in a minute as an exact window counts', () => {
    const w = new UniformInterval(60_000, 140);
    const times: number[] = [];
    let t = 1_234.5;
    for (let i = 0; i < 2_000; i++) {
      times.push(t);
      w.record(t);
      t = w.nextAdmitAt(t);
    }
    expect(maxInWindow(times, 60_000)).toBe(140);
  });

  it('nextAdmitAt is the last send + W/N', () => {
    const w = new UniformInterval(60_000, 3);
    expect(w.nextAdmitAt(5)).toBe(5);
    w.record(5);
    expect(w.nextAdmitAt(6)).toBe(20_005);
    expect(w.admits(20_004.999)).toBe(false);
    expect(w.admits(20_005)).toBe(true);
  });

  describe('weighted (a pacer)', () => {
    it('an admission of w is followed by a gap of w · W / N, in the expression it decides with', () => {
      fc.assert(
        fc.property(limitArb, arrivalsOf(traceArb, false), (limit, arrivals) => {
          const w = new UniformInterval(limit.windowMs, limit.count);
          const { ledger } = runWeighted(w, arrivals);
          const interval = gapOf(limit);
          for (let i = 1; i < ledger.length; i++) expect(ledger[i]!.t - ledger[i - 1]!.t).toBeGreaterThanOrEqual(ledger[i - 1]!.r * interval);
        }),
      );
    });

    it('3 per minute, weights 2 then 1: 40 s after the 2, 20 s after the 1; a lump of 3 goes whole', () => {
      const w = new UniformInterval(60_000, 3);
      w.record(0, 2);
      expect(w.nextAdmitAt(0, 1)).toBe(40_000);
      expect(w.remaining(39_999)).toBe(0);
      expect(w.remaining(40_000)).toBe(3);
      expect(w.resetAt(0)).toBe(40_000);
      w.record(40_000, 1);
      expect(w.nextAdmitAt(40_000, 3)).toBe(60_000);
      w.record(60_000, 3);
      // [40 s, 100 s) holds 1 + 3 = 4 = N − 1 + the last one's weight.
      expect(w.nextAdmitAt(60_000, 4)).toBe(Infinity);
      expect(w.nextAdmitAt(60_000, 1)).toBe(120_000);
    });

    it("settle: the latest admission's gap becomes its actual weight; an earlier one only adds a debt", () => {
      const w = new UniformInterval(60_000, 3);
      w.record(0, 3);
      w.settle(0, 3, 1, 5_000);
      expect(w.nextAdmitAt(5_000)).toBe(20_000);
      w.record(20_000, 1);
      // The first one, corrected again: downward changes nothing now (its gap has passed) …
      w.settle(0, 1, 0, 25_000);
      expect(w.nextAdmitAt(25_000)).toBe(40_000);
      // … upward delays the next admission by the difference.
      w.settle(0, 1, 3, 25_000);
      expect(w.nextAdmitAt(25_000)).toBe(80_000);
    });
  });
});

/** The limiter's interval: W / N, rounded up unless exact. */
function gapOf(limit: { count: number; windowMs: number }): number {
  const w = new UniformInterval(limit.windowMs, limit.count);
  w.record(0);
  return w.nextAdmitAt(0);
}
