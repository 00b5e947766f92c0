/**
 * npx tsx bench/serve-memory.ts [serve options…] — what many distinct keys cost `gatesim serve`:
 * 10,000 requests, each with its own 8 KB bearer token, against a serve in a child process; its
 * resident memory (VmRSS) before, right after, and 5 s later, and its totals line on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const TOKENS = 10_000;
const TOKEN_BYTES = 8192;
const CONCURRENCY = 16;

const extra = process.argv.slice(2);
const server = spawn(process.execPath, ['bin/gatesim.js', 'serve', 'bench/zero.yaml', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
const pid = server.pid!;
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', () => reject(new Error(`serve exited: ${out}${log}`)));
});

const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const agent = new Agent({ connections: CONCURRENCY });
const send = async (auth: string): Promise<void> => {
  const r = await request(`${url}/v1/chat/completions`, { method: 'POST', body, dispatcher: agent, headers: { 'content-type': 'application/json', authorization: auth } });
  await r.body.dump();
};

try {
  for (let i = 0; i < 500; i++) await send('Bearer warm-up'); // JIT and buffers first, so the growth is the keys'
  const before = rssMb();
  const pad = 'x'.repeat(TOKEN_BYTES);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOKENS) await send(`Bearer ${next++}-${pad}`);
    }),
  );
  const after = rssMb();
  await new Promise((r) => setTimeout(r, 5000));
  const later = rssMb();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  console.log(`serve ${extra.join(' ') || '(defaults)'}: ${TOKENS.toLocaleString('en')} distinct ${TOKEN_BYTES / 1024} KB tokens`);
  console.log(`  RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after, ${later.toFixed(0)} MB 5 s later`);
  console.log(`  ${log.trim().split('\n').pop()}`);
} finally {
  await agent.close();
  if (server.exitCode === null) server.kill('SIGKILL');
}
