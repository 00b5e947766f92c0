import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { LongTimer, longTimeout, sleep } from '../core/long-timer.js';
import { printErr } from '../core/output.js';
import { addSecret, addUrlSecrets } from '../core/secrets.js';
import { assemble } from '../gateway/assemble.js';
import { DirectConnections } from '../gateway/connections.js';
import { KeyPool, type KeyPoolSink } from '../keys/key-pool.js';
import type { Keys } from '../keys/spec.js';
import { MemoryStore } from '../keys/store/memory.js';
import { StorePool } from '../keys/store/pool.js';
import { RedisStore, StoreError } from '../keys/store/redis.js';
import { learns } from '../limiters/index.js';
import type { VariantResult } from '../metrics/results.js';
import type { RunEnd } from '../metrics/variant.js';
import type { WorkloadSource } from '../gateway/workload.js';
import { AttemptLog } from '../providers/attempt-log.js';
import { HttpProvider, type SocketCounter } from '../providers/http.js';
import { isGatesimServe, isLoopbackUrl, resetServe, resetTokenProblem, RESET_ENV } from '../providers/reset.js';
import type { Scenario } from '../scenario/types.js';
import type { Clock } from '../sim/clock.js';
import { stream } from '../sim/random.js';
import { WallClock } from '../sim/wall-clock.js';

import { RealModeError } from './errors.js';

export { RealModeError };

/** A short, stable, non-reversible name for a key: what reports show instead of the key. */
export function fingerprint(secret: string): string {
  return `key-${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

/** What a key may hold: it travels as `Authorization: Bearer <key>`, so visible ASCII without spaces. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The keys of a scenario, from its environment variable only. Each is registered with the
 * redaction pass, and one that could not travel in an HTTP header is refused here, by position
 * (never shown), rather than sent and answered by a run of errors.
 */
export function keysFromEnv(s: Scenario, env: NodeJS.ProcessEnv): string[] {
  const name = s.keys.env;
  if (!name) throw new RealModeError('keys.env: real mode needs the name of an environment variable holding the keys (keys: { env: GATESIM_KEYS })');
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') throw new RealModeError(`keys.env: environment variable ${name} is not set or empty (expected comma-separated keys)`);
  const keys = raw.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  for (const k of keys) addSecret(k);
  const bad = keys.findIndex((k) => !HEADER_SAFE.test(k));
  if (bad >= 0) {
    throw new RealModeError(
      `keys.env: environment variable ${name}: key ${bad + 1} of ${keys.length} has a character not allowed in an HTTP header (expected visible ASCII: no spaces, control characters or non-ASCII letters)`,
    );
  }
  return keys;
}

/** The reset token real mode found in the environment (registered as a secret), or undefined; a malformed one is a mistake. */
export function resetTokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const token = env[RESET_ENV];
  if (token === undefined || token === '') return undefined;
  addSecret(token);
  const problem = resetTokenProblem(token);
  if (problem) throw new RealModeError(`${RESET_ENV}: ${problem}`);
  return token;
}

export interface RealOptions {
  timeScale: number;
  env: NodeJS.ProcessEnv;
  /** Where progress goes (the CLI draws it); none when quiet. */
  progress?: RealProgress;
  /** Stop sending after this much wall time (ms); what is in flight is waited for briefly. */
  maxWallMs: number;
  /**
   * Wall ms added to every client-side window: the network delays each request between the
   * client's admission and the provider's count by a varying amount, so an exact window on both
   * sides would sometimes see two requests closer than the window at the provider. This guard
   * keeps a limiter that holds in simulation from collecting 429s for real.
   */
  guardWallMs: number;
  /** Aborted by Ctrl-C, SIGTERM or SIGHUP: stop sending, wait `graceMs` for what is in flight, report what was measured. */
  signal: AbortSignal;
  /** Aborted by a second signal: stop waiting for what is in flight now. */
  urgent?: AbortSignal;
  graceMs: number;
  /** One line on stderr (a variant started, a cooldown, the cap reached); undefined when quiet. */
  say?: (line: string) => void;
  /**
   * Wall ms to wait between variants. Undefined (the default): reset the providers if they are
   * gatesim serves and GATESIM_RESET_TOKEN is set, else wait until the windows the scenario knows
   * of are clear. 0: nothing.
   */
  cooldownWallMs?: number;
  /** One shard of a schedule split over processes (modes/shard.ts); absent: the whole workload. */
  shard?: RealShard;
}

/** A shard's part in a real run: its share of the workload, its source, and the wait for the shared start. */
export interface RealShard {
  /** The scenario as this shard runs it: its share of the requests (what the recorder holds). */
  scenario(s: Scenario): Scenario;
  source(s: Scenario, clock: Clock): WorkloadSource;
  /** Resolves at the shared start, once the key pool is connected; rejects (RealModeError) when it has passed. */
  ready(signal: AbortSignal): Promise<void>;
}

/** What the CLI shows while a real run goes on (a bar on a terminal, lines otherwise). */
export interface RealProgress {
  /** A variant starts with `total` requests to send. */
  start(name: string, total: number): void;
  /** About five times a second: requests finished, ok and 429 answers so far, wall ms since the start. */
  update(finished: number, ok: number, rateLimited: number, wallMs: number): void;
  stop(): void;
  /** A cooldown of `wallMs` between variants starts; the returned function ends its display. */
  cooldown(wallMs: number): () => void;
}

/** How one variant ended. */
export interface RealEnd {
  result: VariantResult;
  /** A signal stopped it: the file is partial. */
  interrupted: boolean;
  /** `--max-duration` ended it: the variant is marked, the others still run. */
  truncated: boolean;
  /** Its key store stayed down past `giveUpAfter`, and waiters gave up. */
  degraded: boolean;
  /** What `result` was built from (a shard hands it over to be merged). */
  facts: RunEnd;
}

/** Wall ms between a waiter's looks at a shared store when nothing wakes it (no pub/sub, Redis failing). */
const RECHECK_WALL_MS = 250;

/** Default `keys.store.giveUpAfter`, in command timeouts: long enough to ride out a Redis restart. */
const GIVE_UP_TIMEOUTS = 10;

/**
 * The key pool of a real run: the simulation's KeyPool on this process's memory, or a StorePool on
 * Redis shared with every process of the same prefix and limiter (failOpen: this process's own
 * windows while Redis fails).
 */
async function keyPool(
  keys: Keys,
  clock: Clock,
  secrets: string[],
  scale: number,
  seed: number,
  say: (line: string) => void,
): Promise<(sink: KeyPoolSink, group?: Keys, part?: number) => KeyPool | StorePool> {
  const spec = keys.store;
  // A trace's tenant groups (memory only: the loader refuses them on a shared store) each get a pool of their own.
  if (!spec || spec.kind === 'memory') return (sink, group = keys, part) => new KeyPool(group, clock, stream(seed, part === undefined ? 'keys' : `keys:${part}`), sink);
  addUrlSecrets(spec.url);
  let store: RedisStore;
  try {
    store = await RedisStore.connect(
      keys,
      { url: spec.url, prefix: spec.prefix, timeoutMs: spec.timeoutMs, scale, fingerprints: secrets.map(fingerprint), random: stream(seed, 'keys') },
      spec.failOpen,
    );
  } catch (e) {
    if (e instanceof StoreError && e.notRedis) throw new RealModeError(e.message);
    if (e instanceof StoreError && e.auth) throw new RealModeError(`${e.message}; fix the credentials in keys.store.redis`);
    if (e instanceof StoreError) throw new RealModeError(`${e.message}; the pool fails closed — start Redis, or set keys.store.failOpen: true to decide on this process's own windows`);
    throw e;
  }
  return (sink) => {
    const pool = new StorePool(keys, clock, store, sink, {
      fallback: spec.failOpen ? new MemoryStore(keys, clock, stream(seed, 'keys-local')) : undefined,
      recheckMs: RECHECK_WALL_MS / scale,
      onOutage: (m) => say(`gatesim: ${m ?? 'keys.store: Redis answers again'}`),
      giveUpAfterMs: (spec.giveUpAfterMs ?? GIVE_UP_TIMEOUTS * spec.timeoutMs) / scale,
    });
    pool.stats.store.namespace = store.namespace;
    return pool;
  };
}

/**
 * Runs one scenario against live endpoints: the same dispatcher, key pool, limiters, balancers
 * and retries as the simulation on the wall clock (scaled), with HTTP providers. Results are in
 * scenario time (wall ÷ scale), so they compare directly with a simulation of the same file.
 *
 * It stops early in two ways, both of which stop sending, give what is in flight `graceMs`, end
 * the rest as gaveUp and return what was measured: `signal` (the run is interrupted) and
 * `maxWallMs` (this variant is truncated; the caller goes on with the next).
 */
export async function runReal(s: Scenario, name: string, opts: RealOptions): Promise<RealEnd> {
  const secrets = keysFromEnv(s, opts.env);
  // A trace's tenants name keys by number: real mode's keys are those of keys.env, in order.
  const trace = s.workload.trace;
  if (trace?.columns.tenant !== undefined) {
    const highest = trace.tenants ? Math.max(...Object.values(trace.tenants).flat()) + 1 : s.keys.count;
    if (highest > secrets.length) {
      throw new RealModeError(`workload.trace: the trace's tenants take keys up to number ${highest}, but ${s.keys.env ?? 'the key variable'} holds ${secrets.length}`);
    }
  }
  s.providers.forEach((p, i) => {
    if (!p.url) throw new RealModeError(`providers.${i}.url: real mode needs the provider's base URL (such as http://127.0.0.1:8080/v1)`);
    addUrlSecrets(p.url);
  });
  const keys = { ...s.keys, count: secrets.length, guardMs: s.keys.guardMs + opts.guardWallMs / opts.timeScale };
  const clock = new WallClock(opts.timeScale);
  const log = new AttemptLog(s.providers.map((p) => p.name), Date.now());
  const sockets: SocketCounter = { opened: 0 };
  const pooled = s.connections === 'pooled';
  const makePool = await keyPool(keys, clock, secrets, opts.timeScale, s.seed, (line) => printErr(`${line}\n`));
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const shard = opts.shard;
  const mine = shard ? shard.scenario(s) : s;
  const g = assemble({ ...mine, keys }, {
    clock,
    keyNames: secrets.map(fingerprint),
    pool: makePool,
    connections: () => new DirectConnections(pooled, s.providers.length, keys.count),
    providers: (sink) => {
      // What the mock model is told in simulation (MockOptions), real mode's client is told here.
      const options = { sized: s.workload.tokens !== undefined, stream: s.request.stream, figures: learns(s.keys.limiter) };
      return s.providers.map((p, index) => new HttpProvider(p, secrets, pooled, s.request, clock, sink, sockets, options, { log, index }));
    },
    trackRemaps: false,
    onDone: () => finish(),
    measureDrift: true,
    ...(shard ? { source: () => shard.source(s, clock) } : {}),
  });
  const pool = g.pool;
  if (pool instanceof StorePool) await pool.start();
  if (shard) {
    try {
      await shard.ready(opts.signal);
    } catch (e) {
      clock.stop();
      await Promise.all(g.providers.map((p) => (p as HttpProvider).close()));
      if (pool instanceof StorePool) await pool.close();
      throw e;
    }
  }

  const started = performance.now();
  opts.progress?.start(name, mine.workload.requests);
  const counted = (key: 'ok' | 'rateLimited'): number => g.providers.reduce((a, p) => a + p.stats[key], 0);
  const tick = setInterval(() => opts.progress?.update(g.recorder.finished, counted('ok'), counted('rateLimited'), performance.now() - started), 200);

  let interrupted = false;
  let truncated = false;
  let stopping = false;
  const timers: (ReturnType<typeof setTimeout> | LongTimer)[] = [];
  // Close the books: what is still in flight ends as gaveUp, so the report covers exactly the
  // requests that were started.
  const wrapUp = (): void => {
    g.dispatcher.abortAll();
    finish();
  };
  const stop = (why: 'signal' | 'cap'): void => {
    if (why === 'signal') interrupted = true;
    else truncated = !interrupted;
    if (stopping) return;
    stopping = true;
    g.source.stopped = true;
    if (why === 'cap') opts.say?.(`  ${name}: --max-duration reached after ${((performance.now() - started) / 1000).toFixed(1)} s; no new requests, waiting briefly for those in flight`);
    if (opts.urgent?.aborted) return wrapUp();
    // Give what is in flight a moment, then close the books on the rest.
    timers.push(longTimeout(wrapUp, opts.graceMs));
    const poll = setInterval(() => {
      if (g.dispatcher.running === 0) wrapUp();
    }, 20);
    timers.push(poll);
  };
  const onSignal = (): void => stop('signal');
  const onUrgent = (): void => {
    if (stopping) wrapUp();
  };
  opts.signal.addEventListener('abort', onSignal, { once: true });
  opts.urgent?.addEventListener('abort', onUrgent, { once: true });
  const cap = longTimeout(() => stop('cap'), opts.maxWallMs);

  // A signal during the setup above (connecting to Redis) stops the run before it sends anything.
  if (opts.signal.aborted) stop('signal');
  else {
    g.start();
    if (!opts.progress) opts.say?.(`  started ${name}`);
  }
  await finished;
  cap.cancel();
  clearInterval(tick);
  for (const t of timers) {
    if (t instanceof LongTimer) t.cancel();
    else clearInterval(t);
  }
  opts.signal.removeEventListener('abort', onSignal);
  opts.urgent?.removeEventListener('abort', onUrgent);
  const end = clock.now();
  clock.stop();
  opts.progress?.update(g.recorder.finished, counted('ok'), counted('rateLimited'), performance.now() - started);
  opts.progress?.stop();
  await Promise.all(g.providers.map((p) => (p as HttpProvider).close()));
  if (pool instanceof StorePool) await pool.close();
  if (clock.failure) throw clock.failure;
  if (pool instanceof StorePool && pool.failure) throw pool.failure;

  (g.connections as DirectConnections).settle(sockets.opened, g.providers.reduce((a, p) => a + p.stats.requests, 0));
  const degraded = pool instanceof StorePool && pool.stats.store.degraded === true;
  return { result: { ...g.result(name, end), attemptLog: log.toJSON() }, interrupted, truncated, degraded, facts: g.facts(end) };
}

/** What was done between the previous variant and this one so it met the providers fresh (results' `cooldown`). */
export type Cooldown = NonNullable<VariantResult['cooldown']>;

/**
 * Wall ms until the windows a scenario knows of have cleared: the longest of its client-side
 * windows (`keys.limit`, requests and tokens, with its guard, which the provider's own limit is
 * presumed to match) and the providers' own windows of requests and tokens, at the time scale.
 */
export function windowsWallMs(s: Scenario, scale: number, guardWallMs: number): number {
  const client = Math.max(s.keys.limit?.windowMs ?? 0, s.keys.tokens?.windowMs ?? 0);
  let ms = client > 0 ? (client + s.keys.guardMs) * scale + guardWallMs : 0;
  for (const p of s.providers) ms = Math.max(ms, (p.limit?.windowMs ?? 0) * scale, (p.tokens?.windowMs ?? 0) * scale);
  return ms;
}

/** Waits `wallMs` unless `signal` aborts first, shown by the progress display if there is one. */
async function pause(wallMs: number, signal: AbortSignal, progress: RealProgress | undefined): Promise<void> {
  if (wallMs <= 0 || signal.aborted) return;
  const shown = progress?.cooldown(wallMs);
  await sleep(wallMs, signal);
  shown?.();
}

/**
 * Before a variant that follows another: lets every key's quota recover, so the variant meets the
 * providers as a fresh start would (the previous one left their per-key windows full). With a
 * reset token and providers that answer as gatesim serve, resets them; otherwise waits until the
 * windows either variant knows of are clear. `--cooldown` replaces all of this with its own wait.
 */
export async function coolDown(prev: Scenario | undefined, next: Scenario, name: string, opts: RealOptions): Promise<Cooldown> {
  const wait = async (wallMs: number, by: Cooldown['by']): Promise<Cooldown> => {
    await pause(wallMs, opts.signal, opts.progress);
    return { ms: wallMs / opts.timeScale, wallMs, by };
  };
  if (opts.cooldownWallMs === 0) return { ms: 0, wallMs: 0, by: 'none' };
  if (prev === undefined) return freshStart(next, name, opts);
  if (opts.cooldownWallMs !== undefined) {
    opts.say?.(`  cooldown before ${name}: ${(opts.cooldownWallMs / 1000).toFixed(1)} s (--cooldown)`);
    return wait(opts.cooldownWallMs, 'wait');
  }
  const windows = Math.max(windowsWallMs(prev, opts.timeScale, opts.guardWallMs), windowsWallMs(next, opts.timeScale, opts.guardWallMs));
  const token = resetTokenFromEnv(opts.env);
  if (token) {
    const reset = await resetAll([...prev.providers, ...next.providers], token, name, opts);
    if (reset !== undefined) {
      if (reset.failed.length === 0) {
        // A shared key store keeps the previous variant's admissions: a reset of the providers does not clear those.
        const store = prev.keys.store?.kind === 'redis' && prev.keys.limit ? (prev.keys.limit.windowMs + prev.keys.guardMs) * opts.timeScale + opts.guardWallMs : 0;
        opts.say?.(`  cooldown before ${name}: reset gatesim serve at ${reset.origins.join(', ')}${store > 0 ? `; ${(store / 1000).toFixed(1)} s for the key store's windows` : ''}`);
        return store > 0 ? wait(store, 'reset+wait') : { ms: 0, wallMs: 0, by: 'reset' };
      }
      if (opts.signal.aborted) return { ms: 0, wallMs: 0, by: 'none' };
      opts.say?.(`  cooldown before ${name}: reset of ${reset.failed.join(', ')}; waiting for the windows instead`);
    }
  }
  if (windows <= 0) return { ms: 0, wallMs: 0, by: 'none' };
  opts.say?.(
    `  cooldown before ${name}: ${(windows / 1000).toFixed(1)} s for the providers' windows to clear (--cooldown 0 skips it${token ? '' : `; a gatesim serve is reset instead when ${RESET_ENV} is set`})`,
  );
  return wait(windows, 'wait');
}

/**
 * Resets every gatesim serve behind `providers` with `token`, if they all are one: undefined when
 * not (nothing was reset), else the origins and what failed (`origin failed (why)`). The token goes
 * only to a server on this machine's loopback at a URL the scenario names: a provider elsewhere
 * gets no reset, whatever it claims to be (a line on stderr says so). Each exchange ends within
 * EXCHANGE_DEADLINE_MS, and at once when the run's signal aborts.
 */
async function resetAll(providers: readonly Scenario['providers'][number][], token: string, name: string, opts: RealOptions): Promise<{ origins: string[]; failed: string[] } | undefined> {
  const urls = [...new Set(providers.map((p) => p.url!))];
  const remote = urls.filter((u) => !isLoopbackUrl(u));
  if (remote.length > 0) {
    const origin = (u: string): string => URL.canParse(u) ? new URL(u).origin : u;
    opts.say?.(`  before ${name}: no reset: ${RESET_ENV} goes only to a gatesim serve on loopback (127.0.0.0/8, ::1, localhost), and ${remote.map(origin).join(', ')} is not`);
    return undefined;
  }
  // One signal of this phase's own for the exchanges' deadlines to hang on (up to 1,000 providers at
  // once: more than an AbortSignal's 10 listeners, which Node would warn of on the run's signal).
  const phase = new AbortController();
  setMaxListeners(0, phase.signal);
  const stop = (): void => phase.abort();
  opts.signal.addEventListener('abort', stop, { once: true });
  if (opts.signal.aborted) stop();
  try {
    if (!(await Promise.all(urls.map((u) => isGatesimServe(u, phase.signal)))).every(Boolean)) return undefined;
    const origins = [...new Set(urls.map((u) => new URL(u).origin))];
    const results = await Promise.all(origins.map(async (o) => ({ o, why: await resetServe(o, token, phase.signal) })));
    return { origins, failed: results.filter((r) => r.why !== null).map((r) => `${r.o} failed (${r.why})`) };
  } finally {
    opts.signal.removeEventListener('abort', stop);
  }
}

/**
 * Before the first variant: with a reset token and providers that answer as gatesim serve, resets
 * them too, so the run meets a fresh server — whatever ran against it before — and the server's
 * clock starts with the variant: a quota that steps at 2m (or another tenant that starts at 1m)
 * steps at 2m of the run, as in simulation, not at 2m after the server started. Nothing to wait for
 * otherwise: without a reset a user who started the server just now has a fresh one already.
 */
async function freshStart(next: Scenario, name: string, opts: RealOptions): Promise<Cooldown> {
  const none: Cooldown = { ms: 0, wallMs: 0, by: 'none' };
  const token = resetTokenFromEnv(opts.env);
  const timed = next.providers.some((p) => (p.steps?.length ?? 0) > 0 || (p.tenants?.length ?? 0) > 0);
  if (!token) {
    if (timed) opts.say?.(`  ${name}: a provider's quota changes over time; its server's clock started before this run unless it is reset (set ${RESET_ENV} on both sides)`);
    return none;
  }
  const reset = await resetAll(next.providers, token, name, opts);
  if (reset === undefined) return none;
  if (reset.failed.length > 0) {
    if (!opts.signal.aborted) opts.say?.(`  before ${name}: reset of ${reset.failed.join(', ')}`);
    return none;
  }
  const origins = reset.origins;
  opts.say?.(`  before ${name}: reset gatesim serve at ${origins.join(', ')} (a fresh start: its clock and quotas begin with the run)`);
  return { ms: 0, wallMs: 0, by: 'reset' };
}
