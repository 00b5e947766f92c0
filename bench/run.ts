/**
 * npm run bench — tinybench figures for the hot paths, and the whole path from the command line.
 * Prints a markdown table (docs/internals.md, "Speed", says what each row measures and its aim).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { context } from '../src/balancers/balancer.js';
import { RoundRobin } from '../src/balancers/round-robin.js';
import { KeyPool } from '../src/keys/key-pool.js';
import { SlidingLog } from '../src/limiters/sliding-log.js';
import { Engine } from '../src/sim/engine.js';
import { EventHeap } from '../src/sim/heap.js';
import { stream } from '../src/sim/random.js';
import { loadScenario } from '../src/scenario/load.js';
import { simulate } from '../src/modes/simulate.js';

const EVENTS = 200_000;
const rows: string[][] = [];
const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

const delays = new Float64Array(4096);
{
  const rng = stream(1, 'bench');
  for (let i = 0; i < delays.length; i++) delays[i] = rng() * 1000;
}

/**
 * Hold model: `pending` events wait in the queue; each event run schedules one more at a random
 * delay, so the queue stays at `pending` while EVENTS events run. Set-up is outside the timing.
 */
function engineHold(pending: number): [() => void, { beforeEach: () => void }] {
  let e = new Engine();
  // Counters in a typed array: a `let` captured by the handler would allocate on every write.
  const c = new Float64Array(1);
  let k = 0;
  const beforeEach = (): void => {
    e = new Engine(pending * 2);
    k = e.on(() => {
      e.after(delays[c[0]!++ & 4095]!, k, 0);
    });
    for (let i = 0; i < pending; i++) e.after(delays[i & 4095]!, k, 0);
  };
  // Exactly EVENTS events run; the queue stays at `pending` throughout.
  return [
    () => {
      for (let i = 0; i < EVENTS; i++) e.step();
    },
    { beforeEach },
  ];
}

/** The same hold model on the bare heap (no slots, cancellation or dispatch). */
function heapHold(pending: number): [() => void, { beforeEach: () => void }] {
  let h = new EventHeap();
  const beforeEach = (): void => {
    h = new EventHeap(pending * 2);
    for (let i = 0; i < pending; i++) h.push(delays[i & 4095]!, i);
  };
  return [
    () => {
      let d = 0;
      for (let i = 0; i < EVENTS; i++) {
        const t = h.peekTime();
        h.pop();
        h.push(t + delays[d++ & 4095]!, i);
      }
    },
    { beforeEach },
  ];
}

const bench = new Bench({ time: 1500, warmup: true });
bench
  .add('heap alone: 1,000 pending', ...heapHold(1_000))
  .add('heap alone: 100,000 pending', ...heapHold(100_000))
  .add('engine: 1,000 pending', ...engineHold(1_000))
  .add('engine: 100,000 pending', ...engineHold(100_000))
  .add('sliding-log: admits + record, 100/s, a request every 7 ms', () => {
    const w = new SlidingLog(100, 1_000);
    let n = 0;
    for (let t = 0; t < 100_000; t++) {
      if (w.admits(t * 7)) {
        w.record(t * 7);
        n++;
      }
    }
    if (n === 0) throw new Error('no admission');
  })
  .add('key pool: acquire over 4 keys (least-used, sliding-log)', () => {
    const e = new Engine();
    const keys = {
      count: 4,
      limit: { count: 1_000, windowMs: 1_000 },
      limiter: { type: 'sliding-log', options: {} },
      choice: 'least-used' as const,
      exclusive: false,
      wait: { mode: 'notify' as const },
      acquireTimeoutMs: Infinity,
      guardMs: 0,
    };
    const pool = new KeyPool(keys, e, stream(1, 'keys'), { granted: () => {}, gaveUp: () => {} });
    const k = e.on((i) => {
      pool.acquire(i);
      if (i < 100_000) e.after(0.25, k, i + 1);
    });
    e.after(0, k, 0);
    e.run();
  })
  .add('round-robin: pick over 3 providers', () => {
    const rr = new RoundRobin(context([1, 1, 1], Math.random));
    const route = { client: 0, attempt: 1, previous: -1, avoid: -1 };
    let s = 0;
    for (let i = 0; i < 100_000; i++) s += rr.pick();
    if (s < 0) console.error(route);
  });

await bench.run();
const per: Record<string, number> = {
  'heap alone: 1,000 pending': EVENTS,
  'heap alone: 100,000 pending': EVENTS,
  'engine: 1,000 pending': EVENTS,
  'engine: 100,000 pending': EVENTS,
  'sliding-log: admits + record, 100/s, a request every 7 ms': 100_000,
  'key pool: acquire over 4 keys (least-used, sliding-log)': 100_001,
  'round-robin: pick over 3 providers': 100_000,
};
for (const t of bench.tasks) {
  const r = t.result as { state: string; latency?: { mean: number } };
  const ms = r.latency?.mean ?? NaN;
  const unit = t.name.startsWith('engine') || t.name.startsWith('heap') ? 'events/s' : 'decisions/s';
  rows.push([t.name, `${fmt((per[t.name]! / ms) * 1000)} ${unit}`, `${ms.toFixed(2)} ms per ${fmt(per[t.name]!)}`]);
}

// The whole path in-process: 1,000,000 requests (open Poisson) through keys, balancer, providers.
const plan = loadScenario('bench/million.yaml');
const scenario = plan.runs[0]!.variants[0]!.scenario;
const t0 = performance.now();
const { stats } = simulate(scenario, 'million');
const simMs = performance.now() - t0;
rows.push([
  'whole path: 1M requests (simulate only)',
  `${fmt((stats.events / simMs) * 1000)} events/s`,
  `${(simMs / 1000).toFixed(2)} s for ${fmt(stats.events)} events`,
]);

// …and from the command line, as a user runs it, against two yardsticks measured in the same run:
// a bare typed-array heap loop of 5,000,000 events (the floor for any simulator in JavaScript) and
// SimPy 2 on the same M/M/2 queue (Debian's python3-simpy). Medians of 3 wall times each.
const out = mkdtempSync(join(tmpdir(), 'gatesim-bench-'));
const median3 = (run: () => number): number => [run(), run(), run()].sort((x, y) => x - y)[1]!;
const wall = (cmd: string, args: string[]): { ms: number; stdout: string; stderr: string } => {
  const w0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - w0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return { ms, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};
const peaks: Record<string, string> = {};
const cli = (file: string): number =>
  median3(() => {
    const r = wall(process.execPath, ['bin/gatesim.js', file, '--out', out]);
    peaks[file] = /peak memory (\d+) MB/.exec(r.stderr)?.[1] ?? '?';
    return r.ms;
  });
const bare = median3(() => wall(process.execPath, ['bench/bare-loop.mjs', '5000000']).ms);
const million = cli('bench/million.yaml');
const mm2 = cli('bench/mm2.yaml');
const tokens = cli('bench/million-tokens.yaml');
const iteration = cli('bench/million-iteration.yaml');
rows.push(['bare loop: 5M events, typed-array heap, 1,000 pending (node bench/bare-loop.mjs)', `${(bare / 1000).toFixed(2)} s wall`, `${fmt(5e6 / (bare / 1000))} events/s`]);
rows.push([
  'command line: node bin/gatesim.js bench/million.yaml (1M requests)',
  `${(million / 1000).toFixed(2)} s wall`,
  `${(million / bare).toFixed(2)}× the bare loop; peak memory ${peaks['bench/million.yaml']} MB`,
]);
rows.push([
  'command line: node bin/gatesim.js bench/mm2.yaml (M/M/2, 1M customers)',
  `${(mm2 / 1000).toFixed(2)} s wall`,
  `${((mm2 * 1000) / 1e6).toFixed(2)} µs per customer; peak memory ${peaks['bench/mm2.yaml']} MB`,
]);
rows.push([
  'command line: node bin/gatesim.js bench/million-tokens.yaml (1M streamed requests, tokens quotas, serving model)',
  `${(tokens / 1000).toFixed(2)} s wall`,
  `peak memory ${peaks['bench/million-tokens.yaml']} MB`,
]);
rows.push([
  'command line: node bin/gatesim.js bench/million-iteration.yaml (the same with the iteration serving model: one event per server step)',
  `${(iteration / 1000).toFixed(2)} s wall`,
  `${(iteration / tokens).toFixed(2)}× the tokens million; peak memory ${peaks['bench/million-iteration.yaml']} MB`,
]);
const SIMPY_N = 200_000;
const simpy = spawnSync('/usr/bin/python3', ['bench/mm2_simpy.py', String(SIMPY_N)], { stdio: ['ignore', 'pipe', 'pipe'] });
const perCustomer = /([\d.]+) us\/customer/.exec(simpy.stdout?.toString() ?? '')?.[1];
if (simpy.status === 0 && perCustomer) {
  const us = Number(perCustomer);
  rows.push([`SimPy 2: the same M/M/2, ${fmt(SIMPY_N)} customers (/usr/bin/python3 bench/mm2_simpy.py)`, `${us.toFixed(2)} µs per customer`, `gatesim is ${(us / ((mm2 * 1000) / 1e6)).toFixed(1)}× faster per customer`]);
} else rows.push(['SimPy 2: the same M/M/2', 'not measured', 'needs Debian\'s python3-simpy (apt-get install python3-simpy)']);

console.log('| benchmark | rate | detail |\n| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
