import type { Results, RunResult, VariantResult } from '../../src/metrics/results.js';

const outcomes = (ok: number, rateLimited = 0, serverError = 0, connectFailed = 0) => ({
  ok,
  rateLimited,
  serverError,
  timeout: 0,
  connectFailed,
  gaveUp: 0,
  unavailable: 0,
  tooLarge: 0,
});

const phase = (mean: number) => ({ mean, p50: mean, p99: mean, max: mean });

/**
 * A small hand-made variant: 4 buckets of 500 ms, two keys, two providers. Numbers are chosen so
 * a test can say what a chart must contain without running the simulator.
 */
export function variant(
  name: string,
  o: { ok: number; rateLimited?: number; latency?: number; unhealthy?: boolean; share?: [number, number]; fault?: boolean } = { ok: 4 },
): VariantResult {
  const latency = o.latency ?? 1000;
  // Attempts sent to alpha and beta.
  const [alpha, beta] = o.share ?? [3, 1];
  const v = {
    name,
    metrics: {
      requests: o.ok + (o.rateLimited ?? 0),
      attempts: o.ok + (o.rateLimited ?? 0),
      ok: o.ok,
      failed: o.rateLimited ?? 0,
      outcomes: outcomes(o.ok, o.rateLimited ?? 0),
      attemptOutcomes: outcomes(o.ok, o.rateLimited ?? 0),
      successRate: o.ok / (o.ok + (o.rateLimited ?? 0)),
      throughputPerS: o.ok / 2,
      quotaViolations: 0,
      totalTimeMs: 2000,
      latencyMs: { mean: latency, min: latency / 2, max: latency * 2, p50: latency, p90: latency * 1.5, p99: latency * 2 },
      phasesMs: { keyWait: phase(100), providerQueue: phase(0), connect: phase(150), service: phase(latency - 250), retryWait: phase(0) },
      connections: { created: 2, reused: o.ok - 2, reuseRate: 0.5, clientsCreated: 2, clientsReused: o.ok - 2, clientReuseRate: 0.5 },
      keys: { 'key-1': { admitted: 3, rateLimited: 0 }, 'key-2': { admitted: 1, rateLimited: o.rateLimited ?? 0 } },
      providers: {
        alpha: { requests: alpha, share: alpha / (alpha + beta), ok: alpha, failed: 0, rateLimited: 0, busyPeak: 2, queuePeak: 0, unhealthyMs: 0, checks: 0 },
        beta: {
          requests: beta,
          share: beta / (alpha + beta),
          ok: beta,
          failed: 0,
          rateLimited: 0,
          busyPeak: 1,
          queuePeak: 0,
          unhealthyMs: o.unhealthy ? 500 : 0,
          checks: 0,
          // Down from 0.5 s to 1 s; marked unhealthy 0.1 s in, in use again 0.2 s after it ended.
          ...(o.fault ? { faults: [{ kind: 'down', atMs: 500, forMs: 500, detectedAfterMs: 100, restoredAfterMs: 200 }] } : {}),
        },
      },
      balance: { imbalance: 1.5, remaps: [] },
      limiter: { checks: 10, wastedChecks: 4, wakeups: 3, entriesPeak: 2 },
    },
    series: {
      bucketMs: 500,
      t: [0, 500, 1000, 1500],
      requests: { ok: [1, 1, 1, 1], rateLimited: [0, 0, 0, o.rateLimited ?? 0], serverError: [0, 0, 0, 0], timeout: [0, 0, 0, 0], connectFailed: [0, 0, 0, 0], gaveUp: [0, 0, 0, 0], unavailable: [0, 0, 0, 0] },
      attempts: { ok: [1, 1, 1, 1], rateLimited: [0, 0, 0, o.rateLimited ?? 0], serverError: [0, 0, 0, 0], timeout: [0, 0, 0, 0], connectFailed: [0, 0, 0, 0], gaveUp: [0, 0, 0, 0], unavailable: [0, 0, 0, 0] },
      latencyMeanMs: [latency, latency, latency, latency],
      admissions: { 'key-1': [2, 1, 0, 0], 'key-2': [0, 0, 1, o.rateLimited ?? 0] },
      inFlight: [2, 1.5, 1, latency / 4000],
      providers: {
        alpha: { inFlight: [1, 1, 0.5, 0], healthy: [1, 1, 1, 1] },
        beta: { inFlight: [beta / 2, 0, 0, 0], healthy: o.unhealthy ? [1, 0, 1, 1] : [1, 1, 1, 1] },
      },
    },
    latencyCdf: [
      [0, latency / 2],
      [50, latency],
      [90, latency * 1.5],
      [100, latency * 2],
    ],
  };
  // Cast: results.json grows fields as the simulator grows; the report reads only what it charts.
  return v as unknown as VariantResult;
}

export function run(name: string, variants: VariantResult[]): RunResult {
  return { name, variants };
}

/** Two runs × two variants, baseline `slow`, with published figures for the first run; `slow` spreads its attempts evenly. */
export function results(over: Partial<Results> = {}): Results {
  return {
    schema: 'gatesim.results/v1',
    scenario: 'tiny',
    description: 'A hand-made results file',
    file: 'scenarios/tiny.yaml',
    seed: 7,
    mode: 'sim',
    baseline: 'slow',
    units: { time: 'ms', rate: 'fraction', throughput: 'requests/s' },
    runs: [
      run('small', [variant('fast', { ok: 4, latency: 800 }), variant('slow', { ok: 3, rateLimited: 1, latency: 1600, share: [2, 2] })]),
      run('large', [variant('fast', { ok: 8, latency: 900 }), variant('slow', { ok: 5, rateLimited: 3, latency: 2000, unhealthy: true, share: [2, 2] })]),
    ],
    reference: { small: { fast: { meanLatencyMs: 700, successRate: 1 }, slow: { meanLatencyMs: 600, successRate: 0.75 } } },
    ...over,
  } as Results;
}
