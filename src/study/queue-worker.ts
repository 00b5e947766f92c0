/**
 * `gatesim worker --queue redis://…`: takes simulations from every open study on that Redis and
 * runs each on a thread (the same `run(task)` as a local sweep's threads), pushing the encoded
 * TaskResult onto the study's results list. Studies are found in the STUDIES set (checked every
 * second); one BullMQ Worker per study, all feeding one pool of `concurrency` threads, so the
 * event loop stays free to renew the jobs' locks however long a simulation takes.
 *
 * A worker killed mid-task loses nothing: its job's lock lapses after `lockMs` and another worker's
 * stalled check (every lockMs / 2) puts the job back to be taken again. A task that fails here
 * (a scenario this version cannot read, or one the simulator refuses) fails once: BullMQ keeps its
 * reason for the collector and it is not retried.
 */
import { longTimeout } from '../core/long-timer.js';
import { hostname } from 'node:os';
import type { Worker as BullWorker, Job } from 'bullmq';
import { packageVersion } from '../core/output.js';
import { redactUrl, scrub } from '../core/secrets.js';
import { openPool } from './pool.js';
import { decode, encode } from './queue-codec.js';
import { aliveKey, bounded, connect, PREFIX, PROTOCOL, queueName, REDIS_MS, resultsKey, RESULTS_TTL_S, STUDIES, type JobData, type Reply } from './queue.js';
import type { Task } from './worker.js';
import type { Plan } from '../scenario/types.js';
import type { Results } from '../metrics/results.js';

/** How often a worker looks for new (and finished) studies. */
const DISCOVER_MS = 1000;
/** RPUSH and EXPIRE the results list (KEYS[2]) only while the study's alive key (KEYS[1]) exists. */
const PUSH_IF_OPEN = `if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/** Default lock of a job: how long a killed worker's task waits before another takes it. */
export const DEFAULT_LOCK_MS = 30_000;
/** Times a job may be found stalled before BullMQ fails it (each time, its worker stopped renewing the lock). */
export const MAX_STALLED = 5;

export interface WorkerOptions {
  url: string;
  /** Simulations at once (threads). */
  concurrency: number;
  /** BullMQ lock duration, wall ms; the stalled check runs every half of it. */
  lockMs: number;
  /** A line per task taken and finished. */
  verbose: boolean;
  say: (line: string) => void;
  /** Aborted: stop taking tasks; `urgent` aborted too: stop now (running tasks stall and are taken again elsewhere). */
  signal: AbortSignal;
}

/** Runs until `signal` is aborted; resolves once every study's Worker has closed. */
export async function serveQueue(opts: WorkerOptions): Promise<{ tasks: number; failed: number }> {
  const client = await connect(opts.url, false);
  const bullConnection = client.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined });
  bullConnection.on('error', () => {});
  const pool = await openPool(opts.concurrency);
  const { Queue, Worker } = await import('bullmq');
  const version = packageVersion();
  const me = `${hostname()} pid ${process.pid}`;
  const serving = new Map<string, BullWorker>();
  let tasks = 0;
  let failed = 0;
  let lostRedis = false;

  const processor = (id: string) => async (job: Job<JobData>): Promise<null> => {
    const data = job.data;
    if (data?.protocol !== PROTOCOL || data.gatesim !== version) {
      throw new Error(`the study was started by gatesim ${String(data?.gatesim)} (protocol ${String(data?.protocol)}), this worker (${me}) runs ${version} (protocol ${PROTOCOL}): run the same version everywhere`);
    }
    if (opts.verbose) opts.say(`worker: took ${job.name} (task ${job.id})`);
    let result: string;
    if (data.real) {
      // A shard of a real run: in this process on the wall clock, keys from this machine's environment.
      const { plan, header } = decode<{ plan: Plan; header: Omit<Results, 'runs'> }>(data.task);
      const { runShard, shardText } = await import('../modes/shard.js');
      const { index, count, startAt, timeScale, guardWallMs, maxWallMs } = data.real;
      const f = await runShard(plan, { timeScale, guardWallMs, env: process.env, maxWallMs, signal: opts.signal, graceMs: 2000 }, { index, count, startAt }, header);
      result = shardText(f);
    } else {
      const r = await pool.run(decode<Task>(data.task));
      result = encode(r);
    }
    const reply: Reply = { id: job.id!, result };
    // Only while the study is open: a result finished after its collector left would recreate its list.
    await client.eval(PUSH_IF_OPEN, 2, aliveKey(id), data.reply, JSON.stringify(reply), RESULTS_TTL_S);
    tasks++;
    if (opts.verbose) opts.say(`worker: finished ${job.name} (task ${job.id})`);
    return null;
  };

  const open = (id: string): void => {
    const w = new Worker<JobData, null>(queueName(id), processor(id), {
      connection: bullConnection,
      prefix: PREFIX,
      concurrency: opts.concurrency,
      lockDuration: opts.lockMs,
      stalledInterval: Math.max(250, Math.floor(opts.lockMs / 2)),
      maxStalledCount: MAX_STALLED,
      name: `gatesim-worker ${me}`,
    });
    w.on('error', () => {});
    w.on('failed', (job, e) => {
      failed++;
      opts.say(`worker: ${job?.name ?? 'a task'} failed: ${scrub(e.message.split('\n')[0]!)}`);
    });
    w.on('stalled', (jobId) => opts.say(`worker: task ${jobId} of study ${id} stalled (its worker stopped); it is taken again`));
    serving.set(id, w);
    opts.say(`worker: serving study ${id}`);
  };
  const close = async (id: string): Promise<void> => {
    const w = serving.get(id);
    serving.delete(id);
    await w?.close(true).catch(() => undefined);
    opts.say(`worker: study ${id} closed`);
  };

  const forget = async (id: string): Promise<void> => {
    const q = new Queue(queueName(id), { connection: bullConnection, prefix: PREFIX });
    q.on('error', () => {});
    try {
      await bounded(q.obliterate({ force: true }), REDIS_MS, 'remove a dead study');
      await client.multi().srem(STUDIES, id).del(resultsKey(id)).exec();
      opts.say(`worker: study ${id} had lost its collector; its tasks are removed`);
    } finally {
      await q.close().catch(() => undefined);
    }
  };

  let looking = false;
  const discover = async (): Promise<void> => {
    if (looking || opts.signal.aborted) return;
    looking = true;
    try {
      const ids = await client.smembers(STUDIES);
      const alive = ids.length ? await client.mget(ids.map(aliveKey)) : [];
      if (lostRedis) opts.say(`worker: Redis at ${redactUrl(opts.url)} answers again`);
      lostRedis = false;
      const open_ = new Set<string>();
      ids.forEach((id, i) => {
        if (alive[i] !== null) open_.add(id);
      });
      // Their collectors died (the alive key expired): nobody reads their results, so their jobs and results go.
      for (const id of ids.filter((x) => !open_.has(x))) await forget(id);
      for (const id of open_) if (!serving.has(id) && !opts.signal.aborted) open(id);
      for (const id of [...serving.keys()]) if (!open_.has(id)) await close(id);
    } catch (e) {
      if (!lostRedis) opts.say(`worker: Redis at ${redactUrl(opts.url)} does not answer (${(e as Error).message}); trying again`);
      lostRedis = true;
    } finally {
      looking = false;
    }
  };

  opts.say(`gatesim worker: taking simulations from ${redactUrl(opts.url)} on ${opts.concurrency} thread${opts.concurrency === 1 ? '' : 's'} (${me}, lock ${opts.lockMs / 1000} s)`);
  await discover();
  const timer = setInterval(() => void discover(), DISCOVER_MS);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  // Stop taking; a worker closed without force waits for its running tasks (bounded by one lock: past it, they are someone else's).
  await Promise.all([...serving.values()].map((w) => Promise.race([w.close(), new Promise<void>((r) => longTimeout(r, opts.lockMs))]).catch(() => undefined)));
  serving.clear();
  await pool.destroy();
  bullConnection.disconnect();
  await client.quit().catch(() => undefined);
  client.disconnect();
  return { tasks, failed };
}
