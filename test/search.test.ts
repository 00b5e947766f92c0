import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confidence, defaultStep, replicationSeeds, search, type ProbeRequest } from '../src/study/search.js';

/** A goal that holds while value ≤ bound (the capacity question's shape). */
const below = (bound: number) => (batch: readonly ProbeRequest[]) => batch.map((p) => ({ met: p.value <= bound, value: p.value }));

describe('search: bisection on a grid', () => {
  it('finds the largest value that holds to within one step, and the next step that fails', async () => {
    const a = await search({ low: 0.5, high: 20, step: 0.1, want: 'largest', seeds: [1] }, below(33.33 / 5));
    expect(a.status).toBe('found');
    expect(a.value).toBe(6.6);
    expect(a.next).toBe(6.7);
    expect(a.failedAtNext).toBe(1);
    // Both ends first, then halving: about log2(195) probes after them.
    expect(a.probes.slice(0, 2).map((p) => p.value)).toEqual([0.5, 20]);
    expect(a.probes.length).toBeLessThanOrEqual(2 + 8);
  });

  it('finds the smallest value that holds when the goal holds above the bound', async () => {
    const a = await search({ low: 1, high: 64, step: 1, want: 'smallest', seeds: [1, 2] }, (b) => b.map((p) => ({ met: p.value >= 13, value: null })));
    expect([a.status, a.value, a.next, a.failedAtNext, a.seeds]).toEqual(['found', 13, 12, 2, 2]);
  });

  it('says none when the near end fails, and all when the far end holds', async () => {
    const none = await search({ low: 10, high: 20, step: 1, want: 'largest', seeds: [1] }, below(5));
    expect([none.status, none.value, none.next, none.probes.length]).toEqual(['none', null, 10, 2]);
    const all = await search({ low: 10, high: 20, step: 1, want: 'largest', seeds: [1] }, below(50));
    expect([all.status, all.value, all.next]).toEqual(['all', 20, null]);
    expect(confidence(all)).toContain('beyond');
    expect(confidence(none)).toContain('no value in the range holds');
  });

  it('holds a probe only when every seed holds, and counts the seeds that failed at the next step', async () => {
    // Seed 3 sees a lower bound: the answer is the bound of the worst seed.
    const ev = (b: readonly ProbeRequest[]) => b.map((p) => ({ met: p.value <= (p.seed === 3 ? 40 : 50), value: p.value * 2 }));
    const a = await search({ low: 0, high: 100, step: 1, want: 'largest', seeds: [1, 2, 3] }, ev);
    expect([a.value, a.next, a.failedAtNext]).toEqual([40, 41, 1]);
    expect(confidence(a)).toBe('held in 3 of 3 seeds at 40, failed in 1 of 3 seeds at 41, the next step');
    const at = a.probes.find((p) => p.value === 40)!;
    expect(at.mean).toBe(80);
    expect(at.runs.map((r) => r.seed)).toEqual([1, 2, 3]);
  });

  it('property: for any monotone goal, the answer is the true bound on the grid, and the probes are the same however the batch is answered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: -10, max: 6000, noNaN: true }),
        fc.boolean(),
        async (low, span, step, bound, largest) => {
          const high = low + span;
          const want = largest ? 'largest' : 'smallest';
          const holds = (v: number) => (largest ? v <= bound : v >= bound);
          const asked: number[][] = [];
          const ev = (b: readonly ProbeRequest[]) => {
            asked.push(b.map((p) => p.value));
            return b.map((p) => ({ met: holds(p.value), value: null }));
          };
          // The same answers, given late and in a scrambled order of resolution.
          const late = async (b: readonly ProbeRequest[]) => {
            await new Promise((r) => setImmediate(r));
            return b.map((p) => ({ met: holds(p.value), value: null }));
          };
          const o = { low, high, step, want, seeds: [7] } as const;
          const a = await search(o, ev);
          const b = await search(o, late);
          expect(b.probes.map((p) => p.value)).toEqual(a.probes.map((p) => p.value));
          const grid = Array.from({ length: Math.ceil(span / step) + 1 }, (_, k) => Math.min(high, low + k * step));
          const ok = grid.filter(holds);
          if (ok.length === 0) expect(a.status).toBe('none');
          else if (ok.length === grid.length) expect(a.status).toBe('all');
          else {
            expect(a.status).toBe('found');
            expect(a.value).toBe(largest ? Math.max(...ok) : Math.min(...ok));
            expect(Math.abs(a.next! - a.value!)).toBeLessThanOrEqual(step);
            expect(holds(a.next!)).toBe(false);
          }
          expect(a.probes.length).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(grid.length)) + 1);
          expect(asked[0]).toHaveLength(2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a range or step that makes no grid', async () => {
    await expect(search({ low: 5, high: 5, step: 1, want: 'largest', seeds: [1] }, below(1))).rejects.toThrow(/LOW below HIGH/);
    await expect(search({ low: 0, high: 5, step: 0, want: 'largest', seeds: [1] }, below(1))).rejects.toThrow(/positive step/);
    await expect(search({ low: 0, high: 5, step: 1, want: 'largest', seeds: [] }, below(1))).rejects.toThrow(/seed/);
  });

  it('replicates with the scenario seed first, and picks a round default step', () => {
    expect(replicationSeeds(42, 3)).toEqual([42, 43, 44]);
    expect(defaultStep(0, 20, false)).toBe(0.2);
    expect(defaultStep(0.5, 10, false)).toBe(0.05);
    expect(defaultStep(1, 300, false)).toBe(2);
    expect(defaultStep(1, 3, true)).toBe(1);
  });
});
