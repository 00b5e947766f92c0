import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureRateUpdate, latencyEmaUpdate } from '../../src/balancers/ewma.js';

describe("002's RecordResult rules", () => {
  it('latency: the first sample sets it, then (L*7 + l)/8 truncated as Go int64', () => {
    expect(latencyEmaUpdate(0, 200)).toBe(200);
    expect(latencyEmaUpdate(200, 100)).toBe(187); // 1500/8 = 187.5
    expect(latencyEmaUpdate(100, 1)).toBe(87); // 701/8 = 87.625
    expect(latencyEmaUpdate(1, 1)).toBe(1);
    expect(latencyEmaUpdate(7, 1)).toBe(6); // 50/8 = 6.25
  });

  it('latency: fractional samples are truncated first; 0 ms or less is ignored', () => {
    expect(latencyEmaUpdate(0, 12.9)).toBe(12);
    expect(latencyEmaUpdate(0, 0.7)).toBe(0);
    expect(latencyEmaUpdate(50, 0.99)).toBe(50);
    expect(latencyEmaUpdate(50, 0)).toBe(50);
    expect(latencyEmaUpdate(50, -3)).toBe(50);
  });

  it('latency: stays a whole number between the old average and the sample', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.double({ min: 1, max: 100_000, noNaN: true }), (L, l) => {
        const next = latencyEmaUpdate(L, l);
        expect(Number.isInteger(next)).toBe(true);
        if (L > 0) {
          expect(next).toBeGreaterThanOrEqual(Math.min(L, Math.trunc(l)));
          expect(next).toBeLessThanOrEqual(Math.max(L, Math.trunc(l)));
        }
      }),
    );
  });

  it('failure rate: success halves and snaps below 0.01 to 0; failure is rate*0.9 + 0.1, at most 1', () => {
    expect(failureRateUpdate(0, false)).toBeCloseTo(0.1, 15);
    expect(failureRateUpdate(0.1, false)).toBeCloseTo(0.19, 15);
    expect(failureRateUpdate(0.19, false)).toBeCloseTo(0.271, 15);
    expect(failureRateUpdate(0.4, true)).toBe(0.2);
    expect(failureRateUpdate(0.019, true)).toBe(0);
    expect(failureRateUpdate(0.02, true)).toBe(0.01);
    expect(failureRateUpdate(1, false)).toBe(1);
    expect(failureRateUpdate(0, true)).toBe(0);
    // seven failures in a row from 0 cross 002's 0.5 threshold (1 - 0.9^7 = 0.522)
    let r = 0;
    for (let i = 0; i < 6; i++) r = failureRateUpdate(r, false);
    expect(r).toBeLessThan(0.5);
    expect(failureRateUpdate(r, false)).toBeGreaterThan(0.5);
  });

  it('failure rate stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 100 }), (outcomes) => {
        let r = 0;
        for (const ok of outcomes) {
          r = failureRateUpdate(r, ok);
          expect(r).toBeGreaterThanOrEqual(0);
          expect(r).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});
