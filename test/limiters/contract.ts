/**
 * The contract every limiter (`Window`) runs, as fast-check properties over random arrival traces,
 * random limits N per W and random limiter options. Each limiter's own test file calls
 * `windowContract` with its subject (the factory, and what the limiter promises) and adds its own
 * cases. Weighted subjects also run the weighted properties: admissions weighing 1…12, and
 * settles that correct them (0…2 × reserved) a few arrivals later.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.js';
import { choose } from '../../src/core/registry.js';
import { limiters, type LimiterName } from '../../src/limiters/index.js';
import { KeyPool } from '../../src/keys/key-pool.js';
import type { Window } from '../../src/limiters/window.js';
import type { Keys, Rate } from '../../src/scenario/types.js';
import { Engine } from '../../src/sim/engine.js';
import { stream } from '../../src/sim/random.js';
import { unitLedger, type Admission } from './bounds.js';

/** What the contract needs to know about one limiter. */
export interface Subject<P> {
  /** The name a scenario uses (registry key). */
  name: string;
  /** Builds one key's window, as the registry entry does. */
  create(limit: Rate, options: P): Window;
  /** Random options (parsed form: durations in ms). */
  options: fc.Arbitrary<P>;
  /** Does it weigh admissions (the window's `weighted`)? */
  weighted: boolean;
  /** The largest weight an empty window admits. */
  capacity(limit: Rate, options: P): number;
  /** Most entries one window may hold. */
  maxFootprint(limit: Rate, options: P): number;
  /** Admissions of weight `w` a fresh window admits at one instant. */
  burst(limit: Rate, options: P, w: number): number;
  /** The limiter's bound on actual use over a key's admissions (in order); fails through `expect`. */
  bound(limit: Rate, options: P, ledger: Admission[]): void;
}

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

/** One arrival of a weighted trace: its time, weight, and how its settle goes if it is admitted. */
export interface Arrival {
  t: number;
  w: number;
  /** Settled this many arrivals later (0: right after its own admission), or never. */
  settleAfter: number | null;
  /** Actual weight: `actualOf % (2w + 1)`, so 0…2w. */
  actualOf: number;
}

const weightArb = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }));

/** Weighted arrivals over `times`; settles are drawn even when `settles` is false, and then ignored. */
export const arrivalsOf = (times: fc.Arbitrary<number[]>, settles = true): fc.Arbitrary<Arrival[]> => times.chain((ts) =>
  fc
    .array(fc.tuple(weightArb, fc.option(fc.integer({ min: 0, max: 5 }), { freq: 3 }), fc.nat()), { minLength: ts.length, maxLength: ts.length })
    .map((ws) => ts.map((t, i) => ({ t, w: ws[i]![0], settleAfter: settles ? ws[i]![1] : null, actualOf: ws[i]![2] }))));

/** Whole-ms traces for the exact-equality properties (a level kept in floats rounds otherwise). */
const wholeTraceArb = fc
  .tuple(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 })), { maxLength: 80 }))
  .map(([start, gaps]) => {
    let t = start;
    return [start, ...gaps.map((g) => (t += g))];
  });
const wholeLimitArb: fc.Arbitrary<Rate> = fc.record({ count: fc.integer({ min: 1, max: 8 }), windowMs: fc.integer({ min: 1, max: 60_000 }) });

export type Op =
  | { kind: 'next' | 'admits' | 'record' | 'remaining' | 'reset'; t: number; w: number }
  | { kind: 'settle'; at: number; r: number; a: number; t: number };

/** Applies one op; returns what it answered (record and settle: 0). */
export function apply(win: Window, op: Op): number {
  switch (op.kind) {
    case 'next':
      return win.nextAdmitAt(op.t, op.w);
    case 'admits':
      return win.admits(op.t, op.w) ? 1 : 0;
    case 'record':
      win.record(op.t, op.w);
      return 0;
    case 'remaining':
      return win.remaining(op.t);
    case 'reset':
      return win.resetAt(op.t);
    case 'settle':
      win.settle(op.at, op.r, op.a, op.t);
      return 0;
  }
}

/**
 * A greedy weighted client: settles that fall due are applied at the arrival's time before it asks;
 * an arrival is admitted if `admits` says so. `probe(t, w)` runs before each decision (the ops
 * so far are in `ops`). Returns the ledger and every op in order.
 */
export function runWeighted(
  win: Window,
  arrivals: readonly Arrival[],
  probe?: (t: number, w: number, ops: readonly Op[]) => void,
): { ledger: Admission[]; ops: Op[] } {
  const ops: Op[] = [];
  const ledger: Admission[] = [];
  const due = new Map<number, Admission[]>();
  const settle = (x: Admission, t: number): void => {
    const op: Op = { kind: 'settle', at: x.t, r: x.r, a: x.a, t };
    apply(win, op);
    x.settledSeq = ops.length;
    ops.push(op);
  };
  arrivals.forEach((arr, i) => {
    for (const x of due.get(i) ?? []) settle(x, arr.t);
    probe?.(arr.t, arr.w, ops);
    const ask: Op = { kind: 'admits', t: arr.t, w: arr.w };
    const ok = apply(win, ask) === 1;
    ops.push(ask);
    if (!ok) return;
    const rec: Op = { kind: 'record', t: arr.t, w: arr.w };
    apply(win, rec);
    const x: Admission = { t: arr.t, r: arr.w, a: arr.w, seq: ops.length, settledSeq: Infinity };
    ops.push(rec);
    ledger.push(x);
    if (arr.settleAfter === null) return;
    x.a = arr.actualOf % (2 * arr.w + 1);
    if (arr.settleAfter === 0) settle(x, arr.t);
    else due.set(i + arr.settleAfter, [...(due.get(i + arr.settleAfter) ?? []), x]);
  });
  // Admissions whose settle never came used what they reserved, as far as any window knows.
  for (const x of ledger) if (x.settledSeq === Infinity) x.a = x.r;
  return { ledger, ops };
}

export function windowContract<P>(s: Subject<P>): void {
  const replay = (limit: Rate, options: P, ops: readonly Op[]): Window => {
    const w = s.create(limit, options);
    for (const op of ops) apply(w, op);
    return w;
  };

  describe(`${s.name}: window contract`, () => {
    const cases = fc.tuple(limitArb, s.options, traceArb);

    it('says whether it weighs admissions, and its capacity', () => {
      fc.assert(
        fc.property(limitArb, s.options, (limit, options) => {
          const w = s.create(limit, options);
          expect(w.weighted).toBe(s.weighted);
          expect(w.capacity()).toBe(s.capacity(limit, options));
        }),
      );
    });

    it('is deterministic: the same trace gives the same decisions, wake times and footprints', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          const run = (): number[] => {
            const w = s.create(limit, options);
            return times.flatMap((t) => {
              const next = w.nextAdmitAt(t);
              const ok = w.admits(t);
              if (ok) w.record(t);
              return [next, ok ? 1 : 0, w.footprint(), w.remaining(t), w.resetAt(t)];
            });
          };
          expect(run()).toEqual(run());
        }),
      );
    });

    it('nextAdmitAt is never in the past, admits then if nothing else happens, and not a moment earlier', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          const w = s.create(limit, options);
          const ops: Op[] = [];
          for (const t of times) {
            const next = w.nextAdmitAt(t);
            expect(next).toBeGreaterThanOrEqual(t);
            // A twin with the same history, so probing the future leaves `w` untouched.
            expect(replay(limit, options, ops).admits(next)).toBe(true);
            const before = next - 1e-6;
            if (before > t) expect(replay(limit, options, ops).admits(before)).toBe(false);
            ops.push({ kind: 'next', t, w: 1 });
            const ok = w.admits(t);
            ops.push({ kind: 'admits', t, w: 1 });
            if (ok) {
              w.record(t);
              ops.push({ kind: 'record', t, w: 1 });
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
          const w = s.create(limit, options);
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
          const w = s.create(limit, options);
          const burst = s.burst(limit, options, 1);
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
          s.bound(limit, options, unitLedger(greedy(s.create(limit, options), times)));
        }),
      );
    });

    it('remaining and resetAt agree with admits (weight 1)', () => {
      fc.assert(
        fc.property(cases, ([limit, options, times]) => {
          const w = s.create(limit, options);
          const ops: Op[] = [];
          for (const t of times) {
            checkRemaining(w, t, [1]);
            checkReset(limit, options, ops, t);
            ops.push({ kind: 'admits', t, w: 1 });
            if (w.admits(t)) {
              w.record(t);
              ops.push({ kind: 'record', t, w: 1 });
            }
          }
        }),
        { numRuns: 60 },
      );
    });

    /** remaining(t) is a whole number in [0, capacity] and admits(t, w) ⇔ w ≤ remaining(t) for these w. */
    function checkRemaining(w: Window, t: number, weights: readonly number[]): void {
      const left = w.remaining(t);
      expect(Number.isInteger(left)).toBe(true);
      expect(left).toBeGreaterThanOrEqual(0);
      expect(left).toBeLessThanOrEqual(w.capacity());
      for (const x of weights) expect(w.admits(t, x), `admits(${t}, ${x}) with ${left} remaining`).toBe(x <= left);
    }

    /** resetAt(t) ≥ t, the window is whole then on a twin, and not a moment earlier. */
    function checkReset(limit: Rate, options: P, ops: readonly Op[], t: number): void {
      const twin = replay(limit, options, ops);
      const at = twin.resetAt(t);
      expect(at).toBeGreaterThanOrEqual(t);
      expect(twin.remaining(at)).toBe(twin.capacity());
      const before = at - 1e-6;
      if (before > t) expect(replay(limit, options, ops).remaining(before)).toBeLessThan(twin.capacity());
    }

    const registered = s.name in limiters;
    // A limiter joins the key pool through the registry (src/limiters/index.ts): until it is listed there, this waits.
    it.runIf(registered)('in a key pool: every request is granted or gives up exactly once, admissions match grants, bounds hold', () => {
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
            limiter: choose(limiters, s.name as LimiterName, options as Record<string, unknown>),
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
            // Every request ends and releases its key, as the dispatcher does (a key bounded in flight needs it).
            e.after(k.holdMs, kRelease, key);
          };
          const pool = new KeyPool(spec, e, stream(1, 'keys'), { granted: grant, gaveUp: (w) => ends[w]!++ });
          const kRelease = e.on((key) => pool.ended(0, key, { outcome: Outcome.ok, sent: true, used: 0, latencyMs: k.holdMs, retryAfterMs: 0, usage: undefined, charged: 0 }));
          const kArrive = e.on((w) => {
            const key = pool.acquire(w);
            if (key >= 0) grant(w, key);
          });
          times.forEach((t, w) => e.at(t, kArrive, w));
          e.run();
          expect([...ends].every((n) => n === 1)).toBe(true);
          expect(pool.admitted.reduce((a, b) => a + b, 0)).toBe(grants);
          for (const admitted of byKey) s.bound(limit, options, unitLedger(admitted));
        }),
        { numRuns: 60 },
      );
    });

    if (!s.weighted) {
      it('refuses weights other than 1 (RangeError)', () => {
        fc.assert(
          fc.property(limitArb, s.options, fc.integer({ min: 2, max: 12 }), (limit, options, w) => {
            const win = s.create(limit, options);
            expect(() => win.admits(0, w)).toThrow(RangeError);
            expect(() => win.record(0, w)).toThrow(RangeError);
            expect(() => win.nextAdmitAt(0, w)).toThrow(RangeError);
            expect(() => win.settle(0, 1, w, 0)).toThrow(RangeError);
          }),
        );
      });
      return;
    }

    const weighted = fc.tuple(limitArb, s.options, arrivalsOf(traceArb));
    const reserved = fc.tuple(limitArb, s.options, arrivalsOf(traceArb, false));

    it('weighted, reserve charging: the reserved weights keep its bound', () => {
      fc.assert(
        fc.property(reserved, ([limit, options, arrivals]) => {
          const { ledger } = runWeighted(s.create(limit, options), arrivals);
          expect(ledger.every((x) => x.a === x.r)).toBe(true);
          s.bound(limit, options, ledger);
        }),
      );
    });

    it('weighted, with settles: actual use keeps the stated bound', () => {
      fc.assert(
        fc.property(weighted, ([limit, options, arrivals]) => {
          s.bound(limit, options, runWeighted(s.create(limit, options), arrivals).ledger);
        }),
      );
    });

    it('weighted: nextAdmitAt(t, w) is never in the past, admits w then, not a moment earlier; Infinity iff w > capacity', () => {
      fc.assert(
        fc.property(weighted, ([limit, options, arrivals]) => {
          const cap = s.capacity(limit, options);
          runWeighted(s.create(limit, options), arrivals, (t, w, ops) => {
            const twin = replay(limit, options, ops);
            const next = twin.nextAdmitAt(t, w);
            if (w > cap) {
              expect(next).toBe(Infinity);
              expect(twin.admits(t, w)).toBe(false);
              return;
            }
            expect(next).toBeGreaterThanOrEqual(t);
            expect(next).toBeLessThan(Infinity);
            expect(twin.admits(next, w)).toBe(true);
            const before = next - 1e-6;
            if (before > t) expect(replay(limit, options, ops).admits(before, w)).toBe(false);
            expect(replay(limit, options, ops).admits(t, w)).toBe(next === t);
          });
        }),
        { numRuns: 60 },
      );
    });

    it('weighted: remaining and resetAt agree with admits for every weight', () => {
      fc.assert(
        fc.property(weighted, ([limit, options, arrivals]) => {
          const cap = s.capacity(limit, options);
          const all = Array.from({ length: cap + 1 }, (_, i) => i + 1);
          runWeighted(s.create(limit, options), arrivals, (t, _w, ops) => {
            checkRemaining(replay(limit, options, ops), t, all);
            checkReset(limit, options, ops, t);
          });
        }),
        { numRuns: 60 },
      );
    });

    it('weighted: counts each record once: a fresh key admits burst(w) admissions of weight w at one instant', () => {
      fc.assert(
        fc.property(limitArb, s.options, fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }), weightArb, (limit, options, t, w) => {
          const win = s.create(limit, options);
          const burst = s.burst(limit, options, w);
          let n = 0;
          while (n <= burst && win.admits(t, w)) {
            win.record(t, w);
            n++;
          }
          expect(n).toBe(burst);
        }),
      );
    });

    it('weighted: a settle right after its admission is the same as recording the actual weight (none lost or doubled)', () => {
      fc.assert(
        fc.property(
          wholeLimitArb,
          s.options,
          arrivalsOf(wholeTraceArb),
          fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 6 }),
          (limit, options, arrivals, probes) => {
            const { ops } = runWeighted(s.create(limit, options), arrivals);
            // The last admission, settled at once on one window, recorded at its actual weight on the other.
            const last = ops.findLastIndex((op) => op.kind === 'record');
            if (last < 0) return;
            const rec = ops[last] as { t: number; w: number };
            const before = ops.slice(0, last);
            for (const actual of [0, 1, rec.w - 1, rec.w + 1, 2 * rec.w]) {
              if (actual < 0) continue;
              const settled = replay(limit, options, [...before, { kind: 'record', t: rec.t, w: rec.w }, { kind: 'settle', at: rec.t, r: rec.w, a: actual, t: rec.t }]);
              const direct = replay(limit, options, actual > 0 ? [...before, { kind: 'record', t: rec.t, w: actual }] : before);
              for (const dt of probes) {
                const t = rec.t + dt;
                expect(settled.remaining(t), `remaining at +${dt}, actual ${actual}`).toBe(direct.remaining(t));
                expect(settled.nextAdmitAt(t, rec.w)).toBe(direct.nextAdmitAt(t, rec.w));
              }
            }
          },
        ),
      );
    });

    it('weighted: deterministic and bounded in entries, with settles', () => {
      fc.assert(
        fc.property(weighted, ([limit, options, arrivals]) => {
          const run = (): number[] => {
            const w = s.create(limit, options);
            const out: number[] = [];
            runWeighted(w, arrivals, (t, x) => {
              out.push(w.nextAdmitAt(t, x), w.remaining(t), w.resetAt(t), w.footprint());
              expect(w.footprint()).toBeLessThanOrEqual(s.maxFootprint(limit, options));
            });
            return out;
          };
          expect(run()).toEqual(run());
        }),
      );
    });
  });
}
