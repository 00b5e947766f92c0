import { nthRequest } from './helpers/nth-request.js';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createWindow } from '../src/limiters/index.js';
import type { Results } from '../src/metrics/results.js';
import { lognormalFromQuantiles, sampler, type Dist } from '../src/sim/dist.js';
import { stream } from '../src/sim/random.js';
import { AttemptLog, type AttemptRecord } from '../src/providers/attempt-log.js';
import { calibrateRun } from '../src/study/calibrate-run.js';
import type { Calibration } from '../src/study/calibration.js';
import { cdf, fitGamma, fitLatency, gammaP, quantileOf } from '../src/study/fit.js';
import { fitQuota, type QuotaAlgorithm, type QuotaAttempt } from '../src/study/quota-fit.js';
import { gatesim, gatesimServe, loopDelayProbe, waitFor } from './helpers/cli.js';
import { serve } from '../src/providers/server.js';
import { loadScenario } from '../src/scenario/load.js';
import { schemaErrors } from './helpers/schema.js';

const draw = (d: Dist, n: number, seed = 7): number[] => {
  const s = sampler(d, stream(seed, 'test'));
  return Array.from({ length: n }, () => s.sample());
};
const within = (got: number, want: number, tol: number): void => {
  expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThanOrEqual(tol);
};

describe('latency fits against samples with known parameters', () => {
  it('P(k, x) of the gamma: the exponential and a hand-checked value', () => {
    for (const x of [0.1, 1, 3, 10]) expect(gammaP(1, x)).toBeCloseTo(1 - Math.exp(-x), 12);
    // P(3, 2) = 1 − e^−2 (1 + 2 + 2) = 0.3233235838…
    expect(gammaP(3, 2)).toBeCloseTo(0.3233235838169366, 10);
    expect(gammaP(5, 20)).toBeCloseTo(1 - Math.exp(-20) * (1 + 20 + 200 + 8000 / 6 + 160000 / 24), 10);
  });

  it('a lognormal comes back lognormal, its median and p90 within 5%', () => {
    const truth: Dist = { dist: 'lognormal', ...lognormalFromQuantiles(2000, 6000) };
    const f = fitLatency(draw(truth, 2000));
    expect(f.form).toBe('lognormal');
    within(quantileOf(f.chosen, 0.5), quantileOf(truth, 0.5), 0.05);
    within(quantileOf(f.chosen, 0.9), quantileOf(truth, 0.9), 0.05);
  });

  it('a gamma comes back gamma, its shape within 10% and mean within 5%', () => {
    const truth: Dist = { dist: 'gamma', shape: 3, scale: 500 };
    const f = fitLatency(draw(truth, 2000));
    expect(f.form).toBe('gamma');
    const g = f.chosen as Extract<Dist, { dist: 'gamma' }>;
    within(g.shape, 3, 0.1);
    within(g.shape * g.scale, 1500, 0.05);
    // The MLE alone, on many samples.
    const big = fitGamma(draw(truth, 20_000, 3));
    within(big.shape, 3, 0.05);
    within(big.scale, 500, 0.05);
  });

  it('neither form fits a uniform: the empirical distribution, its quantiles the samples\'', () => {
    const xs = draw({ dist: 'uniform', min: 100, max: 200 }, 1500);
    const f = fitLatency(xs);
    expect(f.form).toBe('empirical');
    expect(f.lognormal!.p).toBeLessThan(0.05);
    expect(f.gamma!.p).toBeLessThan(0.05);
    within(quantileOf(f.chosen, 0.5), 150, 0.03);
    // The fitted CDF functions are what the test measured.
    expect(cdf(f.lognormal!.dist, quantileOf(f.lognormal!.dist, 0.9))).toBeCloseTo(0.9, 5);
  });

  it('properties: the quantile inverts the CDF; the fits are scale-equivariant (c × samples → c × scale)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 50, noNaN: true }),
        fc.double({ min: 1, max: 5000, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (shape, scale, q, c) => {
          const g: Dist = { dist: 'gamma', shape, scale };
          expect(cdf(g, quantileOf(g, q))).toBeCloseTo(q, 6);
          const xs = draw(g, 200, Math.round(shape * 1000));
          const a = fitGamma(xs);
          const b = fitGamma(xs.map((x) => x * c));
          expect(b.shape / a.shape).toBeCloseTo(1, 6);
          expect(b.scale / (a.scale * c)).toBeCloseTo(1, 6);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('one seed, the same fit', () => {
    const xs = draw({ dist: 'gamma', shape: 2, scale: 300 }, 500);
    expect(fitLatency(xs, 5)).toEqual(fitLatency(xs, 5));
  });
});

/** Poisson arrivals of `keys` keys at `perS` each over `ms`, admitted or refused by a known quota, with the headers a provider sends. */
function arrivals(algorithm: QuotaAlgorithm, count: number, windowMs: number, refused: 'counts' | 'free', headers: boolean, perS = 2, ms = 120_000, keys = 2): QuotaAttempt[] {
  const random = stream(9, `arrivals:${algorithm}`);
  const out: QuotaAttempt[] = [];
  for (let key = 0; key < keys; key++) {
    const w = createWindow({ type: algorithm, options: {} }, { count, windowMs });
    for (let t = 0; ; ) {
      t += (-Math.log(1 - random()) * 1000) / perS;
      if (t > ms) break;
      const admitted = w.admits(t);
      if (admitted || refused === 'counts') w.record(t);
      out.push({ segment: 0, key, at: t, admitted, ...(headers ? { limit: count, resetMs: w.resetAt(t) - t } : {}), ...(!admitted ? { retryAfterMs: w.nextAdmitAt(t) - t } : {}) });
    }
  }
  return out;
}

describe('the quota fit against arrivals with a known quota', () => {
  for (const algorithm of ['sliding-log', 'fixed-window', 'token-bucket'] as const) {
    for (const headers of [true, false]) {
      it(`${algorithm}, 10 per 10 s${headers ? ', with x-ratelimit headers' : ', from the 429s alone'}`, () => {
        const q = fitQuota(arrivals(algorithm, 10, 10_000, 'free', headers))!;
        expect(q.algorithm).toBe(algorithm);
        expect(q.count).toBe(10);
        within(q.windowMs, 10_000, 0.05);
        expect(q.agreement).toBeGreaterThan(0.97);
      });
    }
  }

  it('refused requests that count: told apart from free ones', () => {
    const q = fitQuota(arrivals('sliding-log', 20, 60_000, 'counts', true, 0.5, 600_000))!;
    expect([q.algorithm, q.count, q.refused]).toEqual(['sliding-log', 20, 'counts']);
    within(q.windowMs, 60_000, 0.05);
  });

  it('no 429 and no headers: no quota seen', () => {
    expect(fitQuota(arrivals('sliding-log', 1000, 1000, 'free', false))).toBeUndefined();
  });
});

describe('serving against requests in flight, from a log of known timings', () => {
  /** Real-mode results holding `attempts` (one variant per in-flight level). */
  const results = (byLevel: Map<number, AttemptRecord[]>): unknown => ({
    schema: 'gatesim.results/v1',
    mode: 'real',
    seed: 1,
    timeScale: 1,
    runs: [{ name: 'default', variants: [...byLevel].map(([k, attempts], i) => ({ name: `${k} in flight`, attemptLog: { cap: 20_000, dropped: 0, startedAt: i * 1_000_000, providers: ['llm'], attempts } })) }],
  });

  it('recovers TTFT and time per token as base + per sequence × in flight, within 5%', () => {
    const random = stream(4, 'serving');
    const noise = (): number => (random() - 0.5) * 0.2; // ±10%
    const byLevel = new Map<number, AttemptRecord[]>();
    for (const k of [1, 2, 4, 8, 16]) {
      byLevel.set(k, Array.from({ length: 60 }, (_, i) => {
        const ttftMs = (400 + 100 * k) * (1 + noise());
        const tpotMs = (20 + 4 * k) * (1 + noise());
        return { at: i * 5000, provider: 0, key: 0, inFlight: k, status: 200, end: 'ok' as const, ms: ttftMs + 31 * tpotMs, ttftMs, tpotMs, outputTokens: 32 };
      }));
    }
    const c = calibrateRun(results(byLevel), 'synthetic.json');
    const s = c.provider.serving as { ttft: { base: string; perSequence: string }; tpot: { base: string; perSequence: string } };
    const ms = (t: string): number => Number(t.replace('ms', ''));
    within(ms(s.ttft.base), 400, 0.05);
    within(ms(s.ttft.perSequence), 100, 0.05);
    within(ms(s.tpot.base), 20, 0.05);
    within(ms(s.tpot.perSequence), 4, 0.05);
    expect(c.points.filter((p) => p.label.startsWith('ttft at')).map((p) => p.label)).toEqual([1, 2, 4, 8, 16].map((k) => `ttft at ${k} in flight`));
    // The same log, the same calibration.
    expect(calibrateRun(results(byLevel), 'synthetic.json')).toEqual(c);
  });

  it('the attempt log keeps at most its cap and counts the rest', () => {
    const log = new AttemptLog(['p'], 0, 3);
    const opened = Array.from({ length: 5 }, (_, i) => log.open(i, 0, 0, 1));
    expect(opened.filter(Boolean)).toHaveLength(3);
    expect(log.toJSON()).toMatchObject({ cap: 3, dropped: 2 });
    expect(log.toJSON().attempts).toHaveLength(3);
  });
});

/** A provider of known latency, failures and quotas, twice: one a token bucket, one an exact sliding window. */
const KNOWN = {
  name: 'known',
  seed: 5,
  workload: { requests: 1500, concurrency: 200, arrivals: { process: 'poisson', rate: '6/s' } },
  keys: { count: 2, env: 'GATESIM_KEYS' },
  providers: [
    { name: 'bucket', latency: { dist: 'lognormal', median: '2s', p99: '6s' }, failure: '5%', limit: { requests: '10/10s', algorithm: 'token-bucket', refused: 'free' } },
    { name: 'window', latency: { dist: 'lognormal', median: '2s', p99: '6s' }, failure: '5%', limit: { requests: '12/10s', algorithm: 'sliding-log', refused: 'free' } },
  ],
  balancer: 'round-robin',
  retry: { attempts: 1 },
  variants: [{ name: 'only' }],
};
/** A minute of scenario time in 12 s of wall time, as real.test.ts's sim↔real check: a busy machine's few ms per attempt stay few scenario ms. */
const SCALE = 0.2;

describe('calibrate from a real run against gatesim serve', () => {
  it('recovers the latency, failure rate and quota of each provider; a simulation of the calibrated providers agrees with the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-calibrate-'));
    const file = join(dir, 'known.yaml');
    writeFileSync(file, stringify(KNOWN));
    // Both processes record how late they ran their callbacks: what a loaded machine adds to each attempt.
    const serveDelay = loopDelayProbe();
    const clientDelay = loopDelayProbe();
    const own = await gatesimServe([file, '--port', '0', '--time-scale', String(SCALE)], { env: serveDelay.env, node: serveDelay.node });
    let real: Results;
    try {
      const run = await gatesim([file, '--mode', 'real', '--time-scale', String(SCALE), '--set', `providers.0.url=${own.url}/bucket/v1`, '--set', `providers.1.url=${own.url}/window/v1`, '--out', join(dir, 'real'), '--format', 'none', '-q'], {
        env: { GATESIM_KEYS: 'sk-calibrate-one,sk-calibrate-two', ...clientDelay.env },
        node: clientDelay.node,
      });
      expect(run.code, run.stderr).toBe(0);
      real = JSON.parse(readFileSync(join(dir, 'real', 'known', 'results.json'), 'utf8')) as Results;
    } finally {
      await own.stop();
    }
    // As in real.test.ts: the two processes' p99 event-loop delays bound what the machine added to an
    // attempt (scenario ms), which only ever makes it slower: that side of the tolerance widens by it.
    const [client, server] = [clientDelay.read(), serveDelay.read()];
    const slower = (client.p99Ms + server.p99Ms) / SCALE;
    console.error(`event-loop delay: client p99 ${client.p99Ms.toFixed(1)} ms, serve p99 ${server.p99Ms.toFixed(1)} ms (wall); ${slower.toFixed(0)} scenario ms per attempt allowed`);
    const slowerWithin = (got: number, want: number): void => {
      expect(got / want - 1, `${got} against ${want}`).toBeGreaterThanOrEqual(-0.05);
      expect(got / want - 1, `${got} against ${want}`).toBeLessThanOrEqual(0.05 + slower / want);
    };
    expect(schemaErrors(real)).toBe('');
    const log = real.runs[0]!.variants[0]!.attemptLog!;
    expect(log.attempts.length).toBe(real.runs[0]!.variants[0]!.metrics.attempts);
    const results = join(dir, 'real', 'known', 'results.json');
    const fitted: Record<string, Calibration> = {};
    for (const p of ['bucket', 'window']) {
      const out = await gatesim(['calibrate', results, '--provider', p, '--format', 'json']);
      expect(out.code, out.stderr).toBe(0);
      fitted[p] = JSON.parse(out.stdout) as Calibration;
      console.error(`${p}: ${JSON.stringify(fitted[p].provider)} outside: ${fitted[p].outside.join(', ')}`);
    }
    const truth: Dist = { dist: 'lognormal', ...lognormalFromQuantiles(2000, 6000) };
    const served = (p: string) => log.attempts.filter((a) => log.providers[a.provider] === p && (a.end === 'ok' || a.end === 'serverError')).length;
    for (const [p, want] of [['bucket', { algorithm: 'token-bucket', count: 10 }], ['window', { algorithm: 'sliding-log', count: 12 }]] as const) {
      const c = fitted[p]!.provider as { latency: Dist & { mu: number; sigma: number }; failure: number; limit: { requests: string; algorithm: string; refused: string } };
      const d: Dist = { dist: 'lognormal', mu: c.latency.mu, sigma: c.latency.sigma };
      slowerWithin(quantileOf(d, 0.5), quantileOf(truth, 0.5));
      slowerWithin(quantileOf(d, 0.9), quantileOf(truth, 0.9));
      // A failure rate is a proportion of a few hundred answers: within three standard errors of 5%.
      expect(Math.abs(c.failure - 0.05)).toBeLessThanOrEqual(3 * Math.sqrt((0.05 * 0.95) / served(p)));
      expect(c.limit.algorithm).toBe(want.algorithm);
      const [n, w] = c.limit.requests.split('/');
      expect(Number(n)).toBe(want.count);
      within(Number(w!.replace('ms', '')), 10_000, 0.05);
    }
    // The calibrated providers, simulated on the same workload, against the real run.
    const calibrated = { ...KNOWN, providers: ['bucket', 'window'].map((p) => fitted[p]!.provider) };
    const simFile = join(dir, 'calibrated.yaml');
    writeFileSync(simFile, stringify(calibrated));
    const sim = await gatesim([simFile, '--out', join(dir, 'sim'), '--format', 'json', '-q']);
    expect(sim.code, sim.stderr).toBe(0);
    const sv = (JSON.parse(sim.stdout) as Results).runs[0]!.variants[0]!.metrics;
    const rv = real.runs[0]!.variants[0]!.metrics;
    console.error(`sim/real: ok ${sv.attemptOutcomes.ok}/${rv.attemptOutcomes.ok}, 429 ${sv.attemptOutcomes.rateLimited}/${rv.attemptOutcomes.rateLimited}, 5xx ${sv.attemptOutcomes.serverError}/${rv.attemptOutcomes.serverError}, p50 ${sv.latencyMs.p50}/${rv.latencyMs.p50}, throughput ${sv.throughputPerS}/${rv.throughputPerS}`);
    // The sim↔real tolerances of test/real.test.ts: counts within 5%, p50 within 15%, throughput within 10%.
    for (const o of ['ok', 'rateLimited'] as const) {
      expect(Math.abs(rv.attemptOutcomes[o] - sv.attemptOutcomes[o]), o).toBeLessThanOrEqual(Math.max(1, 0.05 * sv.attemptOutcomes[o]));
    }
    // Latency: the calibrated providers carry the machine's overhead in their fit, so both sides of 15% hold.
    expect(Math.abs(rv.latencyMs.p50! / sv.latencyMs.p50! - 1)).toBeLessThan(0.15);
    expect(Math.abs(rv.throughputPerS! / sv.throughputPerS! - 1)).toBeLessThan(0.1);
    // The block pastes: what was printed as YAML parses to the same provider.
    const yaml = await gatesim(['calibrate', results, '--provider', 'window', '--format', 'yaml', '--write', join(dir, 'p.yaml')]);
    expect(parse(yaml.stdout)).toEqual([fitted.window!.provider]);
    expect(readFileSync(join(dir, 'p.yaml'), 'utf8')).toBe(yaml.stdout);
  }, 180_000);
});

/** An in-process serve of `doc`'s providers at `scale`, and a promise for its `n`th chat request. */
async function serveDoc(doc: object, scale: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-probe-'));
  const f = join(dir, 'serve.yaml');
  writeFileSync(f, stringify(doc));
  const providers = loadScenario(f, {}).runs[0]!.variants[0]!.scenario.providers;
  const srv = await serve(providers, { port: 0, host: '127.0.0.1', timeScale: scale, seed: 1, log: () => {} });
  return { srv, dir, nth: nthRequest(srv.server) };
}

const PROBED = {
  name: 'probed',
  workload: { requests: 1 },
  providers: [{ name: 'endpoint', latency: { dist: 'lognormal', median: '2s', p99: '6s' }, limit: { requests: '20/10s', algorithm: 'token-bucket', refused: 'free' } }],
};

describe('gatesim probe against gatesim serve', () => {
  it('a ladder whose results calibrate reads directly: the quota recovered, the keys never printed', async () => {
    const { srv, dir } = await serveDoc(PROBED, 0.1);
    try {
      const out = join(dir, 'probe.json');
      const key = 'sk-probe-SECRET-1234';
      const r = await gatesim(['probe', `${srv.url}/v1`, '--ladder', '2,8', '--requests', '150', '--time-scale', '0.1', '--out', out], { env: { GATESIM_KEYS: key } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`wrote ${out}: 300 attempts over 2 of 2 rungs; next: gatesim calibrate ${out}`);
      const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
      expect(schemaErrors(results)).toBe('');
      expect(results.runs[0]!.variants.map((v) => [v.name, v.cooldown?.by, v.attemptLog!.attempts.length])).toEqual([
        ['2 in flight', 'none', 150],
        ['8 in flight', 'none', 150],
      ]);
      const c = await gatesim(['calibrate', out, '--format', 'json']);
      expect(c.code, c.stderr).toBe(0);
      const cal = JSON.parse(c.stdout) as Calibration;
      expect(cal.provider.limit).toMatchObject({ algorithm: 'token-bucket', refused: 'free' });
      const [n, w] = (cal.provider.limit as { requests: string }).requests.split('/');
      expect(Number(n)).toBe(20);
      within(Number(w!.replace('ms', '')), 10_000, 0.05);
      for (const t of [r.stdout, r.stderr, c.stdout, c.stderr, readFileSync(out, 'utf8')]) expect(t.includes(key)).toBe(false);
    } finally {
      await srv.close();
    }
  }, 120_000);

  it('Ctrl-C keeps what was measured: a partial results.json, exit 130', async () => {
    const { srv, dir, nth } = await serveDoc({ ...PROBED, providers: [{ name: 'endpoint', latency: '2s' }] }, 0.1);
    try {
      const out = join(dir, 'probe.json');
      let p!: ChildProcess;
      const done = gatesim(['probe', `${srv.url}/v1`, '--ladder', '4', '--requests', '1000', '--time-scale', '0.1', '--out', out], { env: { GATESIM_KEYS: 'sk-probe-1' }, onStart: (c) => (p = c) });
      await waitFor(p, /started default \/ 4 in flight/, 'stderr');
      await nth(10);
      p.kill('SIGINT');
      const r = await done;
      expect(r.code, r.stderr).toBe(130);
      const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
      expect(results.partial).toBe(true);
      expect(schemaErrors(results)).toBe('');
      const v = results.runs[0]!.variants[0]!;
      expect(v.attemptLog!.attempts.length).toBe(v.metrics.attempts);
      expect(v.metrics.attempts).toBeGreaterThanOrEqual(10);
      expect(v.metrics.attempts).toBeLessThan(1000);
    } finally {
      await srv.close();
    }
  }, 60_000);
});

describe('calibrate: a published table from the command line', () => {
  it('fits the iteration model to a shipped NIM table and writes the block that a scenario takes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-calibrate-table-'));
    const out = join(dir, 'provider.yaml');
    const r = await gatesim(['calibrate', 'scenarios/data/tables/nim-llama-3.3-70b-1.8.0.csv', '--write', out]);
    expect(r.code).toBe(0);
    // Every row has its residuals; this table is within tolerance at every point (test/calibrate-table.test.ts).
    expect(r.stdout).toMatch(/^calibrated from /);
    expect(r.stdout).toMatch(/model: iteration/);
    expect(r.stdout).not.toMatch(/warning: outside tolerance/);
    expect(readFileSync(out, 'utf8')).toMatch(/maxBatchedTokens: \d+/);
  }, 120_000);

  it('--fit frees the terms named and --points fits the rows named', async () => {
    const r = await gatesim(['calibrate', 'scenarios/data/tables/nim-llama-3.1-8b-1.8.0.csv', '--format', 'json',
      '--fit', 'base,perPrefillToken,perDecodeSequence,perBatchedToken', '--points', 'concurrency=1, concurrency=50,concurrency=250']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout) as { source: string; provider: { serving: { step: Record<string, number> } } };
    expect(c.source).toMatch(/fitted to concurrency=1, concurrency=50, concurrency=250 \(base, perPrefillToken, perDecodeSequence, perBatchedToken fitted;/);
    expect(c.provider.serving.step.perBatchedToken).toBeGreaterThan(0);
  }, 120_000);
});

describe('calibrate: bad input is one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-calibrate-bad-'));
  const cases: [string, string, RegExp][] = [
    ['missing.json', '', /missing\.json: no such file$/],
    ['broken.json', '{"schema": ', /broken\.json: not valid JSON/],
    ['other.json', '{"a": 1}', /other\.json: expected a gatesim results\.json \(schema gatesim\.results\/v1\)$/],
    ['sim.json', JSON.stringify({ schema: 'gatesim.results/v1', mode: 'sim', runs: [] }), /sim\.json: expected the results of a real run \(--mode real, or gatesim probe\), got mode "sim"$/],
    ['table.csv', 'concurrency,ttft\n1,2\n', /table\.csv:1: expected a column for /],
    ['notes.txt', 'x', /notes\.txt: expected a results\.json of a real run or a probe \(\.json\), or a table \(\.csv\)$/],
  ];
  for (const [name, text, want] of cases) {
    it(name, async () => {
      const file = join(dir, name);
      if (text) writeFileSync(file, text);
      const r = await gatesim(['calibrate', file]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(want);
      expect(r.stdout).toBe('');
    });
  }

  it('--fit and --points: an unknown coefficient or row, or a run\'s results, is one line and exit 2', async () => {
    const table = 'scenarios/data/tables/nim-llama-3.1-8b-1.8.0.csv';
    const run = join(dir, 'run.json');
    writeFileSync(run, '{}');
    for (const [args, want] of [
      [['--fit', 'base,warp'], /^gatesim: --fit: expected coefficients among base, perPrefillToken, .*, got "warp"$/],
      [['--fit', ','], /^gatesim: --fit: expected at least one coefficient$/],
      [['--points', 'concurrency=7'], /^gatesim: .*nim-llama-3\.1-8b-1\.8\.0\.csv: no row "concurrency=7" to fit \(rows: concurrency=1, /],
    ] as const) {
      const r = await gatesim(['calibrate', table, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(want);
    }
    const r = await gatesim(['calibrate', run, '--fit', 'base']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^gatesim: --fit: applies to a published table \(\.csv\), not to a run's results$/);
  });

  it('probe: a bad ladder or URL is one line and exit 2, before anything is sent', async () => {
    for (const [args, want] of [
      [['probe', 'ftp://x', '--out', join(dir, 'p.json')], /^gatesim: URL: expected an http:\/\/ or https:\/\/ base URL/],
      [['probe', 'http://127.0.0.1:9/v1', '--ladder', '1,0', '--out', join(dir, 'p.json')], /^gatesim: --ladder: expected requests in flight as whole numbers from 1 to 256/],
      [['probe', 'http://127.0.0.1:9/v1', '--requests', '1000', '--ladder', '1,2,3,4,5,6', '--out', join(dir, 'p.json')], /^gatesim: --requests: expected at most 5000 requests in all, got 1000 × 6 rungs/],
    ] as const) {
      const r = await gatesim([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toMatch(want);
    }
  });
});
