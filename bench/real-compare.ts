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
  /** Each round's gatesim ÷ autocannon (adjacent runs, so under the same load): median, lowest, highest. */
  ratio: number;
  ratioLow: number;
  ratioHigh: number;
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

/**
 * `rounds` alternating rounds of autocannon (`seconds` each) and gatesim real mode (`requests`
 * each) against one serve; each side's median round, and the median of each round's ratio (a
 * round's two runs are adjacent, so they share the machine's load). Alternating keeps a shared machine's load,
 * which moves both by tens of percent from one second to the next, out of the ratio as far as it can.
 * `seconds` = 0: gatesim alone (profiling).
 */
export async function compareReal(seconds = 2, requests = 25_000, rounds = 5): Promise<RealFigures> {
  const { url, stop } = await serve();
  const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  try {
    const body = JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'Reply with the word ok.' }] });
    const plan = loadScenario('bench/zero.yaml');
    const v = plan.runs[0]!.variants[0]!.scenario;
    const s = { ...v, workload: { ...v.workload, requests }, providers: [{ ...v.providers[0]!, url: `${url}/v1` }] };
    const ac: number[] = [];
    const gs: number[] = [];
    const cpuUs: number[] = [];
    let last = { requests: 0, ok: 0 };
    for (let r = 0; r < rounds; r++) {
      if (seconds > 0) {
        const a = await autocannon({
          url: `${url}/v1/chat/completions`,
          method: 'POST',
          connections: CONCURRENCY,
          duration: seconds,
          headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key-1' },
          body,
        });
        ac.push(a.requests.average);
      }
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
      gs.push(result.metrics.ok / wall);
      cpuUs.push((cpu.user + cpu.system) / result.metrics.requests);
      last = { requests: result.metrics.requests, ok: result.metrics.ok };
    }
    const ratios = gs.map((g, i) => g / ac[i]!).filter((r) => Number.isFinite(r));
    return {
      autocannonRate: median(ac),
      gatesimRate: median(gs),
      requests: last.requests,
      ok: last.ok,
      cpuPerRequestUs: median(cpuUs),
      ratio: median(ratios),
      ratioLow: Math.min(...ratios),
      ratioHigh: Math.max(...ratios),
    };
  } finally {
    stop();
  }
}
