import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FixedWindow, fixedWindow } from '../../src/limiters/fixed-window.js';
import { nextDown } from '../../src/limiters/float.js';
import { SlidingLog } from '../../src/limiters/sliding-log.js';
import { expectAlignedBound, expectWindowBound, unitLedger } from './bounds.js';
import { arrivalsOf, greedy, limitArb, maxInWindow, runWeighted, traceArb, windowContract } from './contract.js';

windowContract<Record<string, never>>({
  name: 'fixed-window',
  create: fixedWindow,
  options: fc.constant({}),
  weighted: true,
  capacity: (limit) => limit.count,
  maxFootprint: () => 2,
  burst: (limit, _o, w) => Math.floor(limit.count / w),
  bound: (limit, _o, ledger) => {
    // N in each aligned window [k·W, (k + 1)·W), so 2N in any window of length W; each plus the
    // upward corrections of the window's own admissions.
    expectAlignedBound(ledger, limit.windowMs, limit.count);
    expectWindowBound(ledger, limit.windowMs, 2 * limit.count);
  },
});

describe('fixed-window', () => {
  it('admits w exactly when the aligned window holds at most N − w (reference model, with settles)', () => {
    fc.assert(
      fc.property(limitArb, arrivalsOf(traceArb), (limit, arrivals) => {
        const { count: n, windowMs: width } = limit;
        const win = fixedWindow(limit, {});
        runWeighted(win, arrivals, (t, w, ops) => {
          // Every admission's current weight and window; a settle changes it while its window is current.
          const got: { k: number; weight: number }[] = [];
          for (const op of ops) {
            if (op.kind === 'record') got.push({ k: Math.floor(op.t / width), weight: op.w });
            if (op.kind !== 'settle') continue;
            const k = Math.floor(op.at / width);
            const e = got.find((x) => x.k === k && x.weight === op.r);
            if (e && k === Math.floor(op.t / width)) e.weight = op.a;
          }
          const k = Math.floor(t / width);
          const held = got.filter((x) => x.k === k).reduce((sum, x) => sum + x.weight, 0);
          expect(win.admits(t, w)).toBe(w <= n - held);
          expect(win.remaining(t)).toBe(Math.max(0, n - held));
        });
      }),
    );
  });

  it('reaches 2N in a window W: N at the end of one window, N at the first instant of the next', () => {
    fc.assert(
      fc.property(limitArb, fc.integer({ min: 0, max: 1_000 }), (limit, k) => {
        const { count: n, windowMs: width } = limit;
        const w = new FixedWindow(n, width);
        // The first float of the window after the one holding k·W, and the float before it.
        w.record(k * width);
        const edge = w.resetAt(k * width);
        const end = nextDown(edge);
        const times = [...Array<number>(n).fill(end), ...Array<number>(n).fill(edge)];
        const admitted = greedy(new FixedWindow(n, width), [...times, edge]);
        expect(admitted).toEqual(times);
        expect(maxInWindow(admitted, width)).toBe(2 * n);
        // An exact window admits N of them.
        expect(maxInWindow(greedy(new SlidingLog(n, width), times), width)).toBe(n);
      }),
    );
  });

  it('3/min: 3 in each aligned minute; a request every second for two minutes is admitted at 0, 1, 2, 60, 61, 62 s', () => {
    const times = Array.from({ length: 120 }, (_, i) => i * 1_000);
    const admitted = greedy(fixedWindow({ count: 3, windowMs: 60_000 }, {}), times);
    expect(admitted).toEqual([0, 1_000, 2_000, 60_000, 61_000, 62_000]);
    expectAlignedBound(unitLedger(admitted), 60_000, 3);
  });

  it('tokens: 1,000 per minute; a settle corrects the current window only', () => {
    const w = new FixedWindow(1_000, 60_000);
    w.record(59_000, 800);
    expect(w.remaining(59_500)).toBe(200);
    expect(w.nextAdmitAt(59_500, 300)).toBe(60_000);
    expect(w.resetAt(59_500)).toBe(60_000);
    w.settle(59_000, 800, 500, 59_500);
    expect(w.remaining(59_500)).toBe(500);
    w.record(60_000, 900);
    // The 59 s admission's window has ended: correcting it now changes nothing.
    w.settle(59_000, 500, 1_000, 60_500);
    expect(w.remaining(60_500)).toBe(100);
    expect(w.nextAdmitAt(60_500, 1_001)).toBe(Infinity);
    expect(w.resetAt(60_500)).toBe(120_000);
    expect(w.resetAt(120_000)).toBe(120_000);
  });
});
