import { nthRequest } from './helpers/nth-request.js';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serve, type Serving } from '../src/providers/server.js';
import { runPlanReal } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { gatesim, output, waitFor } from './helpers/cli.js';
import { schemaErrors } from './helpers/schema.js';
import type { Scenario } from '../src/scenario/types.js';

const KEYS = 'sk-signal-test-1,sk-signal-test-2,sk-signal-test-3,sk-signal-test-4';
const SCALE = 0.05;

// Requests that stay in flight for an hour of scenario time (3 min of wall time at 0.05): whatever
// ends the run, it is not their finishing.
const SLOW = `
name: slow
seed: 3
workload: { requests: 5000, concurrency: 8 }
keys: { env: GATESIM_KEYS }
providers: [{ name: mock, latency: 1h }]
connections: pooled
variants: [{ name: first }, { name: second }]
`;

// Requests that come back at once, as many as the workload has.
const FAST = `
name: fast
seed: 3
workload: { requests: 5000, concurrency: 4 }
keys: { env: GATESIM_KEYS }
providers: [{ name: mock, latency: 200ms }]
connections: pooled
`;

const dir = mkdtempSync(join(tmpdir(), 'gatesim-signals-'));
const file = (name: string, text: string): string => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, text);
  return f;
};

/** An in-process serve of the file's providers, and a promise for its `n`th request. */
async function serveOf(f: string): Promise<{ srv: Serving; nth: (n: number) => Promise<void> }> {
  const providers = loadScenario(f, {}).runs[0]!.variants[0]!.scenario.providers;
  const srv = await serve(providers, { port: 0, host: '127.0.0.1', timeScale: SCALE, seed: 1, log: () => {} });
  return { srv, nth: nthRequest(srv.server) };
}

/** The CLI in real mode against `url`: the child `p`, its `exit`, and `onLine(re)` once stderr shows a match. */
function real(f: string, url: string, out: string, extra: string[] = []) {
  let p!: ChildProcess;
  const done = gatesim([f, '--mode', 'real', '--time-scale', String(SCALE), '--set', `providers.0.url=${url}/v1`, '--out', out, '--cooldown', '0', ...extra], {
    env: { GATESIM_KEYS: KEYS },
    onStart: (c) => (p = c),
  });
  return {
    p,
    exit: done.then((r) => r.code),
    stderr: () => output(p, 'stderr'),
    onLine: (re: RegExp) => waitFor(p, re, 'stderr'),
  };
}

describe('a signal during a real run writes the partial report', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal}: partial report, exit ${code}`, async () => {
      const f = file(`fast-${signal}`, FAST);
      const { srv, nth } = await serveOf(f);
      const out = join(dir, `out-${signal}`);
      try {
        const run = real(f, srv.url, out);
        await run.onLine(/started default/);
        // Requests are flowing: the report will have something in it.
        await nth(10);
        run.p.kill(signal);
        expect(await run.exit, run.stderr()).toBe(code);
        const results = JSON.parse(readFileSync(join(out, `fast-${signal}`, 'results.json'), 'utf8'));
        expect(results.partial).toBe(true);
        expect(schemaErrors(results)).toBe('');
        const m = results.runs[0].variants[0].metrics;
        expect(m.requests).toBeGreaterThanOrEqual(10);
        expect(m.requests).toBeLessThan(5000);
        expect(run.stderr()).toContain(`interrupted (${signal})`);
        expect(run.stderr()).toContain(`gatesim: the run was interrupted (${signal}); the report is partial`);
      } finally {
        await srv.close();
      }
    }, 40_000);
  }

  it('a second Ctrl-C stops waiting for what is in flight: the report is written, exit 130', async () => {
    const f = file('slow-twice', SLOW);
    const { srv, nth } = await serveOf(f);
    const out = join(dir, 'out-twice');
    try {
      const run = real(f, srv.url, out);
      await nth(8);
      run.p.kill('SIGINT');
      await run.onLine(/interrupted \(SIGINT\)/);
      run.p.kill('SIGINT');
      expect(await run.exit, run.stderr()).toBe(130);
      expect(run.stderr()).toContain('SIGINT again: not waiting; writing the partial report');
      const results = JSON.parse(readFileSync(join(out, 'slow-twice', 'results.json'), 'utf8'));
      expect(results.partial).toBe(true);
      // The second variant never started; the first's requests, all in flight, ended gaveUp.
      expect(results.runs[0].variants.map((v: { name: string }) => v.name)).toEqual(['first']);
      const m = results.runs[0].variants[0].metrics;
      expect(m.requests).toBe(8);
      expect(m.outcomes.gaveUp).toBe(8);
    } finally {
      await srv.close();
    }
  }, 40_000);
});

describe('interruptions, in process', () => {
  const options = (signal: AbortSignal, urgent?: AbortSignal) => ({
    timeScale: SCALE,
    env: { GATESIM_KEYS: KEYS },
    progress: undefined,
    maxWallMs: 3_600_000,
    guardWallMs: 0,
    signal,
    urgent,
    // An hour: only the urgent signal can end the wait for requests in flight in a test's time.
    graceMs: 3_600_000,
  });
  /** The file's plan with every variant's provider at `url`. */
  const planAt = (f: string, url: string) => {
    const plan = loadScenario(f, {});
    const at = (s: Scenario): Scenario => ({ ...s, providers: s.providers.map((p) => ({ ...p, url: `${url}/v1` })) });
    return { ...plan, runs: plan.runs.map((r) => ({ ...r, variants: r.variants.map((v) => ({ ...v, scenario: at(v.scenario) })) })) };
  };

  it('the urgent signal ends the grace period at once', async () => {
    const f = file('slow-urgent', SLOW);
    const { srv, nth } = await serveOf(f);
    try {
      const stop = new AbortController();
      const urgent = new AbortController();
      const done = runPlanReal(planAt(f, srv.url), options(stop.signal, urgent.signal));
      await nth(8);
      stop.abort();
      urgent.abort();
      const results = await done;
      expect(results.partial).toBe(true);
      expect(results.runs[0]!.variants).toHaveLength(1);
      expect(results.runs[0]!.variants[0]!.metrics.outcomes.gaveUp).toBe(8);
    } finally {
      await srv.close();
    }
  }, 30_000);

  it('a signal during the cooldown between variants stops there, with the first variant reported', async () => {
    const f = file('fast-cooldown', FAST.replace('requests: 5000', 'requests: 8').concat('variants: [{ name: first }, { name: second }]\n'));
    const { srv } = await serveOf(f);
    try {
      const stop = new AbortController();
      // The first variant done: the hour-long cooldown begins; stop it.
      const results = await runPlanReal(planAt(f, srv.url), { ...options(stop.signal), cooldownWallMs: 3_600_000 }, () => setImmediate(() => stop.abort()));
      expect(results.partial).toBe(true);
      expect(results.runs[0]!.variants.map((v) => v.name)).toEqual(['first']);
      expect(results.runs[0]!.variants[0]!.metrics.ok).toBe(8);
    } finally {
      await srv.close();
    }
  }, 30_000);
});

describe('--max-duration ends a variant, not the run', () => {
  it('cuts each variant at the limit, marks it truncated, runs the next, exits 0', async () => {
    // 5000 requests, 8 at a time, each in flight an hour: no variant can finish in a second.
    const f = file('slow-cap', SLOW);
    const { srv } = await serveOf(f);
    const out = join(dir, 'out-cap');
    try {
      const run = real(f, srv.url, out, ['--max-duration', '1', '--format', 'json']);
      expect(await run.exit, run.stderr()).toBe(0);
      const results = JSON.parse(readFileSync(join(out, 'slow-cap', 'results.json'), 'utf8'));
      expect(results.partial).toBeUndefined();
      expect(results.runs[0].variants.map((v: { name: string; truncated?: boolean }) => [v.name, v.truncated])).toEqual([
        ['first', true],
        ['second', true],
      ]);
      for (const v of results.runs[0].variants) {
        expect(v.metrics.requests).toBe(8);
        expect(v.metrics.outcomes.gaveUp).toBe(8);
      }
      expect(run.stderr()).toContain('gatesim: --max-duration 1 s cut default / first, default / second short (marked "truncated": true)');
      expect(schemaErrors(results)).toBe('');
    } finally {
      await srv.close();
    }
  }, 40_000);
});

describe('real-mode flags and keys: one line, exit 2, nothing written', () => {
  const cases: [string[], string][] = [
    [['--max-duration', 'abc'], 'gatesim: --max-duration: expected seconds above 0 and at most 2,147,483 (24.8 days), got NaN'],
    [['--max-duration', '-5'], 'gatesim: --max-duration: expected seconds above 0 and at most 2,147,483 (24.8 days), got -5'],
    [['--max-duration', '0'], 'gatesim: --max-duration: expected seconds above 0 and at most 2,147,483 (24.8 days), got 0'],
    [['--guard', 'abc'], 'gatesim: --guard: expected wall milliseconds from 0 to 3,600,000, got NaN'],
    [['--guard', '-100000'], 'gatesim: --guard: expected wall milliseconds from 0 to 3,600,000, got -100000'],
    [['--cooldown', 'abc'], 'gatesim: --cooldown: expected a duration from 0 to 1h such as 0, 500ms, 5s or 2m, got abc'],
    [['--cooldown', '2h'], 'gatesim: --cooldown: expected a duration from 0 to 1h such as 0, 500ms, 5s or 2m, got 2h'],
  ];
  for (const [args, line] of cases) {
    it(args.join(' '), async () => {
      const out = join(dir, `out-bad-${args.join('')}`);
      const r = real(file('fast-bad', FAST), 'http://127.0.0.1:9', out, args);
      expect(await r.exit).toBe(2);
      expect(r.stderr().split('\n')[0]).toBe(line);
      expect(r.stderr()).not.toMatch(/at .*\.ts:\d+/);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a reset token without real entropy is one line, before anything is sent', async () => {
    const out = join(dir, 'out-weak-token');
    const { code, stderr } = await gatesim([file('fast-weak', FAST), '--mode', 'real', '--set', 'providers.0.url=http://127.0.0.1:9/v1', '--out', out], {
      env: { GATESIM_KEYS: KEYS, GATESIM_RESET_TOKEN: 'abcdefghijklmnopqrstuvwxyz' },
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'GATESIM_RESET_TOKEN: too easy to guess: about 0 bits of entropy, at least 64 needed (repeats and runs such as aaaa or 1234 add none); make one with openssl rand -hex 16\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a key that cannot go in an HTTP header names the variable and the key by position, never the key', async () => {
    const out = join(dir, 'out-bad-key');
    const { code, stderr } = await gatesim([file('fast-key', FAST), '--mode', 'real', '--set', 'providers.0.url=http://127.0.0.1:9/v1', '--out', out], {
      env: { GATESIM_KEYS: 'sk-good-key-1,sk-bad-kéy-2\u0001x' },
    });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'keys.env: environment variable GATESIM_KEYS: key 2 of 2 has a character not allowed in an HTTP header (expected visible ASCII: no spaces, control characters or non-ASCII letters)',
    );
    expect(existsSync(out)).toBe(false);
  });
});
