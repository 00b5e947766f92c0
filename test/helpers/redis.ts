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

/**
 * A throwaway redis-server on loopback: no persistence, its own port; `stop` ends it. Resolves once
 * the server says it accepts connections (its log line), not after polling on a timer.
 */
export async function startRedis(): Promise<{ url: string; port: number; admin: Redis; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn(redisServer.bin!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (/Ready to accept connections/.test(log)) {
        proc.stdout!.off('data', onData);
        proc.stdout!.resume(); // keep draining its log
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    proc.once('error', reject);
    void exited.then(() => reject(new Error(`redis-server on port ${port} exited before accepting connections:\n${log}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  admin.on('error', () => {});
  await admin.connect();
  await admin.ping();
  return {
    url,
    port,
    admin,
    stop: async () => {
      admin.disconnect();
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
