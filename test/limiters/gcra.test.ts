import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcra } from '../../src/limiters/gcra.js';
import { tokenBucket } from '../../src/limiters/token-bucket.js';
import type { Window } from '../../src/limiters/window.js';
import { greedy, runWeighted, type Arrival } from './contract.js';


describe('gcra', () => {
  const perMinute3 = { count: 3, windowMs: 60_000 };

  it('reaches burst + rate·T: a full burst at once, then one every W/N', () => {
    const admitted = greedy(gcra(perMinute3, {}), [0, 0, 0, 0, 19_999, 20_000, 39_999, 40_000, 60_000]);
    expect(admitted).toEqual([0, 0, 0, 20_000, 40_000, 60_000]);
  });

  it('decides as a token bucket with the same rate and burst (whole-second trace, 3/min)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 80 }), fc.integer({ min: 1, max: 4 }), (gaps, burst) => {
        let t = 0;
        const times = gaps.map((g) => (t += g * 1_000));
        expect(greedy(gcra(perMinute3, { burst }), times)).toEqual(greedy(tokenBucket(perMinute3, { burst }), times));
      }),
    );
  });

  it('nextAdmitAt is TAT − τ', () => {
    const w = gcra(perMinute3, {});
    for (let i = 0; i < 3; i++) w.record(0);
    // TAT = 60 s, τ = 40 s.
    expect(w.nextAdmitAt(1_000)).toBe(20_000);
    expect(w.admits(19_999)).toBe(false);
    expect(w.admits(20_000)).toBe(true);
  });

  it('weighted, with settles: decides as a token bucket with the same rate and burst (whole-second trace, 3/min)', () => {
    const arrivals = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 30 }), w: fc.integer({ min: 1, max: 5 }), settleAfter: fc.option(fc.integer({ min: 0, max: 3 })), actualOf: fc.nat() }),
      { maxLength: 80 },
    );
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 1, max: 4 }), (gaps, burst) => {
        let t = 0;
        const trace: Arrival[] = gaps.map((g) => ({ t: (t += g.gap * 1_000), w: g.w, settleAfter: g.settleAfter, actualOf: g.actualOf }));
        const run = (win: Window): number[] => {
          const seen: number[] = [];
          const { ledger } = runWeighted(win, trace, (at, w) => seen.push(win.remaining(at), win.nextAdmitAt(at, w), win.resetAt(at)));
          return [...seen, ...ledger.map((x) => x.t)];
        };
        expect(run(gcra(perMinute3, { burst }))).toEqual(run(tokenBucket(perMinute3, { burst })));
      }),
    );
  });

  it('weighted: an admission of w moves TAT by w·T; a settle moves it by the difference', () => {
    const w = gcra({ count: 60, windowMs: 60_000 }, { burst: 10 });
    w.record(0, 8);
    // TAT = 8 s: 2 left now, all 10 at 8 s.
    expect(w.remaining(0)).toBe(2);
    expect(w.resetAt(0)).toBe(8_000);
    expect(w.nextAdmitAt(0, 5)).toBe(3_000);
    expect(w.nextAdmitAt(0, 11)).toBe(Infinity);
    w.settle(0, 8, 3, 1_000);
    expect(w.remaining(1_000)).toBe(8);
    expect(w.resetAt(1_000)).toBe(3_000);
    w.settle(0, 3, 0, 1_000);
    // Never below now: a full bucket.
    expect(w.resetAt(1_000)).toBe(1_000);
    expect(w.remaining(1_000)).toBe(10);
  });
});
