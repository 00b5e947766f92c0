/**
 * Limits nobody told the client, through the scenario: quotas that step, other tenants on a shared
 * quota, the provider model on the wall clock (what `gatesim serve` runs), validation of the new
 * fields, and what results.json says (local rejections, believed against true, oracle share).
 */
import { describe, expect, it } from 'vitest';
import { Outcome } from '../src/core/outcome.js';
import { blankUsage, type ReplySink } from '../src/providers/port.js';
import { MockProvider } from '../src/providers/mock.js';
import { runPlan } from '../src/run.js';
import { parseScenario } from '../src/scenario/load.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { Engine } from '../src/sim/engine.js';
import { stream } from '../src/sim/random.js';
import { WallClock } from '../src/sim/wall-clock.js';
import { scenario } from './helpers/scenario.js';

const BASE = `name: a
workload: { requests: 600, arrivals: { process: constant, rate: 10/s } }
keys: { count: 1, acquireTimeout: 5s }
providers:
  - name: p
    latency: 200ms
`;
const parse = (text: string) => parseScenario(text, 's.yaml');
const problems = (text: string): string[] => {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines;
    throw e;
  }
  return [];
};

const sink = (replies: number[]): ReplySink => ({ reply: (_t, o) => replies.push(o), started: () => {}, live: () => true });

describe('a provider whose quota steps', () => {
  it('answers by the period in force: its x-ratelimit-limit moves at the step and the new period starts empty', () => {
    const p = scenario({}, { limit: { count: 3, windowMs: 60_000 }, steps: [{ atMs: 10_000, requests: { count: 1, windowMs: 60_000 } }] }).providers[0]!;
    const e = new Engine();
    const replies: number[] = [];
    const m = new MockProvider(p, 1, e, stream(1, 'p'), sink(replies), { sized: false, stream: false, figures: true });
    const kSend = e.on((t) => m.send(t, 0));
    for (const t of [0, 1, 2, 3, 5_000, 10_000, 10_001]) e.at(t, kSend, t + 1);
    e.run();
    // 3 in the first period (the 4th and the one at 5 s refused), then 1 in the second (fresh).
    expect(replies.filter((o) => o === Outcome.ok)).toHaveLength(4);
    expect(replies.filter((o) => o === Outcome.rateLimited)).toHaveLength(3);
    expect(m.quotaOf(0, blankUsage()).limitRequests).toBe(1);
  });

  it('counts another tenant’s requests in a shared quota, admitted or not', () => {
    const p = scenario({}, {
      limit: { count: 10, windowMs: 60_000 }, scope: 'all',
      tenants: [{ perMs: 1 / 1000, fromMs: 0, toMs: 5_000 }],
    }).providers[0]!;
    const e = new Engine();
    const replies: number[] = [];
    const m = new MockProvider(p, 1, e, stream(1, 'p'), sink(replies), { sized: false, stream: false, figures: true });
    const kSend = e.on((t) => m.send(t, 0));
    for (let i = 0; i < 10; i++) e.at(6_000 + i, kSend, i + 1);
    e.run();
    // The tenant sent at 0, 1, 2, 3, 4 s: 5 of the 10 are gone, so 5 of ours pass.
    expect(m.tenantRequests).toEqual({ sent: 5, over: 0 });
    expect(replies.filter((o) => o === Outcome.ok)).toHaveLength(5);
  });

  it('steps on the wall clock too (gatesim serve runs this model): the figures change when the step comes', async () => {
    const p = scenario({}, { limit: { count: 600, windowMs: 60_000 }, steps: [{ atMs: 40, requests: { count: 200, windowMs: 60_000 } }] }).providers[0]!;
    const clock = new WallClock(1);
    const m = new MockProvider(p, 1, clock, stream(1, 'p'), sink([]), { sized: false, stream: false, figures: true });
    expect(m.quotaOf(0, blankUsage()).limitRequests).toBe(600);
    // Wait for the step as an event on the same clock (a timer may fire a fraction of a ms early: it re-arms), then read the figures.
    const after = await new Promise<number>((resolve) => {
      const k = clock.on(() => (clock.now() >= 40 ? resolve(m.quotaOf(0, blankUsage()).limitRequests) : clock.at(40, k, 0)));
      clock.at(40, k, 0);
    });
    clock.stop();
    expect(after).toBe(200);
  });
});

describe('validation', () => {
  it('refuses a learning limiter as a provider’s algorithm, tenants without a shared quota, steps out of order', () => {
    expect(problems(`${BASE}    limit: { requests: 60/min, algorithm: aimd }\n`)).toEqual([
      expect.stringContaining('providers.0.limit.algorithm: expected a fixed limiter for a provider\'s quota (not one that learns: aimd | gradient | sre-throttle | headers), got "aimd"'),
    ]);
    expect(problems(`${BASE}    limit: 60/min\n    tenants: [{ rate: 10/min, to: 1m }]\n`)).toEqual([
      expect.stringContaining('providers.0.tenants: expected limit: { requests, scope: all } with tenants'),
    ]);
    expect(problems(`${BASE}    limit: { requests: 60/min, steps: [{ at: 2m, requests: 10/min }, { at: 1m, requests: 20/min }] }\n`)).toEqual([
      expect.stringContaining('providers.0.limit.steps.1.at: expected a time after the step before (120000ms), got 60000ms'),
    ]);
  });

  it('bounds the options of the learning limiters and a tenant’s requests', () => {
    const keys = (limiter: string) => BASE.replace('keys: { count: 1, acquireTimeout: 5s }', `keys: { count: 1, limiter: ${limiter} }`);
    expect(problems(keys('{ type: aimd, backoffRatio: 1 }'))).toEqual([expect.stringContaining('keys.limiter.backoffRatio: expected a number from 0.01 to 0.99')]);
    expect(problems(keys('{ type: aimd, minLimit: 10, maxLimit: 5 }'))).toEqual([expect.stringContaining('keys.limiter.minLimit: expected minLimit ≤ maxLimit, got 10 > 5')]);
    expect(problems(keys('{ type: sre-throttle, window: 59ms }'))).toEqual([expect.stringContaining('keys.limiter.window: expected a duration of at least 60ms')]);
    expect(problems(keys('{ type: gradient, smoothing: 0 }'))).toEqual([expect.stringContaining('keys.limiter.smoothing: expected a number above 0 and at most 1')]);
    expect(problems(`${BASE}    limit: { requests: 60/min, scope: all }\n    tenants: [{ rate: 1000/s, to: 8760h }]\n`)).toEqual([
      expect.stringContaining('providers.0.tenants.0.rate: expected rate × (to − from) ≤ 10000000 requests'),
    ]);
  });

  it('refuses a learning limiter on the shared Redis store (it learns from this process’s answers)', () => {
    const text = BASE.replace('keys: { count: 1, acquireTimeout: 5s }', 'keys: { count: 1, limiter: headers, store: { redis: "redis://127.0.0.1:6379" } }');
    expect(problems(text)).toEqual([expect.stringContaining("keys.limiter: expected keys.store: memory with a limiter that learns")]);
  });
});

describe('results', () => {
  const run = (keys: string, extra = '') => runPlan(parse(`${BASE.replace('keys: { count: 1, acquireTimeout: 5s }', keys)}    limit: { requests: 20/10s, scope: all, steps: [{ at: 30s, requests: 10/10s }] }\n${extra}`));

  it('a local rejection is a 429 attempt with no provider, counted apart from the provider’s', () => {
    const r = run('keys: { count: 1, limiter: sre-throttle, acquireTimeout: 5s }');
    const m = r.runs[0]!.variants[0]!.metrics;
    const local = m.adaptive!.localRejects!;
    expect(local).toBeGreaterThan(0);
    expect(m.attemptOutcomes.rateLimited).toBe(m.providers.p!.rateLimited + local);
    expect(m.limiter.localRejects).toBe(local);
  });

  it('draws the true rate and the belief per bucket, and says when the belief converged', () => {
    const r = run('keys: { count: 1, limiter: headers, acquireTimeout: 5s }');
    const v = r.runs[0]!.variants[0]!;
    const a = v.series.adaptive!;
    expect(a.truePerMin[0]).toBe(120);
    expect(a.truePerMin[a.truePerMin.length - 1]).toBe(60);
    expect(a.believedPerMin).toHaveLength(v.series.t.length);
    expect(a.byKey['key-1']).toEqual(a.believedPerMin);
    expect(v.metrics.adaptive!.changes.map((c) => [c.atMs, c.truePerMin])).toEqual([[0, 120], [30_000, 60]]);
    expect(v.metrics.adaptive!.learns).toBe(true);
  });

  it('a fixed limit told the truth believes it; the others get their throughput as a share of the oracle’s', () => {
    const variants = `variants:
  - { name: oracle, oracle: true, keys: { limit: { requests: 20/10s, steps: [{ at: 30s, requests: 10/10s }] } } }
  - { name: low, keys: { limit: 5/10s } }
`;
    const r = run('keys: { count: 1, acquireTimeout: 5s }', variants);
    const [oracle, low] = r.runs[0]!.variants;
    expect(oracle!.oracle).toBe(true);
    expect(oracle!.metrics.oracleShare).toBeUndefined();
    expect(oracle!.metrics.adaptive!.changes.every((c) => c.convergedAfterMs === 0)).toBe(true);
    expect(oracle!.metrics.adaptive!.longestAboveMs).toBe(0);
    expect(low!.metrics.oracleShare).toBeCloseTo(low!.metrics.throughputPerS! / oracle!.metrics.throughputPerS!, 4);
    expect(low!.metrics.adaptive!.changes.every((c) => c.convergedAfterMs === null)).toBe(true);
  });

  it('a scenario with fixed limits and an unchanging quota has no adaptive section', () => {
    const r = runPlan(parse(`${BASE}    limit: 60/min\n`));
    expect(r.runs[0]!.variants[0]!.metrics.adaptive).toBeUndefined();
    expect(r.runs[0]!.variants[0]!.series.adaptive).toBeUndefined();
  });
});
