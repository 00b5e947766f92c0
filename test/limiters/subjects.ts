/**
 * What the shared contract needs to know about each limiter, by registry name. Typed as a record
 * over every name the registry lists: a limiter added to the registry without its subject here
 * does not compile, so the contract runs over every entry with no list kept by hand. Windows are
 * built through the registry, as a scenario builds them.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { choose } from '../../src/core/registry.js';
import type { Rate } from '../../src/core/units.js';
import { createWindow, limiters, type LimiterName } from '../../src/limiters/index.js';
import { expectAlignedBound, expectPacedBound, expectRateBound, expectWindowBound } from './bounds.js';
import { maxInWindow, type Subject } from './contract.js';
import { geometryArb, resolve, type Geometry } from './geometry.js';

type Burst = { burst?: number };
const burstOf = (count: number, o: Burst): number => o.burst ?? count;
const burstArb: fc.Arbitrary<Burst> = fc.oneof(fc.constant({}), fc.record({ burst: fc.integer({ min: 1, max: 6 }) }));
const through = (name: LimiterName) => (limit: Rate, options: object) => createWindow(choose(limiters, name, options as Record<string, unknown>), limit);

/** A limiter that is a bucket of `burst` (default N) refilling at N per W: token-bucket and gcra. */
const bucketSubject = (name: 'token-bucket' | 'gcra') =>
  ({
    name,
    create: through(name),
    options: burstArb,
    weighted: true,
    capacity: (limit, o) => burstOf(limit.count, o),
    maxFootprint: () => 2,
    burst: (limit, o, w) => Math.floor(burstOf(limit.count, o) / w),
    bound: (limit, o, ledger) => expectRateBound(ledger, burstOf(limit.count, o), limit.count / limit.windowMs),
  }) satisfies Subject<Burst>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const subjects: { [K in LimiterName]: Subject<any> } = {
  'sliding-log': {
    name: 'sliding-log',
    create: through('sliding-log'),
    options: fc.constant({}),
    weighted: true,
    capacity: (limit: Rate) => limit.count,
    maxFootprint: (limit: Rate) => limit.count,
    burst: (limit: Rate, _o: unknown, w: number) => Math.floor(limit.count / w),
    // N in any window [t, t + W), plus the upward corrections of its own admissions.
    bound: (limit, _o, ledger) => expectWindowBound(ledger, limit.windowMs, limit.count),
  } satisfies Subject<Record<string, never>>,
  'bucket-window': {
    name: 'bucket-window',
    create: through('bucket-window'),
    options: geometryArb,
    weighted: true,
    capacity: (limit) => limit.count,
    maxFootprint: (limit, g) => resolve(limit, g).buckets + 1,
    burst: (limit, _g, w) => Math.floor(limit.count / w),
    bound: (limit, g, ledger) => {
      const { buckets, width } = resolve(limit, g);
      // N in any window of (B − 1)·w (= W − bucketWidth by default); 2N in any window of B·w (= W);
      // each plus the upward corrections of the window's own admissions.
      expectWindowBound(ledger, (buckets - 1) * width, limit.count);
      expectWindowBound(ledger, buckets * width, 2 * limit.count);
    },
  } satisfies Subject<Geometry>,
  'bucket-published': {
    name: 'bucket-published',
    create: through('bucket-published'),
    options: geometryArb,
    weighted: false,
    capacity: (limit) => limit.count,
    maxFootprint: (limit, g) => resolve(limit, g).buckets + 1,
    burst: (limit) => limit.count,
    bound: (limit, g, ledger) => {
      const { buckets, width } = resolve(limit, g);
      const admitted = ledger.map((x) => x.t);
      // N per bucket width, cells aligned to the first check: 2N in any window w, N·(B + 1) in B·w.
      expect(maxInWindow(admitted, width)).toBeLessThanOrEqual(2 * limit.count);
      expect(maxInWindow(admitted, buckets * width)).toBeLessThanOrEqual((buckets + 1) * limit.count);
    },
  } satisfies Subject<Geometry>,
  'uniform-interval': {
    name: 'uniform-interval',
    create: through('uniform-interval'),
    options: fc.constant({}),
    weighted: true,
    capacity: (limit) => limit.count,
    maxFootprint: () => 1,
    burst: (limit, _o, w) => (w <= limit.count ? 1 : 0),
    bound: (limit, _o, ledger) => {
      // A window [t, t + W) holds N − 1 + its last admission's reservation (N for weight 1), plus
      // upward corrections, judged as an exact provider judges it (t + W <= now).
      expectPacedBound(ledger, limit.windowMs, limit.count);
      if (ledger.every((x) => x.r === 1 && x.a === 1)) expect(maxInWindow(ledger.map((x) => x.t), limit.windowMs)).toBeLessThanOrEqual(limit.count);
    },
  } satisfies Subject<Record<string, never>>,
  // Two algorithms, one contract: a bucket of `burst` refilling at N per W.
  'token-bucket': bucketSubject('token-bucket'),
  gcra: bucketSubject('gcra'),
  'fixed-window': {
    name: 'fixed-window',
    create: through('fixed-window'),
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
  } satisfies Subject<Record<string, never>>,
  // Learning limiters, before any answer, under keys.limit as their ceiling (an exact sliding log):
  // the ceiling's bound holds whatever the gate does; aimd's rate gate adds its pacer.
  aimd: {
    name: 'aimd',
    create: through('aimd'),
    options: fc.record({
      mode: fc.constantFrom('rate' as const, 'concurrency' as const),
      initialLimit: fc.integer({ min: 1, max: 600 }),
      burst: fc.integer({ min: 1, max: 6 }),
    }),
    weighted: false,
    capacity: (limit, o) => (o.mode === 'rate' ? Math.min(limit.count, o.burst) : limit.count),
    maxFootprint: (limit) => limit.count + 2,
    burst: (limit, o) => (o.mode === 'rate' ? Math.min(limit.count, o.burst) : limit.count),
    bound: (limit, o, ledger) => {
      expectWindowBound(ledger, limit.windowMs, limit.count);
      // The pacer: at most burst + rate·T in any interval T, at the initial limit (per minute, under the ceiling's rate).
      if (o.mode === 'rate') expectRateBound(ledger, o.burst, Math.min(o.initialLimit / 60_000, limit.count / limit.windowMs));
    },
  } satisfies Subject<{ mode: 'rate' | 'concurrency'; initialLimit: number; burst: number }>,
  gradient: ceilingOnly('gradient', fc.record({ initialLimit: fc.integer({ min: 1, max: 50 }) })),
  'sre-throttle': ceilingOnly('sre-throttle', fc.record({ K: fc.double({ min: 1, max: 4, noNaN: true }) })),
  headers: ceilingOnly('headers', fc.constant({})),
};

/** A learning limiter whose gate, before any answer, admits anything: only the ceiling decides. */
function ceilingOnly<P extends object>(name: LimiterName, options: fc.Arbitrary<P>): Subject<P> {
  return {
    name,
    create: through(name),
    options,
    weighted: false,
    capacity: (limit) => limit.count,
    maxFootprint: (limit) => limit.count + 5,
    burst: (limit) => limit.count,
    bound: (limit, _o, ledger) => expectWindowBound(ledger, limit.windowMs, limit.count),
  };
}
