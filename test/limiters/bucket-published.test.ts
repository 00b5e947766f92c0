import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketPublished, bucketPublished } from '../../src/limiters/bucket-published.js';
import { bucketWindow } from '../../src/limiters/bucket-window.js';
import { SlidingLog } from '../../src/limiters/sliding-log.js';
import { greedy, limitArb, maxInWindow, traceArb } from './contract.js';
import { geometryArb, resolve } from './geometry.js';

/** The document's Python, transcribed with lists and slices (time in ms), as the reference. */
class Transcript {
  buckets: number[];
  timestamp: number | undefined;
  constructor(
    readonly limit: number,
    readonly bucketSize: number,
    readonly bucketDuration: number,
  ) {
    this.buckets = new Array<number>(bucketSize).fill(0);
  }
  updateBuckets(currentTime: number): void {
    this.timestamp ??= currentTime; // defaultdict(lambda: time.time())
    const lastUpdate = this.timestamp;
    const timeDiff = currentTime - lastUpdate;
    const shiftBuckets = Math.trunc(timeDiff / this.bucketDuration);
    if (shiftBuckets > 0) {
      if (shiftBuckets >= this.bucketSize) this.buckets = new Array<number>(this.bucketSize).fill(0);
      else this.buckets = [...this.buckets.slice(shiftBuckets), ...new Array<number>(shiftBuckets).fill(0)];
      this.timestamp = currentTime - (timeDiff % this.bucketDuration);
    }
  }
  canUse(now: number): boolean {
    this.updateBuckets(now);
    return this.buckets.reduce((a, b) => a + b, 0) < this.limit;
  }
  use(now: number): void {
    this.updateBuckets(now);
    const currentBucket = 0; // 当前桶是索引0
    this.buckets[currentBucket]! += 1;
  }
}

describe('bucket-published', () => {
  it('decides exactly as the transcribed Python', () => {
    fc.assert(
      fc.property(traceArb, limitArb, geometryArb, (times, limit, g) => {
        const { buckets, width } = resolve(limit, g);
        const ours = bucketPublished(limit, g);
        const py = new Transcript(limit.count, buckets, width);
        for (const t of times) {
          const ok = py.canUse(t);
          expect(ours.admits(t)).toBe(ok);
          // What a provider would put in x-ratelimit-remaining: the document's limit − sum(buckets).
          expect(ours.remaining(t)).toBe(Math.max(0, py.limit - py.buckets.reduce((a, b) => a + b, 0)));
          if (ok) {
            py.use(t);
            ours.record(t);
          }
        }
      }),
    );
  });

  describe('what it admits against an exact window (3/min, 6 × 10 s)', () => {
    const everySecond = Array.from({ length: 120 }, (_, i) => i * 1_000);

    it('counts into bucket 0 and drops bucket 0 first: the newest requests leave after at most 10 s', () => {
      const w = new BucketPublished(3, 6, 10_000);
      for (const t of [0, 8_000, 9_000]) {
        expect(w.admits(t)).toBe(true);
        w.record(t);
      }
      expect(w.admits(9_999)).toBe(false);
      // At 10 s the shift drops bucket 0 — requests 1 s and 2 s old — and buckets 1…5 were
      // never anything but the zeros shifted in: the counter is empty.
      expect(w.admits(10_000)).toBe(true);
      expect(w.nextAdmitAt(10_000)).toBe(10_000);
      // An exact window still holds all three until 60 s.
      const log = new SlidingLog(3, 60_000);
      for (const t of [0, 8_000, 9_000]) log.record(t);
      expect(log.admits(10_000)).toBe(false);
      expect(log.nextAdmitAt(10_000)).toBe(60_000);
    });

    it('a request every second for two minutes: 36 admitted against 6 for an exact window (and for bucket-window)', () => {
      const published = greedy(new BucketPublished(3, 6, 10_000), everySecond);
      expect(published).toHaveLength(36);
      expect(published.slice(0, 9)).toEqual([0, 1_000, 2_000, 10_000, 11_000, 12_000, 20_000, 21_000, 22_000]);
      // 18 in every minute: 3 per 10 s, six times the limit.
      expect(maxInWindow(published, 60_000)).toBe(18);
      expect(greedy(new SlidingLog(3, 60_000), everySecond)).toHaveLength(6);
      expect(greedy(bucketWindow({ count: 3, windowMs: 60_000 }, {}), everySecond)).toHaveLength(6);
    });

    it('its worst 60 s window holds N·(B + 1) = 21, seven times the limit', () => {
      const w = new BucketPublished(3, 6, 10_000);
      w.admits(0); // the first check fixes the cell boundaries at 0, 10 s, 20 s, …
      const times = [9_999, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000].flatMap((t) => [t, t, t]);
      const admitted = greedy(w, times);
      expect(admitted).toEqual(times);
      expect(maxInWindow(admitted, 60_000)).toBe(21);
      expect(maxInWindow(greedy(new SlidingLog(3, 60_000), times), 60_000)).toBe(3);
    });
  });
});
