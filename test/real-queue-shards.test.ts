/**
 * A real run split over the queue's workers (issue 22): `--mode real --queue URL --shards 2` hands
 * each of two `gatesim worker` processes a shard of the seeded schedule with one start instant; they
 * run it against `gatesim serve` through the shared Redis key pool and send their shard files back,
 * merged into one report. It agrees with the simulation within test/real.test.ts's tolerances, as
 * the file-based shards of test/real-shard.test.ts do.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results, VariantMetrics } from '../src/metrics/results.js';
import { filesUnder, gatesim, gatesimServe, kill, output, tmp, waitFor } from './helpers/cli.js';
import { redisServer, startRedis } from './helpers/redis.js';
import { schemaErrors } from './helpers/schema.js';

const FILE = 'scenarios/serve-check.yaml';
const SECRETS = ['sk-live-SECRET-queue-alpha-1', 'sk-live-SECRET-queue-bravo-2', 'sk-live-SECRET-queue-charlie-3', 'sk-live-SECRET-queue-delta-4'];
const SCALE = 0.2;
const GUARD_WALL_MS = 1000;

const suite = redisServer.bin ? describe : describe.skip;

/** Counts within 5% (or 1), throughput within 10% (less on the slow side by what load adds), as real.test.ts. */
function agrees(sim: VariantMetrics, real: VariantMetrics): void {
  const thr = real.throughputPerS! / sim.throughputPerS! - 1;
  console.error(`queue shards: throughput ${sim.throughputPerS?.toFixed(2)} sim / ${real.throughputPerS?.toFixed(2)} real (${(100 * thr).toFixed(1)}%), p50 ${sim.latencyMs.p50?.toFixed(0)} / ${real.latencyMs.p50?.toFixed(0)} ms`);
  expect(thr).toBeLessThan(0.1);
  expect(thr).toBeGreaterThan(-0.25);
  for (const o of ['ok', 'serverError', 'rateLimited'] as const) {
    expect(Math.abs(real.attemptOutcomes[o] - sim.attemptOutcomes[o]), o).toBeLessThanOrEqual(Math.max(1, 0.05 * sim.attemptOutcomes[o]));
  }
  expect(real.requests).toBe(sim.requests);
}

suite('a real run split over the queue\'s workers', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two workers each run a shard from one start instant; the report merges them and agrees with the simulation', async () => {
    const dir = tmp('gatesim-queue-shards-');
    const store = ['--set', `keys.store={ redis: "${redis.url}", prefix: queue-shards-e2e, timeout: 5s }`];
    const simRun = await gatesim([FILE, '--only', 'pooled', '--out', join(dir, 'sim'), '--format', 'json', '-q', '--set', `keys.guard=${100 + GUARD_WALL_MS / SCALE}ms`]);
    expect(simRun.code, simRun.stderr).toBe(0);
    const sim = (JSON.parse(simRun.stdout) as Results).runs[0]!.variants[0]!.metrics;

    const serve = await gatesimServe([FILE, '--port', '0', '--time-scale', String(SCALE)], { env: { GATESIM_RESET_TOKEN: '' } });
    const procs: ChildProcess[] = [];
    const env = { GATESIM_KEYS: SECRETS.join(','), GATESIM_RESET_TOKEN: '' };
    try {
      // Each worker takes one task at a time, so the two shards go to two processes.
      const workers = [1, 2].map(() => gatesim(['worker', '--queue', redis.url, '--concurrency', '1', '--verbose'], { env, onStart: (p) => procs.push(p) }));
      await Promise.all(procs.map((p) => waitFor(p, /gatesim worker: taking simulations/, 'stderr')));
      const run = await gatesim([
        FILE, '--mode', 'real', '--only', 'pooled', '--time-scale', String(SCALE), '--guard', String(GUARD_WALL_MS),
        '--set', `providers.0.url=${serve.url}/v1`, ...store,
        '--queue', redis.url, '--shards', '2', '--start-in', '15s', '--out', join(dir, 'queued'), '--format', 'json',
      ], { env: { GATESIM_RESET_TOKEN: '' } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/queue: 2 shards of serve-check as study serve-check-[0-9a-f]{12}/);
      const merged = JSON.parse(run.stdout) as Results;
      expect(schemaErrors(merged)).toBe('');
      expect(merged.shards!.count).toBe(2);
      expect(merged.shards!.shards.map((s) => s.requests)).toEqual([75, 75]);
      const m = merged.runs[0]!.variants[0]!.metrics;
      agrees(sim, m);
      expect(m.attemptOutcomes.rateLimited).toBe(0);
      // Each worker ran one shard.
      for (const p of procs) expect(output(p, 'stderr')).toMatch(/worker: finished shard [12]\/2/);
      // The keys lived only in the workers' environment: not in the collector's output nor its files.
      const written = [run.stdout, run.stderr, ...filesUnder(join(dir, 'queued')).map((f) => f.bytes.toString('utf8'))].join('\n');
      for (const k of SECRETS) expect(written).not.toContain(k);
      await Promise.all(procs.map((p) => kill(p)));
      await Promise.all(workers);
    } finally {
      await serve.stop();
      await Promise.all(procs.map((p) => kill(p)));
    }
  }, 180_000);

  it('--shards without --queue, or a real run on a queue without --shards, is one line and exit 2', async () => {
    const a = await gatesim([FILE, '--mode', 'real', '--only', 'pooled', '--shards', '2']);
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toMatch(/^gatesim: --shards: only with --mode real and --queue/);
    const b = await gatesim([FILE, '--mode', 'real', '--only', 'pooled', '--queue', redis.url]);
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toMatch(/--queue with --mode real: expected --shards N/);
  });
});
