/**
 * Simulations on queue workers (`--queue`, `gatesim worker`): a real redis-server on loopback and
 * real worker processes. Every wait is on an event (a line printed, a process exiting), never on
 * a wall-clock threshold; the lock of a killed worker's job is shortened to 2 s so its task comes
 * back quickly.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../src/metrics/results.js';
import type { Scenario } from '../src/scenario/types.js';
import { parseScenario } from '../src/scenario/load.js';
import { openQueuePool, PREFIX, PROTOCOL, queueName, QueueStopped, resultsKey, STUDIES } from '../src/study/queue.js';
import { freePort, redisServer, startRedis } from './helpers/redis.js';
import { gatesim, kill, output, tmp, waitFor, type CliResult } from './helpers/cli.js';

const suite = redisServer.bin ? describe : describe.skip;
if (!redisServer.bin) console.error(`queue test skipped: ${redisServer.reason}`);

/** A sweep of six points, the first long enough (~2 s) to kill its worker mid-trial. */
const KILL = `name: kill
seed: 3
workload: { requests: 20000, concurrency: 20 }
keys: { count: 4, limit: 6000/min }
providers: [{ name: p, latency: { dist: lognormal, median: 200ms, p99: 1s } }]
variants:
  - { name: sliding-log }
sweep:
  workload.requests: [1500000, 20000, 20001, 20002, 20003, 20004]
`;

/** Two variants at three points: six simulations. */
const SWEEP = `name: three
seed: 11
workload: { requests: 5000, concurrency: 10 }
keys: { count: 3, limit: 600/min }
providers: [{ name: p, latency: { dist: lognormal, median: 200ms, p99: 1s }, limit: 1200/min }]
variants:
  - { name: sliding-log }
  - { name: gcra, keys: { limiter: gcra } }
sweep:
  workload.concurrency: [5, 20, 50]
`;

/** Thirty small points: a collection still under way when the test stops it. */
const MANY = `name: many
seed: 5
workload: { requests: 20000, concurrency: 10 }
keys: { count: 3, limit: 6000/min }
providers: [{ name: p, latency: 100ms }]
variants:
  - { name: sliding-log }
sweep:
  workload.requests: [${Array.from({ length: 30 }, (_, i) => 20000 + i).join(', ')}]
`;

const SEARCH = `name: cap
seed: 5
goal: 429s = 0, p99 key wait <= 2s
workload: { requests: 2000, arrivals: { process: poisson, rate: 1/s } }
keys: { count: 2, limit: 120/min, acquireTimeout: 1h }
providers:
  - { name: p, latency: { dist: lognormal, median: 300ms, p99: 2s }, limit: 120/min }
variants:
  - { name: sliding-log }
  - { name: fixed-window, keys: { limiter: fixed-window } }
`;

/** test/config-search.test.ts's scenario: one configuration best by construction (the argument is there). */
const BEST = `name: best
seed: 3
goal: maximise goodput subject to 429s = 0, success >= 99%
workload: { requests: 900, concurrency: 200 }
keys: { count: 4, limit: 60/min, limiter: token-bucket, acquireTimeout: 1h }
balancer: round-robin
providers:
  - { name: good, latency: 1s, limit: { requests: 120/min, scope: all } }
  - { name: broken, latency: 1s, failure: 100% }
`;

function scenarioFile(text: string, name: string): { dir: string; file: string } {
  const dir = tmp('gatesim-queue-');
  writeFileSync(join(dir, `${name}.yaml`), text);
  return { dir, file: join(dir, `${name}.yaml`) };
}

/** A worker process that has said it is taking simulations. */
async function startWorker(url: string, env: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; done: Promise<CliResult> }> {
  let proc!: ChildProcess;
  const done = gatesim(['worker', '--queue', url, '--concurrency', '1', '--verbose'], { env, onStart: (p) => (proc = p) });
  await waitFor(proc, /gatesim worker: taking simulations/, 'stderr');
  return { proc, done };
}

const count = (text: string, re: RegExp): number => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

suite(`simulations on queue workers${redisServer.bin ? '' : ` (skipped: ${redisServer.reason})`}`, () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** After a collector has ended: nothing of its study is left in Redis (the workers' presence aside). */
  const leftovers = async (): Promise<string[]> => (await redis.admin.keys('gatesim:*')).filter((k) => !k.includes(':worker')).sort();

  it('a sweep over three worker processes writes the same results.json as a local run', async () => {
    const { dir, file } = scenarioFile(SWEEP, 'three');
    const local = await gatesim([file, '--out', join(dir, 'local'), '--format', 'none', '--jobs', '1', '-q']);
    expect(local.code, local.stderr).toBe(0);
    const workers = await Promise.all([1, 2, 3].map(() => startWorker(redis.url)));
    const queued = await gatesim([file, '--queue', redis.url, '--out', join(dir, 'queue'), '--format', 'none']);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stderr).toMatch(/6 simulations as study three-[0-9a-f]{12} on redis:\/\/127\.0\.0\.1:\d+/);
    for (const f of ['results.json', 'results.md']) {
      expect(readFileSync(join(dir, 'queue', 'three', f), 'utf8'), f).toBe(readFileSync(join(dir, 'local', 'three', f), 'utf8'));
    }
    // The workers ran them, each once.
    const logs = workers.map((w) => output(w.proc, 'stderr')).join('');
    expect(count(logs, /worker: finished /)).toBe(6);
    await Promise.all(workers.map((w) => waitFor(w.proc, /worker: study three-[0-9a-f]+ closed/, 'stderr')));
    expect(await leftovers()).toEqual([]);
    await Promise.all(workers.map((w) => kill(w.proc)));
  });

  it("every shipped scenario through the queue gives its golden results.json (a dataset's rows, unlimited capacities travel)", async () => {
    const golden = JSON.parse(readFileSync(join('test', 'golden', 'results.sha256.json'), 'utf8')) as Record<string, string>;
    const out = tmp('gatesim-queue-folder-');
    const workers = await Promise.all([1, 2].map(() => startWorker(redis.url)));
    const queued = await gatesim(['scenarios', '--queue', redis.url, '--out', out, '--format', 'none', '-q']);
    expect(queued.code, queued.stderr).toBe(0);
    const shipped = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));
    expect(shipped.length).toBeGreaterThan(5);
    for (const f of shipped) {
      const bytes = readFileSync(join(out, f.replace(/\.yaml$/, ''), 'results.json'));
      expect(createHash('sha256').update(bytes).digest('hex'), f).toBe(golden[join('scenarios', f)]);
    }
    await Promise.all(workers.map((w) => kill(w.proc)));
  });

  it('a worker killed mid-trial loses nothing: its task is taken again and the results are the same', async () => {
    const { dir, file } = scenarioFile(KILL, 'kill');
    const local = await gatesim([file, '--out', join(dir, 'local'), '--format', 'none', '--jobs', '1', '-q']);
    expect(local.code, local.stderr).toBe(0);
    const env = { GATESIM_QUEUE_LOCK_MS: '2000' };
    const workers = await Promise.all([1, 2, 3].map(() => startWorker(redis.url, env)));
    const queued = gatesim([file, '--queue', redis.url, '--out', join(dir, 'queue'), '--format', 'none', '-q']);
    // Whichever worker takes the long point is killed while it simulates.
    const victim = await Promise.race(workers.map((w, i) => waitFor(w.proc, /took workload\.requests=1500000 \//, 'stderr').then(() => i)));
    await kill(workers[victim]!.proc);
    const q = await queued;
    expect(q.code, q.stderr).toBe(0);
    expect(readFileSync(join(dir, 'queue', 'kill', 'results.json'), 'utf8')).toBe(readFileSync(join(dir, 'local', 'kill', 'results.json'), 'utf8'));
    const survivors = workers.filter((_, i) => i !== victim).map((w) => output(w.proc, 'stderr')).join('');
    expect(output(workers[victim]!.proc, 'stderr')).not.toMatch(/finished workload\.requests=1500000/);
    expect(survivors).toMatch(/stalled \(its worker stopped\); it is taken again/);
    expect(survivors).toMatch(/finished workload\.requests=1500000 \//);
    await Promise.all(workers.map((w) => kill(w.proc)));
  });

  it('a task a worker cannot run is reported once, to the collector and on the worker, and not retried', async () => {
    const worker = await startWorker(redis.url);
    const pool = await openQueuePool({ url: redis.url, label: 'bad', deadlineMs: 600_000 });
    try {
      const broken = pool.run({ scenario: { name: 'broken' } as unknown as Scenario, name: 'broken' }, 'point=1 / broken');
      const e = await broken.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(QueueStopped);
      expect((e as QueueStopped).why).toBe('failed');
      expect((e as QueueStopped).message).toMatch(/^--queue: a worker could not run point=1 \/ broken: \S/);
      expect((e as QueueStopped).message).not.toContain('\n');
      await waitFor(worker.proc, /worker: point=1 \/ broken failed/, 'stderr');
      expect(count(output(worker.proc, 'stderr'), /point=1 \/ broken failed/)).toBe(1);
      expect(count(output(worker.proc, 'stderr'), /took point=1 \/ broken/)).toBe(1);
      expect(pool.counts().failed).toBe(1);
    } finally {
      await pool.destroy();
    }
    await waitFor(worker.proc, /worker: study bad-[0-9a-f]+ closed/, 'stderr');
    expect(count(output(worker.proc, 'stderr'), /took point=1 \/ broken/)).toBe(1);
    await kill(worker.proc);
  });

  it('with no worker, says so once; Ctrl-C removes its tasks and keeps the points that came back', async () => {
    const { dir, file } = scenarioFile(MANY, 'many');
    const local = await gatesim([file, '--out', join(dir, 'local'), '--format', 'none', '--jobs', '1', '-q']);
    expect(local.code, local.stderr).toBe(0);
    let collector!: ChildProcess;
    const queued = gatesim([file, '--queue', redis.url, '--out', join(dir, 'queue'), '--format', 'none'], {
      env: { GATESIM_QUEUE_IDLE_MS: '300' },
      onStart: (p) => (collector = p),
    });
    await waitFor(collector, /no worker has taken a task in 0 s; start some with: gatesim worker --queue redis:\/\/127\.0\.0\.1:\d+/, 'stderr');
    const worker = await startWorker(redis.url);
    await waitFor(worker.proc, /worker: finished /, 'stderr');
    collector.kill('SIGINT');
    const q = await queued;
    expect(q.code, q.stderr).toBe(130);
    expect(count(q.stderr, /no worker has taken a task/)).toBe(1);
    expect(q.stderr).toMatch(/the run was interrupted \(SIGINT\); the report keeps the points that came back \(marked "partial": true\)/);
    const partial = JSON.parse(readFileSync(join(dir, 'queue', 'many', 'results.json'), 'utf8')) as Results;
    const whole = JSON.parse(readFileSync(join(dir, 'local', 'many', 'results.json'), 'utf8')) as Results;
    expect(partial.partial).toBe(true);
    expect(partial.runs.length).toBeLessThan(whole.runs.length);
    for (const run of partial.runs) expect(run).toEqual(whole.runs.find((r) => r.name === run.name));
    expect(await leftovers()).toEqual([]);
    await kill(worker.proc);
  });

  it('a job made by another gatesim version is refused by the worker, once, and the collector says which', async () => {
    const worker = await startWorker(redis.url);
    const pool = await openQueuePool({ url: redis.url, label: 'skew', deadlineMs: 600_000 });
    try {
      // Another collector's version, on this study's queue (as a machine with an older install would send it).
      const { Queue } = await import('bullmq');
      const q = new Queue(queueName(pool.id), { connection: { host: '127.0.0.1', port: redis.port }, prefix: PREFIX });
      await q.add('old / v', { protocol: PROTOCOL, gatesim: '0.0.1', task: '{}', reply: resultsKey(pool.id) }, { jobId: 'old-1', attempts: 1 });
      await q.close();
      // A long task of this version behind it: still running when the refusal is read.
      const long = parseScenario(KILL, 'kill.yaml').runs[0]!.variants[0]!;
      const outcome = await pool.run({ scenario: long.scenario, name: long.name }, 'long').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(QueueStopped);
      expect((outcome as QueueStopped).message).toMatch(/^--queue: a worker could not run old \/ v: the study was started by gatesim 0\.0\.1 \(protocol 1\), this worker \(.+ pid \d+\) runs \S+ \(protocol 1\): run the same version everywhere$/);
      await waitFor(worker.proc, /worker: old \/ v failed/, 'stderr');
      expect(count(output(worker.proc, 'stderr'), /old \/ v failed/)).toBe(1);
    } finally {
      await pool.destroy();
    }
    await kill(worker.proc);
    expect(await leftovers()).toEqual([]);
  });

  it("a study whose collector died (its alive key expired) has its tasks and results removed by the next worker", async () => {
    const { Queue } = await import('bullmq');
    const id = 'dead-000000000000';
    const q = new Queue(queueName(id), { connection: { host: '127.0.0.1', port: redis.port }, prefix: PREFIX });
    await q.add('orphan', { never: 'run' });
    await q.close();
    await redis.admin.multi().sadd(STUDIES, id).rpush(resultsKey(id), '{}').exec(); // no alive key: its collector is gone
    expect((await redis.admin.keys(`gatesim:study-${id}:*`)).length).toBeGreaterThan(0);
    const worker = await startWorker(redis.url);
    await waitFor(worker.proc, /worker: study dead-000000000000 had lost its collector; its tasks are removed/, 'stderr');
    expect(output(worker.proc, 'stderr')).not.toMatch(/took orphan|serving study dead/);
    expect(await leftovers()).toEqual([]);
    await kill(worker.proc);
  });

  it('a search through the queue gives the same search.json as a local one', async () => {
    const { dir, file } = scenarioFile(SEARCH, 'cap');
    const args = ['search', file, '--vary', 'workload.arrivals.rate=0.5/s..8/s', '--seeds', '2', '--format', 'none', '-q'];
    const local = await gatesim([...args, '--out', join(dir, 'local'), '--jobs', '1']);
    expect(local.code, local.stderr).toBe(0);
    const workers = await Promise.all([1, 2].map(() => startWorker(redis.url)));
    const queued = await gatesim([...args, '--out', join(dir, 'queue'), '--queue', redis.url]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(readFileSync(join(dir, 'queue', 'cap-search', 'search.json'), 'utf8')).toBe(readFileSync(join(dir, 'local', 'cap-search', 'search.json'), 'utf8'));
    expect(count(workers.map((w) => output(w.proc, 'stderr')).join(''), /worker: finished /)).toBeGreaterThan(0);
    await Promise.all(workers.map((w) => kill(w.proc)));
  });

  it('a search over several fields through three workers, one killed while it works, gives the local answer and search.json', async () => {
    // test/config-search.test.ts's scenario, best by construction: sliding-log, 2 keys, availability.
    const { dir, file } = scenarioFile(BEST, 'best');
    const args = ['search', file, '--choose', 'keys.limiter=sliding-log,uniform-interval,token-bucket', '--vary', 'keys.count=1..4',
      '--choose', 'balancer=round-robin,availability', '--budget', '120', '--seeds', '2', '--format', 'json', '-q'];
    const local = await gatesim([...args, '--out', join(dir, 'local'), '--jobs', '1']);
    expect(local.code, local.stderr).toBe(0);
    const workers = await Promise.all([1, 2, 3].map(() => startWorker(redis.url, { GATESIM_QUEUE_LOCK_MS: '2000' })));
    const queued = gatesim([...args, '--out', join(dir, 'queue'), '--queue', redis.url]);
    // The first worker to take a trial is killed (SIGKILL) at once: whatever it held is taken again.
    const victim = await Promise.race(workers.map((w, i) => waitFor(w.proc, /worker: took /, 'stderr').then(() => i)));
    await kill(workers[victim]!.proc);
    const q = await queued;
    expect(q.code, q.stderr).toBe(0);
    expect(readFileSync(join(dir, 'queue', 'best-search', 'search.json'), 'utf8')).toBe(readFileSync(join(dir, 'local', 'best-search', 'search.json'), 'utf8'));
    const answer = (JSON.parse(readFileSync(join(dir, 'queue', 'best-search', 'search.json'), 'utf8')) as { answer: { values: Record<string, unknown> } }).answer.values;
    expect(answer).toEqual({ 'keys.limiter': 'sliding-log', 'keys.count': 2, balancer: 'availability' });
    expect(count(workers.filter((_, i) => i !== victim).map((w) => output(w.proc, 'stderr')).join(''), /worker: finished /)).toBeGreaterThan(0);
    await Promise.all(workers.map((w) => kill(w.proc)));
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a scenario that would carry a secret to the workers, in one line without it', async () => {
    const password = 'queue-test-Secr3t-value';
    const { dir, file } = scenarioFile(`${SWEEP}`.replace('keys: { count: 3, limit: 600/min }', `keys: { count: 3, limit: 600/min, store: { redis: "redis://:${password}@127.0.0.1:6379" } }`), 'three');
    const r = await gatesim([file, '--queue', redis.url, '--out', join(dir, 'out'), '--format', 'none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^(queue: .*\n)?gatesim: --queue: .*the scenario carries a secret .*--set keys\.store=memory\n$/);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(existsSync(join(dir, 'out', 'three', 'results.json'))).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('bad --queue values and an unreachable Redis are one line and exit 2', async () => {
    const { dir, file } = scenarioFile(SWEEP, 'three');
    const port = await freePort();
    const cases: [string[], RegExp][] = [
      [['--queue', 'http://127.0.0.1:6379'], /^gatesim: --queue: expected redis:\/\/host:port\[\/db\] \(or rediss:\/\/\), got http:\/\/127\.0\.0\.1:6379\n$/],
      [['--queue', `redis://127.0.0.1:${port}`], /^gatesim: --queue: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/],
      [['--queue', redis.url, '--queue-deadline', '2w'], /^gatesim: --queue-deadline: expected a duration from 1s to 168h \(a week\) such as 30m or 12h, got 2w\n$/],
    ];
    for (const [flags, re] of cases) {
      const r = await gatesim([file, ...flags, '--out', join(dir, 'out'), '--format', 'none']);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    const w = await gatesim(['worker', '--queue', redis.url, '--concurrency', '0']);
    expect(w.code).toBe(2);
    expect(w.stderr).toBe('gatesim: --concurrency: expected an integer from 1 to 256, got 0\n');
  });

  it('a Redis that goes away mid-collection ends it with one line (no hang), keeping what came back', async () => {
    const own = await startRedis();
    const { dir, file } = scenarioFile(SWEEP, 'three');
    let collector!: ChildProcess;
    const queued = gatesim([file, '--queue', own.url, '--out', join(dir, 'out'), '--format', 'none'], { onStart: (p) => (collector = p) });
    await waitFor(collector, /6 simulations as study three-/, 'stderr');
    await own.stop();
    const r = await queued;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\ngatesim: --queue: lost Redis at redis:\/\/127\.0\.0\.1:\d+ (while collecting results )?\(the connection was lost\); the report keeps the points that came back \(marked "partial": true\)\n/);
    expect((JSON.parse(readFileSync(join(dir, 'out', 'three', 'results.json'), 'utf8')) as Results).partial).toBe(true);
  });

  it('a collection past --queue-deadline stops with one line, writes what came back (nothing), marked partial', async () => {
    const { dir, file } = scenarioFile(SWEEP, 'three');
    const r = await gatesim([file, '--queue', redis.url, '--queue-deadline', '1s', '--out', join(dir, 'out'), '--format', 'none', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^gatesim: --queue: the collection took longer than --queue-deadline \(1 s\); 0 of 6 tasks came back; the report keeps the points that came back \(marked "partial": true\)\n$/);
    const partial = JSON.parse(readFileSync(join(dir, 'out', 'three', 'results.json'), 'utf8')) as Results;
    expect([partial.partial, partial.runs.length]).toEqual([true, 0]);
    expect(await leftovers()).toEqual([]);
  });
});
