import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArrivalStream } from '../src/sim/arrivals.js';
import type { Clock } from '../src/sim/clock.js';
import { Engine } from '../src/sim/engine.js';

/**
 * A model run on a clock: a stream whose arrivals are at `gaps` (integers, so they tie with other
 * events), each arrival scheduling `spawn[i]` events at small integer delays (0 included), each of
 * those one more after a delay; every event cancels nothing. Returns the log of what ran when.
 * `viaHeap`: the arrivals are ordinary heap events, each pushing the next when it runs (the
 * engine before the stream), which is the order the stream must reproduce exactly.
 */
function run(clock: Clock, gaps: number[], spawn: number[][], viaHeap: boolean): string[] {
  const log: string[] = [];
  let i = 0;
  let next = gaps.length > 0 ? 0 : Infinity;
  const kChild = clock.on((arg) => {
    log.push(`${clock.now()} child ${arg}`);
    if (arg < 1000) clock.after(arg % 3, kChild, arg + 1000);
  });
  const stream: ArrivalStream = {
    nextAt: () => next,
    fire: () => {
      const n = i++;
      next = n + 1 < gaps.length ? next + gaps[n + 1]! : Infinity;
      if (viaHeap && next < Infinity) clock.at(next, kArrival, 0);
      log.push(`${clock.now()} arrival ${n}`);
      for (const d of spawn[n % spawn.length] ?? []) clock.after(d, kChild, n * 10 + (d % 10));
    },
  };
  const kArrival = clock.on(() => stream.fire());
  // Something scheduled before the stream starts, at the same times as its first arrivals.
  clock.at(0, kChild, 7);
  clock.at(gaps[1] ?? 0, kChild, 8);
  if (viaHeap) {
    if (next < Infinity) clock.at(next, kArrival, 0);
  } else clock.follow(stream);
  clock.at(0, kChild, 9);
  return log;
}

describe('the arrival stream merged with the event heap', () => {
  it('runs every event in the order heap events would have run, ties included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 60 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (gaps, spawn) => {
          const a = new Engine(16);
          const want = run(a, gaps, spawn, true);
          a.run();
          const b = new Engine(16);
          const got = run(b, gaps, spawn, false);
          b.run();
          expect(got).toEqual(want);
          expect(b.processed).toBe(a.processed);
        },
      ),
    );
  });

  it('puts no arrival in the heap, and stops at `until` like any event', () => {
    const e = new Engine(16);
    let n = 0;
    let at = 5;
    e.follow({ nextAt: () => at, fire: () => void ((n += 1), (at = n < 1000 ? at + 1 : Infinity)) });
    e.run(100);
    expect([n, e.now(), e.pending]).toEqual([96, 100, 0]);
    e.run();
    expect([n, e.now(), e.processed]).toEqual([1000, 1004, 1000]);
    expect(() => e.follow({ nextAt: () => 0, fire: () => {} })).toThrow(/one arrival stream/);
  });
});
