/**
 * Simulations on other machines: the collector side of `--queue redis://…`. Each task goes to a
 * BullMQ queue of its own study (named by a random study id, so two studies never mix); `gatesim
 * worker` processes anywhere take them (queue-worker.ts), run the same `run(task)` as a thread and
 * push the TaskResult, encoded by queue-codec.ts, onto the study's results list, which this side
 * reads. The object returned is an OpenPool, so a sweep and a search use it as they use threads.
 *
 * Bounds: every Redis exchange (REDIS_MS), the whole collection (`deadlineMs`); a worker killed
 * mid-task holds its job's lock no longer than the lock duration, after which another worker's
 * stalled check puts it back and it is taken again (deterministic: the same result). A task whose
 * worker reports a failure is not retried (it would fail the same way anywhere): the collection
 * stops with one line naming it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import type { Queue as BullQueue } from 'bullmq';
import { longTimeout, type LongTimer } from '../core/long-timer.js';
import { packageVersion } from '../core/output.js';
import { redactUrl, scrub } from '../core/secrets.js';
import { authProblem, protocolProblem } from '../keys/store/redis.js';
import type { OpenPool } from './pool.js';
import { encode, decode } from './queue-codec.js';
import type { Task, TaskResult } from './worker.js';

/** Wall ms one Redis exchange may take before the collection (or a worker) gives up on it. */
export const REDIS_MS = 10_000;
/** BullMQ's key prefix for every study queue. */
export const PREFIX = 'gatesim';
/** The set of open studies' ids that workers read to find queues. */
export const STUDIES = 'gatesim:queue:studies';
/** A study is open while this key exists (the collector renews it; it expires when the collector dies). */
export const aliveKey = (id: string): string => `gatesim:queue:alive:${id}`;
/** Where workers push the study's results. */
export const resultsKey = (id: string): string => `gatesim:queue:results:${id}`;
/** The BullMQ queue of a study (no ':' in a BullMQ queue name). */
export const queueName = (id: string): string => `study-${id}`;
/** How often the collector renews its study's key, and how long the key outlives a silent collector. */
export const HEARTBEAT_MS = 5_000;
export const ALIVE_MS = 30_000;
/** How long a results list outlives its last push when nobody reads it (a collector that died). */
export const RESULTS_TTL_S = 24 * 3600;
/** Bumped when what travels changes shape: a worker refuses jobs of another version. */
export const PROTOCOL = 1;

/** What a job carries (BullMQ stores it as JSON). */
export interface JobData {
  protocol: number;
  /** The gatesim version that made the job: a worker of another version refuses it (its results could differ). */
  gatesim: string;
  /** The task as queue-codec text. */
  task: string;
  /** The results list to push onto. */
  reply: string;
  /**
   * A shard of a real run instead of a simulation (docs/distributed-real.md): `task` is the plan
   * and results header as queue-codec text, and the worker runs this shard of it on the wall
   * clock, from `startAt` (epoch ms), and pushes the shard file's text.
   */
  real?: RealShardJob;
}

/** What a worker needs to run one shard of a real run (besides the plan): the CLI's real-mode flags. */
export interface RealShardJob {
  index: number;
  count: number;
  startAt: number;
  timeScale: number;
  guardWallMs: number;
  maxWallMs: number;
}

/** What a worker pushes onto the results list. */
export interface Reply {
  id: string;
  /** The TaskResult as queue-codec text. */
  result: string;
}

/** The queue could not be used (unreachable Redis, a secret in a task): one line for the user. */
export class QueueError extends Error {}

/** Why the collection stopped before every task came back. */
export class QueueStopped extends Error {
  constructor(
    message: string,
    readonly why: 'interrupted' | 'deadline' | 'failed' | 'error',
  ) {
    super(message);
  }
}

/** `--queue` text → an error message, or undefined when it is a Redis URL. */
export function queueUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected redis://host:port[/db], got ${redactUrl(url)}`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `expected redis://host:port[/db] (or rediss://), got ${redactUrl(url)}`;
  if (!u.hostname) return `expected a host in redis://host:port[/db], got ${redactUrl(url)}`;
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db)) return `expected a database number after the port (redis://host:port/0), got ${redactUrl(url)}`;
  return undefined;
}

/** An ioredis error in a few words (its retry-limit message says the connection was lost). */
export function redisProblem(e: Error): string {
  if (/max retries per request|Connection is closed|ECONNRESET|ECONNREFUSED/i.test(e.message)) return 'the connection was lost';
  return e.message.split('\n')[0]!;
}

/** Rejects when `p` takes more than `ms`. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: LongTimer | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = longTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => timer?.cancel());
}

/** A connected ioredis client for the queue's URL, or one line saying why not. `blocking`: for BullMQ (no retry limit per command). */
export async function connect(url: string, blocking: boolean): Promise<RedisClient> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_MS,
    ...(blocking ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, commandTimeout: REDIS_MS }),
    retryStrategy: (n) => Math.min(200 * n, 2000),
  });
  let last: Error | undefined;
  client.on('error', (e: Error) => (last = e));
  try {
    await bounded(client.connect(), REDIS_MS, 'connect');
    await bounded(client.ping(), REDIS_MS, 'ping');
  } catch (e) {
    client.disconnect();
    const err = (last ?? e) as NodeJS.ErrnoException;
    const why = authProblem(err) ?? protocolProblem(err) ?? err.code ?? err.message;
    throw new QueueError(`--queue: cannot reach Redis at ${redactUrl(url)} (${why})`);
  }
  return client;
}

/** Progress of a collection: tasks back, being run by a worker now, failed, of how many sent. */
export interface QueueProgress {
  done: number;
  running: number;
  failed: number;
  total: number;
}

export interface QueuePoolOptions {
  url: string;
  /** Readable part of the study id (the scenario's name). */
  label: string;
  /** Wall ms the whole collection may take. */
  deadlineMs: number;
  /** Wall ms without any task taken before one line says no worker is attached. */
  idleMs?: number;
  /** One line for the user (no worker yet, a failed task). */
  say?: (line: string) => void;
  progress?: (p: QueueProgress) => void;
  /** Aborted: stop, remove the queue's jobs, reject what is still out (QueueStopped 'interrupted'). */
  signal?: AbortSignal;
}

/** An OpenPool on a BullMQ queue; `stopped` resolves when the collection stops early (never when it ends normally). */
export interface QueuePool extends OpenPool {
  readonly id: string;
  /** Tasks sent, back, failed so far. */
  readonly counts: () => QueueProgress;
  /** `label`: the task as messages name it (default: its variant's name). */
  run(task: Task, label?: string): Promise<TaskResult>;
  /** One shard of a real run (`payload`: queue-codec text of the plan and header); resolves with the shard file's text. */
  runReal(payload: string, shard: RealShardJob, label: string): Promise<string>;
}

/** The study id: the label's letters and digits, then random hex (two studies of one file never share a queue). */
function studyId(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 32);
  return `${slug || 'study'}-${randomBytes(6).toString('hex')}`;
}

/** Tasks sent in one addBulk. */
const BULK = 500;
/** How often the collector reads the queue's counts (running, failed) and checks its bounds. */
const POLL_MS = 1000;

/**
 * Opens a study on the queue at `opts.url`. `run(task)` sends one simulation and resolves with
 * what a worker returned; `destroy()` removes the study's jobs, results and registration.
 */
export async function openQueuePool(opts: QueuePoolOptions): Promise<QueuePool> {
  const id = studyId(opts.label);
  const client = await connect(opts.url, false);
  const blocker = client.duplicate({ commandTimeout: REDIS_MS + 2000 });
  blocker.on('error', () => {});
  const bullConnection = client.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined });
  bullConnection.on('error', () => {});
  const { Queue } = await import('bullmq');
  const queue: BullQueue = new Queue(queueName(id), {
    connection: bullConnection,
    prefix: PREFIX,
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: false },
  });
  queue.on('error', () => {});
  const reply = resultsKey(id);
  const version = packageVersion();
  try {
    await bounded(client.multi().sadd(STUDIES, id).set(aliveKey(id), String(Date.now()), 'PX', ALIVE_MS).exec(), REDIS_MS, 'register the study');
  } catch (e) {
    client.disconnect();
    blocker.disconnect();
    bullConnection.disconnect();
    throw new QueueError(`--queue: cannot use Redis at ${redactUrl(opts.url)} (${(e as Error).message})`);
  }

  const waiting = new Map<string, { resolve: (r: never) => void; reject: (e: Error) => void; name: string; parse: (text: string) => unknown }>();
  const adds: { name: string; data: JobData; opts: { jobId: string } }[] = [];
  let seq = 0;
  let sent = 0;
  let done = 0;
  let running = 0;
  let failed = 0;
  let stopped: QueueStopped | undefined;
  let closed = false;
  let taken = false;
  const started = performance.now();
  let saidIdle = false;

  const stop = (e: QueueStopped): void => {
    if (stopped) return;
    stopped = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const onAbort = (): void => stop(new QueueStopped('interrupted', 'interrupted'));
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();

  const heartbeat = setInterval(() => {
    client.set(aliveKey(id), String(Date.now()), 'PX', ALIVE_MS).catch(() => {});
  }, HEARTBEAT_MS);

  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (adds.length > 0 && !stopped) {
      const batch = adds.splice(0, BULK);
      try {
        await bounded(queue.addBulk(batch), REDIS_MS, 'send tasks');
      } catch (e) {
        stop(new QueueStopped(`--queue: could not send tasks to Redis at ${redactUrl(opts.url)} (${redisProblem(e as Error)})`, 'error'));
      }
    }
    flushing = undefined;
  };

  // Results: one blocking pop at a time, each bounded (BLPOP's own 1 s, the client's command timeout).
  const reading = (async () => {
    while (!closed) {
      let got: [string, string] | null;
      try {
        got = await blocker.blpop(reply, 1);
      } catch (e) {
        if (closed) return;
        stop(new QueueStopped(`--queue: lost Redis at ${redactUrl(opts.url)} while collecting results (${redisProblem(e as Error)})`, 'error'));
        return;
      }
      if (!got) continue;
      let r: Reply;
      try {
        r = JSON.parse(got[1]) as Reply;
      } catch {
        continue; // not a reply of ours: never trusted
      }
      const w = waiting.get(r.id);
      if (!w) continue; // a task taken twice (its first worker stalled) answers twice: the same result
      waiting.delete(r.id);
      taken = true;
      done++;
      try {
        w.resolve(w.parse(r.result) as never);
      } catch (e) {
        w.reject(new QueueStopped(`--queue: the result of ${w.name} could not be read (${(e as Error).message})`, 'failed'));
      }
    }
  })();

  let polling = false;
  const poll = setInterval(() => {
    if (polling || closed) return;
    polling = true;
    void (async () => {
      try {
        if (!stopped && performance.now() - started > opts.deadlineMs) {
          stop(new QueueStopped(`--queue: the collection took longer than --queue-deadline (${opts.deadlineMs / 1000} s); ${done} of ${sent} tasks came back`, 'deadline'));
        }
        if (stopped || sent === 0) return;
        const counts = await bounded(queue.getJobCounts('active', 'failed'), REDIS_MS, 'read the queue');
        running = counts.active ?? 0;
        if (running > 0) taken = true;
        if ((counts.failed ?? 0) > 0 && failed === 0) {
          failed = counts.failed ?? 0;
          const [job] = await bounded(queue.getFailed(0, 0), REDIS_MS, 'read the failed task');
          const reason = scrub(String(job?.failedReason ?? 'no reason given').split('\n')[0]!);
          stop(new QueueStopped(`--queue: a worker could not run ${job?.name ?? 'a task'}: ${reason}`, 'failed'));
        }
        opts.progress?.({ done, running, failed, total: sent });
        if (!taken && !saidIdle && performance.now() - started > (opts.idleMs ?? 15_000)) {
          saidIdle = true;
          opts.say?.(`--queue: no worker has taken a task in ${((opts.idleMs ?? 15_000) / 1000).toFixed(0)} s; start some with: gatesim worker --queue ${redactUrl(opts.url)}`);
        }
      } catch (e) {
        stop(new QueueStopped(`--queue: lost Redis at ${redactUrl(opts.url)} (${redisProblem(e as Error)})`, 'error'));
      } finally {
        polling = false;
      }
    })();
  }, POLL_MS);

  return {
    id,
    counts: () => ({ done, running, failed, total: sent }),
    run(task: Task, label = task.name): Promise<TaskResult> {
      if (stopped) return Promise.reject(stopped);
      const text = encode(task);
      // Nothing secret travels: a simulation needs no key, and a password in a URL of the scenario stays home.
      if (scrub(text) !== text) {
        throw new QueueError(
          `--queue: ${label}: the scenario carries a secret (a password in a URL, or a secret-looking field) that would travel to the workers; a simulation needs none: remove it, or --set keys.store=memory`,
        );
      }
      const jobId = `t${++seq}`;
      sent++;
      adds.push({ name: label, data: { protocol: PROTOCOL, gatesim: version, task: text, reply }, opts: { jobId } });
      flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush);
      return new Promise<TaskResult>((resolve, reject) => waiting.set(jobId, { resolve, reject, name: label, parse: (t) => decode<TaskResult>(t) }));
    },
    runReal(payload: string, shard: RealShardJob, label: string): Promise<string> {
      if (stopped) return Promise.reject(stopped);
      // Keys come from each worker's environment; a password in a provider's or store's URL stays home.
      if (scrub(payload) !== payload) {
        throw new QueueError(`--queue: ${label}: the scenario carries a secret (a password in a URL, or a secret-looking field) that would travel to the workers: give it to each machine instead`);
      }
      const jobId = `r${++seq}`;
      sent++;
      adds.push({ name: label, data: { protocol: PROTOCOL, gatesim: version, task: payload, reply, real: shard }, opts: { jobId } });
      flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush);
      return new Promise<string>((resolve, reject) => waiting.set(jobId, { resolve, reject, name: label, parse: (t) => t }));
    },
    async destroy(): Promise<void> {
      if (closed) return;
      closed = true;
      stop(new QueueStopped('closed', 'interrupted'));
      opts.signal?.removeEventListener('abort', onAbort);
      clearInterval(heartbeat);
      clearInterval(poll);
      // The study's jobs (waiting, running, failed) go, then its results and registration; a worker
      // running one of them finds its lock gone. One bound for all of it: a Redis that went away
      // does not hold the collector up once per step.
      const cleanup = async (): Promise<void> => {
        await flushing;
        await queue.obliterate({ force: true });
        await client.multi().srem(STUDIES, id).del(aliveKey(id), reply).exec();
        await queue.close();
      };
      await bounded(cleanup(), REDIS_MS, 'remove the study').catch(() => undefined);
      blocker.disconnect();
      await reading.catch(() => undefined);
      bullConnection.disconnect();
      client.disconnect();
    },
  };
}

/**
 * Every task on the queue, `done(i, r)` as each comes back. Resolves with the results in task
 * order; when the collection stops early (Ctrl-C, the deadline, a failed task), the tasks not back
 * are undefined and `stopped` says why.
 */
export async function queueTasks(
  pool: QueuePool,
  tasks: readonly Task[],
  done?: (index: number, r: TaskResult) => void,
  labels?: readonly string[],
): Promise<{ results: (TaskResult | undefined)[]; stopped?: QueueStopped }> {
  const results: (TaskResult | undefined)[] = new Array<TaskResult | undefined>(tasks.length).fill(undefined);
  let stopped: QueueStopped | undefined;
  await Promise.all(
    tasks.map(async (task, i) => {
      try {
        const r = await pool.run(task, labels?.[i]);
        results[i] = r;
        done?.(i, r);
      } catch (e) {
        if (!(e instanceof QueueStopped)) throw e;
        stopped ??= e;
      }
    }),
  );
  return { results, ...(stopped ? { stopped } : {}) };
}
