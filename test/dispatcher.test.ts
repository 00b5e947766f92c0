import { describe, expect, it } from 'vitest';
import { simulate } from '../src/modes/simulate.js';
import type { Keys, Scenario } from '../src/scenario/types.js';
import { closed, scenario } from './helpers/scenario.js';

const keys = (over: Partial<Keys>): Keys => ({ ...scenario().keys, ...over });

describe('the request path', () => {
  it('closed model with constant latency: total time and latency are exact', () => {
    const { metrics } = simulate(scenario({ workload: closed(100, 10) }), 'x').result;
    expect(metrics.totalTimeMs).toBe(1000);
    expect(metrics.latencyMs).toMatchObject({ mean: 100, min: 100, max: 100, p99: 100 });
    expect(metrics.throughputPerS).toBe(100);
    expect(metrics.successRate).toBe(1);
  });

  it('think time spaces a worker’s requests', () => {
    const s = scenario({ workload: { ...closed(10, 1), think: { dist: 'constant', value: 50 } } });
    expect(simulate(s, 'x').result.metrics.totalTimeMs).toBe(10 * 100 + 9 * 50);
  });

  it('a 3/min key admits three at once, then waits exactly for the window (notify)', () => {
    const s = scenario({ workload: closed(7, 7), keys: keys({ limit: { count: 3, windowMs: 60_000 } }) }, { latency: { dist: 'constant', value: 0 } });
    const { result, recorder } = simulate(s, 'x');
    expect(Array.from(recorder.end).sort((a, b) => a - b)).toEqual([0, 0, 0, 60_000, 60_000, 60_000, 120_000]);
    expect(result.metrics.limiter.entriesPeak).toBe(3);
    // Notify wakes exactly twice: at 60 s and at 120 s.
    expect(result.metrics.limiter.wakeups).toBe(2);
  });

  it('polling finds the same keys later and wastes checks doing it', () => {
    const limit = { count: 3, windowMs: 60_000 };
    const notify = simulate(scenario({ workload: closed(7, 7), keys: keys({ limit }) }, { latency: { dist: 'constant', value: 0 } }), 'n');
    const poll = simulate(
      scenario({ workload: closed(7, 7), keys: keys({ limit, wait: { mode: 'poll', intervalMs: 500 } }) }, { latency: { dist: 'constant', value: 0 } }),
      'p',
    );
    expect(poll.result.metrics.ok).toBe(7);
    expect(poll.result.metrics.limiter.wastedChecks).toBeGreaterThan(100 * notify.result.metrics.limiter.wastedChecks);
    expect(poll.result.metrics.totalTimeMs).toBeGreaterThanOrEqual(120_000);
  });

  it('exclusive keys serve one request at a time', () => {
    const s = scenario({ workload: closed(8, 4), keys: keys({ count: 2, exclusive: true }) });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.totalTimeMs).toBe(400);
    expect(metrics.providers.main!.busyPeak).toBe(2);
  });

  it('gives up when no key comes within acquireTimeout', () => {
    const s = scenario({ workload: closed(5, 5), keys: keys({ limit: { count: 1, windowMs: 60_000 }, acquireTimeoutMs: 1000 }) });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.outcomes.ok).toBe(1);
    expect(metrics.outcomes.gaveUp).toBe(4);
  });

  it('a provider 429 carries retry-after, and the retry honours it', () => {
    const s = scenario(
      { workload: closed(4, 4), retry: { attempts: 2, fallback: false, backoffMs: 0, maxBackoffMs: 0, jitter: 'none', on: ['rateLimited'] } },
      { limit: { count: 2, windowMs: 1000 } },
    );
    const { result, recorder } = simulate(s, 'x');
    expect(result.metrics.attemptOutcomes.rateLimited).toBe(2);
    expect(result.metrics.outcomes.ok).toBe(4);
    expect(Array.from(recorder.end).sort((a, b) => a - b)).toEqual([100, 100, 1100, 1100]);
    expect(result.metrics.phasesMs.retryWait.max).toBe(1000);
  });

  it('fresh connections beyond the provider’s cap fail; pooled ones wait for a connection', () => {
    const connect = { handshakeMs: 50, max: 2, timeoutMs: 0, lingerMs: 0 };
    const fresh = simulate(scenario({ workload: closed(5, 5), connections: 'fresh' }, { connect }), 'f').result.metrics;
    expect(fresh.outcomes.connectFailed).toBe(3);
    expect(fresh.connections.created).toBe(2);
    const pooled = simulate(scenario({ workload: closed(20, 5) }, { connect }), 'p').result.metrics;
    expect(pooled.connections.created).toBe(2);
    expect(pooled.outcomes.ok).toBe(20);
    expect(pooled.connections.reused).toBe(18);
    expect(pooled.connections.clientsCreated).toBe(1);
  });

  it('a new connection waits in the accept backlog for connect.timeout, then fails', () => {
    // 3 workers, 1 connection allowed, service 100 ms: the second waits 100 ms and gets in;
    // with a 50 ms backlog timeout the others fail at 50 ms instead.
    const wait = simulate(scenario({ workload: closed(3, 3), connections: 'fresh' }, { connect: { handshakeMs: 0, max: 1, timeoutMs: 1000, lingerMs: 0 } }), 'w');
    expect(wait.result.metrics.outcomes.ok).toBe(3);
    expect(Array.from(wait.recorder.end).sort((a, b) => a - b)).toEqual([100, 200, 300]);
    const short = simulate(scenario({ workload: closed(3, 3), connections: 'fresh' }, { connect: { handshakeMs: 0, max: 1, timeoutMs: 50, lingerMs: 0 } }), 's');
    expect(short.result.metrics.outcomes.connectFailed).toBe(2);
    expect(Array.from(short.recorder.end).sort((a, b) => a - b)).toEqual([50, 50, 100]);
  });

  it('an attempt that outlives the timeout ends as timeout and closes its connection', () => {
    const s = scenario({ workload: closed(3, 1) }, { latency: { dist: 'constant', value: 2000 }, timeoutMs: 500 });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.outcomes.timeout).toBe(3);
    expect(metrics.totalTimeMs).toBe(1500);
    expect(metrics.connections.created).toBe(3);
  });

  it('a 5xx is retried with backoff until attempts run out', () => {
    const s = scenario(
      { workload: closed(1, 1), retry: { attempts: 3, fallback: false, backoffMs: 100, maxBackoffMs: 1000, jitter: 'none', on: ['serverError'] } },
      { failure: 1 },
    );
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.attempts).toBe(3);
    expect(metrics.outcomes.serverError).toBe(1);
    // three services of 100 ms and backoffs of 100 and 200 ms
    expect(metrics.totalTimeMs).toBe(600);
  });

  it('round robin spreads attempts evenly over providers', () => {
    const base = scenario({ workload: closed(90, 9) });
    const p = base.providers[0]!;
    const s = { ...base, providers: [p, { ...p, name: 'b' }, { ...p, name: 'c' }] };
    const { metrics } = simulate(s, 'x').result;
    expect(Object.values(metrics.providers).map((x) => x.requests)).toEqual([30, 30, 30]);
  });
});

describe('determinism and random streams', () => {
  const lognormal = { dist: 'lognormal' as const, mu: Math.log(1000), sigma: 0.5 };
  const open = (requests: number): Scenario['workload'] => ({
    requests,
    concurrency: undefined,
    think: { dist: 'constant', value: 0 },
    arrivals: { process: 'poisson', perMs: 0.01 },
    clients: 10,
  });

  it('one seed gives identical results; another seed does not', () => {
    const s = scenario({ workload: open(2000), keys: keys({ count: 3, limit: { count: 5, windowMs: 1000 } }) }, { latency: lognormal, failure: 0.05 });
    const a = JSON.stringify(simulate(s, 'x').result);
    const b = JSON.stringify(simulate(s, 'x').result);
    const c = JSON.stringify(simulate({ ...s, seed: 2 }, 'x').result);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('adding a provider does not change the arrivals', () => {
    const one = scenario({ workload: open(500) }, { latency: lognormal });
    const two = { ...one, providers: [...one.providers, { ...one.providers[0]!, name: 'b' }] };
    const a = simulate(one, 'x').recorder.arrival;
    const b = simulate(two, 'x').recorder.arrival;
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
