import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  configsWithin, meanInterval, pairedDifference, planCost, rankRung, rungSizes, successiveHalving, survivors, t95, type Outcome, type RungEntry, type TrialRequest,
} from '../src/study/halving.js';
import { drawConfigs, gridSize, parseChoose, rangeValue, type Dimension } from '../src/study/space.js';

/** An outcome table: for each configuration and rung, per seed, whether it met the goal, its metric, its shortfall; and its cost. */
const table = fc.record({
  configs: fc.integer({ min: 1, max: 40 }),
  rungs: fc.integer({ min: 1, max: 4 }),
  seeds: fc.integer({ min: 1, max: 3 }),
  eta: fc.integer({ min: 2, max: 4 }),
  tolerance: fc.constantFrom(0, 0.01, 0.1),
  salt: fc.integer({ min: 0, max: 1_000_000 }),
});

/** A deterministic outcome of (config, rung, seed), so every draw of the table is reproducible from its salt. */
function outcomeOf(salt: number, t: TrialRequest): Outcome {
  const h = (k: number): number => {
    let x = (salt ^ (t.config * 7919) ^ (t.rung * 104729) ^ (t.seed * 1299709) ^ (k * 15485863)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
    return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
  };
  const met = h(1) < 0.6;
  // Few distinct values, so ties (and the tolerance) happen often.
  return { met, value: h(2) < 0.05 ? null : Math.round(h(3) * 8), shortfall: met ? 0 : Math.round(h(4) * 4) / 4, cost: 1 + (t.config % 5) };
}

describe('successive halving', () => {
  it('the survivors of every rung are the best-ranked of that rung, and each rung runs exactly its planned configurations with every seed', async () => {
    await fc.assert(
      fc.asyncProperty(table, async (o) => {
        const seeds = Array.from({ length: o.seeds }, (_, i) => 10 + i);
        const rungs = Array.from({ length: o.rungs }, (_, i) => 1 / o.eta ** (o.rungs - 1 - i));
        const asked: TrialRequest[][] = [];
        const a = await successiveHalving({ configs: o.configs, rungs, eta: o.eta, seeds, tolerance: o.tolerance }, (batch) => {
          asked.push([...batch]);
          return batch.map((t) => outcomeOf(o.salt, t));
        });
        const sizes = rungSizes(o.configs, o.rungs, o.eta);
        expect(a.rungs.map((r) => r.length)).toEqual(sizes);
        for (let i = 0; i < a.rungs.length; i++) {
          // Each rung asked once, in configuration order then seed order.
          const configs = [...new Set(asked[i]!.map((t) => t.config))];
          expect(configs).toEqual([...configs].sort((x, y) => x - y));
          expect(asked[i]).toEqual(configs.flatMap((config) => seeds.map((seed) => ({ config, rung: i, seed }))));
          // The rung as returned is the rung ranked; the next rung runs its first `sizes[i+1]` and no other.
          expect(a.rungs[i]).toEqual(rankRung(a.rungs[i]!, o.tolerance));
          if (i + 1 < a.rungs.length) {
            expect(new Set(a.rungs[i + 1]!.map((e) => e.config))).toEqual(new Set(a.rungs[i]!.slice(0, sizes[i + 1]).map((e) => e.config)));
          }
        }
        expect(a.best).toBe(a.rungs.at(-1)![0]);
      }),
      { numRuns: 150 },
    );
  });

  it('a rung is ranked: the goal held in every seed before any miss; near the best, fewest keys first; the rest by metric; misses by seeds held, then shortfall', () => {
    const entry = fc.record({
      config: fc.nat(50),
      heldIn: fc.integer({ min: 0, max: 3 }),
      mean: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
      shortfall: fc.integer({ min: 0, max: 3 }),
      cost: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.config, minLength: 1, maxLength: 20 }), fc.constantFrom(0, 0.1, 0.5), (raw, tol) => {
        const entries: RungEntry[] = raw.map((e) => ({ ...e, rung: 0, held: e.heldIn === 3, shortfall: e.heldIn === 3 ? 0 : e.shortfall, runs: [] }));
        const r = rankRung(entries, tol);
        expect(r.map((e) => e.config).sort((x, y) => x - y)).toEqual(entries.map((e) => e.config).sort((x, y) => x - y));
        const firstMiss = r.findIndex((e) => !e.held);
        if (firstMiss >= 0) expect(r.slice(firstMiss).every((e) => !e.held)).toBe(true);
        const best = Math.max(...entries.filter((e) => e.held).map((e) => e.mean ?? -Infinity));
        const near = r.filter((e) => e.held && (e.mean ?? -Infinity) >= best - tol * Math.abs(best));
        // The near-best come first, cheapest first; a held entry after them is never better than any of them by more than the tolerance.
        expect(r.slice(0, near.length)).toEqual(near);
        for (let i = 1; i < near.length; i++) expect(near[i - 1]!.cost).toBeLessThanOrEqual(near[i]!.cost);
        const misses = r.filter((e) => !e.held);
        for (let i = 1; i < misses.length; i++) {
          const [p, q] = [misses[i - 1]!, misses[i]!];
          expect(p.heldIn > q.heldIn || (p.heldIn === q.heldIn && p.shortfall <= q.shortfall)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never runs more simulations than the budget, and uses as many configurations as it allows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (budget, grid, rungCount, seedCount, requests) => {
          // A budget of simulations (every simulation costs 1) or of requests (rung i costs 9^i / 9^(last)).
          const unit = Array.from({ length: rungCount }, (_, i) => (requests ? 3 ** i : 1));
          const n = configsWithin(budget, grid, unit, 3, seedCount);
          expect(n).toBeLessThanOrEqual(grid);
          if (n === 0) {
            expect(planCost(1, unit, 3, seedCount)).toBeGreaterThan(budget);
            return;
          }
          expect(planCost(n, unit, 3, seedCount)).toBeLessThanOrEqual(budget);
          if (n < grid) expect(planCost(n + 1, unit, 3, seedCount)).toBeGreaterThan(budget);
          let spent = 0;
          await successiveHalving({ configs: n, rungs: unit.map((_, i) => 1 / 3 ** (rungCount - 1 - i)), eta: 3, seeds: Array.from({ length: seedCount }, (_, i) => i), tolerance: 0.01 }, (batch) => {
            spent += batch.reduce((a, t) => a + unit[t.rung]!, 0);
            return batch.map((t) => ({ met: t.config % 2 === 0, value: t.config % 7, shortfall: t.config % 2 ? 1 : 0, cost: 1 }));
          });
          expect(spent).toBe(planCost(n, unit, 3, seedCount));
          expect(spent).toBeLessThanOrEqual(budget);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps ⌈n/η⌉, but two while two are left', () => {
    expect([1, 2, 3, 4, 9, 10, 24].map((n) => survivors(n, 3))).toEqual([1, 2, 2, 2, 3, 4, 8]);
    expect(rungSizes(24, 3, 3)).toEqual([24, 8, 3]);
  });
});

describe('intervals', () => {
  it('match hand-checked values', () => {
    // 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.303, half-width 4.303/√3 = 2.4843.
    const iv = meanInterval([1, 2, 3])!;
    expect(iv.mean).toBe(2);
    expect(iv.low).toBeCloseTo(2 - 2.4843, 4);
    expect(iv.high).toBeCloseTo(2 + 2.4843, 4);
    expect(meanInterval([5])).toEqual({ mean: 5, low: null, high: null, n: 1 });
    expect(meanInterval([])).toBeNull();
    expect(t95(40)).toBeCloseTo(2.021, 2);
    expect(t95(120)).toBeCloseTo(1.98, 2);
    // Paired by seed: a − b = 1, 1, 1 (no spread): separable; 1, −1, 2: the interval spans 0.
    expect(pairedDifference([3, 4, 5], [2, 3, 4])).toMatchObject({ mean: 1, low: 1, high: 1, separable: true });
    expect(pairedDifference([2, 1, 5], [1, 2, 3])!.separable).toBe(false);
    expect(pairedDifference([2], [1])!.separable).toBe(false);
    expect(pairedDifference([null, 2], [1, null])).toBeNull();
  });
});

describe('the grid of configurations', () => {
  const dims: Dimension[] = [
    { kind: 'choice', field: 'keys.limiter', values: ['sliding-log', 'gcra', 'token-bucket'] },
    { kind: 'range', field: 'keys.count', low: 1, high: 6, step: 1, rate: false, integer: true },
    { kind: 'range', field: 'workload.arrivals.rate', low: 0.5, high: 2, step: 0.3, rate: true, integer: false },
  ];

  it('draws distinct configurations inside the grid, the same for the same seed, all of them when the budget allows', () => {
    expect(gridSize(dims)).toBe(3 * 6 * 6);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.nat(1000), (n, seed) => {
        const a = drawConfigs(dims, n, seed);
        expect(a).toEqual(drawConfigs(dims, n, seed));
        expect(a).toHaveLength(Math.min(n, gridSize(dims)));
        expect(new Set(a.map((c) => c.join(','))).size).toBe(a.length);
        for (const c of a) {
          expect(c[0]).toBeLessThan(3);
          expect(c[1]).toBeLessThan(6);
          expect(c[2]).toBeLessThan(6);
        }
      }),
      { numRuns: 100 },
    );
    // The last point of a range that is not a whole number of steps is HIGH itself; the others print as written.
    const rate = dims[2] as Extract<Dimension, { kind: 'range' }>;
    expect([0, 1, 2, 3, 4, 5].map((k) => rangeValue(rate, k))).toEqual([0.5, 0.8, 1.1, 1.4, 1.7, 2]);
  });

  it('reads --choose, refusing an empty or repeated value in one line', () => {
    expect(parseChoose('keys.limiter=sliding-log, gcra')).toEqual({ field: 'keys.limiter', values: ['sliding-log', 'gcra'] });
    expect(parseChoose('balancer=a,,b')).toMatch(/^balancer: expected FIELD=A,B/);
    expect(parseChoose('balancer=a,a')).toBe('balancer: a is listed twice');
    expect(parseChoose('=a')).toMatch(/^expected FIELD=A,B/);
  });
});
