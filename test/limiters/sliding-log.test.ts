import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingLog, slidingLog } from '../../src/limiters/sliding-log.js';
import { expectWindowBound } from './bounds.js';
import { arrivalsOf, greedy, limitArb, runWeighted, traceArb, windowContract } from './contract.js';

windowContract<Record<string, never>>({
  name: 'sliding-log',
  create: slidingLog,
  options: fc.constant({}),
  weighted: true,
  capacity: (limit) => limit.count,
  maxFootprint: (limit) => limit.count,
  burst: (limit, _o, w) => Math.floor(limit.count / w),
  // N in any window [t, t + W), plus the upward corrections of its own admissions.
  bound: (limit, _o, ledger) => expectWindowBound(ledger, limit.windowMs, limit.count),
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

describe('sliding-log, weighted', () => {
  it('is exact: it refuses w only when the window already holds more than N − w (reference model, with settles)', () => {
    fc.assert(
      fc.property(limitArb, arrivalsOf(traceArb), (limit, arrivals) => {
        const { count: n, windowMs: w } = limit;
        // The reference: every admission's current weight, by time, rebuilt from the ops; a settle sets it.
        const win = new SlidingLog(n, w);
        runWeighted(win, arrivals, (t, weight, ops) => {
          const log: { t: number; weight: number }[] = [];
          for (const op of ops) {
            if (op.kind === 'record') log.push({ t: op.t, weight: op.w });
            if (op.kind !== 'settle') continue;
            const e = log.find((x) => x.t === op.at && x.weight === op.r && !(x.t + w <= op.t));
            if (e) e.weight = op.a;
          }
          const held = log.filter((x) => !(x.t + w <= t)).reduce((sum, x) => sum + x.weight, 0);
          expect(win.remaining(t)).toBe(Math.max(0, n - held));
          expect(win.admits(t, weight)).toBe(weight <= n - held);
        });
      }),
    );
  });

  it('a token quota: 100 per minute, requests weighing 40, 30, 50; the 50 waits for the 40 to leave', () => {
    const w = new SlidingLog(100, 60_000);
    w.record(0, 40);
    w.record(1_000, 30);
    expect(w.remaining(2_000)).toBe(30);
    expect(w.admits(2_000, 50)).toBe(false);
    expect(w.nextAdmitAt(2_000, 50)).toBe(60_000);
    expect(w.nextAdmitAt(2_000, 71)).toBe(61_000);
    expect(w.nextAdmitAt(2_000, 101)).toBe(Infinity);
    expect(w.resetAt(2_000)).toBe(61_000);
    // The 40 really used 10: the 50 fits now.
    w.settle(0, 40, 10, 2_000);
    expect(w.remaining(2_000)).toBe(60);
    expect(w.admits(2_000, 50)).toBe(true);
  });

  it('a correction upward overshoots N by its difference, and only until the entry leaves', () => {
    const w = new SlidingLog(10, 1_000);
    w.record(0, 10);
    w.settle(0, 10, 14, 500);
    expect(w.remaining(500)).toBe(0);
    expect(w.nextAdmitAt(500, 1)).toBe(1_000);
    expect(w.resetAt(500)).toBe(1_000);
    // A correction that comes after the entry left changes nothing.
    w.record(1_000, 3);
    w.settle(0, 14, 1, 1_200);
    expect(w.remaining(1_200)).toBe(7);
  });

  it('a settle to 0 removes the entry, wherever it sits in the ring', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.nat(), (n, pick) => {
        // One entry per ms in a 20 ms window, weights 1, 2, 3, 1, …: after 20 + n records the
        // ring (64 slots) has wrapped once n > 44, and the window holds times n … n + 19.
        const w = new SlidingLog(64, 20);
        const weight = (t: number): number => 1 + (t % 3);
        for (let t = 0; t < 20 + n; t++) w.record(t, weight(t));
        const now = 19 + n;
        const live = Array.from({ length: 20 }, (_, i) => n + i);
        const gone = live[pick % 20]!;
        w.settle(gone, weight(gone), 0, now);
        const left = live.filter((t) => t !== gone);
        expect(w.footprint()).toBe(19);
        expect(w.remaining(now)).toBe(64 - left.reduce((sum, t) => sum + weight(t), 0));
        expect(w.resetAt(now)).toBe(left.at(-1)! + 20);
        // Oldest first: each entry leaves at its own time + 20, in order.
        for (const t of left) expect(w.remaining(t + 20)).toBe(64 - left.filter((x) => x > t).reduce((sum, x) => sum + weight(x), 0));
      }),
    );
  });

  it('a large N (a token quota) starts with a small ring that doubles, and keeps the order across the wrap', () => {
    const w = new SlidingLog(100_000, 1_000);
    const times: number[] = [];
    // One entry every 2 ms in a 1 s window: 500 live at a time (64 → 128 → 256 → 512 slots), wrapping for 5 s.
    for (let t = 0; t < 5_000; t += 2) {
      expect(w.admits(t, 7)).toBe(true);
      w.record(t, 7);
      times.push(t);
      expect(w.footprint()).toBe(times.filter((x) => !(x + 1_000 <= t)).length);
    }
    expect(w.remaining(4_998)).toBe(100_000 - 500 * 7);
    expect(w.resetAt(4_998)).toBe(5_998);
    // Oldest first: settling the oldest live entry to 0 frees its 7 until it would have left.
    w.settle(4_000, 7, 0, 4_998);
    expect(w.nextAdmitAt(4_998, 100_000 - 499 * 7 + 1)).toBe(4_002 + 1_000);
  });
});
