/**
 * npm run bench:real — the real-mode client path against `gatesim serve` answering at once, next to
 * autocannon against the same server in the same run, and the gateway's own cost per request.
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { loadScenario } from '../src/scenario/load.js';
import { runReal } from '../src/modes/real.js';
import { simulate } from '../src/modes/simulate.js';

const CONCURRENCY = 16;
const KEYS = 'bench-key-1,bench-key-2,bench-key-3,bench-key-4';

const server = spawn(process.execPath, ['bin/gatesim.js', 'serve', 'bench/zero.yaml', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', () => reject(new Error(`serve exited: ${out}`)));
});

try {
  // autocannon: the same request, the same concurrency, no gateway in between.
  const body = JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'Reply with the word ok.' }] });
  const ac = await autocannon({
    url: `${url}/v1/chat/completions`,
    method: 'POST',
    connections: CONCURRENCY,
    duration: 5,
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key-1' },
    body,
  });
  const acRate = ac.requests.average;

  // gatesim real mode: key pool, balancer, retry, metrics and undici, closed loop at the same concurrency.
  const plan = loadScenario('bench/zero.yaml');
  const s = { ...plan.runs[0]!.variants[0]!.scenario, providers: [{ ...plan.runs[0]!.variants[0]!.scenario.providers[0]!, url: `${url}/v1` }] };
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
  const gsRate = result.metrics.ok / wall;
  const cpuPerReq = (cpu.user + cpu.system) / result.metrics.requests;

  // The gateway's own decisions (limiter, balancer, dispatcher, metrics) without any I/O: the same
  // scenario simulated, per request.
  const sim0 = performance.now();
  simulate({ ...s, workload: { ...s.workload, requests: 200_000 } }, 'zero');
  const gatewayUs = ((performance.now() - sim0) * 1000) / 200_000;

  console.log('| measure | value |\n| --- | ---: |');
  console.log(`| autocannon, ${CONCURRENCY} connections, 5 s | ${acRate.toFixed(0)} requests/s |`);
  console.log(`| gatesim real mode, ${CONCURRENCY} workers, ${result.metrics.requests} requests | ${gsRate.toFixed(0)} requests/s (${result.metrics.ok} ok) |`);
  console.log(`| ratio gatesim / autocannon | ${(gsRate / acRate).toFixed(2)} |`);
  console.log(`| client CPU per request (gatesim + undici) | ${cpuPerReq.toFixed(1)} µs |`);
  console.log(`| gateway decisions per request (limiter, balancer, dispatcher, metrics; simulated) | ${gatewayUs.toFixed(2)} µs |`);
} finally {
  server.kill();
}
