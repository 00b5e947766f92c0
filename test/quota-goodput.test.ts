import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rate } from '../src/core/units.js';
import type { QuotaStep } from '../src/limiters/stepped.js';
import { SlidingLog } from '../src/limiters/sliding-log.js';
import { quotaViolations } from '../src/metrics/quota.js';
import { simulate } from '../src/modes/simulate.js';
import { parseScenario } from '../src/scenario/load.js';
import type { Slo } from '../src/scenario/types.js';
import { closed, scenario } from './helpers/scenario.js';
import { limitArb, traceArb } from './limiters/contract.js';

/**
 * The definition, written the slow way: admission j counts when the admissions of its key up to it
 * (in log order) that are still in its window — a + W > t, and not before the start of the limit's
 * period at t — are more than the limit's N at t.
 */
function bruteForce(times: number[], keys: number[], limit: Rate, steps: QuotaStep[] = [], weights?: number[]): number {
  let out = 0;
  for (let j = 0; j < times.length; j++) {
    const t = times[j]!;
    let r = limit;
    let from = -Infinity;
    for (const s of steps) if (s.atMs <= t) [r, from] = [s.requests, s.atMs];
    let n = 0;
    for (let i = 0; i <= j; i++) if (keys[i] === keys[j] && times[i]! + r.windowMs > t && times[i]! >= from) n += weights ? weights[i]! : 1;
    if (n > r.count) out++;
  }
  return out;
}

/** Admission logs: times in order (integers, so edges and ties are common), keys among `keys`. */
const logArb = (keys: number) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: keys - 1 })), { maxLength: 200 }).map((xs) => {
    xs.sort((a, b) => a[0] - b[0]);
    return { times: xs.map((x) => x[0]), keys: xs.map((x) => x[1]) };
  });
const smallLimit = fc.record({ count: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 1, max: 2_000 }) });
const stepsArb = fc.array(fc.record({ atMs: fc.integer({ min: 1, max: 5_000 }), requests: smallLimit }), { maxLength: 3 }).map((s) => {
  s.sort((a, b) => a.atMs - b.atMs);
  return s;
});

describe('quota violations', () => {
  it('count exactly what the definition counts (brute force), steps included', () => {
    fc.assert(
      fc.property(logArb(3), smallLimit, stepsArb, (log, limit, steps) => {
        expect(quotaViolations(log.times, log.keys, 3, limit, steps)).toBe(bruteForce(log.times, log.keys, limit, steps));
      }),
      { numRuns: 300 },
    );
  });

  it('weighted (a tokens limit): the tokens in the window, summed, against T', () => {
    fc.assert(
      fc.property(logArb(2), fc.record({ count: fc.integer({ min: 1, max: 5_000 }), windowMs: fc.integer({ min: 1, max: 2_000 }) }), fc.integer(), (log, limit, seed) => {
        const weights = log.times.map((_, i) => ((seed + i * 7919) >>> 0) % 2_000 + 1);
        expect(quotaViolations(log.times, log.keys, 2, limit, undefined, weights)).toBe(bruteForce(log.times, log.keys, limit, [], weights));
      }),
      { numRuns: 300 },
    );
    // 100 tokens per 10 ms: 60 + 30 fit, the next 20 does not; at t = 10 the first 60 have left.
    expect(quotaViolations([0, 1, 2, 10], [0, 0, 0, 0], 1, { count: 100, windowMs: 10 }, undefined, [60, 30, 20, 5])).toBe(1);
  });

  it('are 0 without a limit or without admissions, and each admission past N in one window counts once', () => {
    expect(quotaViolations([0, 1, 2], [0, 0, 0], 1, undefined)).toBe(0);
    expect(quotaViolations([], [], 1, { count: 1, windowMs: 10 })).toBe(0);
    // 2 per 10 ms: the third and fourth at t = 0..3 are over; at t = 10 the first two have left.
    expect(quotaViolations([0, 1, 2, 3, 10, 11], [0, 0, 0, 0, 0, 0], 1, { count: 2, windowMs: 10 })).toBe(4);
    // The same times spread over two keys: each holds two.
    expect(quotaViolations([0, 1, 2, 3], [0, 1, 0, 1], 2, { count: 2, windowMs: 10 })).toBe(0);
  });

  it('sliding-log never violates its own limit, whatever the requests', () => {
    fc.assert(
      fc.property(traceArb, limitArb, (trace, limit) => {
        const log = new SlidingLog(limit.count, limit.windowMs);
        const admitted: number[] = [];
        for (const t of trace) {
          if (log.admits(t)) {
            log.record(t);
            admitted.push(t);
          }
        }
        expect(quotaViolations(admitted, admitted.map(() => 0), 1, limit)).toBe(0);
      }),
    );
  });

  it('through the gateway: sliding-log reads 0, the published bucket counter over-admits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 20, max: 120 }), (keys, n, requests) => {
        const base = { workload: closed(requests, 8), keys: { ...scenario().keys, count: keys, limit: { count: n, windowMs: 1000 } } };
        const log = simulate(scenario(base), 'x').result.metrics;
        expect(log.quotaViolations).toBe(0);
        // Every admission is in the log.
        expect(Object.values(log.keys).reduce((a, k) => a + k.admitted, 0)).toBe(requests);
      }),
      { numRuns: 30 },
    );
    // limiter-comparison's published test: 67 keys at 3/min, 15 requests/s for 30 s. The counter
    // (6 buckets of 10 s, a key counted as available at < 3 in the current bucket only) admits
    // up to 3 per bucket: 450 admitted where 201 fit.
    const plan = parseScenario(
      `name: q
seed: 1
workload: { requests: 450, arrivals: { process: constant, rate: 15/s } }
keys: { count: 67, limit: 3/min, acquireTimeout: 0ms }
providers: [{ name: p, latency: { dist: constant, value: 100ms } }]
variants:
  - { name: queue, keys: { limiter: sliding-log } }
  - { name: bucket, keys: { limiter: bucket-published } }
`,
      'q.yaml',
    );
    const [queue, bucket] = plan.runs[0]!.variants.map((v) => simulate(v.scenario, v.name).result.metrics);
    expect(queue!.quotaViolations).toBe(0);
    expect(queue!.ok).toBe(201);
    // Each of its 450 admissions beyond the 201 a key's 3/min allow is a violation.
    expect(bucket!.ok).toBe(450);
    expect(bucket!.quotaViolations).toBe(249);
  });
});

describe('quota violations of a tokens limit, through the gateway', () => {
  it('sliding-log keeps its tokens limit exactly; a token bucket of a minute\'s burst does not', () => {
    const plan = parseScenario(
      `name: t
workload: { requests: 400, concurrency: 50, tokens: { prompt: 900, output: 100, maxTokens: 200 } }
keys: { count: 2, limit: { requests: 1000/min, tokens: 20000/min, charge: reserve } }
providers: [{ name: p, latency: { dist: constant, value: 100ms } }]
variants:
  - { name: log, keys: { limiter: sliding-log } }
  - { name: bucket, keys: { limiter: token-bucket } }
  - { name: prompt, keys: { limiter: sliding-log, limit: { requests: 1000/min, tokens: 20000/min, charge: prompt } } }
`,
      't.yaml',
    );
    const got = Object.fromEntries(plan.runs[0]!.variants.map((v) => [v.name, simulate(v.scenario, v.name).result.metrics]));
    expect(got.log!.ok).toBe(400);
    expect(got.log!.quotaViolations).toBe(0);
    // Full from the start, a bucket of 20,000 refills 20,000 more within the first minute: about
    // twice the 20 answers of 1,000 tokens a key's minute holds (reservations of 1,100 admit fewer).
    expect(got.bucket!.quotaViolations).toBeGreaterThan(20);
    // charge: prompt — what the limiter counted is not kept: not measured as violations.
    expect(got.prompt!.quotaViolations).toBe(0);
  });
});

describe('goodput and SLO attainment', () => {
  /**
   * One key at 2/s (sliding-log), 4 workers, 8 requests of 100 ms each, all sent at once. By hand:
   * r0, r1 admitted at 0 and done at 100 (latency 100 ms); r2, r3 wait for the window, admitted at
   * 1000, done at 1100 (1100 ms); r4, r5 sent at 100 by the first two workers, admitted at 2000,
   * done at 2100 (2000 ms); r6, r7 sent at 1100, admitted at 3000, done at 3100 (2000 ms).
   */
  const hand = (slo?: Slo) =>
    simulate(
      scenario({ workload: closed(8, 4), keys: { ...scenario().keys, limit: { count: 2, windowMs: 1000 } }, ...(slo ? { slo } : {}) }),
      'x',
    ).result.metrics;

  it('without SLOs goodput is the throughput of successes and attainment the success rate', () => {
    const m = hand();
    expect(m.totalTimeMs).toBe(3100);
    expect(m.goodputPerS).toBe(m.throughputPerS);
    expect(m.goodputPerS).toBeCloseTo(8 / 3.1, 4);
    expect(m.sloAttainment).toBe(1);
  });

  it('counts only the requests within every bound, over the same total time', () => {
    // Latency ≤ 1.5 s: r0–r3 (100, 100, 1100, 1100 ms).
    const m = hand({ latencyMs: 1500 });
    expect(m.goodputPerS).toBeCloseTo(4 / 3.1, 4);
    expect(m.sloAttainment).toBe(0.5);
    // A bound at a request's latency holds (≤); just below it does not.
    expect(hand({ latencyMs: 1100 }).sloAttainment).toBe(0.5);
    expect(hand({ latencyMs: 1099 }).sloAttainment).toBe(0.25);
    expect(hand({ latencyMs: 2000 }).sloAttainment).toBe(1);
  });

  it('bounds TTFT and TPOT where they are measured', () => {
    const plan = parseScenario(
      `name: s
workload: { requests: 10, concurrency: 2, tokens: { prompt: 100, output: 11 } }
providers: [{ name: p, serving: { ttft: 300ms, tpot: 20ms, maxSequences: 256 } }]
request: { stream: true }
variants:
  - { name: none }
  - { name: ttft ok, slo: { ttft: 300ms } }
  - { name: ttft short, slo: { ttft: 299ms } }
  - { name: tpot short, slo: { tpot: 19ms } }
  - { name: both ok, slo: { ttft: 1s, tpot: 20ms, latency: 1s } }
  - { name: latency short, slo: { latency: 499ms } }
  - { name: not streamed, request: { stream: false }, slo: { ttft: 299ms } }
`,
      's.yaml',
    );
    const got = Object.fromEntries(plan.runs[0]!.variants.map((v) => [v.name, simulate(v.scenario, v.name).result.metrics]));
    // Each answer: first token after 300 ms, then 10 more at 20 ms: 500 ms in all.
    expect(got.none!.ttftMs?.p99).toBe(300);
    expect(got.none!.latencyMs.max).toBe(500);
    expect(got['ttft ok']!.sloAttainment).toBe(1);
    expect(got['ttft short']!.sloAttainment).toBe(0);
    expect(got['ttft short']!.goodputPerS).toBe(0);
    expect(got['tpot short']!.sloAttainment).toBe(0);
    expect(got['both ok']!.sloAttainment).toBe(1);
    expect(got['both ok']!.goodputPerS).toBe(got.none!.throughputPerS);
    expect(got['latency short']!.sloAttainment).toBe(0);
    // An answer that did not stream has no TTFT: the bound does not apply to it.
    expect(got['not streamed']!.ttftMs?.p99).toBeNull();
    expect(got['not streamed']!.sloAttainment).toBe(1);
  });
});
