/**
 * npx tsx bench/profile.ts [scenario …] — where a command's time goes: runs `node --cpu-prof
 * bin/gatesim.js <scenario>` (default bench/million.yaml and bench/mm2.yaml), then prints, per
 * scenario, a markdown table of the profile's samples by phase (start-up, reading the scenario, the
 * simulation, its results, writing them, garbage collection) and the source files that take the
 * most self time. The compiled CLI's bundle marks each module with a `// src/…` comment, which is
 * how a sample's line is traced back to its source file. Shares of one profile, so they hold on a
 * loaded machine better than its milliseconds do (docs/internals.md, "Speed").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Phases, each by a function on the sample's stack (the first found, innermost first, wins). */
const PHASES: [string, string][] = [
  ['runUntil', 'the simulation (engine, workload, key pool, balancer, providers, dispatcher, recorder)'],
  ['variantResult', 'results: the statistics of the recorded columns'],
  ['loadScenario', 'reading and checking the scenario'],
  ['writeResults', 'writing results.json, results.md and the page'],
];
const STARTUP = 'start-up: Node, the compiled CLI loaded, its modules evaluated';
const GC = 'garbage collection';
const OTHER = 'the rest (the command around them, printing the table)';

/** For a bundle file: the source file of each line, from esbuild's `// path` comments before each module. */
function sourceLines(file: string): (line: number) => string {
  const starts: [number, string][] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\/\/ ((?:src|bin)\/\S+|.*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(text);
      if (m) starts.push([i, m[1]!.replace(/.*node_modules\//, 'package ')]);
    });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle runtime)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

function profile(scenario: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-profile-'));
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'bin/gatesim.js', scenario, '--out', out, '-q'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${scenario}: ${r.stderr.toString()}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const mappers = new Map<string, (line: number) => string>();
  const sourceOf = (f: Frame): string => {
    if (!/gatesim\/[0-9a-f]+\/(cli\.c?js|chunks\/)/.test(f.url)) return f.url ? f.url.replace(/^.*node_modules\//, 'package ').replace(/^node:.*/, 'Node') : f.functionName || '(native)';
    const path = f.url.startsWith('file:') ? fileURLToPath(f.url) : f.url;
    if (!mappers.has(path)) mappers.set(path, sourceLines(path));
    return mappers.get(path)!(f.lineNumber);
  };
  const phaseMs = new Map<string, number>();
  const fileMs = new Map<string, Map<string, number>>();
  let total = 0;
  let mainSeen = false;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!)!;
    const d = (p.timeDeltas[i] ?? 0) / 1000;
    const names = new Set<string>();
    for (let x: ProfileNode | undefined = node; x; x = parent.get(x.id)) names.add(x.callFrame.functionName);
    if (node.callFrame.functionName === '(idle)') continue;
    total += d;
    if (names.has('main')) mainSeen = true;
    let phase = PHASES.find(([fn]) => names.has(fn))?.[1] ?? (mainSeen ? OTHER : STARTUP);
    if (node.callFrame.functionName === '(garbage collector)') phase = GC;
    phaseMs.set(phase, (phaseMs.get(phase) ?? 0) + d);
    const files = fileMs.get(phase) ?? new Map<string, number>();
    fileMs.set(phase, files);
    const src = sourceOf(node.callFrame);
    files.set(src, (files.get(src) ?? 0) + d);
  }
  const pct = (ms: number): string => `${((100 * ms) / total).toFixed(1)}%`;
  console.log(`\n### node bin/gatesim.js ${scenario} — ${total.toFixed(0)} ms of samples (profiler on)\n`);
  console.log('| phase | ms | share | the source files taking most of it (self time, share of the whole) |\n| --- | ---: | ---: | --- |');
  const order = [STARTUP, ...PHASES.map(([, what]) => what), OTHER, GC];
  for (const phase of order) {
    const ms = phaseMs.get(phase);
    if (!ms) continue;
    const top = [...(fileMs.get(phase) ?? new Map<string, number>())]
      .sort((a, b) => b[1] - a[1])
      .slice(0, phase === GC ? 0 : 6)
      .filter(([, v]) => v / total >= 0.005)
      .map(([f, v]) => `${f} ${pct(v)}`)
      .join(', ');
    console.log(`| ${phase} | ${ms.toFixed(0)} | ${pct(ms)} | ${top} |`);
  }
}

const scenarios = process.argv.slice(2);
for (const s of scenarios.length ? scenarios : ['bench/million.yaml', 'bench/mm2.yaml']) profile(s);
