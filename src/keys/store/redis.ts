import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Random } from '../../sim/random.js';
import type { Keys } from '../spec.js';
import { redisForm } from '../../limiters/index.js';
import { longTimeout, MAX_TIMER_MS } from '../../core/long-timer.js';
import { redactUrl } from '../../core/secrets.js';
import { RELEASE, TAKE } from './lua.js';
import type { Grants, PoolStore } from './store.js';

/** Redis could not be reached, refused the credentials (`auth`), was no Redis at all (`notRedis`) or refused the pool's setup: one line for the user. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly auth = false,
    readonly notRedis = false,
  ) {
    super(message);
  }
}

/**
 * What answered when it was not Redis, in a few words (ioredis says `Protocol error, got "H" as
 * reply type byte. Please report this.`); undefined when the error is not that.
 */
export function protocolProblem(e: Error | undefined): string | undefined {
  const m = /^Protocol error, got "([\s\S])" as reply type byte/.exec(e?.message ?? '');
  if (!m) return undefined;
  return m[1] === 'H' ? 'an HTTP server answered there' : 'what answered there does not speak the Redis protocol';
}

/** What an authentication error from Redis means, in a few words; undefined when it is not one. */
export function authProblem(e: Error | undefined): string | undefined {
  const m = e?.message ?? '';
  if (/^WRONGPASS/.test(m)) return 'WRONGPASS: wrong user name or password';
  if (/^NOAUTH/.test(m)) return 'NOAUTH: the server needs a password; give it in the URL as redis://:PASSWORD@host:port';
  if (/AUTH.*without any password configured/i.test(m)) return 'the URL gives a password but the server has none';
  return undefined;
}

/** Options of the Redis store. */
export interface RedisStoreOptions {
  url: string;
  /** Prefix of every key and of the channel (default gatesim). */
  prefix: string;
  /** Wall ms a command may take before it fails (default 1000). */
  timeoutMs: number;
  /** Wall time per scenario time: the scripts work in wall ms, the pool in scenario ms. */
  scale: number;
  /** The keys' fingerprints, never the keys: what Redis stores and shares. */
  fingerprints: string[];
  random: Random;
  /** How long an exclusive hold outlives a process that died holding it, scenario ms (default 10 min). */
  leaseMs?: number;
  /** Told of connection errors after the first connect (the pool reports them). */
  onError?: (e: Error) => void;
}

type Client = Redis & {
  gatesimTake(...args: (string | number)[]): Promise<(string | number)[]>;
  gatesimRelease(...args: (string | number)[]): Promise<number>;
};

/**
 * The limiter's parameters as the script takes them, in wall ms: the limiter entry's Redis form
 * (limiters/index.ts), derived with the same expressions as its TypeScript window. A limiter without
 * one is refused when the scenario is checked; here that is an internal error.
 */
export function scriptParams(spec: Keys, scale: number): { limiter: string; params: [number, number, number] } {
  if (!spec.limit) return { limiter: 'none', params: [0, 0, 0] };
  const form = redisForm(spec.limiter);
  if (!form) throw new StoreError(`keys.limiter: ${spec.limiter.type} has no Redis form`);
  return form(spec.limit.count, (spec.limit.windowMs + spec.guardMs) * scale, spec.limiter.options as never, scale);
}

/**
 * `keys.store: { redis: … }`: the pool's state on a Redis server, shared by every process that
 * uses the same prefix and limiter. Each decision is one Lua script (TAKE), each release another
 * (RELEASE, which publishes on the pool's channel so waiters elsewhere wake at once). Keys are
 * named by fingerprint; a hash tag keeps a pool's keys in one cluster slot.
 */
export class RedisStore implements PoolStore {
  readonly kind = 'redis';
  /** `prefix:{tag}`: the tag hashes the limiter configuration, so pools that decide differently never share state. */
  readonly namespace: string;
  private readonly client: Client;
  private sub: Redis | undefined;
  private readonly keys: string[];
  private readonly channel: string;
  private readonly head: (string | number)[];
  private readonly choice: Keys['choice'];
  /** The last connection error, to say why a command failed. */
  private lastError: Error | undefined;

  private constructor(
    spec: Keys,
    private readonly opts: RedisStoreOptions,
    client: Client,
  ) {
    const { limiter, params } = scriptParams(spec, opts.scale);
    const leaseWall = (opts.leaseMs ?? 600_000) * opts.scale;
    const config = JSON.stringify([limiter, params, spec.choice, spec.exclusive]);
    const tag = createHash('sha256').update(config).digest('hex').slice(0, 10);
    this.namespace = `${opts.prefix}:{${tag}}`;
    const ns = this.namespace;
    this.keys = [`${ns}:used`, `${ns}:busy`, `${ns}:cursor`, `${ns}:seq`, ...opts.fingerprints.map((f) => `${ns}:w:${f}`)];
    this.channel = `${ns}:released`;
    this.choice = spec.choice;
    this.head = [limiter, ...params, spec.choice, spec.exclusive ? 1 : 0, leaseWall, opts.fingerprints.length, ...opts.fingerprints];
    this.client = client;
  }

  /**
   * Connects, failing with a one-line StoreError when Redis cannot be reached in `timeoutMs` —
   * unless `failOpen`, when the store comes back unconnected and keeps trying in the background.
   */
  static async connect(spec: Keys, opts: RedisStoreOptions, failOpen = false): Promise<RedisStore> {
    // The script would refuse it too, but before connecting the message is clearer.
    scriptParams(spec, opts.scale);
    const client = newClient(opts) as Client;
    client.defineCommand('gatesimTake', { lua: TAKE });
    client.defineCommand('gatesimRelease', { numberOfKeys: 1, lua: RELEASE });
    let first: Error | undefined;
    let store: RedisStore | undefined;
    client.on('error', (e: Error) => {
      if (first === undefined) first = e;
      if (store) store.lastError = e;
      opts.onError?.(e);
    });
    try {
      await client.connect();
      await timed(client.ping(), opts.timeoutMs);
    } catch (e) {
      // Wrong credentials do not mend themselves: failing open on them would hide the mistake.
      const auth = authProblem(first) ?? authProblem(e as Error);
      if (auth) {
        client.disconnect();
        throw new StoreError(`keys.store: authentication failed at Redis ${redactUrl(opts.url)} (${auth})`, true);
      }
      // Neither does a server of another kind at that address.
      const other = protocolProblem(first) ?? protocolProblem(e as Error);
      if (other) {
        client.disconnect();
        throw new StoreError(`keys.store: ${redactUrl(opts.url)} is not a Redis server (${other}); check the host and port in keys.store.redis`, false, true);
      }
      if (failOpen) {
        store = new RedisStore(spec, opts, client);
        store.lastError = first ?? (e as Error);
        return store;
      }
      client.disconnect();
      throw new StoreError(`keys.store: cannot reach Redis at ${redactUrl(opts.url)} (${describe(first ?? (e as Error))})`);
    }
    return (store = new RedisStore(spec, opts, client));
  }

  async take(want: number): Promise<Grants> {
    const args: (string | number)[] = [this.keys.length, ...this.keys, want, ...this.head];
    if (this.choice === 'random') for (let i = 0; i < want; i++) args.push(this.opts.random());
    const r = await timed(this.client.gatesimTake(...args), this.opts.timeoutMs).catch((e: unknown) => this.fail(e));
    const wait = Number(r[1]);
    const g: Grants = { at: Number(r[0]), keys: [], tokens: [], waitMs: wait < 0 ? Infinity : wait / this.opts.scale, entries: Number(r[2]) };
    for (let i = 3; i < r.length; i += 2) {
      g.keys.push(Number(r[i]));
      g.tokens.push(String(r[i + 1]));
    }
    return g;
  }

  async release(key: number, token: string): Promise<boolean> {
    const r = await timed(this.client.gatesimRelease(this.keys[1]!, this.opts.fingerprints[key]!, token, this.channel), this.opts.timeoutMs).catch((e: unknown) => this.fail(e));
    return r === 1;
  }

  /** A failed command as one StoreError: where, and why in a few words. */
  private fail(e: unknown): never {
    const err = e as Error;
    let why = err.message.split('\n')[0]!;
    if (this.client.status !== 'ready' || /enableOfflineQueue|Connection is closed/.test(why)) {
      why = `not connected${this.lastError ? `: ${describe(this.lastError)}` : ''}`;
    } else if (/timed out/i.test(why)) why = `no answer within ${this.opts.timeoutMs} ms`;
    throw new StoreError(`Redis at ${redactUrl(this.opts.url)} failed (${why})`);
  }

  async watch(onRelease: () => void): Promise<boolean> {
    try {
      const sub = (this.sub = this.client.duplicate({ lazyConnect: true }));
      sub.on('error', () => {});
      sub.on('message', () => onRelease());
      await sub.connect();
      await sub.subscribe(this.channel);
      return true;
    } catch {
      this.sub?.disconnect();
      this.sub = undefined;
      return false;
    }
  }

  async close(): Promise<void> {
    this.sub?.disconnect();
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

/**
 * `command`, failing after `timeoutMs` when that is longer than ioredis's own timers can wait (they
 * are Node timers: past 2^31 − 1 ms they fire after 1 ms, and every command failed at once).
 */
function timed<T>(command: Promise<T>, timeoutMs: number): Promise<T> {
  if (timeoutMs <= MAX_TIMER_MS) return command;
  return new Promise<T>((resolve, reject) => {
    const timer = longTimeout(() => reject(new Error('Command timed out')), timeoutMs);
    command.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e as Error);
      },
    );
  });
}

function newClient(opts: RedisStoreOptions): Redis {
  // ioredis waits on Node timers, which hold at most 2^31 − 1 ms (24.8 days): a longer command
  // timeout is kept by the store itself (timed), and a connection attempt waits at most that long.
  const long = opts.timeoutMs > MAX_TIMER_MS;
  return new Redis(opts.url, {
    lazyConnect: true,
    connectTimeout: Math.min(opts.timeoutMs, MAX_TIMER_MS),
    ...(long ? {} : { commandTimeout: opts.timeoutMs }),
    // Fail fast while disconnected (the pool fails closed or open); keep reconnecting meanwhile.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(50 * times, 500),
    enableAutoPipelining: true,
  });
}

/** An ioredis error as a few words (its code when it has one). */
export function describe(e: Error): string {
  const other = protocolProblem(e);
  if (other) return `not Redis: ${other}`;
  const code = (e as NodeJS.ErrnoException).code;
  return code ? `${code}${/timed? ?out/i.test(e.message) ? ', timed out' : ''}` : e.message.split('\n')[0]!;
}
