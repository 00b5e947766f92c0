import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../src/modes/real.js';
import type { Results, VariantMetrics } from '../src/metrics/results.js';
import type { ShardFile } from '../src/modes/shard.js';
import { filesUnder, gatesim, gatesimServe, loopDelayProbe, waitFor, type CliResult } from './helpers/cli.js';
import { redisServer, startRedis } from './helpers/redis.js';
import { schemaErrors } from './helpers/schema.js';

const FILE = 'scenarios/serve-check.yaml';
const SECRETS = ['sk-live-SECRET-alpha-123', 'sk-live-SECRET-bravo-456', 'sk-live-SECRET-charlie-789', 'sk-live-SECRET-delta-000'];
const PASSWORD = 'redis-PASSWORD-for-the-shards-42';
/** As test/real.test.ts: a minute of scenario time in 12 s of wall time, and a wall guard longer than a loaded machine stalls a process. */
const SCALE = 0.2;
const GUARD_WALL_MS = 1000;
/**
 * How far ahead of now the shards are told to start: both must have started node, loaded the
 * scenario and connected to Redis by then (a few hundred ms alone; 15 s leaves room for a machine
 * loaded ten times over). A shard that is not ready says so in one line and the test fails there.
 */
const LEAD_MS = 15_000;
/**
 * Shard 2's clock reads this far ahead of shard 1's (test/helpers/clock-skew.mjs): with the key
 * pool's Redis as the shared clock it must still start with shard 1, not this much earlier.
 */
const SKEW_MS = 3000;
const SKEW = ['--import', pathToFileURL(join(process.cwd(), 'test', 'helpers', 'clock-skew.mjs')).href];

const suite = redisServer.bin ? describe : describe.skip;
if (!redisServer.bin) console.error(`shard test skipped: ${redisServer.reason}`);

/**
 * `real` against `base` within the sim↔real tolerances of test/real.test.ts: counts within 5% (or
 * 1), throughput within 10% and p50 within 15%, the side on which `real` may be slower widened by
 * what the machine's load added to each attempt (`perAttemptMs`, measured). `both`: `base` is a
 * real run too, slowed the same way, so both sides are widened.
 */
function agrees(what: string, base: VariantMetrics, real: VariantMetrics, perAttemptMs: number, both = false): void {
  const chain = Math.ceil(base.attempts / 12);
  const slowerThr = (chain * perAttemptMs) / base.totalTimeMs!;
  const slowerP50 = perAttemptMs / base.latencyMs.p50!;
  const thr = real.throughputPerS! / base.throughputPerS! - 1;
  const p50 = real.latencyMs.p50! / base.latencyMs.p50! - 1;
  console.error(
    `${what}: throughput ${base.throughputPerS?.toFixed(2)} / ${real.throughputPerS?.toFixed(2)} (${(100 * thr).toFixed(1)}%; -${(10 + 100 * slowerThr).toFixed(1)}% … +${(10 + (both ? 100 * slowerThr : 0)).toFixed(1)}% allowed), p50 ${base.latencyMs.p50?.toFixed(0)} / ${real.latencyMs.p50?.toFixed(0)} ms (${(100 * p50).toFixed(1)}%), ok ${base.attemptOutcomes.ok} / ${real.attemptOutcomes.ok}, 429 ${base.attemptOutcomes.rateLimited} / ${real.attemptOutcomes.rateLimited}`,
  );
  expect(thr, `${what} throughput`).toBeLessThan(0.1 + (both ? slowerThr : 0));
  expect(thr, `${what} throughput`).toBeGreaterThan(-0.1 - slowerThr);
  expect(p50, `${what} p50`).toBeGreaterThan(-0.15 - (both ? slowerP50 : 0));
  expect(p50, `${what} p50`).toBeLessThan(0.15 + slowerP50);
  for (const o of ['ok', 'serverError', 'rateLimited'] as const) {
    expect(Math.abs(real.attemptOutcomes[o] - base.attemptOutcomes[o]), `${what} ${o}`).toBeLessThanOrEqual(Math.max(1, 0.05 * base.attemptOutcomes[o]));
  }
  expect(real.requests).toBe(base.requests);
}

/** Nearest-rank percentile of ascending `s`, as results round it (3 decimals). */
const rank = (s: number[], p: number): number => Math.round(s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]! * 1000) / 1000;

suite(`a real run split over two shard processes${redisServer.bin ? '' : ` (skipped: ${redisServer.reason})`}`, () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let storeUrl: string;
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-shard-'));
  /** The two shard files of the first test, for the refusals after it. */
  let shardPaths: string[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    await redis.admin.config('SET', 'requirepass', PASSWORD);
    storeUrl = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('merges into one report that agrees with the single-process run and with the simulation; the shard files hold no key', async () => {
    const env = { GATESIM_KEYS: SECRETS.join(','), GATESIM_RESET_TOKEN: '' };
    const common = ['--mode', 'real', '--only', 'pooled', '--time-scale', String(SCALE), '--guard', String(GUARD_WALL_MS)];
    // The simulation with the real runs' client windows (the file's guard and the wall guard).
    const simRun = await gatesim([FILE, '--only', 'pooled', '--out', join(dir, 'sim'), '--format', 'json', '-q', '--set', `keys.guard=${100 + GUARD_WALL_MS / SCALE}ms`]);
    expect(simRun.code, simRun.stderr).toBe(0);
    const sim = (JSON.parse(simRun.stdout) as Results).runs[0]!.variants[0]!.metrics;

    // One process against a fresh serve.
    const serveDelay1 = loopDelayProbe();
    const oneDelay = loopDelayProbe();
    const serve1 = await gatesimServe([FILE, '--port', '0', '--time-scale', String(SCALE)], { env: { ...serveDelay1.env, GATESIM_RESET_TOKEN: '' }, node: serveDelay1.node });
    let single: CliResult;
    try {
      single = await gatesim([FILE, ...common, '--set', `providers.0.url=${serve1.url}/v1`, '--out', join(dir, 'one'), '--format', 'json', '-q'], { env: { ...env, ...oneDelay.env }, node: oneDelay.node });
    } finally {
      await serve1.stop();
    }
    expect(single.code, single.stderr).toBe(0);
    const one = (JSON.parse(single.stdout) as Results).runs[0]!.variants[0]!.metrics;

    // Two shard processes against another fresh serve, sharing the key pool on Redis.
    const serveDelay2 = loopDelayProbe();
    const serve2 = await gatesimServe([FILE, '--port', '0', '--time-scale', String(SCALE)], { env: { ...serveDelay2.env, GATESIM_RESET_TOKEN: '' }, node: serveDelay2.node });
    const delays = [loopDelayProbe(), loopDelayProbe()];
    let runs: CliResult[];
    // When each shard said it started, by this process's clock.
    const saidStart: number[] = [];
    try {
      const at = Date.now() + LEAD_MS;
      runs = await Promise.all(
        [1, 2].map((i) =>
          gatesim(
            [
              FILE, ...common,
              '--set', `providers.0.url=${serve2.url}/v1`,
              '--set', `keys.store={ redis: "${storeUrl}", prefix: shard-e2e, timeout: 5s }`,
              '--shard', `${i}/2`, '--start-at', String(at),
              '--out', join(dir, `shard-${i}`),
            ],
            {
              env: { ...env, ...delays[i - 1]!.env, GATESIM_TEST_CLOCK_SKEW_MS: i === 2 ? String(SKEW_MS) : '0' },
              node: [...delays[i - 1]!.node, ...SKEW],
              onStart: (p: ChildProcess) => void waitFor(p, /started default \/ pooled/, 'stderr').then(() => (saidStart[i - 1] = performance.now()), () => {}),
            },
          ),
        ),
      );
    } finally {
      await serve2.stop();
    }
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    shardPaths = [1, 2].map((i) => join(dir, `shard-${i}`, 'serve-check', `shard-${i}-of-2.json`));
    for (const [i, r] of runs.entries()) expect(r.stderr).toMatch(new RegExp(`shard ${i + 1}/2: 75 requests, started [\\d.]+ ms late, lateness p50 [\\d.]+ ms, p99 [\\d.]+ ms, max [\\d.]+ ms, clock offset -?[\\d.]+ ± [\\d.]+ ms against Redis\\nwrote `));
    const files = shardPaths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as ShardFile);
    // Shard 2's clock is SKEW_MS ahead: Redis TIME says so, and it waited that much longer by its
    // own clock, so both started at --start-at on Redis's clock. Without that correction it would
    // have started SKEW_MS before shard 1; the two said so within half of that of each other.
    const [o1, o2] = files.map((f) => f.clock.offset!);
    console.error(`clock offsets: shard 1 ${o1!.ms.toFixed(3)} ± ${o1!.errorMs.toFixed(3)} ms, shard 2 ${o2!.ms.toFixed(3)} ± ${o2!.errorMs.toFixed(3)} ms; the shards said they started ${(saidStart[1]! - saidStart[0]!).toFixed(0)} ms apart`);
    expect(Math.abs(o2!.ms - o1!.ms + SKEW_MS)).toBeLessThanOrEqual(o1!.errorMs + o2!.errorMs + 5);
    expect(Math.abs(saidStart[1]! - saidStart[0]!)).toBeLessThan(SKEW_MS / 2);

    const merge = await gatesim(['merge', ...shardPaths, '--out', join(dir, 'merged'), '--format', 'json']);
    expect(merge.code, merge.stderr).toBe(0);
    const merged = JSON.parse(merge.stdout) as Results;
    expect(schemaErrors(merged)).toBe('');
    expect(merged.mode).toBe('real');
    expect(merged.shards!.count).toBe(2);
    expect(merged.shards!.offsetMethod).toBe('redis-time');
    expect(merged.shards!.shards.map((s) => s.requests)).toEqual([75, 75]);
    for (const s of merged.shards!.shards) {
      expect(s.offsetErrorMs).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(s.offsetMs)).toBe(true);
      expect(s.startLateMs).toBeGreaterThanOrEqual(0);
    }
    const m = merged.runs[0]!.variants[0]!.metrics;

    // What load added to each attempt: the slowest client's and the servers' p99 event-loop delays.
    const [d1, d2, sd1, sd2, od] = [delays[0]!.read(), delays[1]!.read(), serveDelay1.read(), serveDelay2.read(), oneDelay.read()];
    const shardAttemptMs = (Math.max(d1.p99Ms, d2.p99Ms) + sd2.p99Ms) / SCALE;
    const oneAttemptMs = (od.p99Ms + sd1.p99Ms) / SCALE;
    console.error(`event-loop p99: shards ${d1.p99Ms.toFixed(1)} / ${d2.p99Ms.toFixed(1)} ms, their serve ${sd2.p99Ms.toFixed(1)} ms; one process ${od.p99Ms.toFixed(1)} ms, its serve ${sd1.p99Ms.toFixed(1)} ms`);
    agrees('merged against the simulation', sim, m, shardAttemptMs);
    agrees('merged against one process', one, m, shardAttemptMs + oneAttemptMs, true);
    // The shared Redis pool keeps each key's window across both processes: no 429.
    expect(m.attemptOutcomes.rateLimited).toBe(0);
    expect(Object.keys(m.keys)).toEqual(SECRETS.map(fingerprint));

    // Percentiles are those of the shards' records together, exactly.
    const lat = files.flatMap((f) => f.facts.end.map((e, j) => (f.facts.outcome[j] === 0 ? e - f.facts.arrival[j]! : NaN))).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    expect([m.latencyMs.min, m.latencyMs.p50, m.latencyMs.p90, m.latencyMs.p99, m.latencyMs.max]).toEqual([rank(lat, 0), rank(lat, 50), rank(lat, 90), rank(lat, 99), rank(lat, 100)]);
    const late = files.flatMap((f) => f.lateMs).sort((a, b) => a - b);
    expect(merged.shards!.lateness).toEqual({ p50: late[Math.ceil(0.5 * late.length) - 1], p99: late[Math.ceil(0.99 * late.length) - 1], max: late.at(-1) });

    // No key and no Redis password in any file the shards or the merge wrote, nor in what they printed.
    const written = [...filesUnder(join(dir, 'shard-1')), ...filesUnder(join(dir, 'shard-2')), ...filesUnder(join(dir, 'merged'))].map((f) => f.bytes.toString('utf8'));
    expect(written.length).toBeGreaterThanOrEqual(5);
    for (const t of [...written, ...runs.map((r) => r.stdout + r.stderr), merge.stdout, merge.stderr]) {
      for (const k of [...SECRETS, PASSWORD]) expect(t.includes(k)).toBe(false);
    }
    // The page shows the shards.
    expect(readFileSync(join(dir, 'merged', 'serve-check', 'index.html'), 'utf8')).toContain('<h2>Shards</h2>');
  }, 300_000);

  it('a missing shard, a shard of another run or a start time in the past: one line, exit 2', async () => {
    expect(shardPaths, 'needs the shard files of the test above').toHaveLength(2);
    const missing = await gatesim(['merge', shardPaths[0]!, '--out', join(dir, 'refused')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('gatesim merge: missing shard 2 of 2: the report would leave out their requests\n');

    const other = JSON.parse(readFileSync(shardPaths[1]!, 'utf8')) as ShardFile;
    other.scenario.seed = 12;
    const otherPath = join(dir, 'other-seed.json');
    writeFileSync(otherPath, JSON.stringify(other));
    const mismatch = await gatesim(['merge', shardPaths[0]!, otherPath, '--out', join(dir, 'refused')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toBe(`gatesim merge: ${shardPaths[0]} and ${otherPath} are not shards of one run: seed 11 vs 12\n`);

    const twice = await gatesim(['merge', shardPaths[0]!, shardPaths[0]!, '--out', join(dir, 'refused')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(`gatesim merge: ${shardPaths[0]} and ${shardPaths[0]} are both shard 1 of 2\n`);
    expect(readdirSync(dir)).not.toContain('refused');

    const past = await gatesim([FILE, '--mode', 'real', '--only', 'pooled', '--shard', '1/2', '--start-at', '1000', '--out', join(dir, 'past')], { env: { GATESIM_KEYS: SECRETS.join(',') } });
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/^--start-at: 1970-01-01T00:00:01\.000Z is [\d.]+ s in the past \(expected a time ahead, epoch ms\)\n$/);
  }, 60_000);
});

