/**
 * The contract every limiter (`Window`) runs, as fast-check properties over random arrival traces,
 * random limits N per W and random limiter options. Each limiter's own test file calls
 * `windowContract` and adds its specific bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choose } from '../../src/core/registry.js';
import { createWindow, limiters, type LimiterName } from '../../src/limiters/index.js';
import { KeyPool } from '../../src/keys/key-pool.js';
import type { Window } from '../../src/limiters/window.js';
import type { Keys, Rate } from '../../src/scenario/types.js';
import { Engine } from '../../src/sim/engine.js';
import { stream } from '../../src/sim/random.js';

/** What the contract needs to know about one limiter. */
export interface Subject<P> {
  /** Registry name: windows are built through the registry, as a scenario builds them. */
  type: LimiterName;
  /** Random options (parsed form: durations in ms). */
  options: fc.Arbitrary<P>;
  /** Most entries one window may hold. */
  maxFootprint(limit: Rate, options: P): number;
  /** Requests a fresh window admits at one instant. */
  burst(limit: Rate, options: P): number;
  /** The limiter's own bound on a key's admission times (ascending); fails through `expect`. */
  bound(limit: Rate, options: P, admitted: number[]): void;
}

export const make = <P>(s: Subject<P>, limit: Rate, options: P): Window =>
  createWindow(choose(limiters, s.type, options as Record<string, unknown>), limit);

/** N in 1…8 per W, W a whole or fractional number of ms up to a minute. */
export const limitArb: fc.Arbitrary<Rate> = fc.record({
  count: fc.integer({ min: 1, max: 8 }),
  windowMs: fc.oneof(
    fc.integer({ min: 1, max: 60_000 }),
    fc.double({ min: 1, max: 60_000, noNaN: true, noDefaultInfinity: true }),
  ),
});

/** Non-decreasing arrival times (ms): repeats, whole and fractional gaps, any start. */
export const traceOf = (maxLength: number): fc.Arbitrary<number[]> => fc
  .tuple(
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true })),
    fc.array(
      fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 5_000 }),
        fc.double({ min: 0, max: 5_000, noNaN: true, noDefaultInfinity: true }),
      ),
      { maxLength },
    ),
  )
  .map(([start, gaps]) => {
    let t = start;
    return [start, ...gaps.map((g) => (t += g))];
  });

export const traceArb = traceOf(120);

/** A greedy client: at every arrival, ask and record if admitted. Returns the admission times. */
export function greedy(w: Window, times: readonly number[]): number[] {
  const out: number[] = [];
  for (const t of times) {
    if (w.admits(t)) {
      w.record(t);
      out.push(t);
    }
  }
  return out;
}

/** Most admissions in any half-open window [t, t + len) (the tightest start at an admission). */
export function maxInWindow(admitted: readonly number[], len: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < admitted.length; i++) {
    if (j < i) j = i;
    while (j < admitted.length && admitted[j]! < admitted[i]! + len) j++;
    if (j - i > best) best = j - i;
  }
  return best;
}

type Op = { kind: 'next' | 'admits' | 'record'; t: number };

function replay<P>(s: Subject<P>, limit: Rate, options: P, ops: readonly Op[]): Window {
  const w = make(s, limit, options);
  for (const op of ops) {
    if (op.kind === 'next') w.nextAdmitAt(op.t);
    else if (op.kind === 'admits') w.admits(op.t);
    else w.record(op.t);
  }
  return w;
}

export function windowContract<P>(s: Subject<P>): void {
  describe(`${s.type}: window contract`, () => {
    const cases = fc.tuple(limitArb, s.options, traceArb);

    it('is deterministic: the same trace gives the same decisions, wake times and footprints', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          const run = (): number[] => {
            const w = make(s, limit, options);
            return times.flatMap((t) => {
              const next = w.nextAdmitAt(t);
              const ok = w.admits(t);
              if (ok) w.record(t);
              return [next, ok ? 1 : 0, w.footprint()];
            });
          };
          expect(run()).toEqual(run());
        }),
      );
    });

    it('nextAdmitAt is never in the past, admits then if nothing else happens, and not a moment earlier', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          const w = make(s, limit, options);
          const ops: Op[] = [];
          for (const t of times) {
            const next = w.nextAdmitAt(t);
            expect(next).toBeGreaterThanOrEqual(t);
            // A twin with the same history, so probing the future leaves `w` untouched.
            expect(replay(s, limit, options, ops).admits(next)).toBe(true);
            const before = next - 1e-6;
            if (before > t) expect(replay(s, limit, options, ops).admits(before)).toBe(false);
            ops.push({ kind: 'next', t });
            const ok = w.admits(t);
            ops.push({ kind: 'admits', t });
            if (ok) {
              w.record(t);
              ops.push({ kind: 'record', t });
            }
            expect(ok).toBe(next === t);
          }
        }),
        { numRuns: 60 },
      );
    });

    it('holds a bounded number of entries', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          const w = make(s, limit, options);
          for (const t of times) {
            if (w.admits(t)) w.record(t);
            expect(w.footprint()).toBeLessThanOrEqual(s.maxFootprint(limit, options));
          }
        }),
      );
    });

    it('counts each record once: a fresh key admits exactly its burst at one instant', () => {
      fc.assert(
        fc.property(limitArb, s.options, fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }), (limit, options, t) => {
          const w = make(s, limit, options);
          const burst = s.burst(limit, options);
          let n = 0;
          while (n <= burst && w.admits(t)) {
            w.record(t);
            n++;
          }
          expect(n).toBe(burst);
        }),
      );
    });

    it('keeps its own bound for a greedy client', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          s.bound(limit, options, greedy(make(s, limit, options), times));
        }),
      );
    });

    it('in a key pool: every request is granted or gives up exactly once, admissions match grants, bounds hold', () => {
      const keysArb = fc.record({
        count: fc.integer({ min: 1, max: 4 }),
        choice: fc.constantFrom('least-used' as const, 'round-robin' as const, 'random' as const),
        exclusive: fc.boolean(),
        wait: fc.oneof(
          fc.constant({ mode: 'notify' as const }),
          fc.integer({ min: 200, max: 5_000 }).map((intervalMs) => ({ mode: 'poll' as const, intervalMs })),
        ),
        acquireTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 120_000 })),
        holdMs: fc.integer({ min: 0, max: 3_000 }),
      });
      fc.assert(
        fc.property(limitArb, s.options, keysArb, traceOf(40), (limit, options, k, times) => {
          const spec: Keys = {
            count: k.count,
            limit,
            limiter: { type: s.type, options: options as Record<string, unknown> },
            choice: k.choice,
            exclusive: k.exclusive,
            wait: k.wait,
            guardMs: 0,
            // Pollers without a deadline could poll for hours of virtual time; a bound keeps runs short.
            acquireTimeoutMs: k.wait.mode === 'poll' ? Math.min(k.acquireTimeoutMs, 120_000) : k.acquireTimeoutMs,
          };
          const e = new Engine();
          const ends = new Int32Array(times.length);
          const byKey: number[][] = Array.from({ length: k.count }, () => []);
          let grants = 0;
          const grant = (w: number, key: number): void => {
            ends[w]!++;
            grants++;
            byKey[key]!.push(e.now());
            if (k.exclusive) e.after(k.holdMs, kRelease, key);
          };
          const pool = new KeyPool(spec, e, stream(1, 'keys'), { granted: grant, gaveUp: (w) => ends[w]!++ });
          const kRelease = e.on((key) => pool.release(key));
          const kArrive = e.on((w) => {
            const key = pool.acquire(w);
            if (key >= 0) grant(w, key);
          });
          times.forEach((t, w) => e.at(t, kArrive, w));
          e.run();
          expect([...ends].every((n) => n === 1)).toBe(true);
          expect(pool.admitted.reduce((a, b) => a + b, 0)).toBe(grants);
          for (const admitted of byKey) s.bound(limit, options, admitted);
        }),
        { numRuns: 60 },
      );
    });
  });
}
