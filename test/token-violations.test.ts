/**
 * Token quota violations read the tokens log in admission order through each entry's admission
 * ordinal (no sort): the same count as a brute force over the log sorted by admission time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenViolations } from '../src/metrics/quota.js';
import { simulate } from '../src/modes/simulate.js';
import type { Scenario } from '../src/scenario/types.js';
import { scenario } from './helpers/scenario.js';

/** Admissions (by time) whose key's charged tokens in the window ending at them, themselves included, pass T. */
function bruteForce(at: Float64Array, key: Int32Array, tokens: Float64Array, T: number, W: number): number {
  const idx = Array.from(at, (_, i) => i).sort((a, b) => at[a]! - at[b]! || a - b);
  let n = 0;
  for (const j of idx) {
    let held = 0;
    for (const i of idx) if (key[i] === key[j] && at[i]! + W > at[j]! && at[i]! <= at[j]!) held += tokens[i]!;
    if (held > T) n++;
  }
  return n;
}

describe('token quota violations', () => {
  it('equal a brute force over the charged tokens by admission time (token-bucket over-admits; poisson times are distinct)', () => {
    let over = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 2, max: 6 }), fc.constantFrom('token-bucket', 'gcra', 'fixed-window', 'sliding-log'), (seed, perWindow, limiter) => {
        const base = scenario(
          {
            seed,
            workload: {
              requests: 120, concurrency: 1, think: { dist: 'constant', value: 0 }, clients: 10,
              arrivals: { process: 'poisson', perMs: (3 * perWindow) / 10_000 },
              tokens: { prompt: { dist: 'uniform', min: 50, max: 150 }, output: { dist: 'uniform', min: 1, max: 50 }, maxTokens: { dist: 'constant', value: 50 } },
            },
          },
          { latency: { dist: 'constant', value: 200 } },
        );
        const T = perWindow * 200;
        const s: Scenario = { ...base, keys: { ...base.keys, count: 2, tokens: { count: T, windowMs: 10_000 }, charge: 'reserve', limiter: { type: limiter, options: {} } } };
        const { recorder } = simulate(s, 'x');
        const t = recorder.tokens!;
        const got = tokenViolations(recorder, 2, { tokens: { count: T, windowMs: 10_000 }, charge: 'reserve' });
        expect(got).toBe(bruteForce(t.usedAt.view(), t.usedKey.view(), t.usedTokens.view(), T, 10_000));
        if (limiter === 'sliding-log') expect(got).toBe(0);
        if (got > 0) over++;
      }),
      { numRuns: 40 },
    );
    // Not a comparison of zeros: the bursting limiters over-admit in some of the runs.
    expect(over).toBeGreaterThan(0);
  });
});
