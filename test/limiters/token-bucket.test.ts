import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenBucket } from '../../src/limiters/token-bucket.js';
import { greedy, maxInWindow, windowContract } from './contract.js';
import { expectRateBound } from './rate-bound.js';

type Options = { burst?: number };
const burstOf = (count: number, o: Options): number => o.burst ?? count;

windowContract<Options>({
  type: 'token-bucket',
  options: fc.oneof(fc.constant({}), fc.record({ burst: fc.integer({ min: 1, max: 6 }) })),
  maxFootprint: () => 2,
  burst: (limit, o) => burstOf(limit.count, o),
  bound: (limit, o, admitted) => expectRateBound(admitted, burstOf(limit.count, o), limit.count / limit.windowMs),
});

describe('token-bucket', () => {
  const perMinute3 = { count: 3, windowMs: 60_000 };

  it('reaches burst + rate·T: a full bucket at once, then one every W/N', () => {
    const w = tokenBucket(perMinute3, {});
    const admitted = greedy(w, [0, 0, 0, 0, 19_999, 20_000, 39_999, 40_000, 60_000]);
    expect(admitted).toEqual([0, 0, 0, 20_000, 40_000, 60_000]);
    // [0, 60 s] holds 6 = burst 3 + (3/min)·60 s: the bound, reached.
    expect(admitted.length).toBe(3 + 3);
  });

  it('with the default burst N it admits 2N − 1 in a window [t, t + W): an exact provider sends 429s', () => {
    const times = Array.from({ length: 60 }, (_, i) => i * 1_000);
    const admitted = greedy(tokenBucket(perMinute3, {}), times);
    expect(admitted).toEqual([0, 1_000, 2_000, 20_000, 40_000]);
    expect(maxInWindow(admitted, 60_000)).toBe(5);
  });

  it('burst 1 is uniform spacing', () => {
    const admitted = greedy(tokenBucket(perMinute3, { burst: 1 }), [0, 0, 10_000, 20_000, 30_000, 40_000]);
    expect(admitted).toEqual([0, 20_000, 40_000]);
  });

  it('nextAdmitAt is when the missing fraction of a token has refilled', () => {
    const w = tokenBucket(perMinute3, {});
    for (let i = 0; i < 3; i++) w.record(0);
    expect(w.nextAdmitAt(5_000)).toBe(20_000);
    expect(w.admits(19_999)).toBe(false);
    expect(w.admits(20_000)).toBe(true);
  });
});
