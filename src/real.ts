import { createHash } from 'node:crypto';
import cliProgress from 'cli-progress';
import { HealthMonitor } from './balancers/health.js';
import { createBalancer } from './balancers/index.js';
import { DirectConnections } from './gateway/connections.js';
import { Dispatcher } from './gateway/dispatcher.js';
import { RetryPolicy } from './gateway/retry.js';
import { KeyPool, type KeyPoolSink } from './limiters/key-pool.js';
import { MemoryStore } from './limiters/store/memory.js';
import { StorePool } from './limiters/store/pool.js';
import { RedisStore, StoreError } from './limiters/store/redis.js';
import { Recorder } from './metrics/recorder.js';
import type { VariantResult } from './metrics/results.js';
import { variantResult } from './metrics/variant.js';
import { HttpProvider, type SocketCounter } from './providers/http.js';
import { sampler } from './sim/dist.js';
import { stream } from './sim/random.js';
import { WallClock } from './sim/wall-clock.js';
import type { Keys, Scenario } from './scenario/types.js';
import type { Clock } from './sim/clock.js';

/** A mistake in how real mode was asked for (missing keys, missing url): one line, exit 2. */
export class RealModeError extends Error {}

/** A short, stable, non-reversible name for a key: what reports show instead of the key. */
export function fingerprint(secret: string): string {
  return `key-${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

/** The keys of a scenario, from its environment variable only. */
export function keysFromEnv(s: Scenario, env: NodeJS.ProcessEnv): string[] {
  const name = s.keys.env;
  if (!name) throw new RealModeError('keys.env: real mode needs the name of an environment variable holding the keys (keys: { env: GATESIM_KEYS })');
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') throw new RealModeError(`keys.env: environment variable ${name} is not set or empty (expected comma-separated keys)`);
  return raw.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
}

export interface RealOptions {
  timeScale: number;
  env: NodeJS.ProcessEnv;
  /** Show a progress bar on stderr. */
  progress: boolean;
  /** Stop sending after this much wall time (ms); what is in flight is waited for briefly. */
  maxWallMs: number;
  /**
   * Wall ms added to every client-side window: the network delays each request between the
   * client's admission and the provider's count by a varying amount, so an exact window on both
   * sides would sometimes see two requests closer than the window at the provider. This guard
   * keeps a limiter that holds in simulation from collecting 429s for real.
   */
  guardWallMs: number;
  /** Aborted by Ctrl-C: stop sending, wait `graceMs` for what is in flight, report what was measured. */
  signal: AbortSignal;
  graceMs: number;
}

/** Wall ms between a waiter's looks at a shared store when nothing wakes it (no pub/sub, Redis failing). */
const RECHECK_WALL_MS = 250;

/**
 * The key pool of a real run: the simulation's KeyPool on this process's memory, or a StorePool on
 * Redis shared with every process of the same prefix and limiter (failOpen: this process's own
 * windows while Redis fails).
 */
async function keyPool(keys: Keys, clock: Clock, sink: KeyPoolSink, secrets: string[], scale: number, seed: number): Promise<KeyPool | StorePool> {
  const spec = keys.store;
  if (!spec || spec.kind === 'memory') return new KeyPool(keys, clock, stream(seed, 'keys'), sink);
  const say = (line: string): void => void process.stderr.write(`gatesim: ${line}\n`);
  let store: RedisStore;
  try {
    store = await RedisStore.connect(
      keys,
      { url: spec.url, prefix: spec.prefix, timeoutMs: spec.timeoutMs, scale, fingerprints: secrets.map(fingerprint), random: stream(seed, 'keys') },
      spec.failOpen,
    );
  } catch (e) {
    if (e instanceof StoreError) throw new RealModeError(`${e.message}; the pool fails closed — start Redis, or set keys.store.failOpen: true to decide on this process's own windows`);
    throw e;
  }
  const pool = new StorePool(keys, clock, store, sink, {
    fallback: spec.failOpen ? new MemoryStore(keys, clock, stream(seed, 'keys-local')) : undefined,
    recheckMs: RECHECK_WALL_MS / scale,
    onOutage: (m) => say(m ?? 'keys.store: Redis answers again'),
  });
  pool.stats.store.namespace = store.namespace;
  await pool.start();
  return pool;
}

/**
 * Runs one scenario against live endpoints: the same dispatcher, key pool, limiters, balancers
 * and retries as the simulation on the wall clock (scaled), with HTTP providers. Results are in
 * scenario time (wall ÷ scale), so they compare directly with a simulation of the same file.
 */
export async function runReal(s: Scenario, name: string, opts: RealOptions): Promise<{ result: VariantResult; partial: boolean }> {
  const secrets = keysFromEnv(s, opts.env);
  s.providers.forEach((p, i) => {
    if (!p.url) throw new RealModeError(`providers.${i}.url: real mode needs the provider's base URL (such as http://127.0.0.1:8080/v1)`);
  });
  const keys = { ...s.keys, count: secrets.length, guardMs: s.keys.guardMs + opts.guardWallMs / opts.timeScale };
  const scenario: Scenario = { ...s, keys };
  const clock = new WallClock(opts.timeScale);
  const n = s.providers.length;
  const recorder = new Recorder(s.workload.requests, keys.count);
  const healthy = new Uint8Array(n).fill(1);
  const inFlight = new Float64Array(n);
  const sockets: SocketCounter = { opened: 0 };
  const sink: KeyPoolSink = {
    granted: (w, k) => dispatcher.granted(w, k),
    gaveUp: (w) => dispatcher.gaveUp(w),
  };
  const pool = await keyPool(keys, clock, sink, secrets, opts.timeScale, s.seed);
  const balancer = createBalancer(
    s.balancer.type,
    { weights: s.providers.map((p) => p.weight), names: s.providers.map((p) => p.name), random: stream(s.seed, 'balancer'), healthy, inFlight },
    s.balancer.options,
  );
  const connections = new DirectConnections(s.connections === 'pooled', n, keys.count);
  let providers: HttpProvider[] = [];
  let health!: HealthMonitor;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const dispatcher: Dispatcher = new Dispatcher(scenario, {
    clock,
    pool,
    balancer,
    connections: () => connections,
    providers: (sink) =>
      (providers = s.providers.map((p) => new HttpProvider(p, secrets, s.connections === 'pooled', s.request, clock, sink, sockets))),
    retry: new RetryPolicy(s.retry, stream(s.seed, 'retry')),
    health: (ports) => (health = new HealthMonitor(s.health, n, clock, healthy, ports)),
    healthy,
    inFlight,
    think: sampler(s.workload.think, stream(s.seed, 'think')),
    workloadRandom: stream(s.seed, 'workload'),
    recorder,
    onDone: () => finish(),
  });

  const bar = opts.progress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `  ${name} {bar} {value}/{total} requests · {ok} ok · {limited} 429 · {rate}/s · {elapsed}s`,
          hideCursor: false,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const started = performance.now();
  bar?.start(s.workload.requests, 0, { ok: 0, limited: 0, rate: '0.0', elapsed: '0' });
  const tick = setInterval(() => {
    const wall = (performance.now() - started) / 1000;
    const ok = providers.reduce((a, p) => a + p.stats.ok, 0);
    bar?.update(recorder.finished, {
      ok,
      limited: providers.reduce((a, p) => a + p.stats.rateLimited, 0),
      rate: wall > 0 ? (recorder.finished / wall).toFixed(1) : '0.0',
      elapsed: wall.toFixed(0),
    });
  }, 200);

  let partial = false;
  const interrupt = (): void => {
    partial = true;
    dispatcher.stopped = true;
    // Give what is in flight a moment, then close the books on the rest.
    const deadline = setTimeout(() => {
      dispatcher.abortAll();
      finish();
    }, opts.graceMs);
    deadline.unref();
    void finished.then(() => clearTimeout(deadline));
    const poll = setInterval(() => {
      if (dispatcher.running === 0) {
        clearInterval(poll);
        dispatcher.abortAll();
        finish();
      }
    }, 20);
    void finished.then(() => clearInterval(poll));
  };
  opts.signal.addEventListener('abort', interrupt, { once: true });
  const cap = setTimeout(interrupt, opts.maxWallMs);
  cap.unref();

  dispatcher.start();
  await finished;
  clearTimeout(cap);
  clearInterval(tick);
  opts.signal.removeEventListener('abort', interrupt);
  const end = clock.now();
  clock.stop();
  bar?.update(recorder.finished);
  bar?.stop();
  await Promise.all(providers.map((p) => p.close()));
  if (pool instanceof StorePool) await pool.close();
  if (clock.failure) throw clock.failure;
  if (pool instanceof StorePool && pool.failure) throw pool.failure;

  connections.settle(sockets.opened, providers.reduce((a, p) => a + p.stats.requests, 0));
  const result = variantResult(name, {
    recorder,
    keyNames: secrets.map(fingerprint),
    providerNames: s.providers.map((p) => p.name),
    pool,
    health,
    connections: connections.stats,
    providers: providers.map((p) => p.stats),
    remaps: undefined,
    endMs: end,
  });
  return {
    result,
    partial,
  };
}
