import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mean, niceBucket, percentile, quantiles, round, sorted, sortInPlace } from '../src/metrics/stats.js';

describe('statistics', () => {
  it('nearest-rank percentiles of 1..10 (hand-checked)', () => {
    const s = sorted(Float64Array.from([7, 1, 10, 3, 5, 2, 9, 4, 8, 6]));
    expect(percentile(s, 50)).toBe(5);
    expect(percentile(s, 90)).toBe(9);
    expect(percentile(s, 99)).toBe(10);
    expect(percentile(s, 0)).toBe(1);
    expect(percentile(s, 100)).toBe(10);
    expect(mean(s)).toBe(5.5);
  });

  it('selection gives exactly what sorting gives, and leaves the input alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (xs, ps) => {
          const values = Float64Array.from(xs);
          const before = Array.from(values);
          const s = sorted(values);
          const q = quantiles(values, ps);
          expect(q.at).toEqual(ps.map((p) => percentile(s, p)));
          expect(q.min).toBe(s[0]);
          expect(q.max).toBe(s[s.length - 1]);
          expect(Array.from(values)).toEqual(before);
        },
      ),
    );
  });

  it('handles many equal values and empty input', () => {
    const q = quantiles(new Float64Array(10_000).fill(3), [50, 99]);
    expect(q.at).toEqual([3, 3]);
    expect(quantiles(new Float64Array(0), [50]).at).toEqual([NaN]);
  });

  it('rounds for output and picks 1-2-5 bucket widths', () => {
    expect(round(1.23456)).toBe(1.235);
    expect(round(NaN)).toBeNull();
    expect(round(-0.0001)).toBe(0);
    expect(niceBucket(21_830)).toBe(500);
    expect(niceBucket(60_000)).toBe(1000);
    expect(niceBucket(50)).toBe(1);
  });
});

describe('sortInPlace (radix)', () => {
  const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  it('orders any doubles exactly as the native sort does, at sizes on both sides of the radix threshold', () => {
    const double = fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1e-310, -1e-310, Infinity, -Infinity), fc.integer({ min: -5, max: 5 }));
    fc.assert(
      fc.property(fc.oneof(fc.array(double, { maxLength: 50 }), fc.array(double, { minLength: 4096, maxLength: 6000 })), (xs) => {
        const a = Float64Array.from(xs);
        expect(same(sortInPlace(Float64Array.from(a)), Float64Array.from(a).sort())).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
  it('sorts a subarray view in place without touching its neighbours', () => {
    const whole = new Float64Array(10_002).map((_, i) => ((i * 7919) % 10_007) / 3);
    whole[0] = -1;
    whole[10_001] = -2;
    const view = whole.subarray(1, 10_001);
    const expected = Float64Array.from(view).sort();
    sortInPlace(view);
    expect(same(view, expected)).toBe(true);
    expect([whole[0], whole[10_001]]).toEqual([-1, -2]);
  });
});

describe('quantiles on large inputs (radix select)', () => {
  it('gives the nearest-rank values a full sort gives, for spread, crowded and signed values', () => {
    const values = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: 0, max: 3 }),
      fc.double({ min: 100, max: 100.001, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(values, { minLength: 4096, maxLength: 6000 }), fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 5 }), (xs, ps) => {
        const a = Float64Array.from(xs);
        const before = Float64Array.from(a);
        const s = Float64Array.from(a).sort();
        const q = quantiles(a, ps);
        expect(q.at).toEqual(ps.map((p) => percentile(s, p)));
        expect([q.min, q.max]).toEqual([s[0], s[s.length - 1]]);
        expect(a).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });
});

describe('signed zeros', () => {
  it('the minimum and maximum order −0 before +0, as the sort does, whichever comes first', () => {
    for (const xs of [[0, -0], [-0, 0]]) {
      const q = quantiles(Float64Array.from(xs), [0, 100]);
      expect(Object.is(q.min, -0)).toBe(true);
      expect(Object.is(q.max, 0)).toBe(true);
    }
  });
});
