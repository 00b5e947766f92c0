import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../src/core/secrets.js';
import { RedisStore, StoreError } from '../src/keys/store/redis.js';
import type { Keys } from '../src/keys/spec.js';
import { loadScenario } from '../src/scenario/load.js';
import { stream } from '../src/sim/random.js';
import { gatesim, tmp } from './helpers/cli.js';
import { redisServer, startRedis } from './helpers/redis.js';

// A Redis URL that points at something else: what answered is said in our words, in one line.
const dir = tmp('gatesim-not-redis-');
let http: Server;
let other: TcpServer;
let httpPort = 0;
let otherPort = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  http = createServer((_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpPort = (http.address() as AddressInfo).port;
  // A server of another protocol: it greets every connection with a line of its own.
  other = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.end('SSH-2.0-OpenSSH_9.6\r\n');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherPort = (other.address() as AddressInfo).port;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => other.close(resolve));
});

const FILE = (port: number, extra = '') => `
name: not-redis
workload: { requests: 2, concurrency: 1 }
keys: { env: GATESIM_KEYS, limit: 1/s, store: { redis: "redis://:pw-SECRET-123@127.0.0.1:${port}", timeout: 5s${extra} } }
providers: [{ name: mock, latency: 10ms, url: "http://127.0.0.1:9/v1" }]
`;

describe('a Redis URL that reaches something else', () => {
  it('an HTTP server: one line saying so, exit 2, nothing sent, no ioredis wording, with or without failOpen', async () => {
    for (const extra of ['', ', failOpen: true']) {
      const file = join(dir, `http${extra ? '-open' : ''}.yaml`);
      writeFileSync(file, FILE(httpPort, extra));
      const r = await gatesim([file, '--mode', 'real', '--out', join(dir, 'out'), '-q'], { env: { GATESIM_KEYS: 'sk-not-redis-test-1' } });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`keys.store: redis://:${fingerprint('pw-SECRET-123')}@127.0.0.1:${httpPort} is not a Redis server (an HTTP server answered there); check the host and port in keys.store.redis\n`);
    }
  }, 60_000);

  it('a server of another protocol: the store says what it found, in its own words', async () => {
    const keys: Keys = { ...loadScenario(join(dir, 'http.yaml'), {}).runs[0]!.variants[0]!.scenario.keys, count: 1 };
    const url = `redis://127.0.0.1:${otherPort}`;
    const err = await RedisStore.connect(keys, { url, prefix: 'x', timeoutMs: 5000, scale: 1, fingerprints: ['key-0000aaaa'], random: stream(1, 'keys') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).notRedis).toBe(true);
    expect((err as Error).message).toBe(`keys.store: ${url} is not a Redis server (what answered there does not speak the Redis protocol); check the host and port in keys.store.redis`);
  });
});

const withRedis = redisServer.bin ? describe : describe.skip;

withRedis('a Redis store timeout longer than Node timers hold (2^31 − 1 ms)', () => {
  it('keys.store.timeout: 8760h: commands are answered, none times out at once, no Node warning', async () => {
    const redis = await startRedis();
    const warned: string[] = [];
    const onWarning = (w: Error): void => void warned.push(w.name);
    process.on('warning', onWarning);
    try {
      const keys: Keys = { count: 1, limit: { count: 2, windowMs: 60_000 }, guardMs: 0, limiter: { type: 'sliding-log', options: {} }, choice: 'least-used', exclusive: false, wait: { mode: 'notify' }, acquireTimeoutMs: Infinity };
      const store = await RedisStore.connect(keys, { url: redis.url, prefix: 'long', timeoutMs: 365 * 24 * 3_600_000, scale: 1, fingerprints: ['key-0000aaaa'], random: stream(1, 'keys') });
      const first = await store.take(1);
      const second = await store.take(1);
      const third = await store.take(1);
      expect([first.keys, second.keys, third.keys]).toEqual([[0], [0], []]);
      await store.close();
      await new Promise((r) => setImmediate(r));
      expect(warned).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await redis.stop();
    }
  });
});
