import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../src/core/secrets.js';
import { serve } from '../src/providers/server.js';
import { loadScenario } from '../src/scenario/load.js';
import { gatesim, type CliResult } from './helpers/cli.js';
import { redisServer, startRedis } from './helpers/redis.js';
import { schemaErrors } from './helpers/schema.js';

const SECRETS = ['sk-live-SECRET-one-111', 'sk-live-SECRET-two-222'];
const SCALE = 0.025; // a minute of scenario time is 1.5 s of wall time
// Wall ms added to each client window: between an admission and its arrival at the provider, four
// CLI processes on a loaded 2-core machine can each be stalled for a few hundred ms (measured up
// to ~400 ms at a load of 12). A second is more than that, and costs the Redis run 3 s in all.
const GUARD_WALL_MS = 1000;
const LIMIT = 6;
const WORKERS = 4;
/**
 * Redis command timeout (wall): an answer is in by then unless the process was stalled that long
 * (a stalled process runs its timers before it reads the answer, and would count an error).
 */
const REDIS_TIMEOUT = '5s';

// Two keys at 6/min on both sides; each of 4 processes sends 12 requests. Alone, one process keeps
// the provider's window; four processes with their own memory send 4× the quota.
const SCENARIO = `
name: redis-shared
seed: 5
workload: { requests: 12, concurrency: 4 }
keys:
  count: 2
  env: GATESIM_KEYS
  limit: ${LIMIT}/min
  acquireTimeout: 60m
providers:
  - name: mock
    latency: 1s
    limit: ${LIMIT}/min
connections: pooled
retry: { attempts: 1 }
`;

/**
 * A real-mode worker process at `scale`; `proc` to end it early. --max-duration bounds a hang, not
 * the run: a run takes under 10 s alone.
 */
function worker(file: string, out: string, sets: string[], scale = SCALE): Promise<CliResult> & { proc: ChildProcess } {
  const args = [file, '--mode', 'real', '--time-scale', String(scale), '--guard', String(GUARD_WALL_MS), '--max-duration', '120', '--format', 'json', '--out', out, '-q'];
  for (const s of sets) args.push('--set', s);
  let proc!: ChildProcess;
  const done = gatesim(args, { env: { GATESIM_KEYS: SECRETS.join(',') }, onStart: (p) => (proc = p) });
  return Object.assign(done, { proc });
}

/** Admissions per key in the worst window of the provider's length, as the provider saw them arrive. */
function worstWindow(arrivals: Map<string, number[]>, windowWallMs: number): number {
  let worst = 0;
  for (const times of arrivals.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j]! - times[i]! >= windowWallMs) i++;
      worst = Math.max(worst, j - i + 1);
    }
  }
  return worst;
}

const suite = redisServer.bin ? describe : describe.skip;
if (!redisServer.bin) console.error(`redis real-mode test skipped: ${redisServer.reason}`);

suite(`four processes share one key pool on Redis${redisServer.bin ? '' : ` (skipped: ${redisServer.reason})`}`, () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-redis-'));
  const file = join(dir, 'redis-shared.yaml');
  beforeAll(async () => {
    writeFileSync(file, SCENARIO);
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Four workers of the file against a fresh `gatesim serve` of it at `scale`; what the provider saw and what each reported. */
  async function run(sets: string[], scale = SCALE) {
    const providers = loadScenario(file, {}).runs[0]!.variants[0]!.scenario.providers;
    const srv = await serve(providers, { port: 0, host: '127.0.0.1', timeScale: scale, seed: 1, log: () => {} });
    const arrivals = new Map<string, number[]>();
    srv.server.on('request', (req) => {
      if (req.method !== 'POST') return;
      const auth = req.headers.authorization ?? '';
      if (!arrivals.has(auth)) arrivals.set(auth, []);
      arrivals.get(auth)!.push(performance.now());
    });
    try {
      const started = performance.now();
      const workers = await Promise.all(
        Array.from({ length: WORKERS }, (_, i) => worker(file, join(dir, `out-${i}`), [`providers.0.url=${srv.url}/v1`, ...sets], scale)),
      );
      const wallS = (performance.now() - started) / 1000;
      for (const w of workers) expect(w.code, w.stderr).toBe(0);
      const metrics = workers.map((w) => JSON.parse(w.stdout).runs[0].variants[0].metrics);
      const rateLimited = metrics.reduce((a, m) => a + m.attemptOutcomes.rateLimited, 0);
      const ok = metrics.reduce((a, m) => a + m.attemptOutcomes.ok, 0);
      return { metrics, rateLimited, ok, worst: worstWindow(arrivals, 60_000 * scale), sent: [...arrivals.values()].reduce((a, t) => a + t.length, 0), wallS };
    } finally {
      await srv.close();
    }
  }

  it('memory store: each process enforces the full limit alone, so the provider answers 429', async () => {
    // Each process sends its 12 requests (its whole quota) as soon as it starts; they meet at the
    // provider only if the processes start within one window of each other. At 0.25 a window is
    // 15 s of wall time: four processes started together are well inside it, however loaded.
    const r = await run([], 0.25);
    console.error(`memory store: ${r.sent} sent, ${r.ok} ok, ${r.rateLimited} 429, worst window ${r.worst}/${LIMIT} per key, ${r.wallS.toFixed(1)} s`);
    expect(r.sent).toBe(48);
    expect(r.rateLimited).toBeGreaterThan(0);
    expect(r.worst).toBeGreaterThan(LIMIT);
    for (const m of r.metrics) expect(m.limiter.store).toBeUndefined();
  }, 120_000);

  it('Redis store: no 429, and no key ever has more than the limit in any window at the provider', async () => {
    const r = await run([`keys.store={ redis: "${redis.url}", prefix: e2e, timeout: ${REDIS_TIMEOUT} }`]);
    console.error(`redis store: ${r.sent} sent, ${r.ok} ok, ${r.rateLimited} 429, worst window ${r.worst}/${LIMIT} per key, ${r.wallS.toFixed(1)} s`);
    expect(r.sent).toBe(48);
    expect(r.rateLimited).toBe(0);
    expect(r.ok).toBe(48);
    expect(r.worst).toBeLessThanOrEqual(LIMIT);
    for (const m of r.metrics) {
      expect(m.limiter.store).toMatchObject({ kind: 'redis', failOpen: false, errors: 0, localDecisions: 0, notify: 'pubsub' });
      expect(m.limiter.store.namespace).toMatch(/^e2e:\{[0-9a-f]{10}\}$/);
    }
    // The keys' fingerprints are in Redis, the keys are not.
    const names = await redis.admin.keys('e2e:*');
    for (const n of names) for (const s of SECRETS) expect(n.includes(s)).toBe(false);
    const used = await redis.admin.hgetall(names.find((n) => n.endsWith(':used'))!);
    expect(Object.values(used).map(Number).reduce((a, b) => a + b, 0)).toBe(48);
  }, 120_000);

  it('a wrong password says authentication failed, not unreachable: one line, exit 2', async () => {
    const locked = await startRedis();
    try {
      await locked.admin.config('SET', 'requirepass', 'the-right-password');
      const url = `redis://:the-wrong-password@127.0.0.1:${locked.port}`;
      const w = await worker(file, join(dir, 'out-auth'), ['providers.0.url=http://127.0.0.1:9/v1', `keys.store={ redis: "${url}", timeout: ${REDIS_TIMEOUT} }`]);
      expect(w.code).toBe(2);
      expect(w.stderr.trim()).toBe(
        `keys.store: authentication failed at Redis redis://:${fingerprint('the-wrong-password')}@127.0.0.1:${locked.port} (WRONGPASS: wrong user name or password); fix the credentials in keys.store.redis`,
      );
      expect(w.stderr).not.toContain('the-wrong-password');
    } finally {
      await locked.stop();
    }
  }, 60_000);

  it('Redis dying mid-run: waiters give up after giveUpAfter instead of their acquire timeout; exit 0, marked degraded', async () => {
    // 40 requests through 2 keys at 6 per minute: after the first 12 every request waits for a key,
    // and its acquire timeout (60 min: 90 s of wall time) is longer than this test may take.
    const dying = await startRedis();
    const providers = loadScenario(file, {}).runs[0]!.variants[0]!.scenario.providers;
    const srv = await serve(providers, { port: 0, host: '127.0.0.1', timeScale: SCALE, seed: 1, log: () => {} });
    let seen = 0;
    let twelve!: () => void;
    const windowsFull = new Promise<void>((resolve) => (twelve = resolve));
    srv.server.on('request', (req) => {
      if (req.method === 'POST' && ++seen === 12) twelve();
    });
    let running: ReturnType<typeof worker> | undefined;
    try {
      running = worker(file, join(dir, 'out-dying'), [
        `providers.0.url=${srv.url}/v1`,
        'workload.requests=40',
        `keys.store={ redis: "${dying.url}", prefix: dying, timeout: 200ms, giveUpAfter: 1s }`,
      ]);
      await windowsFull;
      await dying.stop();
      const w = await running;
      expect(w.code, w.stderr).toBe(0);
      const r = JSON.parse(w.stdout);
      expect(r.degraded).toBe(true);
      expect(schemaErrors(r)).toBe('');
      expect(r.partial).toBeUndefined();
      const m = r.runs[0].variants[0].metrics;
      expect(m.limiter.store).toMatchObject({ kind: 'redis', failOpen: false, degraded: true });
      expect(m.limiter.store.outageGaveUp).toBeGreaterThan(0);
      expect(m.limiter.store.outageGaveUp).toBe(m.outcomes.gaveUp);
      expect(m.outcomes.ok).toBeGreaterThanOrEqual(12);
      expect(m.outcomes.ok + m.outcomes.gaveUp).toBe(40);
      expect(w.stderr).toMatch(/keys\.store: Redis at redis:\/\/127\.0\.0\.1:\d+ failed \([^)]*\); failing closed: nothing is sent until it answers/);
      expect(w.stderr).toContain('gatesim: keys.store: still down after giveUpAfter; requests waiting for a key give up while it stays down');
      expect(w.stderr).toContain('gatesim: the key store stayed down past keys.store.giveUpAfter and requests gave up; the results are marked "degraded": true');
    } finally {
      if (running?.proc.exitCode === null) running.proc.kill('SIGKILL');
      await srv.close();
      await dying.stop();
    }
  }, 120_000);

  it('Redis unreachable: one line, nothing sent, exit 2', async () => {
    const w = await worker(file, join(dir, 'out-x'), ['providers.0.url=http://127.0.0.1:9/v1', `keys.store={ redis: "redis://127.0.0.1:9", timeout: ${REDIS_TIMEOUT} }`]);
    expect(w.code).toBe(2);
    expect(w.stderr.trim()).toBe(
      'keys.store: cannot reach Redis at redis://127.0.0.1:9 (ECONNREFUSED); the pool fails closed — start Redis, or set keys.store.failOpen: true to decide on this process\'s own windows',
    );
  }, 60_000);
});
