/**
 * npm run bench — tinybench figures for the hot paths, the whole path from the command line, and
 * the three aims of issue 20 each beside its yardstick measured in the same run (a bare event loop,
 * SimPy 2, autocannon against the same `gatesim serve`). Prints two markdown tables
 * (docs/internals.md, "Speed", says what each row measures). Bounded: every child process has a
 * deadline, and the whole run takes about a minute on an idle 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
import { compareReal, CONCURRENCY } from './real-compare.js';

const benchStart = performance.now();
const loadAtStart = loadavg()[0]!;

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

const bench = new Bench({ time: 800, warmup: true });
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
const CHILD_DEADLINE_MS = 60_000;
const out = mkdtempSync(join(tmpdir(), 'gatesim-bench-'));
const median3 = (run: () => number): number => [run(), run(), run()].sort((x, y) => x - y)[1]!;
/**
 * CPU seconds of the children waited for so far (Linux: cutime + cstime of /proc/self/stat, in
 * clock ticks of 10 ms): a child's CPU time moves far less with the machine's load than its wall
 * time, so the aims are also given as ratios of CPU time. NaN where /proc is missing.
 */
const childCpuS = (): number => {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of the line (cutime, cstime) are 13 and 14 after the command's name and state.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
};
const cpuOf: Record<string, number[]> = {};
const wall = (cmd: string, args: string[], label = args[0]!): { ms: number; stdout: string; stderr: string } => {
  const w0 = performance.now();
  const c0 = childCpuS();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: CHILD_DEADLINE_MS });
  const ms = performance.now() - w0;
  (cpuOf[label] ??= []).push(childCpuS() - c0);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return { ms, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};
/** Median CPU seconds of the runs under `label`. */
const cpuMedian = (label: string): number => {
  const xs = (cpuOf[label] ?? []).slice().sort((a, b) => a - b);
  return xs.length ? xs[xs.length >> 1]! : NaN;
};
const peaks: Record<string, string> = {};
const cli = (file: string): number =>
  median3(() => {
    const r = wall(process.execPath, ['bin/gatesim.js', file, '--out', out], file);
    peaks[file] = /peak memory (\d+) MB/.exec(r.stderr)?.[1] ?? '?';
    return r.ms;
  });
// The compiled CLI as a simulation's first start leaves it: built, and V8's code cache written by
// a start that ran a simulation (bin/bundle.js; a cache a `--version` wrote holds less compiled code).
{
  const { bundle } = (await import(pathToFileURL(join(process.cwd(), 'bin', 'bundle.js')).href)) as { bundle(): Promise<string> };
  rmSync(join(await bundle(), 'cli.cjs.v8'), { force: true });
  wall(process.execPath, ['bin/gatesim.js', 'bench/million.yaml', '--out', out], 'warm-up');
}
const bare = median3(() => wall(process.execPath, ['bench/bare-loop.mjs', '5000000']).ms);
// Start-up alone: the compiled CLI started, its modules evaluated, the version printed.
const startup = median3(() => wall(process.execPath, ['bin/gatesim.js', '--version'], 'startup').ms);
const million = cli('bench/million.yaml');
const mm2 = cli('bench/mm2.yaml');
const tokens = cli('bench/million-tokens.yaml');
const iteration = cli('bench/million-iteration.yaml');
const bareCpu = cpuMedian('bench/bare-loop.mjs');
const millionCpu = cpuMedian('bench/million.yaml');
const mm2Cpu = cpuMedian('bench/mm2.yaml');
rows.push(['bare loop: 5M events, typed-array heap, 1,000 pending (node bench/bare-loop.mjs)', `${(bare / 1000).toFixed(2)} s wall`, `${fmt(5e6 / (bare / 1000))} events/s; ${bareCpu.toFixed(2)} s CPU`]);
rows.push(['start-up: node bin/gatesim.js --version (Node, the compiled CLI loaded, its modules evaluated)', `${(startup / 1000).toFixed(2)} s wall`, `${cpuMedian('startup').toFixed(2)} s CPU`]);
rows.push([
  'command line: node bin/gatesim.js bench/million.yaml (1M requests)',
  `${(million / 1000).toFixed(2)} s wall`,
  `${(million / bare).toFixed(2)}× the bare loop; ${millionCpu.toFixed(2)} s CPU; peak memory ${peaks['bench/million.yaml']} MB`,
]);
rows.push([
  'command line: node bin/gatesim.js bench/mm2.yaml (M/M/2, 1M customers)',
  `${(mm2 / 1000).toFixed(2)} s wall`,
  `${((mm2 * 1000) / 1e6).toFixed(2)} µs per customer; ${mm2Cpu.toFixed(2)} s CPU; peak memory ${peaks['bench/mm2.yaml']} MB`,
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
const simpyRun = (): number => {
  const c0 = childCpuS();
  const r = spawnSync('/usr/bin/python3', ['bench/mm2_simpy.py', String(SIMPY_N)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: CHILD_DEADLINE_MS });
  (cpuOf.simpy ??= []).push(childCpuS() - c0);
  const us = /([\d.]+) us\/customer/.exec(r.stdout?.toString() ?? '')?.[1];
  return r.status === 0 && us ? Number(us) : NaN;
};
const simpyFirst = simpyRun();
const simpyUs = Number.isNaN(simpyFirst) ? NaN : [simpyFirst, simpyRun(), simpyRun()].sort((x, y) => x - y)[1]!;
const mm2Us = (mm2 * 1000) / 1e6;
if (!Number.isNaN(simpyUs)) {
  rows.push([`SimPy 2: the same M/M/2, ${fmt(SIMPY_N)} customers (/usr/bin/python3 bench/mm2_simpy.py)`, `${simpyUs.toFixed(2)} µs per customer`, `gatesim is ${(simpyUs / mm2Us).toFixed(1)}× faster per customer`]);
} else rows.push(['SimPy 2: the same M/M/2', 'not measured', 'needs Debian\'s python3-simpy (apt-get install python3-simpy)']);

// The real-mode client against autocannon, both against one `gatesim serve` answering at once.
const real = await compareReal();
rows.push([`autocannon: ${CONCURRENCY} connections, median of 5 rounds of 2 s, against gatesim serve bench/zero.yaml`, `${real.autocannonRate.toFixed(0)} requests/s`, '']);
rows.push([
  `real mode: ${CONCURRENCY} workers, median of 5 rounds of ${fmt(real.requests)} requests (each after a round of autocannon), against the same serve`,
  `${real.gatesimRate.toFixed(0)} requests/s`,
  `${real.cpuPerRequestUs.toFixed(1)} µs client CPU per request; rounds' ratios ${real.ratioLow.toFixed(2)}–${real.ratioHigh.toFixed(2)}`,
]);
console.log('| benchmark | rate | detail |\n| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

// The three aims of issue 20, each a ratio against its yardstick of this run; the simulator's two
// also by CPU time (the whole python process for SimPy, start-up included, as gatesim's command).
const simpyCpuUs = (cpuMedian('simpy') * 1e6) / SIMPY_N;
const mm2CpuUs = (mm2Cpu * 1e6) / 1e6;
const aims: [string, string, string, number, number, string, boolean][] = [
  ['1M-request command ÷ bare 5M-event loop', `${(million / 1000).toFixed(2)} s`, `${(bare / 1000).toFixed(2)} s`, million / bare, millionCpu / bareCpu, '≤ 2.0×', million / bare <= 2.0],
  ['SimPy 2 ÷ gatesim, M/M/2 per customer', `${mm2Us.toFixed(2)} µs`, `${simpyUs.toFixed(2)} µs`, simpyUs / mm2Us, simpyCpuUs / mm2CpuUs, '≥ 10×', simpyUs / mm2Us >= 10],
  [
    'real mode ÷ autocannon, requests/s against one serve (median of the rounds\' ratios)',
    `${real.gatesimRate.toFixed(0)} /s`,
    `${real.autocannonRate.toFixed(0)} /s`,
    real.ratio,
    NaN,
    '≥ 0.7×',
    real.ratio >= 0.7,
  ],
];
const x = (r: number): string => (Number.isNaN(r) ? '–' : `${r.toFixed(2)}×`);
console.log('\n| aim (issue 20) | gatesim | yardstick | ratio (wall) | ratio (CPU time) | aim | met (wall) |\n| --- | ---: | ---: | ---: | ---: | ---: | :---: |');
for (const [what, g, y, r, c, aim, met] of aims) console.log(`| ${what} | ${g} | ${y} | ${Number.isNaN(r) ? 'not measured' : x(r)} | ${x(c)} | ${aim} | ${met ? 'yes' : 'no'} |`);
// Wall times on a shared machine move with its load: say what it was, so a run can be judged.
console.log(`\n(bench took ${((performance.now() - benchStart) / 1000).toFixed(0)} s; load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${availableParallelism()} cores)`);
