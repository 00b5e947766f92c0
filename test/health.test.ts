import { describe, expect, it } from 'vitest';
import { failureRateUpdate as failureRateStep } from '../src/balancers/ewma.js';
import { simulate } from '../src/modes/simulate.js';
import type { Fault, Health, Provider, Scenario } from '../src/scenario/types.js';
import { closed, scenario } from './helpers/scenario.js';

const none: Health = { passive: undefined, cooldown: undefined, breaker: undefined, active: undefined };
const fault = (kind: Fault['kind'], atMs: number, forMs: number, over: Record<string, number> = {}): Fault =>
  ({ atMs, forMs, kind, ...(kind === 'slow' ? { factor: 10 } : kind === 'down' ? {} : { rate: 1 }), ...over }) as Fault;

/** Two providers a and b (100 ms), round robin, closed workload. */
function two(over: Partial<Scenario>, a: Partial<Provider> = {}, b: Partial<Provider> = {}): Scenario {
  const base = scenario({ workload: closed(200, 2), ...over });
  const p = base.providers[0]!;
  return { ...base, providers: [{ ...p, name: 'a', ...a }, { ...p, name: 'b', ...b }] };
}

describe("002's failure-rate rule", () => {
  it('success halves the rate and snaps below 0.01 to 0; failure moves it 10% towards 1', () => {
    expect(failureRateStep(0.5, true)).toBe(0.25);
    expect(failureRateStep(0.015, true)).toBe(0);
    expect(failureRateStep(0, false)).toBeCloseTo(0.1);
    expect(failureRateStep(0.9, false)).toBeCloseTo(0.91);
    // Seven failures in a row from 0: 1 − 0.9^7 = 0.522 > 0.5 — the seventh marks it unavailable.
    let r = 0;
    for (let i = 0; i < 6; i++) r = failureRateStep(r, false);
    expect(r).toBeLessThan(0.5);
    expect(failureRateStep(r, false)).toBeGreaterThan(0.5);
  });

  it('marks a failing provider unavailable and, as the document, never brings it back', () => {
    const s = two({ health: { ...none, passive: { threshold: 0.5, recoverMs: Infinity } } }, { faults: [fault('errors', 0, 1000)] });
    const { metrics } = simulate(s, 'x').result;
    // a fails 7 times (round robin gives it every other attempt), then b takes everything.
    expect(metrics.providers.a!.failed).toBe(7);
    expect(metrics.providers.b!.requests).toBe(200 - 7);
    expect(metrics.providers.a!.unhealthyMs).toBe(metrics.totalTimeMs! - 700);
  });

  it('with recover, the provider comes back after that long', () => {
    const s = two({ health: { ...none, passive: { threshold: 0.5, recoverMs: 2000 } } }, { faults: [fault('errors', 0, 1000)] });
    const { metrics } = simulate(s, 'x').result;
    expect(metrics.providers.a!.requests).toBeGreaterThan(50);
    expect(metrics.providers.a!.unhealthyMs).toBeGreaterThanOrEqual(2000);
  });
});

describe('cooldown, breaker, active checks', () => {
  it('cooldown: 3 failures within a minute take a provider out for 30 s', () => {
    const s = two(
      { workload: closed(1000, 2), health: { ...none, cooldown: { fails: 3, windowMs: 60_000, forMs: 30_000 } } },
      { faults: [fault('errors', 0, 1_000)] },
    );
    const { metrics, series } = simulate(s, 'x').result;
    expect(metrics.providers.a!.failed).toBe(3);
    expect(metrics.providers.a!.unhealthyMs).toBeCloseTo(30_000, -1);
    expect(Math.min(...series.providers.a!.healthy)).toBe(0);
  });

  it('breaker: opens after N failures in a row, probes once half-open, closes on success', () => {
    const s = two(
      { workload: closed(1000, 1), health: { ...none, breaker: { failures: 5, openMs: 2000, probes: 1 } } },
      { faults: [fault('errors', 0, 3000)] },
    );
    const { metrics } = simulate(s, 'x').result;
    // 5 failures open it (at 0.9 s); the probe at 2.9 s fails (fault lasts to 3 s) and reopens it;
    // the probe at 4.9 s succeeds and closes it.
    expect(metrics.providers.a!.failed).toBe(6);
    expect(metrics.providers.a!.unhealthyMs).toBeGreaterThanOrEqual(4000);
    expect(metrics.providers.a!.ok).toBeGreaterThan(100);
  });

  it('active checks find a down provider, add load, and bring it back when it recovers', () => {
    const s = two(
      { workload: closed(2000, 2), health: { ...none, active: { intervalMs: 1000, costMs: 100, timeoutMs: 500 } } },
      { faults: [fault('down', 5_000, 10_000)] },
    );
    const { metrics, series } = simulate(s, 'x').result;
    // One check a second over the ~100 s run.
    expect(metrics.providers.a!.checks).toBeGreaterThanOrEqual(95);
    // Down 5–15 s; detected at the first check after 5 s, back at the first check after 15 s.
    expect(metrics.providers.a!.unhealthyMs).toBeGreaterThan(9_000);
    expect(metrics.providers.a!.unhealthyMs).toBeLessThanOrEqual(11_000);
    expect(series.providers.a!.healthy.some((h) => h < 1)).toBe(true);
  });

  it('with every provider unhealthy, attempts end unavailable', () => {
    const base = scenario({ workload: closed(20, 1), health: { ...none, breaker: { failures: 1, openMs: 60_000, probes: 1 } } }, { failure: 1 });
    const { metrics } = simulate(base, 'x').result;
    expect(metrics.outcomes.serverError).toBe(1);
    expect(metrics.outcomes.unavailable).toBe(19);
  });
});

describe('faults and fallback', () => {
  it('slow multiplies latency while it lasts', () => {
    const s = scenario({ workload: closed(20, 1) }, { faults: [fault('slow', 0, 500, { factor: 5 })] });
    const { recorder } = simulate(s, 'x');
    // First request: 500 ms (slow); then 100 ms each.
    expect(recorder.end[0]).toBe(500);
    expect(recorder.end[1]).toBe(600);
  });

  it('throttle answers 429 with retry-after until the fault ends', () => {
    const s = scenario(
      { workload: closed(1, 1), retry: { attempts: 2, fallback: false, backoffMs: 0, maxBackoffMs: 0, jitter: 'none', on: ['rateLimited'] } },
      { faults: [fault('throttle', 0, 3000)] },
    );
    const { recorder, result } = simulate(s, 'x');
    expect(result.metrics.attemptOutcomes.rateLimited).toBe(1);
    expect(recorder.end[0]).toBe(3100);
  });

  it('down refuses connections', () => {
    const s = scenario({ workload: closed(10, 1) }, { faults: [fault('down', 0, 10_000)] });
    expect(simulate(s, 'x').result.metrics.outcomes.connectFailed).toBe(10);
  });

  it('fallback sends the retry to another provider', () => {
    // Two workers: a retry of a's failure finds round robin's cursor back on a; fallback skips it.
    const retry = { attempts: 2, fallback: true, backoffMs: 0, maxBackoffMs: 0, jitter: 'none' as const, on: ['serverError' as const] };
    const withFallback = simulate(two({ workload: closed(100, 2), retry }, { failure: 1 }), 'f').result.metrics;
    const without = simulate(two({ workload: closed(100, 2), retry: { ...retry, fallback: false } }, { failure: 1 }), 'n').result.metrics;
    expect(withFallback.outcomes.ok).toBe(100);
    expect(without.outcomes.serverError).toBeGreaterThan(0);
  });
});
