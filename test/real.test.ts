import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterMs, classify } from '../src/providers/http.js';
import { serve } from '../src/providers/server.js';
import { fingerprint } from '../src/real.js';
import { scenario } from './helpers/scenario.js';

const SECRETS = ['sk-live-SECRET-alpha-123', 'sk-live-SECRET-bravo-456', 'sk-live-SECRET-charlie-789', 'sk-live-SECRET-delta-000'];
const SCALE = '0.05';

/** Runs the CLI as `npm run sim --` does; resolves with its exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, onStart?: (p: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/gatesim.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(p);
  });
}

/** `gatesim serve FILE` as a child process; resolves once it prints its address. */
function startServe(file: string): Promise<{ url: string; proc: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['bin/gatesim.js', 'serve', file, '--port', '0', '--time-scale', SCALE]);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc, log: () => out });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  });
}

describe('gatesim serve, in-process', () => {
  const base = scenario({}, { limit: { count: 1, windowMs: 60_000 }, latency: { dist: 'constant', value: 10 } });
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    srv = await serve(base.providers, { port: 0, host: '127.0.0.1', timeScale: 0.01, seed: 1, log: () => {} });
  });
  afterAll(() => srv.close());
  const post = (body: string, auth?: string) =>
    request(`${srv.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) } });

  it('answers an OpenAI-compatible completion, then 429 with retry-after for that key', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const first = await post(body, 'Bearer k1');
    expect(first.statusCode).toBe(200);
    expect(((await first.body.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    const second = await post(body, 'Bearer k1');
    expect(second.statusCode).toBe(429);
    await second.body.dump();
    // 60 s scenario window at scale 0.01: about 0.6 s of wall time.
    expect(Number(second.headers['retry-after-ms'])).toBeGreaterThan(500);
    expect(Number(second.headers['retry-after-ms'])).toBeLessThanOrEqual(600);
    expect(second.headers['retry-after']).toBe('1');
    // Another key has its own window.
    const other = await post(body, 'Bearer k2');
    expect(other.statusCode).toBe(200);
    await other.body.dump();
  });

  it('401 without a key, 400 with a JSON error for malformed bodies, /v1/models lists a model', async () => {
    const none = await post('{}');
    expect(none.statusCode).toBe(401);
    await none.body.dump();
    const bad = await post('{not json', 'Bearer k3');
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const shape = await post('{"model": 1}', 'Bearer k3');
    expect(shape.statusCode).toBe(400);
    await shape.body.dump();
    const models = await request(`${srv.url}/v1/models`);
    expect(((await models.body.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('reads retry-after-ms first, then retry-after seconds, in scenario time', () => {
    expect(retryAfterMs({ 'retry-after-ms': '600', 'retry-after': '1' }, 0.01)).toBe(60_000);
    expect(retryAfterMs({ 'retry-after': '2' }, 1)).toBe(2000);
    expect(retryAfterMs({}, 1)).toBe(0);
    expect([200, 429, 500, 503, 400].map(classify)).toEqual([0, 1, 2, 2, 2]);
  });
});

describe('sim and real agree (serve on loopback, time-scaled)', () => {
  let server: Awaited<ReturnType<typeof startServe>>;
  const out = mkdtempSync(join(tmpdir(), 'gatesim-real-'));
  const simOut = mkdtempSync(join(tmpdir(), 'gatesim-sim-'));
  beforeAll(async () => {
    server = await startServe('scenarios/serve-check.yaml');
  });
  afterAll(() => {
    server?.proc.kill();
  });

  it('gives the same throughput, latency, outcomes and reuse as the simulation', async () => {
    const env = { GATESIM_KEYS: SECRETS.join(',') };
    const sim = JSON.parse((await cli(['scenarios/serve-check.yaml', '--out', simOut, '--format', 'json', '-q'])).stdout);
    // A server keeps its keys' windows, so each variant gets a server of its own, as a user would
    // restart it. A loaded 2-core machine (tests run in parallel) stalls event loops for tens of
    // ms: a 100 ms wall guard (2 s of a 60 s window at this scale) absorbs it.
    for (const name of ['pooled', 'fresh']) {
      const own = await startServe('scenarios/serve-check.yaml');
      try {
        const real = await cli(
          ['scenarios/serve-check.yaml', '--mode', 'real', '--only', name, '--time-scale', SCALE, '--guard', '100', '--set', `providers.0.url=${own.url}/v1`, '--out', out, '--format', 'json'],
          env,
        );
        expect(real.code, real.stderr).toBe(0);
        const r = JSON.parse(real.stdout);
        expect(r.mode).toBe('real');
        expect(r.timeScale).toBe(0.05);
        const rv = r.runs[0].variants[0].metrics;
        const sv = sim.runs[0].variants.find((v: { name: string }) => v.name === name).metrics;
        expect(Math.abs(rv.throughputPerS / sv.throughputPerS - 1), `${name} throughput`).toBeLessThan(0.1);
        expect(Math.abs(rv.latencyMs.p50 / sv.latencyMs.p50 - 1), `${name} p50`).toBeLessThan(0.15);
        for (const o of ['ok', 'serverError', 'rateLimited']) {
          expect(Math.abs(rv.attemptOutcomes[o] - sv.attemptOutcomes[o]), `${name} ${o}`).toBeLessThanOrEqual(Math.max(1, 0.05 * sv.attemptOutcomes[o]));
        }
        // The limiter keeps the provider's exact window for real too: no 429.
        expect(rv.attemptOutcomes.rateLimited, `${name} 429s`).toBe(0);
        if (name === 'pooled') expect(rv.connections.reuseRate).toBeGreaterThan(0.8);
        else {
          expect(rv.connections.reuseRate).toBe(0);
          expect(rv.connections.created).toBe(rv.attempts);
        }
        // Keys appear only as fingerprints.
        expect(Object.keys(rv.keys)).toEqual(SECRETS.map(fingerprint));
      } finally {
        own.proc.kill();
      }
    }
  }, 90_000);

  it('never writes a key anywhere: stdout, stderr, results, markdown, page', async () => {
    const env = { GATESIM_KEYS: SECRETS.join(',') };
    const run = await cli(['scenarios/serve-check.yaml', '--mode', 'real', '--time-scale', '0.01', '--set', `providers.0.url=${server.url}/v1`, '--set', 'workload.requests=20', '--out', out], env);
    expect(run.code, run.stderr).toBe(0);
    const texts = [run.stdout, run.stderr, server.log()];
    const dir = join(out, 'serve-check');
    for (const f of readdirSync(dir)) if (!f.endsWith('.png')) texts.push(readFileSync(join(dir, f), 'utf8'));
    for (const t of texts) for (const k of SECRETS) expect(t.includes(k)).toBe(false);
    for (const t of texts) expect(t.includes('SECRET')).toBe(false);
  }, 60_000);

  it('Ctrl-C stops sending, writes a partial report and exits non-zero', async () => {
    const env = { GATESIM_KEYS: SECRETS.join(',') };
    const run = await cli(
      ['scenarios/serve-check.yaml', '--mode', 'real', '--time-scale', SCALE, '--set', `providers.0.url=${server.url}/v1`, '--set', 'workload.requests=5000', '--out', out, '-q'],
      env,
      (p) => setTimeout(() => p.kill('SIGINT'), 1500),
    );
    expect(run.code).toBe(130);
    const results = JSON.parse(readFileSync(join(out, 'serve-check', 'results.json'), 'utf8'));
    expect(results.partial).toBe(true);
    const m = results.runs[0].variants[0].metrics;
    expect(m.requests).toBeGreaterThan(0);
    expect(m.requests).toBeLessThan(5000);
    expect(run.stderr).toContain('partial');
  }, 30_000);

  it('real mode without keys in the environment is one line and exit 2', async () => {
    const run = await cli(['scenarios/serve-check.yaml', '--mode', 'real', '--set', `providers.0.url=${server.url}/v1`], { GATESIM_KEYS: '' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('keys.env: environment variable GATESIM_KEYS is not set or empty (expected comma-separated keys)');
  });
});
