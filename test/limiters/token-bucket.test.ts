import { describe, expect, it } from 'vitest';
import { tokenBucket } from '../../src/limiters/token-bucket.js';
import { expectRateBound } from './bounds.js';
import { greedy, maxInWindow } from './contract.js';


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

  describe('weighted (tokens)', () => {
    // 6,000 tokens a minute: 100 a second, burst 6,000.
    const tpm = { count: 6_000, windowMs: 60_000 };

    it('takes w tokens; what is missing refills at N / W', () => {
      const w = tokenBucket(tpm, {});
      w.record(0, 5_000);
      expect(w.remaining(0)).toBe(1_000);
      expect(w.admits(0, 1_001)).toBe(false);
      // 1,001 − 1,000 = 1 token: 10 ms at 100 a second.
      expect(w.nextAdmitAt(0, 1_001)).toBe(10);
      expect(w.resetAt(0)).toBe(50_000);
      expect(w.nextAdmitAt(0, 6_001)).toBe(Infinity);
      expect(w.remaining(25_000)).toBe(3_500);
    });

    it('settle gives back what was not used (up to a full bucket) and takes what was used beyond', () => {
      const w = tokenBucket(tpm, {});
      w.record(0, 5_000);
      w.settle(0, 5_000, 1_200, 1_000);
      // 1,000 left + 100 refilled in 1 s + 3,800 given back.
      expect(w.remaining(1_000)).toBe(4_900);
      w.settle(0, 1_200, 9_000, 1_000);
      // 7,800 more taken: 2,900 in debt, paid back by the refill in 29 s before a token is there.
      expect(w.remaining(1_000)).toBe(0);
      expect(w.nextAdmitAt(1_000, 1)).toBe(30_010);
      expect(w.remaining(200_000)).toBe(6_000);
      // A refund never fills past the burst.
      w.settle(0, 9_000, 0, 200_000);
      expect(w.remaining(200_000)).toBe(6_000);
      expect(w.admits(200_000, 6_001)).toBe(false);
    });

    it('a refund that lands after the bucket refilled is spent again: the bound counts it (burst + rate·Δ + refunds)', () => {
      // Burst 10 tokens, 1 token a second. Reserve 10 at 0; refill to full by 10 s; spend 10 at
      // 10 s; the first request ends at 10 s having used nothing: its 10 come back and are spent
      // again at 10 s. 20 actual tokens at one instant, burst + rate·0 = 10: the 10 refunded.
      const w = tokenBucket({ count: 1, windowMs: 1_000 }, { burst: 10 });
      w.record(0, 10);
      expect(w.admits(10_000, 10)).toBe(true);
      w.record(10_000, 10);
      w.settle(0, 10, 0, 10_000);
      expect(w.admits(10_000, 10)).toBe(true);
      w.record(10_000, 10);
      expectRateBound(
        [
          { t: 0, r: 10, a: 0, seq: 0, settledSeq: 2 },
          { t: 10_000, r: 10, a: 10, seq: 1, settledSeq: Infinity },
          { t: 10_000, r: 10, a: 10, seq: 3, settledSeq: Infinity },
        ],
        10,
        1 / 1_000,
      );
      expect(() =>
        expectRateBound(
          [
            { t: 10_000, r: 10, a: 10, seq: 1, settledSeq: Infinity },
            { t: 10_000, r: 10, a: 10, seq: 3, settledSeq: Infinity },
          ],
          10,
          1 / 1_000,
        ),
      ).toThrow();
    });
  });
});
