import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rate } from '../src/core/units.js';
import { Recorder } from '../src/metrics/recorder.js';
import { rankIndex, weightedQuantiles } from '../src/metrics/stats.js';
import { tokenSeries } from '../src/metrics/tokens.js';
import { simulate } from '../src/modes/simulate.js';
import type { Provider, Scenario, TokenMix } from '../src/scenario/types.js';
import type { Serving } from '../src/providers/spec.js';
import { closed, scenario } from './helpers/scenario.js';

const constant = (value: number) => ({ dist: 'constant' as const, value });
const mix = (prompt: number, output: number, maxTokens?: number): TokenMix => ({
  prompt: constant(prompt),
  output: constant(output),
  maxTokens: maxTokens === undefined ? undefined : constant(maxTokens),
});
const perMin = (count: number): Rate => ({ count, windowMs: 60_000 });
const serving = (over: { ttft?: Partial<Serving['ttft']>; tpot?: Partial<Serving['tpot']>; maxSequences?: number }): Serving => ({
  ttft: { base: 0, perPromptToken: 0, perSequence: 0, ...over.ttft },
  tpot: { base: 0, perSequence: 0, ...over.tpot },
  maxSequences: over.maxSequences ?? 1_000,
});

/** A sized scenario: `n` requests from `workers` workers, streamed, against one provider. */
function sized(n: number, workers: number, tokens: TokenMix, provider: Partial<Provider>, over: Partial<Scenario> = {}): Scenario {
  const base = scenario({ workload: { ...closed(n, workers), tokens }, ...over }, provider);
  return { ...base, request: { ...base.request, stream: true }, ...(over.request ? { request: over.request } : {}) };
}

describe('the serving model', () => {
  it('time to first token is prefill, the answer ends output − 1 tokens of tpot later', () => {
    const s = sized(1, 1, mix(1_000, 101), { capacity: 1_000, serving: serving({ ttft: { base: 50, perPromptToken: 0.1 }, tpot: { base: 20 } }) });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.ttftMs).toEqual({ mean: 150, p50: 150, p90: 150, p99: 150 });
    expect(metrics.tpotMs?.p50).toBe(20);
    expect(metrics.itlMs).toEqual({ mean: 20, p50: 20, p90: 20, p99: 20 });
    expect(metrics.latencyMs.max).toBe(150 + 100 * 20);
    expect(metrics.tokens).toEqual({ prompt: 1_000, output: 101, reservedUnused: 0, perS: { prompt: 465.116, output: 46.977, total: 512.093 } });
  });

  it('tpot grows with the sequences running, counted when each request gets its slot', () => {
    const s = sized(4, 4, mix(10, 11), { capacity: 1_000, serving: serving({ tpot: { base: 10, perSequence: 5 } }) });
    const { recorder } = simulate(s, 'x');
    // The four start at 0 one after another: they see 1, 2, 3, 4 sequences running.
    expect(Array.from(recorder.tokens!.tpot).sort((a, b) => a - b)).toEqual([15, 20, 25, 30]);
    // ITL over the gaps: ten per answer, each its tpot.
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.itlMs).toEqual({ mean: 22.5, p50: 20, p90: 30, p99: 30 });
  });

  it('beyond maxSequences a request waits for a slot, and its time to first token includes the wait', () => {
    const s = sized(2, 2, mix(0, 2), { capacity: 1, serving: serving({ ttft: { base: 100 }, tpot: { base: 50 }, maxSequences: 1 }) });
    const { recorder } = simulate(s, 'x');
    expect(Array.from(recorder.tokens!.ttft).sort((a, b) => a - b)).toEqual([100, 250]);
  });

  it('answers that do not stream have no time to first token (the client sees only the whole answer)', () => {
    const s = sized(3, 1, mix(5, 5), { capacity: 8, serving: serving({ ttft: { base: 10 }, tpot: { base: 10 } }) });
    const { metrics } = simulate({ ...s, request: { ...s.request, stream: false } }, 'x').result;
    expect(metrics.ttftMs).toEqual({ mean: null, p50: null, p90: null, p99: null });
    expect(metrics.itlMs?.mean).toBeNull();
    expect(metrics.latencyMs.p50).toBe(50);
    expect(metrics.tokens?.output).toBe(15);
  });
});

describe("a provider's quotas", () => {
  it('a tokens quota charged prompt + max_tokens refuses what would pass it, says so, and is corrected to use', () => {
    // 800 reserved per request against 1,000/min: the second of two at once gets a 429 from the tokens quota.
    const s = sized(2, 2, mix(300, 100, 500), { tokens: perMin(1_000), charge: 'reserve', refused: 'free' });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.rateLimitedBy).toEqual({ requests: 0, tokens: 1, concurrent: 0 });
    expect(metrics.attemptOutcomes.rateLimited).toBe(1);
    expect(metrics.ok).toBe(1);
    // x-ratelimit: the 429 came at once (200 left of 1,000); the last answer, the success, after its 800 were settled to 400.
    expect(metrics.reportedQuota?.['key-1']).toMatchObject({ limitTokens: 1_000, remainingTokens: 600, limitRequests: null });
  });

  it('a refused request still counts (refused: counts, the default, as OpenAI documents): its 800 stay in the window', () => {
    const s = sized(2, 2, mix(300, 100, 500), { tokens: perMin(1_000), charge: 'reserve' });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.attemptOutcomes.rateLimited).toBe(1);
    expect(metrics.ok).toBe(1);
    // 400 used by the success and the refused request's 800: 1,200 counted of 1,000, nothing left.
    expect(metrics.reportedQuota?.['key-1']).toMatchObject({ limitTokens: 1_000, remainingTokens: 0 });
  });

  it('with retries honouring retry-after, every request gets through once the window has room', () => {
    const retry = { attempts: 5, fallback: false, backoffMs: 0, maxBackoffMs: 0, jitter: 'none' as const, on: ['rateLimited' as const] };
    const s = sized(3, 3, mix(300, 100, 500), { tokens: perMin(1_000), charge: 'reserve' }, { retry });
    const { metrics, series } = simulate(s, 'x').result;
    expect(metrics.ok).toBe(3);
    expect(metrics.rateLimitedBy!.tokens).toBe(metrics.attemptOutcomes.rateLimited);
    // Each key's window never holds more than the limit, by admission time.
    const byKey = series.tokens!.keyWindow!.byKey['key-1']!;
    expect(Math.max(...byKey)).toBeLessThanOrEqual(1_000);
  });

  it('a concurrency quota refuses the requests beyond it with no retry-after', () => {
    const s = sized(4, 4, mix(1, 1), { concurrent: 2 });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.rateLimitedBy).toEqual({ requests: 0, tokens: 0, concurrent: 2 });
    expect(metrics.ok).toBe(2);
  });

  it('scope all: one quota for every key of the organisation', () => {
    const keys = { ...scenario().keys, count: 2 };
    const perKey = sized(4, 4, mix(1, 1), { limit: perMin(2) }, { keys });
    const shared = sized(4, 4, mix(1, 1), { limit: perMin(2), scope: 'all' }, { keys });
    expect(simulate(perKey, 'k').result.metrics.ok).toBe(4);
    expect(simulate(shared, 'a').result.metrics.ok).toBe(2);
    expect(simulate(shared, 'a').result.metrics.rateLimitedBy?.requests).toBe(2);
  });

  it('a provider with a token bucket lets a burst through that an exact window of the same rate refuses', () => {
    const exact = sized(6, 6, mix(1, 1), { limit: perMin(3) });
    const bucket = sized(6, 6, mix(1, 1), { limit: perMin(3), algorithm: { type: 'token-bucket', options: { burst: 6 } } });
    expect(simulate(exact, 'e').result.metrics.ok).toBe(3);
    expect(simulate(bucket, 'b').result.metrics.ok).toBe(6);
  });

  it('the 429s by quota add up to the attempts answered 429 (no throttle faults)', () => {
    fc.assert(
      fc.property(
        fc.record({
          requests: fc.integer({ min: 1, max: 20 }),
          tokens: fc.integer({ min: 200, max: 5_000 }),
          concurrent: fc.integer({ min: 1, max: 8 }),
          workers: fc.integer({ min: 1, max: 12 }),
          attempts: fc.integer({ min: 1, max: 3 }),
          scope: fc.constantFrom('key', 'all'),
        }),
        (c) => {
          const retry = { attempts: c.attempts, fallback: false, backoffMs: 100, maxBackoffMs: 1_000, jitter: 'full' as const, on: ['rateLimited' as const] };
          const tokens: TokenMix = { prompt: { dist: 'uniform', min: 10, max: 400 }, output: { dist: 'uniform', min: 1, max: 200 }, maxTokens: constant(200) };
          const s = sized(40, c.workers, tokens, {
            limit: { count: c.requests, windowMs: 10_000 }, tokens: { count: c.tokens, windowMs: 10_000 }, charge: 'reserve', concurrent: c.concurrent,
            ...(c.scope === 'all' ? { scope: 'all' as const } : {}),
          }, { retry, keys: { ...scenario().keys, count: 2 } });
          const m = simulate(s, 'x').result.metrics;
          const by = m.rateLimitedBy!;
          expect(by.requests + by.tokens + by.concurrent).toBe(m.attemptOutcomes.rateLimited);
          expect(m.requests).toBe(40);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('client-side token quotas', () => {
  it('a key pool with the same requests + tokens quota as the provider collects no 429s where a request-only pool does', () => {
    const provider = { limit: perMin(100), tokens: perMin(2_000), charge: 'reserve' as const };
    const requestOnly = sized(20, 4, mix(300, 100, 300), provider, { keys: { ...scenario().keys, limit: perMin(100) } });
    const both = sized(20, 4, mix(300, 100, 300), provider, { keys: { ...scenario().keys, limit: perMin(100), tokens: perMin(2_000), charge: 'reserve' } });
    const a = simulate(requestOnly, 'r').result.metrics;
    const b = simulate(both, 'b').result.metrics;
    expect(a.rateLimitedBy!.tokens).toBeGreaterThan(0);
    expect(b.rateLimitedBy).toEqual({ requests: 0, tokens: 0, concurrent: 0 });
    expect(b.ok).toBe(20);
    // Reserved 600, used 400: each request leaves 200 reserved and unused.
    expect(b.tokens!.reservedUnused).toBe(20 * 200);
  });

  it('a scenario without sizes has no token figures at all', () => {
    const { result } = simulate(scenario(), 'x');
    expect(result.metrics.tokens).toBeUndefined();
    expect(result.metrics.rateLimitedBy).toBeUndefined();
    expect(result.series.tokens).toBeUndefined();
    expect(result.ttftCdf).toBeUndefined();
  });
});

describe('token statistics', () => {
  it('weighted percentiles equal those of the samples written out', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 60 }), (pairs) => {
        const values = Float64Array.from(pairs, (p) => p[0]);
        const counts = Float64Array.from(pairs, (p) => p[1]);
        const expanded = pairs.flatMap(([v, c]) => Array<number>(c).fill(v)).sort((a, b) => a - b);
        const ps = [0, 1, 50, 90, 99, 100];
        const got = weightedQuantiles(values, counts, ps);
        ps.forEach((p, i) => expect(got[i]).toBe(expanded.length ? expanded[rankIndex(expanded.length, p)] : NaN));
        // inputs untouched
        expect(Array.from(values)).toEqual(pairs.map((p) => p[0]));
      }),
    );
  });

  it("each key's window series equals a brute-force sum over the trailing window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 9_999 }), key: fc.integer({ min: 0, max: 2 }), tokens: fc.integer({ min: 1, max: 500 }) }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 12_000 }),
        fc.constantFrom(100, 250, 1_000),
        (entries, windowMs, bucketMs) => {
          const rec = new Recorder(1, 3, true);
          for (const e of entries) rec.used(e.key, e.at, e.tokens);
          const buckets = Math.floor(10_000 / bucketMs) + 1;
          const s = tokenSeries(rec, rec.tokens!, ['a', 'b', 'c'], bucketMs, buckets, { count: 1_000, windowMs });
          for (let b = 0; b < buckets; b++) {
            const end = (b + 1) * bucketMs;
            ['a', 'b', 'c'].forEach((name, k) => {
              const want = entries.filter((e) => e.key === k && e.at < end && e.at >= end - windowMs).reduce((x, e) => x + e.tokens, 0);
              expect(s.keyWindow!.byKey[name]![b]).toBe(want);
            });
          }
        },
      ),
    );
  });
});
