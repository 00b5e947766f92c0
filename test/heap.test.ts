import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/sim/engine.js';
import { EventHeap } from '../src/sim/heap.js';

describe('EventHeap', () => {
  it('pops in time order, and in insertion order at equal times', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 400 }), (times) => {
        const h = new EventHeap(16);
        times.forEach((t, i) => h.push(t, i));
        const out: number[] = [];
        while (h.size > 0) out.push(h.pop());
        const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('keeps order when pushes and pops interleave', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(-1)), { maxLength: 300 }),
        (ops) => {
          const h = new EventHeap(16);
          const model: { t: number; i: number }[] = [];
          ops.forEach((op, i) => {
            if (op < 0) {
              model.sort((a, b) => a.t - b.t || a.i - b.i);
              const want = model.shift();
              expect(h.pop()).toBe(want ? want.i : -1);
            } else {
              h.push(op, i);
              model.push({ t: op, i });
            }
          });
          expect(h.size).toBe(model.length);
        },
      ),
    );
  });

  it('reports empty as -1 and Infinity', () => {
    const h = new EventHeap();
    expect(h.pop()).toBe(-1);
    expect(h.peekTime()).toBe(Infinity);
  });
});

describe('Engine', () => {
  it('never moves time backwards and runs equal-time events FIFO', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (delays) => {
        const e = new Engine(4);
        const seen: [number, number][] = [];
        const k = e.on((arg) => seen.push([e.now(), arg]));
        delays.forEach((d, i) => e.after(d, k, i));
        e.run();
        for (let i = 1; i < seen.length; i++) {
          expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
          if (seen[i]![0] === seen[i - 1]![0]) expect(seen[i]![1]).toBeGreaterThan(seen[i - 1]![1]);
        }
        expect(seen.length).toBe(delays.length);
      }),
    );
  });

  it('clamps events scheduled in the past to now', () => {
    const e = new Engine();
    const times: number[] = [];
    const k = e.on(() => times.push(e.now()));
    const k2 = e.on(() => e.at(5, k, 0));
    e.at(10, k2, 0);
    e.run();
    expect(times).toEqual([10]);
  });

  it('cancels timers, and a stale handle never cancels the event that reuses its slot', () => {
    const e = new Engine(2);
    const fired: number[] = [];
    const k = e.on((a) => fired.push(a));
    const t1 = e.after(1, k, 1);
    const t2 = e.after(2, k, 2);
    e.cancel(t2);
    e.run();
    expect(fired).toEqual([1]);
    // t1's slot is free again; a new event takes it and the old handle must not touch it.
    e.after(1, k, 3);
    e.cancel(t1);
    e.run();
    expect(fired).toEqual([1, 3]);
  });

  it('hands each event its own handler and argument, also beyond 32 bits, when a handler reuses the slot it frees', () => {
    // Kind and argument live in the event's slot; the slot a pop frees is the one the handler's
    // next schedule takes, so both must be read before the handler runs.
    const e = new Engine(2);
    const seen: string[] = [];
    const big = 2 ** 40 + 7;
    const b = e.on((a) => seen.push(`b ${a}`));
    const a = e.on((arg) => {
      seen.push(`a ${arg}`);
      if (arg < big + 3) e.after(1, arg === big + 1 ? b : a, arg + 1);
    });
    e.after(1, a, big);
    // Bounded in time, so a wrong kind or argument ends the run instead of looping.
    e.run(10);
    expect(seen).toEqual([`a ${big}`, `a ${big + 1}`, `b ${big + 2}`]);
  });

  it('runs until a time and stops there', () => {
    const e = new Engine();
    const fired: number[] = [];
    const k = e.on((a) => fired.push(a));
    e.at(5, k, 1);
    e.at(15, k, 2);
    e.run(10);
    expect(fired).toEqual([1]);
    expect(e.now()).toBe(10);
    e.run();
    expect(fired).toEqual([1, 2]);
  });
});
