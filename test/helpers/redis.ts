import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** The redis-server binary, or why there is none: tests that need one skip with that reason. */
export const redisServer: { bin: string | undefined; reason: string } = (() => {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return { bin: 'redis-server', reason: '' };
  return { bin: undefined, reason: 'no redis-server binary on PATH: run `npm run setup` (installs Debian\'s redis-server)' };
})();

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on loopback: no persistence, its own port; `stop` ends it. */
export async function startRedis(): Promise<{ url: string; port: number; admin: Redis; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn(redisServer.bin!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  admin.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await admin.connect();
      await admin.ping();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        proc.kill();
        throw new Error(`redis-server on port ${port} did not start: ${(e as Error).message}`);
      }
      admin.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    admin,
    stop: async () => {
      admin.disconnect();
      if (proc.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    },
  };
}
