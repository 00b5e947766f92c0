import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { choose } from '../src/core/registry.js';
import { limiters } from '../src/limiters/index.js';
import type { KeyPoolSink } from '../src/keys/key-pool.js';
import { MemoryKeys, MemoryStore } from '../src/keys/store/memory.js';
import { StorePool } from '../src/keys/store/pool.js';
import { RedisStore, StoreError } from '../src/keys/store/redis.js';
import { fingerprint, redactUrl } from '../src/core/secrets.js';
import type { Keys } from '../src/scenario/types.js';
import { WallClock } from '../src/sim/wall-clock.js';
import { freePort, redisServer, startRedis } from './helpers/redis.js';

const LIMITERS = ['sliding-log', 'bucket-window', 'gcra', 'token-bucket', 'uniform-interval'] as const;
type Limiter = (typeof LIMITERS)[number];

const spec = (over: Partial<Keys>): Keys => ({
  count: 3,
  limit: { count: 2, windowMs: 40 },
  guardMs: 0,
  limiter: { type: 'sliding-log', options: {} },
  choice: 'least-used',
  exclusive: false,
  wait: { mode: 'notify' },
  acquireTimeoutMs: Infinity,
  ...over,
});
const FPS = ['key-0000aaaa', 'key-1111bbbb', 'key-2222cccc'];
/** Lets time pass: the property tests move the windows on with it (decisions are judged on the server's clock). */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts callbacks (grants); `count(n)` resolves once there have been `n`. */
class Counter {
  private n = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  seen(): void {
    this.n++;
    for (const w of this.waiters.filter((x) => x.n <= this.n)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
  count(n: number): Promise<void> {
    return this.n >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/**
 * Resolves once `cond` holds: for a state the pool reaches without calling back (a look at the
 * store counted in its stats). Checked every few ms; the timeout only bounds a hang.
 */
const until = (cond: () => boolean, what: string) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error(`still waiting for ${what}`);
    },
    { timeout: 30_000, interval: 2 },
  );

/**
 * Wall ms to wait for Redis to connect or answer: a refused connection or a wrong password is
 * answered at once, but a process stalled this long on a loaded machine would run the timeout's
 * timer before reading the answer, and report a timeout instead.
 */
const TIMEOUT_MS = 5000;

/** The limiter's guarantee on one key's admission times (sorted, server ms): no admission too many. */
function withinLimit(limiter: Limiter, times: number[], n: number, w: number): boolean {
  switch (limiter) {
    case 'sliding-log':
    case 'uniform-interval':
      // at most n in any [t, t + w)
      return times.every((t, i) => i + n >= times.length || times[i + n]! - t >= w);
    case 'bucket-window':
      // at most n in any window of (B − 1)·w/B (6 buckets)
      return times.every((t, i) => i + n >= times.length || times[i + n]! - t >= (5 * w) / 6);
    case 'gcra':
    case 'token-bucket':
      // at most burst + Δ / T in any closed interval of length Δ (burst = n, T = w / n)
      return times.every((t, i) => times.slice(i).every((u, j) => j + 1 <= n + ((u - t) * n) / w + 1e-9));
  }
}

// A reason in the name, and on stderr: never a silent pass.
const suite = redisServer.bin ? describe : describe.skip;
if (!redisServer.bin) console.error(`redis store tests skipped: ${redisServer.reason}`);

suite(`the key pool on Redis${redisServer.bin ? '' : ` (skipped: ${redisServer.reason})`}`, () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const open: RedisStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await redis?.stop();
  });
  /** `clients` stores on one pool (same prefix, same limiter), as separate processes would have. */
  const clients = async (keys: Keys, clientCount: number, prefix: string) => {
    const out: RedisStore[] = [];
    for (let i = 0; i < clientCount; i++) {
      out.push(await RedisStore.connect(keys, { url: redis.url, prefix, timeoutMs: 2000, scale: 1, fingerprints: FPS, random: Math.random }));
    }
    open.push(...out);
    return out;
  };

  it('decides exactly as the in-memory pool on the same times (every limiter, least-used and round-robin, exclusive or not)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LIMITERS),
        fc.constantFrom('least-used' as const, 'round-robin' as const),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 20, max: 60 }),
        fc.array(fc.oneof(fc.record({ take: fc.integer({ min: 1, max: 3 }), client: fc.nat(2) }), fc.record({ sleep: fc.integer({ min: 0, max: 25 }) }), fc.record({ release: fc.nat(2) })), { minLength: 5, maxLength: 30 }),
        async (limiter, choice, exclusive, count, windowMs, ops) => {
          const keys = spec({ limiter: choose(limiters, limiter), choice, exclusive, limit: { count, windowMs } });
          const stores = await clients(keys, 3, `diff${run++}`);
          const model = new MemoryKeys(keys, Math.random);
          const held = new Map<number, string>();
          for (const op of ops) {
            if ('sleep' in op) await sleep(op.sleep);
            else if ('release' in op) {
              const token = held.get(op.release);
              if (token === undefined) continue;
              held.delete(op.release);
              expect(await stores[0]!.release(op.release, token)).toBe(true);
              expect(model.release(op.release)).toBe(true);
            } else {
              const g = await stores[op.client]!.take(op.take);
              const expected: number[] = [];
              while (expected.length < op.take) {
                const k = model.take(g.at);
                if (k < 0) break;
                expected.push(k);
              }
              expect(g.keys, `${limiter} ${choice} at ${g.at}`).toEqual(expected);
              if (exclusive) g.keys.forEach((k, i) => held.set(k, g.tokens[i]!));
            }
          }
          await Promise.all(stores.map((s) => s.close()));
          open.splice(open.length - 3, 3);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('random interleavings of several clients never exceed the limit (every limiter, every choice)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LIMITERS),
        fc.constantFrom('least-used' as const, 'round-robin' as const, 'random' as const),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.array(fc.record({ client: fc.nat(3), want: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4 }), { minLength: 3, maxLength: 15 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 15, maxLength: 15 }),
        async (limiter, choice, count, groups, pauses) => {
          const w = 40;
          const keys = spec({ limiter: choose(limiters, limiter), choice, limit: { count, windowMs: w } });
          const stores = await clients(keys, 4, `mix${run++}`);
          const times: number[][] = FPS.map(() => []);
          for (const [i, group] of groups.entries()) {
            // the group's decisions are in flight at once: the server orders them
            const res = await Promise.all(group.map((op) => stores[op.client]!.take(op.want)));
            for (const g of res) for (const k of g.keys) times[k]!.push(g.at);
            await sleep(pauses[i]!);
          }
          for (const t of times) {
            t.sort((a, b) => a - b);
            expect(withinLimit(limiter, t, count, w), `${limiter} ${choice} ${count}/${w}ms: ${t.map((x) => (x - t[0]!).toFixed(2)).join(' ')}`).toBe(true);
          }
          await Promise.all(stores.map((s) => s.close()));
          open.splice(open.length - 4, 4);
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);

  it('exclusive keys: interleaved acquire/release never hands one key to two holders and never loses a release', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.oneof(fc.record({ client: fc.nat(2), want: fc.integer({ min: 1, max: 2 }) }), fc.record({ client: fc.nat(2), release: fc.nat(5) })), { minLength: 1, maxLength: 5 }), {
          minLength: 2,
          maxLength: 20,
        }),
        async (groups) => {
          const keys = spec({ limit: undefined, exclusive: true });
          const stores = await clients(keys, 3, `excl${run++}`);
          const held = new Map<number, string>();
          for (const group of groups) {
            const heldList = [...held.entries()];
            const releasing = new Set<number>();
            const jobs = group.map(async (op) => {
              if ('release' in op) {
                const h = heldList[op.release % Math.max(1, heldList.length)];
                if (!h || releasing.has(h[0])) return;
                releasing.add(h[0]);
                expect(await stores[op.client]!.release(h[0], h[1])).toBe(true);
                return;
              }
              return stores[op.client]!.take(op.want);
            });
            const res = await Promise.all(jobs);
            for (const k of releasing) held.delete(k);
            const granted = res.flatMap((g) => (g ? g.keys.map((k, i) => [k, g.tokens[i]!] as const) : []));
            const keysNow = granted.map(([k]) => k);
            expect(new Set(keysNow).size, 'one key granted twice in a group').toBe(keysNow.length);
            for (const [k, token] of granted) {
              expect(held.has(k), `key ${k} granted while held`).toBe(false);
              held.set(k, token);
            }
          }
          // A stale token releases nothing; every live hold releases, and then every key is free again.
          expect(await stores[0]!.release(0, '0:0')).toBe(false);
          for (const [k, token] of held) expect(await stores[1]!.release(k, token)).toBe(true);
          expect((await stores[2]!.take(3)).keys.sort()).toEqual([0, 1, 2]);
          await Promise.all(stores.map((s) => s.close()));
          open.splice(open.length - 3, 3);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('keeps keys out of Redis: only fingerprints are stored', async () => {
    const keys = spec({ exclusive: true });
    const [s] = await clients(keys, 1, 'secret-check');
    await s!.take(2);
    const names = await redis.admin.keys('secret-check:*');
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(/^secret-check:\{[0-9a-f]{10}\}:(used|busy|cursor|seq|w:key-[0-9a-f]{8}|w:key-\d{4}[a-z]{4})$/.test(n), n).toBe(true);
    const used = await redis.admin.hgetall(names.find((n) => n.endsWith(':used'))!);
    expect(Object.keys(used).every((k) => FPS.includes(k))).toBe(true);
  });

  it('wakes a waiter in another process through pub/sub when a key is released, counting the wake-up', async () => {
    const keys = spec({ count: 1, limit: undefined, exclusive: true });
    const fps = [FPS[0]!];
    const clock = new WallClock(1);
    const log: string[] = [];
    const granted = new Counter();
    const sink = (name: string): KeyPoolSink => ({
      granted: (w, k) => (log.push(`${name} ${w} got ${k}`), granted.seen()),
      gaveUp: (w) => (log.push(`${name} ${w} gave up`), granted.seen()),
    });
    const mk = async (name: string) => {
      const store = await RedisStore.connect(keys, { url: redis.url, prefix: 'wake', timeoutMs: 2000, scale: 1, fingerprints: fps, random: Math.random });
      const pool = new StorePool(keys, clock, store, sink(name), { recheckMs: 60_000 });
      await pool.start();
      return pool;
    };
    const a = await mk('a');
    const b = await mk('b');
    expect(a.stats.store.notify).toBe('pubsub');
    a.acquire(1);
    await granted.count(1);
    expect(log).toEqual(['a 1 got 0']);
    b.acquire(7);
    // b asked the server once, found the key held, and now sleeps: with no admit time to wake at
    // (only a release frees an exclusive key), its only timer is the fallback recheck, 10 × 60 s
    // away, far past this test's timeout.
    await until(() => b.stats.wastedChecks === 1, 'b to find the key held');
    expect(log).toEqual(['a 1 got 0']);
    a.release(0);
    await granted.count(2);
    // So the grant came from the release published on the channel: b woke once, for it.
    expect(log).toEqual(['a 1 got 0', 'b 7 got 0']);
    expect(b.stats.wakeups).toBe(1);
    expect(b.stats.wastedChecks).toBe(1);
    await a.close();
    await b.close();
    clock.stop();
  });

  it('wakes at the next admit time the server computed when no release will come', async () => {
    // A second's window: the pool's second look comes within it (and finds the key used) unless
    // this process stalls for a second between two decisions.
    const keys = spec({ count: 1, limit: { count: 1, windowMs: 1000 } });
    const clock = new WallClock(1);
    const granted = new Counter();
    const store = await RedisStore.connect(keys, { url: redis.url, prefix: 'admit-time', timeoutMs: 2000, scale: 1, fingerprints: [FPS[0]!], random: Math.random });
    // What the server decided, on its own clock: the times the window is about (a wall clock here
    // would add whatever this process was stalled between the decision and its grant).
    const decisions: { at: number; keys: number[]; waitMs: number }[] = [];
    const take = store.take.bind(store);
    store.take = async (want) => {
      const g = await take(want);
      decisions.push({ at: g.at, keys: [...g.keys], waitMs: g.waitMs });
      return g;
    };
    const pool = new StorePool(keys, clock, store, { granted: () => granted.seen(), gaveUp: () => {} }, { recheckMs: 60_000 });
    await pool.start();
    pool.acquire(0);
    pool.acquire(1);
    await granted.count(2);
    const admitted = decisions.filter((d) => d.keys.length > 0).map((d) => d.at);
    expect(admitted).toHaveLength(2);
    // The window holds on the server: the second admission a full second after the first.
    expect(admitted[1]! - admitted[0]!).toBeGreaterThanOrEqual(1000);
    // The short decision said when to come back, and the pool came back then: one wake-up, no
    // wasted look before the admit time (the recheck is 60 s away, past the test's timeout).
    const short = decisions.find((d) => d.keys.length === 0)!;
    expect(short.waitMs).toBeGreaterThan(0);
    expect(short.waitMs).toBeLessThanOrEqual(1000);
    expect(pool.stats.wakeups).toBe(1);
    expect(pool.stats.wastedChecks).toBe(1);
    await pool.close();
    clock.stop();
  });
});

describe('the Redis store when Redis is unreachable', () => {
  it('fails closed at connect with one line naming the URL without its password', async () => {
    const port = await freePort();
    const url = `redis://user:hunter2@127.0.0.1:${port}`;
    const err = await RedisStore.connect(spec({}), { url, prefix: 'x', timeoutMs: TIMEOUT_MS, scale: 1, fingerprints: FPS, random: Math.random }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe(`keys.store: cannot reach Redis at redis://user:${fingerprint('hunter2')}@127.0.0.1:${port} (ECONNREFUSED)`);
    expect(redactUrl('redis://:p@ss/w@h:1/0')).toBe(`redis://:${fingerprint('p@ss/w')}@h:1/0`);
  });

  it('failOpen decides on the process\'s own windows, counted, and says so once', async () => {
    const port = await freePort();
    const keys = spec({ count: 1, limit: { count: 2, windowMs: 60_000 } });
    const clock = new WallClock(1);
    const store = await RedisStore.connect(keys, { url: `redis://127.0.0.1:${port}`, prefix: 'x', timeoutMs: TIMEOUT_MS, scale: 1, fingerprints: [FPS[0]!], random: Math.random }, true);
    const said: (string | undefined)[] = [];
    const got: number[] = [];
    const pool = new StorePool(keys, clock, store, { granted: (w) => got.push(w), gaveUp: () => {} }, {
      fallback: new MemoryStore(keys, clock, Math.random),
      recheckMs: 50,
      onOutage: (m) => said.push(m),
    });
    await pool.start();
    for (let w = 0; w < 3; w++) pool.acquire(w);
    // The local window still holds: 2 of 3, and the third still waits after another look (a
    // recheck finds the store down again, and the window full).
    await until(() => got.length === 2, 'two grants');
    const errors = pool.stats.store.errors;
    await until(() => pool.stats.store.errors > errors, 'a recheck');
    expect(got).toEqual([0, 1]);
    expect(pool.stats.store).toMatchObject({ kind: 'redis', failOpen: true, localDecisions: 2 });
    expect(pool.stats.store.errors).toBeGreaterThan(0);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^keys\.store: Redis at redis:\/\/127\.0\.0\.1:\d+ failed \(not connected: ECONNREFUSED\); deciding on this process's own windows \(failOpen\)$/);
    await pool.close();
    clock.stop();
  });

  it('fail closed grants nothing while Redis is down', async () => {
    const port = await freePort();
    const keys = spec({ count: 1 });
    const clock = new WallClock(1);
    const store = await RedisStore.connect(keys, { url: `redis://127.0.0.1:${port}`, prefix: 'x', timeoutMs: TIMEOUT_MS, scale: 1, fingerprints: [FPS[0]!], random: Math.random }, true);
    const got: number[] = [];
    const said: (string | undefined)[] = [];
    const pool = new StorePool(keys, clock, store, { granted: (w) => got.push(w), gaveUp: () => {} }, { recheckMs: 20, onOutage: (m) => said.push(m) });
    pool.acquire(0);
    // A first failed look, then a recheck that fails too: nothing granted in between.
    await until(() => pool.stats.store.errors > 1, 'two failed looks');
    expect(got).toEqual([]);
    expect(said).toEqual([`keys.store: Redis at redis://127.0.0.1:${port} failed (not connected: ECONNREFUSED); failing closed: nothing is sent until it answers`]);
    await pool.close();
    clock.stop();
  });
});

describe('the Redis store when Redis stays down', () => {
  it('fail closed: once down for giveUpAfter, waiters give up, and so does every request that asks while it stays down', async () => {
    const port = await freePort();
    const keys = spec({ count: 1, acquireTimeoutMs: Infinity });
    const clock = new WallClock(1);
    const store = await RedisStore.connect(keys, { url: `redis://127.0.0.1:${port}`, prefix: 'x', timeoutMs: TIMEOUT_MS, scale: 1, fingerprints: [FPS[0]!], random: Math.random }, true);
    const gaveUp: number[] = [];
    let next: (() => void) | undefined;
    const said: (string | undefined)[] = [];
    const pool = new StorePool(keys, clock, store, { granted: () => expect.unreachable('granted while Redis is down'), gaveUp: (w) => (gaveUp.push(w), next?.()) }, {
      recheckMs: 20,
      giveUpAfterMs: 100,
      onOutage: (m) => said.push(m),
    });
    const gives = (n: number) => new Promise<void>((resolve) => (next = () => gaveUp.length >= n && resolve()));
    // Without giveUpAfter these would wait for ever (acquireTimeout: Infinity).
    let waited = gives(2);
    pool.acquire(0);
    pool.acquire(1);
    await waited;
    expect(gaveUp).toEqual([0, 1]);
    expect(pool.stats.store).toMatchObject({ degraded: true, outageGaveUp: 2 });
    // Still down: a newcomer gives up at its first failed look.
    waited = gives(3);
    pool.acquire(2);
    await waited;
    expect(pool.stats.store.outageGaveUp).toBe(3);
    expect(pool.failure).toBeUndefined();
    expect(said).toEqual([
      `keys.store: Redis at redis://127.0.0.1:${port} failed (not connected: ECONNREFUSED); failing closed: nothing is sent until it answers`,
      'keys.store: still down after giveUpAfter; requests waiting for a key give up while it stays down',
    ]);
    await pool.close();
    expect(pool.stats.store.outageMs).toBeGreaterThanOrEqual(100);
    clock.stop();
  });
});

const authSuite = redisServer.bin ? describe : describe.skip;
authSuite(`the Redis store with a password${redisServer.bin ? '' : ` (skipped: ${redisServer.reason})`}`, () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
    await redis.admin.config('SET', 'requirepass', 'pass-word-1');
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const connectTo = (url: string, failOpen = false) =>
    RedisStore.connect(spec({}), { url, prefix: 'x', timeoutMs: TIMEOUT_MS, scale: 1, fingerprints: FPS, random: Math.random }, failOpen).then(
      async (s) => (await s.close(), 'connected'),
      (e: unknown) => e as StoreError,
    );

  it('says authentication failed (not unreachable), even with failOpen, and never shows the password', async () => {
    const wrong = await connectTo(`redis://:nope-nope@127.0.0.1:${redis.port}`);
    expect(wrong).toBeInstanceOf(StoreError);
    expect((wrong as StoreError).auth).toBe(true);
    expect((wrong as StoreError).message).toBe(`keys.store: authentication failed at Redis redis://:${fingerprint('nope-nope')}@127.0.0.1:${redis.port} (WRONGPASS: wrong user name or password)`);
    expect(((await connectTo(`redis://:nope-nope@127.0.0.1:${redis.port}`, true)) as StoreError).auth).toBe(true);
    expect(((await connectTo(`redis://127.0.0.1:${redis.port}`)) as StoreError).message).toBe(
      `keys.store: authentication failed at Redis redis://127.0.0.1:${redis.port} (NOAUTH: the server needs a password; give it in the URL as redis://:PASSWORD@host:port)`,
    );
    expect(await connectTo(`redis://:pass-word-1@127.0.0.1:${redis.port}`)).toBe('connected');
  });
});

describe('keys.store in a scenario file', () => {
  it('resolves a Redis store with its defaults, and --set keys.store=memory switches the file back', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadScenario } = await import('../src/scenario/load.js');
    const file = join(mkdtempSync(join(tmpdir(), 'gatesim-store-')), 's.yaml');
    writeFileSync(file, 'name: s\nkeys: { limit: 3/min, store: { redis: "redis://127.0.0.1:6379" } }\nproviders: [{ name: p, latency: 1s }]\n');
    const keysOf = (sets: string[]) => loadScenario(file, { sets }).runs[0]!.variants[0]!.scenario.keys;
    expect(keysOf([]).store).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379', prefix: 'gatesim', failOpen: false, timeoutMs: 1000 });
    expect(keysOf(['keys.store=memory']).store).toBeUndefined();
    expect(keysOf(['keys.store={ redis: "redis://h:1", prefix: p1, failOpen: true }']).store).toMatchObject({ prefix: 'p1', failOpen: true });
    expect(keysOf(['keys.store={ redis: "redis://h:1", giveUpAfter: 3s }']).store).toMatchObject({ timeoutMs: 1000, giveUpAfterMs: 3000 });
    expect(() => keysOf(['keys.store=mongo'])).toThrow(/expected memory or \{ redis: redis:\/\/host:port \}/);
  });
});
