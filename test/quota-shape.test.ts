/**
 * Quotas as providers enforce them (issue 18): `quantum` — the same limit over a shorter period, as
 * OpenAI quantises 60,000/min to 1,000/s — and a request larger than a quota can ever admit,
 * refused at once ("Request too large") by the key pool and by the provider, never waiting at the
 * head of a queue and never retried.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../src/core/outcome.js';
import { KeyPool, TOO_LARGE, WAIT } from '../src/keys/key-pool.js';
import { createWindow } from '../src/limiters/index.js';
import { Quota, quantumRate } from '../src/limiters/quota.js';
import { simulate } from '../src/modes/simulate.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { parseScenario } from '../src/scenario/load.js';
import type { Keys, Scenario } from '../src/scenario/types.js';
import { Engine } from '../src/sim/engine.js';
import { stream } from '../src/sim/random.js';
import { closed, scenario } from './helpers/scenario.js';

const accepted = (s: Scenario): number[] => {
  const { recorder } = simulate(s, 'x');
  const start = recorder.attemptStart.view();
  const out = recorder.attemptOutcome.view();
  const times: number[] = [];
  for (let i = 0; i < start.length; i++) if (out[i] === Outcome.ok) times.push(start[i]!);
  return times.sort((a, b) => a - b);
};

/** Most of `times` in any half-open [t, t + len). */
const most = (times: number[], len: number): number => {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j]! < times[i]! + len) j++;
    best = Math.max(best, j - i);
  }
  return best;
};

describe('quantum', () => {
  it('scales the count to the quantum, rounded down (60,000/min → 1,000/s; 500/min → 8/s)', () => {
    expect(quantumRate({ count: 60_000, windowMs: 60_000 }, 1_000)).toEqual({ count: 1_000, windowMs: 1_000 });
    expect(quantumRate({ count: 500, windowMs: 60_000 }, 1_000)).toEqual({ count: 8, windowMs: 1_000 });
    expect(quantumRate({ count: 600, windowMs: 60_000 }, 10_000)).toEqual({ count: 100, windowMs: 10_000 });
  });

  it('a quota with a quantum admits at most the scaled count in any quantum, and the full count per window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 20 }),
        fc.constantFrom(1_000, 5_000, 10_000),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
        (perQuantum, quantumMs, gaps) => {
          const limit = { count: perQuantum * (60_000 / quantumMs), windowMs: 60_000 };
          const algorithm = { type: 'sliding-log' as const, options: {} };
          const q = new Quota(createWindow(algorithm, limit), undefined, Infinity, createWindow(algorithm, quantumRate(limit, quantumMs)));
          const admitted: number[] = [];
          let t = 0;
          for (const g of gaps) {
            t += g;
            if (q.admits(t, 0)) {
              q.record(t, 0);
              admitted.push(t);
            } else expect(q.nextAdmitAt(t, 0)).toBeGreaterThan(t);
          }
          expect(most(admitted, quantumMs)).toBeLessThanOrEqual(perQuantum);
          expect(most(admitted, 60_000)).toBeLessThanOrEqual(limit.count);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a provider quantised to 10 per second refuses a burst its minute allows; a client with the same quantum gets no 429', () => {
    const burst = (client: Keys['limit'], quantumMs: number | undefined): Scenario => {
      const base = scenario({ workload: closed(300, 50) }, { latency: { dist: 'constant', value: 10 }, limit: { count: 600, windowMs: 60_000 }, quantumMs: 1_000 });
      return { ...base, keys: { ...base.keys, limit: client, ...(quantumMs ? { quantumMs } : {}) } };
    };
    const plain = burst(undefined, undefined);
    expect(most(accepted(plain), 1_000)).toBeLessThanOrEqual(10);
    expect(simulate(plain, 'x').result.metrics.attemptOutcomes.rateLimited).toBeGreaterThan(0);
    // Told only the minute, the client bursts into the quantum; told the quantum too, it keeps both.
    const minuteOnly = simulate(burst({ count: 600, windowMs: 60_000 }, undefined), 'x').result.metrics;
    expect(minuteOnly.attemptOutcomes.rateLimited).toBeGreaterThan(0);
    const both = simulate(burst({ count: 600, windowMs: 60_000 }, 1_000), 'x').result.metrics;
    expect(both.attemptOutcomes.rateLimited).toBe(0);
    expect(both.ok).toBe(300);
  });

  const errorsOf = (text: string): string => {
    try {
      parseScenario(text, 's.yaml');
    } catch (e) {
      if (e instanceof ScenarioError) return e.lines.join('\n');
      throw e;
    }
    throw new Error('expected a ScenarioError');
  };

  it('is validated: shorter than the window, long enough for one, not beside steps', () => {
    const file = (limit: string) => `name: q\nproviders:\n  - name: p\n    latency: 1s\n    limit: ${limit}\n`;
    expect(errorsOf(file('{ requests: 600/min, quantum: 1m }'))).toMatch(/s\.yaml:5:\d+: providers\.0\.limit\.quantum: expected a quantum shorter than the requests window \(60000ms\), got 60000ms/);
    expect(errorsOf(file('{ requests: 6/min, quantum: 1s }'))).toMatch(/expected a quantum long enough to admit one of 6 requests per 60000ms \(at least 10000ms\), got 1000ms/);
    expect(errorsOf(file('{ requests: 600/min, steps: [{ at: 1m, requests: 60/min }], quantum: 1s }'))).toMatch(/expected no quantum beside steps/);
    expect(errorsOf(file('{ requests: 1000000/min, quantum: 0.5ms }'))).toMatch(/expected a quantum of at least 1ms, got 0.5ms/);
    const ok = parseScenario(`workload: { requests: 10, tokens: { prompt: 10, output: 10 } }\n${file('{ requests: 600/min, tokens: 60000/min, quantum: 1s, refused: free }')}`, 's.yaml').runs[0]!.variants[0]!.scenario;
    expect(ok.providers[0]).toMatchObject({ quantumMs: 1_000, refused: 'free' });
    expect(errorsOf(`keys:\n  limit: { requests: 60/min, refused: free }\n${file('10/min')}`)).toMatch(/keys\.limit/);
  });
});

describe('a request too large for a quota', () => {
  const keys = (over: Partial<Keys>): Keys => ({
    count: 1, limit: undefined, limiter: { type: 'sliding-log', options: {} }, choice: 'least-used', exclusive: false,
    wait: { mode: 'notify' }, acquireTimeoutMs: 300_000, guardMs: 0, ...over,
  });

  it('the key pool refuses it at once (TOO_LARGE), and the request behind it is admitted', () => {
    const p = new KeyPool(keys({ tokens: { count: 1_000, windowMs: 60_000 }, charge: 'reserve' }), new Engine(), stream(1, 'keys'), { granted: () => {}, gaveUp: () => {} });
    expect(p.acquire(0, 5_000, 100)).toBe(TOO_LARGE);
    expect(p.acquire(1, 600, 100)).toBe(0);
    expect(p.acquire(2, 600, 100)).toBe(WAIT);
    // Charged only what it is sent with: prompt (charge: prompt) fits where prompt + max_tokens would not.
    const q = new KeyPool(keys({ tokens: { count: 1_000, windowMs: 60_000 }, charge: 'prompt' }), new Engine(), stream(1, 'keys'), { granted: () => {}, gaveUp: () => {} });
    expect(q.acquire(0, 900, 500)).toBe(0);
  });

  it('never blocks the queue: 20 requests, 5 workers, some above the key quota — those end at once, nobody gives up', () => {
    // Prompts 200…5,000 tokens against 1,000 tokens/min per key: before, the first large one waited at the head for 300 s with everyone behind it.
    const base = scenario({ workload: { ...closed(20, 5), tokens: { prompt: { dist: 'uniform', min: 200, max: 5_000 }, output: { dist: 'constant', value: 10 }, maxTokens: { dist: 'constant', value: 10 } } } });
    const s: Scenario = { ...base, keys: { ...base.keys, count: 4, tokens: { count: 1_000, windowMs: 60_000 }, charge: 'reserve' } };
    const { result, recorder } = simulate(s, 'x');
    const m = result.metrics;
    expect(m.outcomes.gaveUp).toBe(0);
    expect(m.outcomes.tooLarge).toBeGreaterThan(0);
    expect(m.outcomes.ok + m.outcomes.tooLarge).toBe(20);
    for (let i = 0; i < 20; i++) {
      if (recorder.outcome[i] === Outcome.tooLarge) expect(recorder.end[i]! - recorder.arrival[i]!).toBe(0);
    }
    // Sent: never an attempt for a request the pool refused.
    expect(m.attempts).toBe(m.outcomes.ok);
  });

  it('the provider answers it at once with tooLarge, never retried, counting nothing', () => {
    const base = scenario(
      {
        workload: { ...closed(3, 1), tokens: { prompt: { dist: 'constant', value: 5_000 }, output: { dist: 'constant', value: 10 }, maxTokens: { dist: 'constant', value: 10 } } },
        retry: { attempts: 5, fallback: false, backoffMs: 0, maxBackoffMs: 0, jitter: 'none', on: ['rateLimited', 'serverError'] },
      },
      { tokens: { count: 1_000, windowMs: 60_000 }, charge: 'reserve' },
    );
    const m = simulate(base, 'x').result.metrics;
    expect(m.outcomes.tooLarge).toBe(3);
    expect(m.attempts).toBe(3);
    expect(m.attemptOutcomes.tooLarge).toBe(3);
    expect(m.totalTimeMs).toBe(0);
  });
});
