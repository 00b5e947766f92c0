/**
 * The learning limiters' own properties (the window contract runs them under a ceiling in
 * every.test.ts): what each does with the answers it observes, and that a key pool wakes waiters
 * when a learnt limit rises.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choose } from '../../src/core/registry.js';
import { Outcome, type OutcomeCode } from '../../src/core/outcome.js';
import { createAdaptive, limiters } from '../../src/limiters/index.js';
import type { Adaptive, Figures } from '../../src/limiters/adaptive/adaptive.js';
import { Pacer } from '../../src/limiters/adaptive/pacer.js';
import { SreThrottle } from '../../src/limiters/adaptive/sre-throttle.js';
import { TokenBucket } from '../../src/limiters/token-bucket.js';
import { steppedWindow, type Stepped } from '../../src/limiters/stepped.js';
import { slidingLog } from '../../src/limiters/sliding-log.js';
import { KeyPool } from '../../src/keys/key-pool.js';
import type { Keys } from '../../src/scenario/types.js';
import { Engine } from '../../src/sim/engine.js';
import { stream } from '../../src/sim/random.js';

const learner = (name: 'aimd' | 'gradient' | 'sre-throttle' | 'headers', options: Record<string, unknown> = {}, random = () => 0.5): Adaptive =>
  createAdaptive(choose(limiters, name, options), { ceiling: undefined, ceilingRate: undefined, random })!;

const outcomeArb = fc.constantFrom<OutcomeCode>(Outcome.ok, Outcome.ok, Outcome.ok, Outcome.rateLimited, Outcome.serverError, Outcome.timeout);
/** Answers: increasing times, an outcome, a latency, the requests in flight. */
const answersArb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), outcome: outcomeArb, latency: fc.integer({ min: 1, max: 5_000 }), inFlight: fc.integer({ min: 0, max: 400 }) }), { maxLength: 200 });

describe('aimd', () => {
  it('stays within [minLimit, maxLimit] whatever it is told, and says "more" exactly when the limit rose', () => {
    fc.assert(
      fc.property(answersArb, fc.constantFrom('rate', 'concurrency'), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 60, max: 900 }), (answers, mode, min, max) => {
        const a = learner('aimd', { mode, minLimit: min, maxLimit: max, increase: 7, initialLimit: 100 });
        let t = 0;
        let before = a.believed(0);
        for (const x of answers) {
          t += x.gap;
          a.admitted(t);
          const more = a.observe(t, x.outcome, x.latency, 0, undefined, x.inFlight);
          if (mode === 'rate') {
            const now = a.believed(t);
            expect(now).toBeGreaterThanOrEqual(min);
            expect(now).toBeLessThanOrEqual(max);
            expect(more).toBe(now > before);
            before = now;
          } else {
            expect(a.maxInFlight).toBeGreaterThanOrEqual(Math.max(1, Math.floor(min)));
            expect(a.maxInFlight).toBeLessThanOrEqual(max);
          }
        }
      }),
    );
  });

  it('multiplies by backoffRatio on a 429 or 5xx, once per window, and adds `increase` after a window that held', () => {
    const a = learner('aimd', { initialLimit: 100, backoffRatio: 0.5, increase: 10, window: '1s' });
    a.observe(0, Outcome.rateLimited, 10, 0, undefined, 0);
    expect(a.believed(0)).toBe(50);
    a.observe(500, Outcome.serverError, 10, 0, undefined, 0);
    expect(a.believed(500)).toBe(50); // the same window: one signal
    a.observe(1000, Outcome.rateLimited, 10, 0, undefined, 0);
    expect(a.believed(1000)).toBe(25);
    // A window of successes, using at least half of what 25/min allows in it: +10.
    for (let i = 0; i < 3; i++) a.admitted(1000 + i);
    a.observe(1500, Outcome.ok, 10, 0, undefined, 0);
    expect(a.believed(1500)).toBe(25);
    expect(a.observe(2001, Outcome.ok, 10, 0, undefined, 0)).toBe(true);
    expect(a.believed(2001)).toBe(35);
  });

  it('does not raise a limit nobody used (application limited)', () => {
    const a = learner('aimd', { initialLimit: 600, increase: 10, window: '1s' });
    for (let t = 0; t <= 10_000; t += 500) a.observe(t, Outcome.ok, 10, 0, undefined, 0);
    expect(a.believed(10_000)).toBe(600);
  });

  it('paces admissions at its limit in rate mode: at most burst + rate·T in any interval', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 300 }), (limit, burst, gaps) => {
        const w = learner('aimd', { initialLimit: limit, burst }).window!;
        let t = 0;
        const admitted: number[] = [];
        for (const g of gaps) {
          t += g;
          if (w.admits(t)) {
            w.record(t);
            admitted.push(t);
          }
        }
        for (let i = 0; i < admitted.length; i++) {
          for (let j = i; j < admitted.length; j++) expect(j - i + 1).toBeLessThanOrEqual(burst + ((admitted[j]! - admitted[i]!) * limit) / 60_000 + 1e-9);
        }
      }),
    );
  });
});

describe('gradient', () => {
  it('stays within [minLimit, maxConcurrency] whatever it is told', () => {
    fc.assert(
      fc.property(answersArb, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 20, max: 300 }), (answers, min, max) => {
        const a = learner('gradient', { minLimit: min, maxConcurrency: max });
        let t = 0;
        for (const x of answers) {
          t += x.gap;
          a.observe(t, x.outcome, x.latency, 0, undefined, x.inFlight);
          expect(a.maxInFlight).toBeGreaterThanOrEqual(min);
          expect(a.maxInFlight).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  it('grows by its queue allowance while latency holds and the key is busy; shrinks when latency doubles', () => {
    const a = learner('gradient', { initialLimit: 20, smoothing: 1, queueSize: 4 });
    for (let i = 0; i < 20; i++) a.observe(i, Outcome.ok, 100, 0, undefined, a.maxInFlight);
    // gradient 1 with smoothing 1: limit + 4 per answer once busy, capped by maxConcurrency (200).
    expect(a.maxInFlight).toBe(Math.min(200, 20 + 4 * 20));
    const busy = a.maxInFlight;
    a.observe(100, Outcome.ok, 1_000, 0, undefined, busy);
    // latency ×10: the gradient is clamped at 0.5 → limit·0.5 + 4.
    expect(a.maxInFlight).toBe(Math.floor(busy * 0.5 + 4));
  });

  it('leaves the limit alone while the key uses less than half of it', () => {
    const a = learner('gradient', { initialLimit: 40 });
    for (let i = 0; i < 50; i++) a.observe(i, Outcome.ok, 100, 0, undefined, 5);
    expect(a.maxInFlight).toBe(40);
  });

  it('a 429 multiplies the limit by backoffRatio', () => {
    const a = learner('gradient', { initialLimit: 100, backoffRatio: 0.5 });
    a.observe(0, Outcome.rateLimited, 0, 0, undefined, 100);
    expect(a.maxInFlight).toBe(50);
  });
});

describe('sre-throttle', () => {
  it('rejects with probability max(0, (requests − K·accepts) / (requests + 1)) over its window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 5_000 }), accepted: fc.boolean() }), { maxLength: 200 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        (events, K) => {
          const windowMs = 60_000;
          const s = new SreThrottle({ K, window: windowMs }, undefined, () => 0.5);
          const width = windowMs / 60;
          let t = 0;
          const log: { t: number; accepted: boolean }[] = [];
          for (const e of events) {
            t += e.gap;
            // Reference: requests and accepts in the buckets of the last window (60 buckets of window / 60).
            const bucket = Math.floor(t / width);
            const inWindow = log.filter((x) => Math.floor(x.t / width) > bucket - 60);
            const requests = inWindow.length;
            const accepts = inWindow.filter((x) => x.accepted).length;
            expect(s.rejectProbability(t)).toBeCloseTo(Math.max(0, (requests - K * accepts) / (requests + 1)), 9);
            s.admitted(t);
            if (e.accepted) s.observe(t, Outcome.ok);
            else s.observe(t, Outcome.rateLimited);
            log.push({ t, accepted: e.accepted });
          }
        },
      ),
    );
  });

  it('draws its rejections from the stream it is given: the same seed rejects the same requests', () => {
    const run = (): boolean[] => {
      const s = learner('sre-throttle', {}, stream(7, 'keys'));
      return Array.from({ length: 200 }, (_, i) => {
        const r = s.admitted(i * 10);
        s.observe(i * 10, i % 4 === 0 ? Outcome.ok : Outcome.rateLimited, 1, 0, undefined, 0);
        return r;
      });
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.filter(Boolean).length).toBeGreaterThan(50);
  });
});

/** A provider's x-ratelimit figures from its window (what the mock provider says). */
function figuresOf(w: TokenBucket, now: number): Figures {
  const remaining = w.remaining(now);
  return {
    promptTokens: NaN, outputTokens: NaN,
    limitRequests: w.capacity(), remainingRequests: remaining, resetRequestsMs: w.resetAt(now) - now,
    limitTokens: NaN, remainingTokens: NaN, resetTokensMs: NaN,
  };
}

describe('headers', () => {
  it('knows nothing in advance: before any answer it holds nothing back', () => {
    const a = learner('headers');
    expect(a.window!.admits(0)).toBe(true);
    expect(Number.isNaN(a.believed(0))).toBe(true);
  });

  it('against a provider that refills continuously, it sends nearly the whole quota and gets almost no 429s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1_200 }), fc.integer({ min: 10, max: 200 }), fc.integer({ min: 50, max: 2_000 }), (perMin, burst, latency) => {
        const provider = new TokenBucket(perMin, 60_000, burst);
        const a = learner('headers');
        const w = a.window!;
        const engine = new Engine();
        let ok = 0;
        let refused = 0;
        // Before the first answer it knows nothing: what it sends then is the demand, not its doing.
        let informed = false;
        const kAnswer = engine.on((status) => {
          const now = engine.now();
          informed = true;
          a.observe(now, status as OutcomeCode, latency, status === Outcome.rateLimited ? provider.nextAdmitAt(now) - now : 0, figuresOf(provider, now), 0);
        });
        // A demand of 3× the quota for 5 minutes, every 20 ms: the key sends whenever its gate admits.
        const kTry = engine.on(() => {
          const now = engine.now();
          if (w.admits(now)) {
            w.record(now);
            const yes = provider.admits(now);
            if (yes) {
              provider.record(now);
              ok++;
            } else if (informed) refused++;
            engine.after(latency, kAnswer, yes ? Outcome.ok : Outcome.rateLimited);
          }
          if (now < 300_000) engine.after(Math.min(20, 60_000 / perMin / 3), kTry, 0);
        });
        engine.at(0, kTry, 0);
        engine.run();
        const quota = burst + (perMin * 300_000) / 60_000;
        expect(ok).toBeGreaterThan(0.95 * quota);
        expect(ok).toBeLessThanOrEqual(quota + 1);
        expect(refused).toBeLessThanOrEqual(Math.max(2, 0.01 * ok));
      }),
      { numRuns: 25 },
    );
  });

  it('takes off what another tenant uses of a shared quota', () => {
    const provider = new TokenBucket(600, 60_000, 60);
    const a = learner('headers');
    const w = a.window!;
    const engine = new Engine();
    let tenant = 0;
    const kTenant = engine.on(() => {
      provider.record(engine.now()); // 120/min, counted whatever
      tenant++;
      engine.after(500, kTenant, 0);
    });
    const kAnswer = engine.on((status) => {
      const now = engine.now();
      a.observe(now, status as OutcomeCode, 100, 0, figuresOf(provider, now), 0);
    });
    const kTry = engine.on(() => {
      const now = engine.now();
      if (w.admits(now)) {
        w.record(now);
        const yes = provider.admits(now);
        if (yes) provider.record(now);
        engine.after(100, kAnswer, yes ? Outcome.ok : Outcome.rateLimited);
      }
      if (now < 240_000) engine.after(20, kTry, 0);
    });
    engine.at(0, kTenant, 0);
    engine.at(0, kTry, 0);
    engine.runUntil(() => engine.now() >= 240_000);
    // 600/min less the tenant's 120: it believes about 480/min.
    expect(a.believed(240_000)).toBeGreaterThan(480 * 0.9);
    expect(a.believed(240_000)).toBeLessThan(480 * 1.1);
    expect(tenant).toBeGreaterThan(400);
  });

  it('waits out a 429’s retry-after', () => {
    const a = learner('headers');
    a.observe(1_000, Outcome.rateLimited, 10, 5_000, undefined, 0);
    expect(a.window!.admits(5_999)).toBe(false);
    expect(a.window!.nextAdmitAt(1_000)).toBe(6_000);
  });
});

describe('pacer', () => {
  it('a new rate applies from the moment it is set; the level so far is kept', () => {
    const p = new Pacer(1 / 1000, 1);
    p.record(0);
    expect(p.nextAdmitAt(0)).toBe(1000);
    p.setRate(500, 1 / 100, 1);
    // half a token by 500 ms, then 0.5 more at 1/100 per ms: 50 ms later.
    expect(p.nextAdmitAt(500)).toBeCloseTo(550, 9);
  });
});

describe('a quota that steps', () => {
  it('each period decides alone, starting empty at its step; nextAdmitAt looks across a step', () => {
    const w = steppedWindow({ count: 2, windowMs: 60_000 }, [{ atMs: 10_000, requests: { count: 1, windowMs: 60_000 } }], (r) => slidingLog(r, {})) as Stepped;
    w.record(0);
    w.record(1);
    expect(w.admits(5_000)).toBe(false);
    expect(w.remaining(5_000)).toBe(0);
    expect(w.capacity()).toBe(2);
    // Full until 60 s in the first period; the second starts empty at 10 s.
    expect(w.nextAdmitAt(5_000)).toBe(10_000);
    expect(w.admits(10_000)).toBe(true);
    expect(w.capacity()).toBe(1);
    w.record(10_000);
    expect(w.admits(20_000)).toBe(false);
    expect(w.nextAdmitAt(20_000)).toBe(70_000);
  });
});

describe('key pool', () => {
  const keys = (type: 'aimd' | 'sre-throttle', options: Record<string, unknown>): Keys => ({
    count: 1, limit: undefined, limiter: choose(limiters, type, options), choice: 'least-used',
    exclusive: false, wait: { mode: 'notify' }, acquireTimeoutMs: Infinity, guardMs: 0,
  });

  it('a learnt concurrency limit that rises at an answer lets one more waiter go than the release alone', () => {
    const e = new Engine();
    const granted: number[] = [];
    const spec = keys('aimd', { mode: 'concurrency', initialLimit: 1, increase: 1, window: '1s' });
    const p = new KeyPool(spec, e, stream(1, 'keys'), { granted: (w) => granted.push(w), gaveUp: () => {} });
    expect(p.acquire(0)).toBe(0);
    expect(p.rejects(0)).toBe(false);
    for (const w of [1, 2, 3]) expect(p.acquire(w)).toBe(-1);
    const kAnswer = e.on(() => {
      p.ended(0, 0, { outcome: Outcome.ok, sent: true, used: 0, latencyMs: 100, retryAfterMs: 0, usage: undefined, charged: 0 });
    });
    e.at(100, kAnswer, 0);
    e.run();
    // Within the first window: the release lets one waiter go, the limit stays 1.
    expect(granted).toEqual([1]);
    e.at(1_200, kAnswer, 0);
    e.run();
    // The answer ends a window that held the key at its limit: 1 → 2 in flight, so two waiters go.
    expect(granted).toEqual([1, 2, 3]);
  });

  it('counts sre-throttle rejections as local', () => {
    const e = new Engine();
    const spec = keys('sre-throttle', { K: 1 });
    const p = new KeyPool(spec, e, stream(1, 'keys'), { granted: () => {}, gaveUp: () => {} });
    let rejected = 0;
    for (let i = 0; i < 100; i++) {
      expect(p.acquire(i)).toBe(0);
      if (p.rejects(0)) rejected++;
      else p.ended(i, 0, { outcome: Outcome.rateLimited, sent: true, used: 0, latencyMs: 1, retryAfterMs: 0, usage: undefined, charged: 0 });
    }
    expect(rejected).toBeGreaterThan(50);
    expect(p.stats.localRejects).toBe(rejected);
  });
});
