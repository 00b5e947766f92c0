import { describe, expect, it } from 'vitest';
import { lognormalFromQuantiles, sampler } from '../src/sim/dist.js';
import { stream } from '../src/sim/random.js';
import type { Dist } from '../src/scenario/types.js';
import { percentile, sorted } from '../src/metrics/stats.js';

function draw(dist: Dist, n = 200_000, seed = 1): Float64Array {
  const s = sampler(dist, stream(seed, 'dist'));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = s.sample();
  return sorted(out);
}

const avg = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;

describe('distributions', () => {
  it('constant is constant', () => {
    expect(Array.from(draw({ dist: 'constant', value: 250 }, 10))).toEqual(new Array(10).fill(250));
  });

  it('uniform stays in [min, max] with mean (min + max) / 2', () => {
    const a = draw({ dist: 'uniform', min: 100, max: 300 });
    expect(a[0]).toBeGreaterThanOrEqual(100);
    expect(a[a.length - 1]).toBeLessThan(300);
    expect(avg(a)).toBeCloseTo(200, -0.5);
  });

  it('exponential has mean and median ln 2 · mean', () => {
    const a = draw({ dist: 'exponential', mean: 1000 });
    expect(Math.abs(avg(a) / 1000 - 1)).toBeLessThan(0.01);
    expect(Math.abs(percentile(a, 50) / (1000 * Math.LN2) - 1)).toBeLessThan(0.02);
  });

  it('normal is truncated at 0 (redrawn, not clamped)', () => {
    const a = draw({ dist: 'normal', mean: 100, sd: 100 });
    expect(a[0]).toBeGreaterThanOrEqual(0);
    // No mass piles up at exactly 0.
    expect(a.filter((x) => x === 0).length).toBe(0);
    // Mean of N(100, 100²) truncated at 0: μ + σ·φ(1)/Φ(1) = 100 + 100 · 0.24197 / 0.84134 = 128.76
    expect(Math.abs(avg(a) / 128.76 - 1)).toBeLessThan(0.01);
  });

  it('lognormal from median and p99 has that median and p99', () => {
    const { mu, sigma } = lognormalFromQuantiles(3000, 9000);
    const a = draw({ dist: 'lognormal', mu, sigma });
    expect(Math.abs(percentile(a, 50) / 3000 - 1)).toBeLessThan(0.01);
    expect(Math.abs(percentile(a, 99) / 9000 - 1)).toBeLessThan(0.03);
    // Mean e^(μ + σ²/2)
    expect(Math.abs(avg(a) / Math.exp(mu + (sigma * sigma) / 2) - 1)).toBeLessThan(0.01);
  });

  it('empirical draws only the listed samples, each about equally often', () => {
    const a = draw({ dist: 'empirical', samples: [10, 20, 30, 40] }, 40_000);
    const counts = [10, 20, 30, 40].map((v) => a.filter((x) => x === v).length);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(40_000);
    for (const c of counts) expect(Math.abs(c / 10_000 - 1)).toBeLessThan(0.05);
  });

  it('streams are reproducible and independent by name', () => {
    const a = stream(7, 'provider:a');
    const b = stream(7, 'provider:a');
    const c = stream(7, 'provider:b');
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect([c(), c(), c()]).not.toEqual(xs);
  });
});
