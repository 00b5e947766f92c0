/**
 * npx tsx bench/trace.ts [ROWS] [csv|jsonl|csv.gz] — a trace of ROWS rows (default 5,000,000) written
 * to the temporary folder, then replayed through the command line as a user would (load: one pass
 * over the file, every row checked; run: a second pass, each row read as its arrival is scheduled).
 * Prints a markdown row: rows, file size, wall time, peak RSS (docs/traces.md, "A large trace").
 *
 * The trace: bursty arrivals (a 20 ms mean gap, a burst of 50 at one instant every ~10 k rows),
 * sizes like a chat mix, two tenants on two key groups; one provider with a 1 s latency. A second
 * row runs the same number of requests from \`arrivals\` at the trace's mean rate (no file): what
 * the requests alone cost, for comparison.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stream } from '../src/sim/random.js';

const rows = Number(process.argv[2] ?? 5_000_000);
const kind = process.argv[3] ?? 'csv';
const dir = mkdtempSync(join(tmpdir(), 'gatesim-bench-trace-'));
const name = `trace.${kind}`;
const path = join(dir, name);

const random = stream(1, 'bench-trace');
const fd = openSync(path, 'w');
const gz = kind.endsWith('.gz');
const jsonl = kind.startsWith('jsonl');
let chunk: string[] = [];
const flush = (): void => {
  if (chunk.length === 0) return;
  const text = chunk.join('');
  if (gz) writeSync(fd, gzipSync(text));
  else writeSync(fd, text);
  chunk = [];
};
if (!jsonl) chunk.push('ms,tenant,prompt,output\n');
let t = 0;
for (let i = 0; i < rows; i++) {
  if (i % 10_000 >= 50) t += Math.round(-Math.log(1 - random()) * 20);
  const prompt = Math.round(Math.exp(5 + 1.5 * random()));
  const output = Math.round(20 + 400 * random());
  const tenant = random() < 0.7 ? 'chat' : 'batch';
  chunk.push(jsonl ? `{"ms":${t},"tenant":"${tenant}","prompt":${prompt},"output":${output}}\n` : `${t},${tenant},${prompt},${output}\n`);
  if (chunk.length >= 100_000) flush();
}
flush();
closeSync(fd);

const scenario = join(dir, 'trace.yaml');
const sfd = openSync(scenario, 'w');
writeSync(sfd, `name: trace-bench
workload:
  trace:
    file: ${name}
    time: ms
    columns: { time: ms, tenant: tenant, prompt: prompt, output: output }
    tenants: { chat: [1, 2, 3], batch: 4 }
keys: { count: 4, limit: { requests: 2000/min, tokens: 2000000/min } }
providers: [{ name: p, latency: 1s }]
`);
closeSync(sfd);

/** Runs a scenario through the command line: wall seconds and the peak memory it reports. */
function run(file: string): [string, string] {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['bin/gatesim.js', file, '--out', join(dir, 'out'), '--format', 'none'], { encoding: 'utf8' });
  const wallS = (performance.now() - started) / 1000;
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  const peak = /peak memory (\d+) MB/.exec(r.stderr);
  return [`${wallS.toFixed(1)} s`, peak ? `${peak[1]} MB` : '?'];
}

const mb = (statSync(path).size / 2 ** 20).toFixed(0);
const [wall, peak] = run(scenario);
process.stdout.write(`| ${rows.toLocaleString('en')} | ${kind} | ${mb} MiB | ${wall} | ${peak} |\n`);
if (process.argv[4] !== 'no-baseline') {
  const mean = join(dir, 'mean.yaml');
  const mfd = openSync(mean, 'w');
  writeSync(mfd, `name: trace-bench-mean
workload: { requests: ${rows}, arrivals: { rate: ${((rows / t) * 1000).toFixed(3)}/s }, tokens: { prompt: 300, output: 220 } }
keys: { count: 4, limit: { requests: 2000/min, tokens: 2000000/min } }
providers: [{ name: p, latency: 1s }]
`);
  closeSync(mfd);
  const [w, p] = run(mean);
  process.stdout.write(`| ${rows.toLocaleString('en')} | none: \`arrivals\` at the mean rate | – | ${w} | ${p} |\n`);
}
rmSync(dir, { recursive: true, force: true });
