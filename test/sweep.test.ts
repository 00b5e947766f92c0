import { describe, expect, it } from 'vitest';
import { runPlan, runPlansParallel } from '../src/run.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { parseScenario } from '../src/scenario/load.js';
import { sweepPoints } from '../src/scenario/sweep.js';
import { runsChart, sweepAxis } from '../src/report/charts.js';
import { bestVariant, comparison, sweepTable, tablesOf } from '../src/report/table.js';

const BASE = `name: s
workload: { requests: 40, concurrency: 4 }
keys: { count: 2, limit: 30/min }
providers: [{ name: p, latency: 200ms }]
variants:
  - { name: pooled }
  - { name: serial, workload: { concurrency: 1 } }
`;

const parse = (text: string) => parseScenario(text, 's.yaml');

/** The lines a broken file gives. */
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines;
    throw e;
  }
  return [];
}

describe('sweep: the grid of points', () => {
  it('is the cartesian product in file order, the last field fastest, each point a run named by its values', () => {
    const plan = parse(`${BASE}sweep:\n  workload.concurrency: [1, 5]\n  keys.count: [2, 4, 8]\n`);
    expect(plan.runs.map((r) => r.name)).toEqual([
      'workload.concurrency=1 keys.count=2', 'workload.concurrency=1 keys.count=4', 'workload.concurrency=1 keys.count=8',
      'workload.concurrency=5 keys.count=2', 'workload.concurrency=5 keys.count=4', 'workload.concurrency=5 keys.count=8',
    ]);
    expect(plan.runs[4]!.point).toEqual({ 'workload.concurrency': 5, 'keys.count': 4 });
    expect(plan.sweep).toEqual({ fields: ['workload.concurrency', 'keys.count'], dimensions: 2 });
    const pooled = plan.runs[4]!.variants[0]!.scenario;
    expect([pooled.workload.concurrency, pooled.keys.count]).toEqual([5, 4]);
  });

  it('values apply like --set, before variants: a variant that sets a swept field keeps its own value', () => {
    const plan = parse(`${BASE}sweep:\n  workload.concurrency: [3, 6]\n`);
    expect(plan.runs.map((r) => r.variants.map((v) => v.scenario.workload.concurrency))).toEqual([[3, 1], [6, 1]]);
  });

  it('zip varies lists together as one dimension; values may be any field value (rates, mappings)', () => {
    const plan = parse(`${BASE}sweep:\n  zip: { keys.count: [2, 4], keys.limit: [3/min, 6/min] }\n  providers.0.latency: [100ms, { dist: constant, value: 1s }]\n`);
    expect(plan.runs).toHaveLength(4);
    expect(plan.runs[3]!.name).toBe('keys.count=4 keys.limit=6/min providers.0.latency={"dist":"constant","value":"1s"}');
    const s = plan.runs[3]!.variants[0]!.scenario;
    expect([s.keys.count, s.keys.limit, s.providers[0]!.latency]).toEqual([4, { count: 6, windowMs: 60_000 }, { dist: 'constant', value: 1000 }]);
    expect(plan.sweep).toEqual({ fields: ['keys.count', 'keys.limit', 'providers.0.latency'], dimensions: 2 });
  });

  it('reference names a point by its run name; notes and marks reach the plan', () => {
    const plan = parse(`${BASE}sweep:\n  keys.count: [1, 2]\nreference:\n  keys.count=2: { pooled: { throughputPerS: 3 } }\nnotes: [hello]\nmarks: [{ x: 2, label: two }]\n`);
    expect(plan.reference).toEqual({ 'keys.count=2': { pooled: { throughputPerS: 3 } } });
    expect(plan.notes).toEqual(['hello']);
    expect(plan.marks).toEqual([{ x: 2, label: 'two' }]);
  });

  it('more than 10,000 points is refused', () => {
    const list = `[${Array.from({ length: 101 }, (_, i) => i + 1).join(', ')}]`;
    expect(sweepPoints({ 'keys.count': JSON.parse(list), 'workload.requests': JSON.parse(list) }).problems[0]!.message).toBe('expected at most 10000 points, got 10201');
  });
});

describe('sweep mistakes: one line each, at the place in the file', () => {
  const cases: [string, string][] = [
    ['sweep:\n  workload.concurency: [1, 5]\n', 's.yaml:9:3: sweep.workload.concurency: unknown field "concurency" (did you mean "concurrency"?)'],
    ['sweep:\n  keys.count: [4, -1]\n', 's.yaml:9:19: sweep.keys.count.1: expected a positive integer up to 10000, got -1'],
    ['sweep:\n  zip: { keys.count: [2, 4], keys.limit: [3/min] }\n', 's.yaml:9:42: sweep.zip.keys.limit: expected 2 values like keys.count (zipped lists vary together), got 1'],
    ['sweep:\n  keys.count: [2, 2]\n', 's.yaml:9:19: sweep.keys.count.1: expected each value once, got 2 again'],
    ['sweep:\n  keys.count: [2, 3]\nruns: [{ name: x }]\n', "s.yaml:8:1: sweep: expected either runs or a sweep, not both (a sweep's points are its runs)"],
    ['sweep:\n  keys.count: []\n', 's.yaml:9:15: sweep.keys.count: expected at least 1 item, got []'],
    ['sweep:\n  keys.count: 4\n', 's.yaml:9:15: sweep.keys.count: expected a list, got 4'],
    ['sweep:\n  workload.requests.x: [1]\n', 's.yaml:9:3: sweep.workload.requests.x: workload.requests is 40, not a mapping or list'],
    ['sweep: {}\n', 's.yaml:8:8: sweep: expected at least one field with a list of values'],
    ['sweep:\n  keys.count: [1, 2]\nreference:\n  keys.count=3: { pooled: { successRate: 1 } }\n', 's.yaml:11:3: reference.keys.count=3: expected a run name (one of keys.count=1 | keys.count=2), got "keys.count=3" (did you mean "keys.count=1"?)'],
  ];
  for (const [tail, line] of cases) {
    it(line.split(': ').slice(1).join(': '), () => expect(problems(BASE + tail)).toEqual([line]));
  }
});

describe('running a sweep', () => {
  const text = `${BASE}sweep:\n  workload.concurrency: [1, 2, 4, 8]\nmarks:\n  - { x: 4, label: rule }\n  - { metric: throughputPerS, y: 4, label: ceiling }\n`;

  it('on worker threads gives the same bytes as one after another', async () => {
    const plan = parse(text);
    const serial = JSON.stringify(runPlan(plan));
    const [parallel] = await runPlansParallel([plan], 2);
    expect(JSON.stringify(parallel)).toBe(serial);
    const again = await runPlansParallel([plan, parse(BASE)], 3);
    expect(JSON.stringify(again[0])).toBe(serial);
    expect(JSON.stringify(again[1])).toBe(JSON.stringify(runPlan(parse(BASE))));
  });

  it('records each point, the swept fields and the workers; the table shows the best variant per point', () => {
    const results = runPlan(parse(text));
    expect(results.sweep).toEqual({ fields: ['workload.concurrency'], dimensions: 1 });
    expect(results.runs.map((r) => r.point)).toEqual([1, 2, 4, 8].map((c) => ({ 'workload.concurrency': c })));
    expect(results.runs[2]!.variants.map((v) => v.metrics.workers)).toEqual([4, 1]);
    const t = sweepTable(results);
    expect(t.header).toEqual([
      'workload.concurrency', 'pooled: goodput (req/s)', 'pooled: 429s (%)', 'serial: goodput (req/s)', 'serial: 429s (%)',
      'best', 'best: meets the goal', 'best: success rate (%)', 'best: mean latency (s)',
    ]);
    expect(t.rows.map((r) => r[0])).toEqual(['1', '2', '4', '8']);
    // 2 keys × 30/min cap the pooled variant; at 1 worker both are equal and the first listed wins.
    expect(t.rows.map((r) => r[5])).toEqual(['pooled', 'pooled', 'pooled', 'pooled']);
    expect(t.rows.map((r) => r[6])).toEqual(['yes', 'yes', 'yes', 'yes']);
    expect(bestVariant(results.runs[0]!)?.name).toBe('pooled');
    // No reference: the answer and the summary alone.
    expect(tablesOf(results).map((x) => x.title)).toEqual([expect.stringMatching(/^The answer/), t.title]);
  });

  it('the across chart puts the swept value on a numeric x and draws the marks', () => {
    const results = runPlan(parse(text));
    expect(sweepAxis(results)).toBe('workload.concurrency');
    const spec = JSON.parse(JSON.stringify(runsChart(results))) as { title: { text: string }; concat: { title: { text: string }; layer?: { mark: { type: string } | string; data?: { values: unknown[] } }[] }[] };
    expect(spec.title.text).toBe('Each metric against workload.concurrency');
    const throughput = spec.concat.find((c) => c.title.text === 'throughput (req/s)')!;
    expect(throughput.layer!.map((l) => (typeof l.mark === 'string' ? l.mark : l.mark.type))).toEqual(['line', 'rule', 'rule']);
    expect(throughput.layer![2]!.data!.values).toEqual([{ y: 4, label: 'ceiling' }]);
    // (A metric the same at every point, such as a 100% success rate, gets no panel.)
    const other = spec.concat.find((c) => c.title.text === 'total time (s)')!;
    expect(other.layer!.map((l) => (typeof l.mark === 'string' ? l.mark : l.mark.type))).toEqual(['line', 'rule']);
  });

  it('speedup rows appear when the variants run different numbers of workers', () => {
    const results = runPlan(parse(`${BASE}baseline: serial\n`));
    const t = comparison(results, results.runs[0]!);
    const row = (label: string) => t.rows.find((r) => r[0]!.startsWith(label));
    expect(row('theoretical speedup')!.slice(1, 3)).toEqual(['4.0', '1.0']);
    const [pooled, serial] = results.runs[0]!.variants.map((v) => v.metrics.totalTimeMs!);
    expect(row('actual speedup')![1]).toBe((serial! / pooled!).toFixed(2));
    expect(row('parallel efficiency')![1]).toBe(((serial! / pooled! / 4) * 100).toFixed(1));
    expect(row('time per task')![2]).toBe((serial! / 40 / 1000).toFixed(2));
  });
});

describe('sweep paths: what a point may change', () => {
  it('seed: each point runs with its own seed (replications), named seed=N', () => {
    const text = `${BASE.replace('latency: 200ms', 'latency: { dist: exponential, mean: 200ms }')}sweep:\n  seed: [1, 2, 3]\n`;
    const plan = parse(text);
    expect(plan.runs.map((r) => r.name)).toEqual(['seed=1', 'seed=2', 'seed=3']);
    expect(plan.runs.map((r) => r.point)).toEqual([{ seed: 1 }, { seed: 2 }, { seed: 3 }]);
    expect(plan.runs.map((r) => r.variants.map((v) => v.scenario.seed))).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(plan.seed).toBe(1);
    const results = runPlan(plan);
    const latency = results.runs.map((r) => r.variants[0]!.metrics.latencyMs.mean);
    expect(new Set(latency).size).toBe(3);
    // the same seed as a plain file gives the same numbers: the point's seed is the whole story
    expect(runPlan(parse(`${text.replace(/sweep:[\s\S]*/, '')}seed: 2\n`)).runs[0]!.variants[0]!.metrics.latencyMs.mean).toBe(latency[1]);
  });

  it('a seed sweep zips with other fields, refuses bad seeds at the value, and --seed beside it', () => {
    const plan = parse(`${BASE}sweep:\n  zip: { seed: [5, 6], keys.count: [1, 2] }\n`);
    expect(plan.runs.map((r) => [r.name, r.variants[0]!.scenario.seed, r.variants[0]!.scenario.keys.count])).toEqual([
      ['seed=5 keys.count=1', 5, 1], ['seed=6 keys.count=2', 6, 2],
    ]);
    expect(problems(`${BASE}sweep:\n  seed: [1, -2]\n`)).toEqual(['s.yaml:9:13: sweep.seed.1: expected a non-negative integer below 2^53, got -2']);
    expect(problems(`${BASE}sweep:\n  seed.x: [1]\n`)).toEqual(['s.yaml:9:3: sweep.seed.x: expected seed alone (a number), got "seed.x"']);
    let lines: string[] = [];
    try {
      parseScenario(`${BASE}sweep:\n  seed: [1, 2]\n`, 's.yaml', { seed: 7 });
    } catch (e) {
      lines = (e as ScenarioError).lines;
    }
    expect(lines).toEqual(['--seed 7: expected no --seed with a sweep over seed (each point runs with its own)']);
  });

  it('the file’s own fields are refused, one line each at the swept name', () => {
    const fields = ['runs', 'baseline', 'reference', 'sweep', 'notes', 'marks', '$schema', 'name', 'description', 'variants', 'variants.1', 'variants.1.name', 'variants.0.condition'];
    const text = `${BASE}sweep:\n${fields.map((f) => `  ${f}: [1]`).join('\n')}\n`;
    expect(problems(text)).toEqual(fields.map((f, i) =>
      `s.yaml:${9 + i}:3: sweep.${f}: expected a field a point can change (seed, a scenario field, or variants.N.<field>), got "${f}", which belongs to the file`));
  });

  it('a variant’s own fields may be swept; an index past the variants may not', () => {
    const plan = parse(`${BASE}sweep:\n  variants.1.workload.concurrency: [2, 3]\n`);
    expect(plan.runs.map((r) => r.variants.map((v) => v.scenario.workload.concurrency))).toEqual([[4, 2], [4, 3]]);
    expect(plan.runs.map((r) => r.variants.map((v) => v.name))).toEqual([['pooled', 'serial'], ['pooled', 'serial']]);
    expect(problems(`${BASE}sweep:\n  variants.2.keys.count: [1]\n  variants.x.keys.count: [1]\n`)).toEqual([
      's.yaml:9:3: sweep.variants.2.keys.count: expected variants.N with N a variant\'s index (0 to 1), got "variants.2.keys.count"',
      's.yaml:10:3: sweep.variants.x.keys.count: expected variants.N with N a variant\'s index (0 to 1), got "variants.x.keys.count"',
    ]);
    expect(problems(`name: s\nproviders: [{ name: p, latency: 1s }]\nsweep:\n  variants.0.keys.count: [1]\n`)).toEqual([
      's.yaml:4:3: sweep.variants.0.keys.count: expected variants.N with N a variant\'s index, got "variants.0.keys.count", and the file has no variants',
    ]);
  });

  it('a list index must be the list’s or the next: providers.-1 and providers.5 are lines at the name', () => {
    expect(problems(`${BASE}sweep:\n  providers.-1.latency: [1s]\n  zip: { providers.5.latency: [1s] }\n`)).toEqual([
      's.yaml:9:3: sweep.providers.-1.latency: expected an index of providers from 0 to 1, got "-1"',
      's.yaml:10:10: sweep.zip.providers.5.latency: expected an index of providers from 0 to 1, got "5"',
    ]);
  });
});
