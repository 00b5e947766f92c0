/**
 * The real-mode client against autocannon: one `gatesim serve` (bench/zero.yaml, answering at
 * once), autocannon at 16 connections, then gatesim's real mode (key pool, balancer, retry,
 * metrics, undici) closed at 16 workers, against the same server in the same process.
 * Used by `npm run bench` and `npm run bench:real`.
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { loadScenario } from '../src/scenario/load.js';
import { runReal } from '../src/modes/real.js';

export const CONCURRENCY = 16;
const KEYS = 'bench-key-1,bench-key-2,bench-key-3,bench-key-4';

export interface RealFigures {
  autocannonRate: number;
  gatesimRate: number;
  requests: number;
  ok: number;
  /** Client CPU (user + system) per request, µs: gatesim and undici together. */
  cpuPerRequestUs: number;
}

/** Starts `gatesim serve bench/zero.yaml` on a free port; resolves its URL and a stop function. */
async function serve(): Promise<{ url: string; stop: () => void }> {
  const server = spawn(process.execPath, ['bin/gatesim.js', 'serve', 'bench/zero.yaml', '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.on('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
  return { url, stop: () => server.kill() };
}

export async function compareReal(seconds = 5, requests = 20_000): Promise<RealFigures> {
  const { url, stop } = await serve();
  try {
    const body = JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'Reply with the word ok.' }] });
    const ac = await autocannon({
      url: `${url}/v1/chat/completions`,
      method: 'POST',
      connections: CONCURRENCY,
      duration: seconds,
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key-1' },
      body,
    });
    const plan = loadScenario('bench/zero.yaml');
    const v = plan.runs[0]!.variants[0]!.scenario;
    const s = { ...v, workload: { ...v.workload, requests }, providers: [{ ...v.providers[0]!, url: `${url}/v1` }] };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { result } = await runReal(s, 'zero', {
      timeScale: 1,
      guardWallMs: 0,
      env: { GATESIM_KEYS: KEYS },
      progress: undefined,
      maxWallMs: 120_000,
      signal: new AbortController().signal,
      graceMs: 1000,
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      autocannonRate: ac.requests.average,
      gatesimRate: result.metrics.ok / wall,
      requests: result.metrics.requests,
      ok: result.metrics.ok,
      cpuPerRequestUs: (cpu.user + cpu.system) / result.metrics.requests,
    };
  } finally {
    stop();
  }
}
