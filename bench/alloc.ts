/**
 * npx tsx bench/alloc.ts [scenario] — where a simulation allocates: V8's sampling heap profiler
 * (objects collected since included) over one in-process simulate() of the scenario
 * (default bench/million.yaml) after a warm-up of 100,000 requests, printed as a markdown table of
 * megabytes by allocating function and its two callers, split into the run and its results.
 * Numbers that cross a call V8 does not inline are boxed (16 bytes each), so a hot path that
 * passes times or attempt tokens (beyond the 31-bit small integers) to such a call allocates.
 */
import { Session } from 'node:inspector/promises';
import { loadScenario } from '../src/scenario/load.js';
import { simulate } from '../src/modes/simulate.js';

interface SampleNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: SampleNode[];
}

const file = process.argv[2] ?? 'bench/million.yaml';
const s = loadScenario(file).runs[0]!.variants[0]!.scenario;
simulate({ ...s, workload: { ...s.workload, requests: Math.min(100_000, s.workload.requests) } }, 'warm-up');
const session = new Session();
session.connect();
// includeObjectsCollectedBy*: the short-lived objects are the point (the options exist in V8, not yet in Node's types).
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
const { stats } = simulate(s, 'measured');
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampleNode } };
session.disconnect();

const bytes = new Map<string, number>();
const phase = new Map<string, number>();
const walk = (n: SampleNode, stack: string[]): void => {
  const name = `${n.callFrame.functionName || '(anonymous)'} (${n.callFrame.url.replace(/^.*\/src\//, 'src/').replace(/^.*\//, '') || 'native'})`;
  const st = [name, ...stack];
  if (n.selfSize > 0) {
    const key = st.slice(0, 3).join(' ← ');
    bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
    const where = st.some((f) => f.startsWith('variantResult')) ? 'results' : st.some((f) => f.startsWith('runUntil')) ? 'the run' : 'other';
    phase.set(where, (phase.get(where) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, st);
};
walk(profile.head, []);
const mb = (b: number): string => (b / 1e6).toFixed(1);
console.log(`\n${file}: ${stats.events.toLocaleString('en')} events; allocated (sampled) ${[...phase].map(([k, v]) => `${k} ${mb(v)} MB`).join(', ')}\n`);
console.log('| MB | allocated in ← called from ← called from |\n| ---: | --- |');
for (const [k, v] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`| ${mb(v)} | ${k} |`);
