import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, quantiles, sorted } from '../src/metrics/stats.js';
import { CDF_POINTS } from '../src/metrics/summary.js';

describe('the latency CDF behind the report', () => {
  it('is drawn at 0, every whole percent, 99.5, 99.9 and 100', () => {
    expect(CDF_POINTS).toHaveLength(103);
    expect(CDF_POINTS.slice(0, 3)).toEqual([0, 1, 2]);
    expect(CDF_POINTS.slice(-4)).toEqual([99, 99.5, 99.9, 100]);
  });

  it('selecting a hundred ranks at once gives exactly what sorting gives', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 2000 }), (xs) => {
        const values = Float64Array.from(xs);
        const s = sorted(values);
        expect(quantiles(values, CDF_POINTS).at).toEqual(CDF_POINTS.map((p) => percentile(s, p)));
      }),
      { numRuns: 200 },
    );
  });
});
