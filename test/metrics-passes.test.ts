import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome, type OutcomeCode } from '../src/core/outcome.js';
import { offeredSeries } from '../src/metrics/offered.js';
import { Recorder } from '../src/metrics/recorder.js';
import { goodput } from '../src/metrics/slo.js';
import { sortInPlace } from '../src/metrics/stats.js';
import { series } from '../src/metrics/summary.js';

/**
 * The shortcuts the statistics take to read each recorded column fewer times (docs/internals.md,
 * "Speed") give what the long way gives: the radix sort when passes are skipped (keys sharing
 * digits), the offered series from the series' arrival buckets, goodput from a count of successes.
 */

const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('sortInPlace when keys share digits (passes skipped, the last one writing the doubles back)', () => {
  // Each family leaves a different set of the four 16-bit passes to run: none (all equal), only the
  // lowest (neighbours of one double), only the high word (small integers), the top digit alone
  // (powers of two), or the sign and zero's two signs.
  const families: [string, (k: number) => number][] = [
    ['all equal', () => 3.25],
    ['all −0', () => -0],
    ['neighbours of 1 (lowest digit only)', (k) => 1 + (k % 65_536) * 2 ** -52],
    ['neighbours of −1 (lowest digit only)', (k) => -(1 + (k % 65_536) * 2 ** -52)],
    ['small integers (high word only)', (k) => k % 1000],
    ['powers of two, both signs (top digit only)', (k) => (k % 2 ? -1 : 1) * 2 ** ((k % 40) - 20)],
    ['±0', (k) => (k % 3 ? 0 : -0)],
  ];
  it.each(families)('%s: the native sort’s order', (_, value) => {
    fc.assert(
      fc.property(fc.integer({ min: 4096, max: 9000 }), fc.integer({ min: 0, max: 1_000_000 }), (n, seed) => {
        const a = Float64Array.from({ length: n }, (_, i) => value((i * 7919 + seed) % 100_003));
        expect(same(sortInPlace(Float64Array.from(a)), Float64Array.from(a).sort())).toBe(true);
      }),
      { numRuns: 5 },
    );
  });
});

const req = fc.record({
  at: fc.integer({ min: 0, max: 300_000 }).map((x) => x + 0.25 * (x % 4)),
  wait: fc.oneof(fc.constant(0), fc.constant(5), fc.integer({ min: 1, max: 90_000 })),
  took: fc.integer({ min: 1, max: 20_000 }),
  outcome: fc.constantFrom<OutcomeCode>(Outcome.ok, Outcome.ok, Outcome.rateLimited, Outcome.serverError),
  prompt: fc.integer({ min: 0, max: 4000 }),
});

type Row = { at: number; wait: number; took: number; outcome: OutcomeCode; prompt: number };

/** A recorder that saw `reqs`, each with one attempt (ids in the order given). */
function recorded(reqs: readonly Row[], sized: boolean): Recorder {
  const rec = new Recorder(reqs.length, 1, sized);
  reqs.forEach((r, id) => {
    rec.sized(id, r.prompt, 100);
    rec.arrived(id, r.at, r.at);
    rec.spent(id, 0, r.wait);
    rec.attempt(r.at + r.wait, r.at + r.wait + r.took, 0, 0, r.outcome, id);
    rec.finish(id, r.at + r.wait + r.took, r.outcome, 1);
  });
  return rec;
}

describe('the offered series from the series’ arrival buckets', () => {
  it('equals the offered series computing them itself, key-wait p99 and maximum included', () => {
    fc.assert(
      fc.property(fc.array(req, { minLength: 1, maxLength: 300 }), fc.boolean(), (reqs, sized) => {
        const rec = recorded(reqs, sized);
        let total = 0;
        for (let i = 0; i < rec.finished; i++) total = Math.max(total, rec.end[i]!);
        const buckets = new Int32Array(rec.finished);
        const s = series(rec, ['k'], total, buckets);
        expect(offeredSeries(rec, s.bucketMs, s.t.length, buckets)).toEqual(offeredSeries(rec, s.bucketMs, s.t.length));
      }),
      { numRuns: 100 },
    );
  });
});

describe('goodput without SLO bounds', () => {
  it('from the count of successes equals the pass over the requests', () => {
    fc.assert(
      fc.property(fc.array(req, { minLength: 0, maxLength: 100 }), fc.constantFrom(undefined, {}), (reqs, slo) => {
        const rec = recorded(reqs, false);
        const ok = reqs.filter((r) => r.outcome === Outcome.ok).length;
        expect(goodput(rec, slo, 1000, ok)).toEqual(goodput(rec, slo, 1000));
      }),
      { numRuns: 100 },
    );
  });
});
