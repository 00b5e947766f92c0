/**
 * What a 429 costs, as properties over every registered limiter (issue 18): a provider's 429 keeps
 * the client's charge and cools the key until the 429's retry-after, so against a provider quota of
 * the same size a limiter draws no more 429s than its own guarantee lets it past the provider's
 * window — never the 429s of no limiter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../src/core/outcome.js';
import { learns, limiterNames, type LimiterName } from '../src/limiters/index.js';
import type { Recorder } from '../src/metrics/recorder.js';
import { simulate } from '../src/modes/simulate.js';
import { runPlan } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';
import type { Rate, Scenario } from '../src/scenario/types.js';
import { scenario } from './helpers/scenario.js';

const fixed = limiterNames.filter((n) => !learns({ type: n, options: {} }));
const learning = limiterNames.filter((n) => learns({ type: n, options: {} }));

/** One key's world: the limiter at N per W, a provider enforcing N per W exactly, open arrivals. */
interface World {
  limit: Rate;
  keys: number;
  requests: number;
  /** Arrivals per window, as a multiple of N. */
  load: number;
  latencyMs: number;
  attempts: number;
  seed: number;
}

const worldArb: fc.Arbitrary<World> = fc.record({
  limit: fc.record({ count: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 100, max: 60_000 }) }),
  keys: fc.integer({ min: 1, max: 2 }),
  requests: fc.integer({ min: 10, max: 120 }),
  load: fc.double({ min: 0.3, max: 5, noNaN: true }),
  latencyMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
  attempts: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

function build(w: World, limiter: LimiterName, refused: 'counts' | 'free'): Scenario {
  const base = scenario(
    {
      seed: w.seed,
      workload: { requests: w.requests, concurrency: 1, think: { dist: 'constant', value: 0 }, arrivals: { process: 'poisson', perMs: (w.load * w.limit.count * w.keys) / w.limit.windowMs }, clients: 10 },
      retry: { attempts: w.attempts, fallback: false, backoffMs: 0, maxBackoffMs: 0, jitter: 'none', on: ['rateLimited'] },
    },
    { latency: { dist: 'constant', value: w.latencyMs }, limit: w.limit, refused },
  );
  const learnt = learns({ type: limiter, options: {} });
  return {
    ...base,
    keys: { ...base.keys, count: w.keys, limit: learnt ? undefined : w.limit, limiter: { type: limiter, options: {} }, acquireTimeoutMs: 3 * w.limit.windowMs },
  };
}

/** Per key: admission times, and the start of each attempt the provider answered 429 or accepted. */
function logOf(rec: Recorder, keys: number): { admitted: number[][]; refused: number[][]; accepted: number[][] } {
  const admitted = Array.from({ length: keys }, () => [] as number[]);
  const refused = Array.from({ length: keys }, () => [] as number[]);
  const accepted = Array.from({ length: keys }, () => [] as number[]);
  const at = rec.admissionAt.view();
  const ak = rec.admissionKey.view();
  for (let i = 0; i < at.length; i++) admitted[ak[i]!]!.push(at[i]!);
  const start = rec.attemptStart.view();
  const key = rec.attemptKey.view();
  const provider = rec.attemptProvider.view();
  const outcome = rec.attemptOutcome.view();
  for (let i = 0; i < start.length; i++) {
    if (provider[i]! < 0) continue; // rejected locally: never reached the provider
    if (outcome[i] === Outcome.rateLimited) refused[key[i]!]!.push(start[i]!);
    else accepted[key[i]!]!.push(start[i]!);
  }
  for (const l of [...admitted, ...refused, ...accepted]) l.sort((a, b) => a - b);
  return { admitted, refused, accepted };
}

/** Most of `times` in any closed interval [t, t + len]. */
function maxInClosed(times: readonly number[], len: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    if (j < i) j = i;
    while (j < times.length && times[j]! <= times[i]! + len) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('a 429 cools its key until the provider admits again (every limiter, fixed or learning)', () => {
  it.each([...fixed, ...learning])('%s: no admission on a key between its 429 and the retry-after', (limiter) => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { recorder } = simulate(build(w, limiter, 'free'), 'x');
        const { admitted, refused, accepted } = logOf(recorder, w.keys);
        const { count: n, windowMs } = w.limit;
        for (let k = 0; k < w.keys; k++) {
          for (const r of refused[k]!) {
            // The provider's exact window at r: the N-th most recent accepted request leaves it at +W.
            const before = accepted[k]!.filter((t) => t <= r);
            if (before.length < n) continue; // refused for another reason (never, with one quota): no claim
            const reopens = before[before.length - n]! + windowMs;
            const early = admitted[k]!.filter((t) => t > r && t < reopens - 1e-6);
            expect(early, `key ${k} admitted before the 429 at ${r} could clear (window reopens at ${reopens})`).toEqual([]);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('against a provider quota of the same size, 429s stay within what the limiter over-admits', () => {
  it.each(fixed)('%s: in any window W, 429s ≤ its most admissions in a window − N', (limiter) => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { recorder } = simulate(build(w, limiter, 'free'), 'x');
        const { admitted, refused } = logOf(recorder, w.keys);
        for (let k = 0; k < w.keys; k++) {
          const over = Math.max(0, maxInClosed(admitted[k]!, w.limit.windowMs) - w.limit.count);
          expect(maxInClosed(refused[k]!, w.limit.windowMs)).toBeLessThanOrEqual(over);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('an exact limiter (sliding-log) draws no 429, whether the provider counts refused requests or not', () => {
    fc.assert(
      fc.property(worldArb, fc.constantFrom('counts' as const, 'free' as const), (w, refused) => {
        const { result } = simulate(build(w, 'sliding-log', refused), 'x');
        expect(result.metrics.attemptOutcomes.rateLimited).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('token-bucket and gcra of burst N: at most N 429s in any window (their guarantee: N + N per W)', () => {
    fc.assert(
      fc.property(worldArb, fc.constantFrom('token-bucket' as const, 'gcra' as const), (w, limiter) => {
        const { recorder } = simulate(build(w, limiter, 'free'), 'x');
        const { refused } = logOf(recorder, w.keys);
        for (let k = 0; k < w.keys; k++) expect(maxInClosed(refused[k]!, w.limit.windowMs)).toBeLessThanOrEqual(w.limit.count);
      }),
      { numRuns: 40 },
    );
  });
});

describe('with sizes: a 429 keeps its reservation (it never comes back as if the request had not been sent)', () => {
  /** Tokens only: N requests' worth of prompt + max_tokens per W on both sides, charged reserve, answers shorter than max_tokens. */
  const sized = (w: World, limiter: LimiterName, refused: 'counts' | 'free', output: number): Scenario => {
    const s = build(w, limiter, refused);
    const charge = 100 + 50;
    const tokens = { count: w.limit.count * charge, windowMs: w.limit.windowMs };
    const mix = { prompt: { dist: 'constant' as const, value: 100 }, output: { dist: 'constant' as const, value: output }, maxTokens: { dist: 'constant' as const, value: 50 } };
    return {
      ...s,
      workload: { ...s.workload, tokens: mix },
      keys: { ...s.keys, limit: undefined, tokens, charge: 'reserve' },
      providers: [{ ...s.providers[0]!, limit: undefined, tokens, charge: 'reserve' }],
    };
  };
  const outputArb = fc.integer({ min: 1, max: 50 });

  it('token-bucket and gcra of burst N requests: at most N 429s in any window', () => {
    fc.assert(
      fc.property(worldArb, outputArb, fc.constantFrom('token-bucket' as const, 'gcra' as const), (w, output, limiter) => {
        const { recorder } = simulate(sized(w, limiter, 'free', output), 'x');
        const { refused } = logOf(recorder, w.keys);
        for (let k = 0; k < w.keys; k++) expect(maxInClosed(refused[k]!, w.limit.windowMs)).toBeLessThanOrEqual(w.limit.count);
      }),
      { numRuns: 40 },
    );
  });

  it('sliding-log draws no 429 against the same tokens quota', () => {
    fc.assert(
      fc.property(worldArb, outputArb, fc.constantFrom('counts' as const, 'free' as const), (w, output, refused) => {
        const { result } = simulate(sized(w, 'sliding-log', refused, output), 'x');
        expect(result.metrics.attemptOutcomes.rateLimited).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe('the scenario of issue 18 (tb-check)', () => {
  const results = runPlan(loadScenario('test/fixtures/ok/tb-check.yaml'));
  const m = (name: string) => results.runs[0]!.variants.find((v) => v.name === name)!.metrics;

  it('token-bucket and gcra hold back: under a tenth of the 429s of no limiter', () => {
    const none = m('none').attemptOutcomes.rateLimited;
    expect(none).toBeGreaterThan(1_000);
    for (const v of ['token-bucket', 'gcra']) {
      expect(m(v).attemptOutcomes.rateLimited, v).toBeLessThan(none / 10);
      expect(m(v).limiter.wastedChecks, v).toBeGreaterThan(0);
    }
    expect(m('sliding-log').attemptOutcomes.rateLimited).toBe(0);
  });
});

describe('a retry storm costs what it costs at the provider', () => {
  /** 20 keys on one organisation quota of 60/min, 10 arrivals a second, retried until they pass: each key waits out its own 429s, the quota is shared. */
  const storm = (refused: 'counts' | 'free') => {
    const base = scenario(
      {
        workload: { requests: 200, concurrency: 1, think: { dist: 'constant', value: 0 }, arrivals: { process: 'constant', perMs: 10 / 1000 }, clients: 10 },
        retry: { attempts: 100, fallback: false, backoffMs: 100, maxBackoffMs: 1000, jitter: 'none', on: ['rateLimited'] },
      },
      { latency: { dist: 'constant', value: 50 }, limit: { count: 60, windowMs: 60_000 }, scope: 'all', refused },
    );
    return simulate({ ...base, keys: { ...base.keys, count: 20 } }, 'x').result.metrics;
  };

  it('a provider that counts refused requests keeps its window full of them: the same storm takes longer', () => {
    const counts = storm('counts');
    const free = storm('free');
    expect(counts.ok).toBe(200);
    expect(free.ok).toBe(200);
    // Refused requests take room in the quota: below its 1 request/s, and a quarter longer than when they cost nothing.
    expect(counts.throughputPerS!).toBeLessThan(1);
    expect(counts.totalTimeMs!).toBeGreaterThan(1.2 * free.totalTimeMs!);
  });
});

describe('keys.cooldown: none (a client that ignores retry-after, as the seeds\' scripts do)', () => {
  it('hands a key out again at once after a 429, where the default waits for the retry-after', () => {
    const run = (cooldown: 'none' | undefined) => {
      const base = scenario(
        { workload: { requests: 40, concurrency: 4, think: { dist: 'constant', value: 0 }, arrivals: undefined, clients: 10 } },
        { latency: { dist: 'constant', value: 100 }, limit: { count: 2, windowMs: 60_000 } },
      );
      return simulate({ ...base, keys: { ...base.keys, ...(cooldown ? { cooldown } : {}) } }, 'x').result.metrics;
    };
    const cooled = run(undefined);
    const ignoring = run('none');
    // Ignoring retry-after: the workers burn through every request in 429s within a second.
    expect(ignoring.attemptOutcomes.rateLimited).toBe(38);
    expect(ignoring.totalTimeMs!).toBeLessThan(1_000);
    expect(ignoring.ok).toBe(2);
    // Cooling: each 429 holds the key until the minute has room, so requests wait for it instead:
    // a minute's 2 pass each time it opens (with no client limit, the other 2 workers' requests are refused).
    expect(cooled.attemptOutcomes.rateLimited).toBeLessThan(ignoring.attemptOutcomes.rateLimited);
    expect(cooled.ok).toBe(20);
  });
});
