/**
 * Decisions per second of the key pool on Redis (keys.store: { redis }), from one process and
 * from four, against a throwaway redis-server on loopback (started here, stopped at the end).
 * A decision is one TAKE script call asking for one key: check, choose least-used, record.
 *
 *   npm run bench:redis            (needs redis-server on PATH: apt-get install -y redis-server)
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RedisStore } from '../src/keys/store/redis.js';
import type { Keys } from '../src/scenario/types.js';
import { freePort } from '../test/helpers/redis.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const FPS = ['key-00000001', 'key-00000002', 'key-00000003', 'key-00000004'];

const spec = (limiter: string, exclusive: boolean): Keys => ({
  count: FPS.length,
  // 2000/s per key: most decisions admit, and the sliding log holds up to 2000 entries per key.
  limit: { count: 2000, windowMs: 1000 },
  guardMs: 0,
  limiter: { type: limiter, options: {} },
  choice: 'least-used',
  exclusive,
  wait: { mode: 'notify' },
  acquireTimeoutMs: Infinity,
});

/** One process: `inFlight` decisions outstanding at once (1: a round trip each), for SECONDS. */
async function decide(url: string, limiter: string, inFlight: number, exclusive: boolean): Promise<{ decisions: number; admitted: number; seconds: number }> {
  const store = await RedisStore.connect(spec(limiter, exclusive), { url, prefix: 'bench', timeoutMs: 5000, scale: 1, fingerprints: FPS, random: Math.random });
  let decisions = 0;
  let admitted = 0;
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const g = await store.take(1);
      decisions++;
      admitted += g.keys.length;
      if (exclusive && g.keys.length > 0) await store.release(g.keys[0]!, g.tokens[0]!);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return { decisions, admitted, seconds };
}

function child(url: string, limiter: string, inFlight: number, exclusive: boolean): Promise<{ decisions: number; admitted: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', url, limiter, String(inFlight), String(exclusive)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`bench child exited ${code}`))));
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [url, limiter, inFlight, exclusive] = process.argv.slice(3);
    process.stdout.write(JSON.stringify(await decide(url!, limiter!, Number(inFlight), exclusive === 'true')));
    return;
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.error('bench:redis: no redis-server on PATH (apt-get install -y redis-server)');
    process.exitCode = 1;
    return;
  }
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const url = `redis://127.0.0.1:${port}`;
  const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.match(/v=(\S+)/)?.[1];
  console.log(`redis-server ${version} on loopback, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${FPS.length} keys, 2000/s each, least-used, ${SECONDS} s per row`);
  console.log('| limiter | exclusive | processes | in flight per process | decisions/s | admitted |');
  console.log('|---|---|---:|---:|---:|---:|');
  try {
    for (const [limiter, exclusive] of [['sliding-log', false], ['gcra', false], ['bucket-window', false], ['sliding-log', true]] as const) {
      for (const [procs, inFlight] of [[1, 1], [1, 64], [4, 64]] as const) {
        const runs = await Promise.all(Array.from({ length: procs }, () => child(url, limiter, inFlight, exclusive)));
        const perS = runs.reduce((a, r) => a + r.decisions / r.seconds, 0);
        const admitted = runs.reduce((a, r) => a + r.admitted, 0) / runs.reduce((a, r) => a + r.decisions, 0);
        console.log(`| ${limiter} | ${exclusive ? 'yes (+ release)' : 'no'} | ${procs} | ${inFlight} | ${Math.round(perS).toLocaleString('en-US')} | ${(admitted * 100).toFixed(0)}% |`);
        spawnSync('redis-cli', ['-p', String(port), 'flushall']);
      }
    }
  } finally {
    server.kill();
  }
}

await main();
