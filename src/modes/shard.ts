import { createHash } from 'node:crypto';
import { LongTimer } from '../core/long-timer.js';
import { scrub } from '../core/secrets.js';
import { buildSchedule, globalId, shardProblem, shareOf, ShardSource, type ShardOf } from '../gateway/shard-source.js';
import { learns } from '../limiters/index.js';
import type { Results } from '../metrics/results.js';
import { encodeFacts, type ShardFacts } from '../metrics/shard-facts.js';
import { percentile, sortInPlace } from '../metrics/stats.js';
import type { Plan, Scenario } from '../scenario/types.js';
import { sampler } from '../sim/dist.js';
import { stream } from '../sim/random.js';
import { RealModeError } from './errors.js';
import type { RealOptions, RealShard } from './real.js';

/** Shards of one run: at most this many (each is a process, and the merge holds every shard file at once). */
export const MAX_SHARDS = 1000;
/** How far ahead `--start-at` may be: a week (a start further off is more likely a typo than a plan). */
export const MAX_START_AHEAD_MS = 7 * 24 * 3_600_000;
/** Round trips to Redis TIME for one clock-offset estimate (the one with the shortest round trip is kept). */
const OFFSET_SAMPLES = 8;

/** This machine's clock in epoch ms, to the microsecond: the monotonic clock anchored to the system clock at process start. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** Wall ms percentiles (nearest rank) of how late sends were, or nulls with none. */
export interface Lateness {
  p50: number | null;
  p99: number | null;
  max: number | null;
  count: number;
}

/** A clock offset of this machine against a reference: reference − local, in ms, within ± errorMs. */
export interface ClockOffset {
  ms: number;
  errorMs: number;
  method: 'redis-time';
}

/** The shard file (`gatesim.shard/v1`): what one shard measured, for `gatesim merge`. No key, no secret. */
export interface ShardFile {
  schema: 'gatesim.shard/v1';
  /** `index` from 1, as on the command line. */
  shard: { index: number; count: number };
  /** What every shard must agree on: the hash covers the variant's scenario as run (provider and store URLs aside: machines may reach them by other names). */
  scenario: { name: string; hash: string; seed: number; run: string; variant: string; requests: number; model: 'open' | 'closed' };
  timeScale: number;
  /** The shared start instant asked for (epoch ms). */
  startAt: number;
  /**
   * This machine's clock: when it started sending (epoch ms, its own clock), how late that was
   * against the start it waited for (startAt on Redis's clock, that is startAt − offset on its own,
   * when the offset is known; else startAt), and its offset against Redis TIME just before the
   * start and just after the run (null: no Redis key pool to measure against).
   */
  clock: { startedAt: number; startLateMs: number; offset: ClockOffset | null; offsetAfter: ClockOffset | null };
  /** Wall ms each arrival (open model) or worker's next request (closed) fired after it was due, per record (in `facts.id` order), and their percentiles. */
  lateMs: number[];
  lateness: Lateness;
  interrupted: boolean;
  truncated: boolean;
  degraded: boolean;
  /** results.json without its runs, as the single-process run would write it (already redacted). */
  header: Omit<Results, 'runs'>;
  run: { name: string; point?: Record<string, unknown> };
  variant: { name: string; condition?: true; oracle?: true };
  facts: ShardFacts;
}

/** Nearest-rank lateness percentiles of `ms`. */
export function latenessOf(ms: ArrayLike<number>): Lateness {
  const s = sortInPlace(Float64Array.from(ms));
  if (s.length === 0) return { p50: null, p99: null, max: null, count: 0 };
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1]!, count: s.length };
}

/** The scenario's identity across machines: its JSON without the URLs (each machine may name the same server differently). */
export function scenarioHash(s: Scenario): string {
  const plain = {
    ...s,
    providers: s.providers.map((p) => ({ ...p, url: undefined })),
    keys: { ...s.keys, store: s.keys.store?.kind === 'redis' ? { ...s.keys.store, url: undefined } : s.keys.store },
  };
  return createHash('sha256').update(JSON.stringify(plain)).digest('hex').slice(0, 16);
}

/**
 * This clock against Redis's (TIME): of OFFSET_SAMPLES round trips, the shortest; the offset is
 * Redis's time less the midpoint of the round trip, within ± half of it (Cristian's method). Null
 * when Redis does not answer (the merge then takes the clocks as synchronised).
 */
export async function redisOffset(url: string, timeoutMs: number): Promise<ClockOffset | null> {
  // Loaded here, not at the top: every start of the CLI imports this module, few use Redis.
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs });
  r.on('error', () => {});
  try {
    await r.connect();
    let best: ClockOffset | null = null;
    for (let i = 0; i < OFFSET_SAMPLES; i++) {
      const t0 = epochNow();
      const [sec, micro] = await r.time();
      const t1 = epochNow();
      const ref = Number(sec) * 1000 + Number(micro) / 1000;
      const half = (t1 - t0) / 2;
      if (!best || half < best.errorMs) best = { ms: ref - (t0 + half), errorMs: half, method: 'redis-time' };
    }
    return best;
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

/**
 * Waits until this machine's clock reads `at` (epoch ms): one LongTimer, re-armed for what is left
 * should it fire a fraction of a millisecond early. Resolves at once when `signal` aborts.
 */
export function waitUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: LongTimer | undefined;
    const done = (): void => {
      signal.removeEventListener('abort', done);
      timer?.cancel();
      resolve();
    };
    const arm = (): void => {
      const left = at - epochNow();
      if (left <= 0 || signal.aborted) return done();
      timer = new LongTimer(arm, Math.ceil(left));
    };
    signal.addEventListener('abort', done, { once: true });
    arm();
  });
}

/** Why a plan cannot run as shard `index` of `count`, or undefined. */
export function shardPlanProblem(plan: Plan, count: number): string | undefined {
  const variants = plan.runs.reduce((n, r) => n + r.variants.length, 0);
  if (variants !== 1) return `--shard: a sharded run takes one variant (all shards start it at --start-at), and ${plan.file} has ${variants}: pick one with --only`;
  const s = plan.runs[0]!.variants[0]!.scenario;
  if (learns(s.keys.limiter)) return 'keys.limiter: a learning limiter cannot be sharded (each shard would learn the quota alone)';
  return shardProblem(s.workload, count);
}

/**
 * Shard `index` (from 0) of `count` of the plan's one variant, against live endpoints: every shard
 * draws the same seeded schedule and sends the requests numbered index, index + count, … (round
 * robin: each shard's share differs by at most one request, and its arrivals are the schedule's
 * thinned evenly, so no shard meets a burst the others do not), starting at `startAt` on the key
 * pool's Redis clock (TIME, through this machine's measured offset), or on its own clock without one. Returns the shard file. `header` is results.json without runs, as `runPlanReal` would
 * write it.
 */
export async function runShard(plan: Plan, opts: RealOptions, at: ShardOf & { startAt: number }, header: Omit<Results, 'runs'>): Promise<ShardFile> {
  const problem = shardPlanProblem(plan, at.count);
  if (problem) throw new RealModeError(problem);
  const run = plan.runs[0]!;
  const v = run.variants[0]!;
  const s = v.scenario;
  const name = `${run.name} / ${v.name}`;
  const sh: ShardOf = { index: at.index, count: at.count };
  const schedule = buildSchedule(s.workload, stream(s.seed, 'workload'), stream(s.seed, 'tokens'));
  const store = s.keys.store?.kind === 'redis' ? s.keys.store : undefined;
  const cap = s.workload.concurrency;
  const requests = shareOf(s.workload.requests, sh);
  let source: ShardSource | undefined;
  let offset: ClockOffset | null = null;
  let startedAt = NaN;
  // The instant to start by this machine's clock: --start-at on Redis's clock when the key pool's
  // Redis told us the offset (then shards whose clocks disagree still start together), else as given.
  let target = at.startAt;
  const part: RealShard = {
    scenario: (x) => ({
      ...x,
      workload: { ...x.workload, requests, concurrency: cap === undefined ? undefined : shareOf(x.workload.arrivals ? cap : Math.min(cap, x.workload.requests), sh) },
    }),
    source: (x, clock) => {
      // One think stream per shard: the same stream in every shard would give their workers the same pauses.
      const think = sampler(x.workload.think, stream(x.seed, at.count === 1 ? 'think' : `think:${at.index + 1}/${at.count}`));
      source = new ShardSource(x.workload, clock, schedule, sh, think, () => epochNow() - target, opts.timeScale, stream(x.seed, 'workload'));
      return source;
    },
    ready: async (signal) => {
      if (store) offset = await redisOffset(store.url, store.timeoutMs);
      target = at.startAt - (offset?.ms ?? 0);
      const late = epochNow() - target;
      if (late > 0) throw new RealModeError(`--start-at: the start time passed ${Math.ceil(late)} ms ago while this shard connected; give the shards more time before --start-at`);
      await waitUntil(target, signal);
      startedAt = epochNow();
    },
  };
  const { runReal } = await import('./real.js');
  const r = await runReal(s, name, { ...opts, shard: part });
  const offsetAfter = store ? await redisOffset(store.url, store.timeoutMs) : null;
  const src = source!;
  const facts = encodeFacts(r.facts, src.size, (j) => globalId(j, sh), src.origin);
  facts.scenario.workers = s.workload.arrivals ? null : (s.workload.concurrency ?? null);
  const lateMs = Array.from(src.lateness.subarray(0, src.measured), (x) => Math.round(x * 1000) / 1000);
  const { runs: _runs, ...rest } = header as Results;
  const file: ShardFile = {
    schema: 'gatesim.shard/v1',
    shard: { index: at.index + 1, count: at.count },
    scenario: { name: plan.name, hash: scenarioHash(s), seed: s.seed, run: run.name, variant: v.name, requests: s.workload.requests, model: s.workload.arrivals ? 'open' : 'closed' },
    timeScale: opts.timeScale,
    startAt: at.startAt,
    clock: { startedAt: Math.round(startedAt * 1000) / 1000, startLateMs: Math.round((startedAt - target) * 1000) / 1000, offset, offsetAfter },
    lateMs,
    lateness: latenessOf(lateMs),
    interrupted: r.interrupted,
    truncated: r.truncated,
    degraded: r.degraded,
    header: rest,
    run: { name: run.name, ...(run.point ? { point: run.point } : {}) },
    variant: { name: v.name, ...(v.condition ? { condition: true as const } : {}), ...(v.oracle ? { oracle: true as const } : {}) },
    facts,
  };
  return file;
}

/** The shard file's text: JSON through the one redaction pass (every key and URL password the process learnt becomes its fingerprint). */
export const shardText = (f: ShardFile): string => scrub(`${JSON.stringify(f)}\n`);
