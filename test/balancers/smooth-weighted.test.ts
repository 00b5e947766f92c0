import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { context } from '../../src/balancers/balancer.js';
import { Outcome } from '../../src/core/outcome.js';
import { SmoothWeighted } from '../../src/balancers/smooth-weighted.js';
import { balancerContract } from './contract.js';

balancerContract('smooth-weighted', { maxFails: 3 });

const names = (seq: number[]): string => seq.map((p) => 'abcdefgh'[p]).join('');
const picks = (b: SmoothWeighted, k: number): number[] => Array.from({ length: k }, () => b.pick());

/** The `003_*` document's Rust: the same passes, but `max_by_key` keeps the LAST maximum. */
function rustSequence(weights: number[], k: number): number[] {
  const current = weights.map(() => 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! >= current[best]!) best = i;
    }
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

describe('smooth-weighted', () => {
  it("reference vector (nginx): a=5, b=1, c=1 picks a a b a c a a, and repeats", () => {
    const b = new SmoothWeighted(context([5, 1, 1], Math.random), 1);
    expect(names(picks(b, 7))).toBe('aabacaa');
    expect(names(picks(b, 7))).toBe('aabacaa');
    expect(b.state(0).current).toBe(0);
  });

  it("differs from the 003 document's Rust on ties: max_by_key keeps the last maximum", () => {
    expect(names(rustSequence([5, 1, 1], 7))).toBe('aacabaa');
    expect(names(rustSequence([1, 1], 4))).toBe('baba');
    expect(names(picks(new SmoothWeighted(context([1, 1], Math.random), 1), 4))).toBe('abab');
  });

  it('over every full cycle each provider is picked exactly its weight times, then the cycle repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 6 }), (weights) => {
        const b = new SmoothWeighted(context(weights, Math.random), 1);
        const total = weights.reduce((a, c) => a + c, 0);
        const first = picks(b, total);
        const count = weights.map(() => 0);
        for (const p of first) count[p]!++;
        expect(count).toEqual(weights);
        expect(picks(b, total)).toEqual(first);
      }),
    );
  });

  it("a failure lowers the effective weight by weight/maxFails, and each pass brings it back by 1 (nginx)", () => {
    // a=2, b=1, maxFails 1: a's failure takes its effective weight to 0.
    const b = new SmoothWeighted(context([2, 1], Math.random), 1);
    b.finished(0, Outcome.serverError, 10, 0);
    expect(b.state(0).effective).toBe(0);
    // pass 1: a adds 0 (then recovers to 1), b adds 1 → b. pass 2: a adds 1 (→ 2) and ties b → a (earlier).
    expect(names(picks(b, 2))).toBe('ba');
    expect(b.state(0).effective).toBe(2);
    expect(names(picks(b, 2))).toBe('ba');
    // back to the ordinary cycle a b a
    expect(names(picks(b, 6))).toBe('abaaba');
  });

  it('floors the effective weight at 0 and uses integer division as nginx', () => {
    const b = new SmoothWeighted(context([5, 1], Math.random), 2);
    b.finished(0, Outcome.timeout, 10, 0);
    expect(b.state(0).effective).toBe(3); // 5 - trunc(5/2)
    b.finished(0, Outcome.connectFailed, 10, 0);
    b.finished(0, Outcome.connectFailed, 10, 0);
    expect(b.state(0).effective).toBe(0);
    // weight 1, maxFails 2: 1/2 = 0 in nginx's integers, so it never drops.
    b.finished(1, Outcome.serverError, 10, 0);
    expect(b.state(1).effective).toBe(1);
  });

  it('a 429, a success or maxFails 0 does not lower the effective weight', () => {
    const b = new SmoothWeighted(context([3, 1], Math.random), 1);
    b.finished(0, Outcome.rateLimited, 10, 0);
    b.finished(0, Outcome.ok, 10, 0);
    expect(b.state(0).effective).toBe(3);
    const off = new SmoothWeighted(context([3, 1], Math.random), 0);
    off.finished(0, Outcome.serverError, 10, 0);
    expect(off.state(0).effective).toBe(3);
  });

  it('an unhealthy provider is left out of the pass and keeps its current weight', () => {
    const ctx = context([1, 1, 1], Math.random);
    const b = new SmoothWeighted(ctx, 1);
    ctx.healthy[0] = 0;
    expect(names(picks(b, 4))).toBe('bcbc');
    expect(b.state(0).current).toBe(0);
  });
});
