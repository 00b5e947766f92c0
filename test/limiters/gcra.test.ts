import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcra } from '../../src/limiters/gcra.js';
import { tokenBucket } from '../../src/limiters/token-bucket.js';
import { greedy, windowContract } from './contract.js';
import { expectRateBound } from './rate-bound.js';

type Options = { burst?: number };
const burstOf = (count: number, o: Options): number => o.burst ?? count;

windowContract<Options>({
  type: 'gcra',
  options: fc.oneof(fc.constant({}), fc.record({ burst: fc.integer({ min: 1, max: 6 }) })),
  maxFootprint: () => 2,
  burst: (limit, o) => burstOf(limit.count, o),
  bound: (limit, o, admitted) => expectRateBound(admitted, burstOf(limit.count, o), limit.count / limit.windowMs),
});

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
});
