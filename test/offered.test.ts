import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome, type OutcomeCode } from '../src/core/outcome.js';
import { arrivalOrder, offeredMetrics, offeredSeries, worstWait } from '../src/metrics/offered.js';
import { Recorder } from '../src/metrics/recorder.js';
import { round } from '../src/metrics/stats.js';

/**
 * The workload's own statistics (metrics/offered.ts) against brute force on small random
 * workloads: each figure recomputed the plain way (every minute counted by a filter, sizes by a
 * full sort, the busy period by widening until nothing more overlaps).
 */

interface Req {
  at: number;
  prompt: number;
  output: number;
  wait: number;
  /** Attempts: outcome codes, each admitted at `at + wait + k` ms. */
  attempts: OutcomeCode[];
}

const req = fc.record({
  // Integer-ish times over a few minutes, with repeats so ties and equal minutes occur.
  at: fc.oneof(fc.integer({ min: 0, max: 400_000 }), fc.constantFrom(0, 60_000, 59_999, 120_000)).map((x) => x + 0.5 * (x % 3)),
  // Now and then a size beyond the counted range, so both ways of taking percentiles are checked.
  prompt: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 5_000 }), weight: 9 }, { arbitrary: fc.integer({ min: 0, max: 2_000_000_000 }), weight: 1 }),
  output: fc.integer({ min: 0, max: 800 }),
  wait: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 90_000 })),
  attempts: fc.array(fc.constantFrom<OutcomeCode>(Outcome.ok, Outcome.rateLimited, Outcome.serverError), { minLength: 0, maxLength: 3 }),
});

/** A recorder that saw `reqs` (ids in the order given: not necessarily by arrival), with sizes or without. */
function recorded(reqs: readonly Req[], sized: boolean): Recorder {
  const rec = new Recorder(reqs.length, 1, sized);
  reqs.forEach((r, id) => {
    rec.sized(id, r.prompt, r.output);
    rec.arrived(id, r.at, r.at);
    rec.spent(id, 0, r.wait);
    r.attempts.forEach((o, k) => rec.attempt(r.at + r.wait + k, r.at + r.wait + k + 1, 0, 0, o, id));
    rec.finish(id, r.at + r.wait + r.attempts.length + 1, Outcome.ok, Math.max(1, r.attempts.length));
  });
  return rec;
}

const rank = (sorted: number[], p: number): number => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;

describe('offered workload statistics', () => {
  it('equal a brute force: requests, duration, mean and peak per minute, size percentiles', () => {
    fc.assert(
      fc.property(fc.array(req, { minLength: 0, maxLength: 60 }), fc.boolean(), (reqs, sized) => {
        const m = offeredMetrics(recorded(reqs, sized));
        const n = reqs.length;
        expect(m.requests).toBe(n);
        const times = reqs.map((r) => r.at);
        const duration = n ? Math.max(...times) - Math.min(...times) : NaN;
        expect(m.durationMs).toBe(n ? round(duration) : null);
        const rate = n > 1 && duration > 0 ? ((n - 1) * 60_000) / duration : null;
        expect(m.requestsPerMin.mean).toBe(rate === null ? null : round(rate));
        const minutes = [...new Set(times.map((t) => Math.floor(t / 60_000)))];
        const inMinute = (k: number) => reqs.filter((r) => Math.floor(r.at / 60_000) === k);
        const peak = (f: (r: Req) => number) => Math.max(0, ...minutes.map((k) => inMinute(k).reduce((a, r) => a + f(r), 0)));
        expect(m.requestsPerMin.peak).toBe(peak(() => 1));
        if (!sized) {
          expect(m.tokensPerMin).toBeUndefined();
          expect(m.sizes).toBeUndefined();
          return;
        }
        expect(m.tokensPerMin!.prompt.peak).toBe(peak((r) => r.prompt));
        expect(m.tokensPerMin!.output.peak).toBe(peak((r) => r.output));
        expect(m.tokensPerMin!.total.peak).toBe(peak((r) => r.prompt + r.output));
        const sum = (f: (r: Req) => number) => reqs.reduce((a, r) => a + f(r), 0);
        const tokenMean = (s: number) => (rate === null ? null : round((rate * s) / n));
        expect(m.tokensPerMin!.prompt.mean).toBe(tokenMean(sum((r) => r.prompt)));
        expect(m.tokensPerMin!.total.mean).toBe(tokenMean(sum((r) => r.prompt + r.output)));
        for (const [which, f] of [['prompt', (r: Req) => r.prompt], ['output', (r: Req) => r.output]] as const) {
          const s = reqs.map(f).sort((a, b) => a - b);
          expect(m.sizes![which]).toEqual(n ? { p50: rank(s, 50), p90: rank(s, 90), p99: rank(s, 99), max: s[n - 1] } : { p50: null, p90: null, p99: null, max: null });
        }
      }),
    );
  });

  it('the burst behind the worst wait equals a brute force: the busy period widened until no wait overlaps its start', () => {
    fc.assert(
      fc.property(fc.array(req, { minLength: 1, maxLength: 60 }), (reqs) => {
        const w = worstWait(recorded(reqs, true));
        const longest = Math.max(...reqs.map((r) => r.wait));
        if (longest === 0) {
          expect(w).toBeUndefined();
          return;
        }
        // The worst: the longest wait, the earliest arrival among equals (then the lowest id).
        const worst = reqs.map((r, id) => ({ ...r, id })).filter((r) => r.wait === longest).sort((a, b) => a.at - b.at || a.id - b.id)[0]!;
        let from = worst.at;
        for (;;) {
          const earlier = reqs.filter((r) => r.at < from && r.at + r.wait >= from);
          if (earlier.length === 0) break;
          from = Math.min(...earlier.map((r) => r.at));
        }
        // Arrivals from the period's start up to the worst one, in arrival order (ties by id).
        const ahead = reqs.map((r, id) => ({ ...r, id })).filter((r) => r.at >= from && (r.at < worst.at || (r.at === worst.at && r.id <= worst.id)));
        expect(w).toEqual({
          waitMs: round(longest),
          arrivalMs: round(worst.at),
          admittedMs: round(worst.at + longest),
          burst: {
            fromMs: round(from),
            toMs: round(worst.at + longest),
            requests: ahead.length,
            tokens: ahead.reduce((a, r) => a + r.prompt + r.output, 0),
            requestsPerMin: worst.at > from ? round(((ahead.length - 1) * 60_000) / (worst.at - from)) : null,
          },
        });
      }),
    );
  });

  it('the series equal a brute force per bucket: offered, admitted and refused requests and tokens, key wait p99 and max', () => {
    fc.assert(
      fc.property(fc.array(req, { minLength: 0, maxLength: 60 }), fc.constantFrom(10_000, 60_000, 200_000), (reqs, bucketMs) => {
        const rec = recorded(reqs, true);
        const buckets = Math.floor(600_000 / bucketMs) + 1;
        const s = offeredSeries(rec, bucketMs, buckets);
        const bucket = (t: number) => Math.min(buckets - 1, Math.floor(t / bucketMs));
        const attempts = reqs.flatMap((r) => r.attempts.map((o, k) => ({ at: r.at + r.wait + k, o, size: r.prompt + r.output })));
        for (let b = 0; b < buckets; b++) {
          const arriving = reqs.filter((r) => bucket(r.at) === b);
          const admitted = attempts.filter((a) => bucket(a.at) === b && a.o !== Outcome.rateLimited);
          const refused = attempts.filter((a) => bucket(a.at) === b && a.o === Outcome.rateLimited);
          expect([s.requests.offered[b], s.requests.admitted[b], s.requests.refused[b]]).toEqual([arriving.length, admitted.length, refused.length]);
          const tokens = (xs: { size: number }[]) => xs.reduce((a, x) => a + x.size, 0);
          expect([s.tokens!.offered[b], s.tokens!.admitted[b], s.tokens!.refused[b]]).toEqual([tokens(arriving.map((r) => ({ size: r.prompt + r.output }))), tokens(admitted), tokens(refused)]);
          const waits = arriving.map((r) => r.wait).sort((x, y) => x - y);
          expect([s.keyWaitMs.p99[b], s.keyWaitMs.max[b]]).toEqual(waits.length ? [round(rank(waits, 99)), round(waits.at(-1)!)] : [null, null]);
        }
      }),
    );
  });

  it('orders requests by arrival only when their ids do not already', () => {
    expect(arrivalOrder(Float64Array.of(0, 1, 1, 5), 4)).toBeNull();
    expect(Array.from(arrivalOrder(Float64Array.of(3, 1, 1, 0), 4)!)).toEqual([3, 1, 2, 0]);
  });
});

describe('offered workload statistics of a whole run', () => {
  it('count the sizes the dispatcher hands over: tokens admitted cover the successful answers, output asked covers output answered', async () => {
    const { runPlan } = await import('../src/run.js');
    const { loadScenario } = await import('../src/scenario/load.js');
    const results = runPlan(loadScenario('scenarios/token-quotas.yaml'));
    for (const v of results.runs.flatMap((r) => r.variants)) {
      const t = v.metrics.tokens!;
      const s = v.series.offered!;
      const total = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
      expect(total(s.requests.offered)).toBe(v.metrics.requests);
      expect(total(s.requests.admitted) + total(s.requests.refused)).toBe(v.metrics.attempts);
      expect(total(s.tokens!.admitted)).toBeGreaterThanOrEqual(t.prompt + t.output);
      expect(v.metrics.offered!.tokensPerMin!.output.peak).toBeGreaterThan(0);
      expect(total(s.tokens!.offered)).toBeGreaterThanOrEqual(t.prompt + t.output);
    }
    // The page: the workload's figures folded under one line, each variant's longest wait and its burst.
    const { burstTable, offeredLine, offeredTable } = await import('../src/report/table.js');
    const run = results.runs[0]!;
    const t = offeredTable(run)!;
    const row = (label: string) => t.rows.find((r) => r[0] === label)!.slice(1);
    expect(row('requests per minute, peak minute')).toEqual(run.variants.map((v) => v.metrics.offered!.requestsPerMin.peak.toLocaleString('en-US')));
    expect(row('prompt tokens per request, largest')).toEqual(run.variants.map((v) => v.metrics.offered!.sizes!.prompt.max!.toLocaleString('en-US')));
    const b = burstTable(run)!;
    expect(b.rows.find((r) => r[0] === 'requests arriving since, itself included')!.slice(1)).toEqual(run.variants.map((v) => String(v.metrics.worstWait!.burst.requests)));
    const longest = Math.max(...run.variants.map((v) => v.metrics.worstWait!.waitMs));
    expect(offeredLine(run)).toContain(`longest key wait ${(longest / 1000).toFixed(2)} s`);
  });
});
