import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketWindow, bucketWindow } from '../../src/limiters/bucket-window.js';
import { SlidingLog } from '../../src/limiters/sliding-log.js';
import { arrivalsOf, greedy, limitArb, maxInWindow, runWeighted, traceArb } from './contract.js';
import { geometryArb, resolve } from './geometry.js';

describe('bucket-window', () => {
  const perMinute3 = { count: 3, windowMs: 60_000 };

  it('admits exactly when the newest B aligned buckets hold fewer than N (reference model)', () => {
    fc.assert(
      fc.property(traceArb, limitArb, geometryArb, (times, limit, g) => {
        const { buckets, width } = resolve(limit, g);
        const w = bucketWindow(limit, g);
        const got: number[] = [];
        for (const t of times) {
          const newest = Math.floor(t / width);
          const counted = got.filter((a) => Math.floor(a / width) > newest - buckets).length;
          expect(w.admits(t)).toBe(counted < limit.count);
          if (counted < limit.count) {
            w.record(t);
            got.push(t);
          }
        }
      }),
    );
  });

  it('reaches 2N in a full window W: N at the end of bucket 0, N at the start of bucket 6', () => {
    const times = [9_999, 9_999, 9_999, 30_000, 59_999, 60_000, 60_000, 60_000, 60_001];
    const admitted = greedy(new BucketWindow(3, 6, 10_000), times);
    expect(admitted).toEqual([9_999, 9_999, 9_999, 60_000, 60_000, 60_000]);
    // 6 = 2N inside [9.999 s, 69.999 s), a window of W = 60 s; an exact window admits 3.
    expect(maxInWindow(admitted, 60_000)).toBe(6);
    expect(maxInWindow(greedy(new SlidingLog(3, 60_000), times), 60_000)).toBe(3);
  });

  it('the W − bucketWidth bound is tight: N + 1 fit in a window just longer than 50 s', () => {
    const admitted = greedy(new BucketWindow(3, 6, 10_000), [9_999, 9_999, 9_999, 60_000]);
    expect(admitted).toHaveLength(4);
    expect(maxInWindow(admitted, 50_000)).toBe(3);
    expect(maxInWindow(admitted, 50_002)).toBe(4);
  });

  it('drops the oldest bucket as time moves, and says when', () => {
    const w = new BucketWindow(3, 6, 10_000);
    for (const t of [12_000, 25_000, 38_000]) w.record(t);
    expect(w.admits(59_999)).toBe(false);
    // Bucket 1 (10–20 s) leaves when bucket 7 starts.
    expect(w.nextAdmitAt(40_000)).toBe(70_000);
    expect(w.admits(69_999)).toBe(false);
    expect(w.admits(70_000)).toBe(true);
  });

  it('a request every second for two minutes at 3/min: the same 6 as an exact window', () => {
    const times = Array.from({ length: 120 }, (_, i) => i * 1_000);
    expect(greedy(bucketWindow(perMinute3, {}), times)).toEqual([0, 1_000, 2_000, 60_000, 61_000, 62_000]);
  });

  it('weighted: admits w exactly when the newest B aligned buckets hold at most N − w (reference model, with settles)', () => {
    fc.assert(
      fc.property(limitArb, geometryArb, arrivalsOf(traceArb), (limit, g, arrivals) => {
        const { buckets, width } = resolve(limit, g);
        const win = bucketWindow(limit, g);
        runWeighted(win, arrivals, (t, w, ops) => {
          // Every admission's current weight, and the bucket it counts in; a settle changes it while counted.
          const got: { b: number; weight: number }[] = [];
          for (const op of ops) {
            if (op.kind === 'record') got.push({ b: Math.floor(op.t / width), weight: op.w });
            if (op.kind !== 'settle') continue;
            const b = Math.floor(op.at / width);
            const e = got.find((x) => x.b === b && x.weight === op.r);
            if (e && b > Math.floor(op.t / width) - buckets) e.weight = op.a;
          }
          const newest = Math.floor(t / width);
          const counted = got.filter((x) => x.b > newest - buckets).reduce((sum, x) => sum + x.weight, 0);
          expect(win.admits(t, w)).toBe(w <= limit.count - counted);
          expect(win.remaining(t)).toBe(Math.max(0, limit.count - counted));
        });
      }),
    );
  });

  it('weighted: a settle corrects the bucket while it is counted, and not after it left', () => {
    const w = new BucketWindow(100, 6, 10_000);
    w.record(5_000, 60);
    w.record(15_000, 30);
    expect(w.remaining(20_000)).toBe(10);
    expect(w.nextAdmitAt(20_000, 50)).toBe(60_000);
    expect(w.resetAt(20_000)).toBe(70_000);
    w.settle(5_000, 60, 10, 20_000);
    expect(w.remaining(20_000)).toBe(60);
    // Bucket 0 leaves at 60 s: a correction of it then is forgotten, as the bucket is.
    w.settle(5_000, 10, 90, 60_000);
    expect(w.remaining(60_000)).toBe(70);
    expect(w.nextAdmitAt(60_000, 101)).toBe(Infinity);
  });
});
