import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../src/core/outcome.js';
import { KeyPool, type AttemptEnd } from '../src/keys/key-pool.js';
import { Engine } from '../src/sim/engine.js';
import { stream } from '../src/sim/random.js';
import type { Keys } from '../src/scenario/types.js';

/** An attempt that ended well (no sizes: the waiter's id does not matter). */
const ok: AttemptEnd = { outcome: Outcome.ok, sent: true, used: 0, latencyMs: 0, retryAfterMs: 0, usage: undefined, charged: 0 };

const spec = (over: Partial<Keys>): Keys => ({
  count: 3,
  limit: undefined,
  limiter: { type: 'sliding-log', options: {} },
  choice: 'least-used',
  exclusive: false,
  wait: { mode: 'notify' },
  acquireTimeoutMs: Infinity,
  guardMs: 0,
  ...over,
});

function pool(over: Partial<Keys>): { e: Engine; p: KeyPool; granted: [number, number, number][] } {
  const e = new Engine();
  const granted: [number, number, number][] = [];
  const p = new KeyPool(spec(over), e, stream(1, 'keys'), {
    granted: (w, k) => granted.push([w, k, e.now()]),
    gaveUp: () => {},
  });
  return { e, p, granted };
}

describe('key pool', () => {
  it('least-used takes the key with the fewest admissions, ties to the first', () => {
    const { p } = pool({});
    expect([p.acquire(0), p.acquire(1), p.acquire(2), p.acquire(3)]).toEqual([0, 1, 2, 0]);
  });

  it('round-robin cycles through admissible keys', () => {
    const { p } = pool({ choice: 'round-robin' });
    expect([0, 1, 2, 3, 4].map((w) => p.acquire(w))).toEqual([0, 1, 2, 0, 1]);
  });

  it('random spreads over all keys and is reproducible', () => {
    const a = pool({ choice: 'random' }).p;
    const b = pool({ choice: 'random' }).p;
    const xs = Array.from({ length: 300 }, (_, i) => a.acquire(i));
    expect(Array.from({ length: 300 }, (_, i) => b.acquire(i))).toEqual(xs);
    for (const k of [0, 1, 2]) expect(xs.filter((x) => x === k).length).toBeGreaterThan(70);
  });

  it('exclusive keys are busy until released, and a release wakes the first waiter (notify)', () => {
    const { p, granted } = pool({ count: 1, exclusive: true });
    expect(p.acquire(0)).toBe(0);
    expect(p.acquire(1)).toBe(-1);
    expect(p.acquire(2)).toBe(-1);
    p.ended(0, 0, ok);
    expect(granted).toEqual([[1, 0, 0]]);
    p.ended(0, 0, ok);
    expect(granted).toEqual([
      [1, 0, 0],
      [2, 0, 0],
    ]);
  });

  it('never admits more than N per key in any window, whatever the arrivals (notify)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (gaps, n, keys) => {
          const e = new Engine();
          const admissions: number[][] = Array.from({ length: keys }, () => []);
          const p = new KeyPool(spec({ count: keys, limit: { count: n, windowMs: 10_000 } }), e, stream(1, 'k'), {
            granted: (_w, k) => admissions[k]!.push(e.now()),
            gaveUp: () => {},
          });
          const k = e.on((w) => {
            const key = p.acquire(w);
            if (key >= 0) admissions[key]!.push(e.now());
          });
          let t = 0;
          gaps.forEach((g, i) => e.at((t += g), k, i));
          e.run();
          // Every request is eventually admitted (no timeout), exactly once.
          expect(admissions.flat().length).toBe(gaps.length);
          for (const times of admissions) {
            for (let i = n; i < times.length; i++) expect(times[i]! - times[i - n]!).toBeGreaterThanOrEqual(10_000);
          }
        },
      ),
    );
  });
});
