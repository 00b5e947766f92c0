import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeGoal, parseGoal } from '../src/metrics/goal.js';
import { judgeBy, parseVary, runSearch, type Vary } from '../src/study/search-run.js';
import { searchAnswerTable, searchChartOf, searchProbesTable } from '../src/report/search-page.js';

/**
 * The capacity question where arithmetic knows the answer: N keys each limited by `sliding-log` to
 * R requests (or T tokens) a minute, against a provider quota of the same size, constant sizes,
 * constant arrivals. Below N·R/60 req/s nobody waits for a key; above it the queue grows for the
 * whole run, so over many windows the p99 key wait passes any small bound. The search must land
 * on the bound within its step, simulated in this process (no threads).
 */
const goal = parseGoal('maximise goodput subject to 429s = 0, p99 key wait <= 1s');
const judge = judgeBy(goal);

function scenario(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-search-'));
  const file = join(dir, 'capacity.yaml');
  writeFileSync(file, text);
  return file;
}

async function answer(file: string, vary: string, step: number) {
  const v = parseVary(vary) as Vary;
  return runSearch({
    file, sets: [], vary: v, step, want: 'largest', seeds: 1, judge, jobs: 1,
    goal: { text: describeGoal(goal), metric: 'goodput', unit: 'requests/s' },
  });
}

describe('search against arithmetic', () => {
  it('N keys × R requests/min by sliding-log: the largest rate with no 429s and a bounded key wait is N·R/60 req/s', async () => {
    // 4 × 500/min = 33.33/s. 20,000 requests at ~33/s is 10 minutes: 10 windows.
    const file = scenario(`name: arith-requests
seed: 1
workload: { requests: 20000, arrivals: { process: constant, rate: 10/s } }
keys: { count: 4, limit: 500/min, limiter: sliding-log, acquireTimeout: 1h }
providers:
  - { name: p, latency: 200ms, limit: 500/min }
`);
    const r = await answer(file, 'workload.arrivals.rate=20/s..50/s', 0.1);
    const v = r.variants[0]!;
    expect(v.status).toBe('found');
    expect(v.value).toBeLessThanOrEqual((4 * 500) / 60);
    expect(v.next).toBeGreaterThan((4 * 500) / 60);
    expect(v.next! - v.value!).toBeCloseTo(0.1, 9);
    expect([v.value, v.next]).toEqual([33.3, 33.4]);
    // No probe drew a 429: the bound is the keys' wait, as the arithmetic says.
    expect(v.probes.every((p) => p.runs.every((x) => x.metrics.attemptOutcomes.rateLimited === 0))).toBe(true);
    expect(v.probes.find((p) => p.value === 33.4)!.runs[0]!.failed.map((f) => f.constraint)).toEqual(['p99 key wait ≤ 1s']);
    // The answer as the tables and the chart state it: the value with its unit, the confidence, the miss.
    const told = searchAnswerTable(r);
    expect(told.title).toBe('The answer: the largest workload.arrivals.rate (requests per s) where the goal holds');
    expect(told.rows[0]!.slice(0, 2)).toEqual(['default', '33.3/s']);
    expect(told.rows[0]![3]).toBe('held in 1 of 1 seed at 33.3/s, failed in 1 of 1 seed at 33.4/s, the next step');
    expect(searchProbesTable(r).rows.find((row) => row[2] === '33.4/s')![5]).toMatch(/^p99 key wait ≤ 1s: 1 of 1, \d/);
    const chart = JSON.parse(JSON.stringify(searchChartOf(r))) as { layer: { data: { values: { x: number }[] }; mark: { type: string } }[] };
    expect(chart.layer.at(-1)!.mark.type).toBe('rule');
    expect(chart.layer.at(-1)!.data.values).toEqual([{ variant: 'default', x: 33.3 }]);
  });

  it('with tokens: N keys × T tokens/min gives N·T/(60·tokens per request) req/s', async () => {
    // 4 × 30,000 tokens/min at 1,200 tokens a request (1,000 prompt + 200 answer, max_tokens = answer):
    // 100 requests/min = 1.667/s; the requests quota (500/min) never binds.
    const file = scenario(`name: arith-tokens
seed: 1
workload: { requests: 3000, arrivals: { process: constant, rate: 1/s }, tokens: { prompt: 1000, output: 200 } }
keys: { count: 4, limit: { requests: 500/min, tokens: 30000/min }, limiter: sliding-log, acquireTimeout: 2h }
providers:
  - { name: p, latency: 200ms, limit: { requests: 500/min, tokens: 30000/min } }
`);
    const r = await answer(file, 'workload.arrivals.rate=0.5/s..4/s', 0.01);
    const v = r.variants[0]!;
    expect(v.status).toBe('found');
    const bound = (4 * 30000) / (60 * 1200);
    expect(v.value).toBeLessThanOrEqual(bound);
    expect(v.next).toBeGreaterThan(bound);
    expect([v.value, v.next]).toEqual([1.66, 1.67]);
  });

  it('a count field: the fewest keys that carry a fixed rate (smallest), N = ⌈60·λ/R⌉', async () => {
    // 20/s against 300/min per key: 60·20/300 = 4 keys exactly would run at capacity (waits grow
    // on a knife edge), so 21/s: 4.2 → 5 keys.
    const file = scenario(`name: arith-keys
seed: 1
workload: { requests: 12000, arrivals: { process: constant, rate: 21/s } }
keys: { count: 1, limit: 300/min, limiter: sliding-log, acquireTimeout: 1h }
providers:
  - { name: p, latency: 200ms, limit: 300/min }
`);
    const v = parseVary('keys.count=1..16') as Vary;
    expect(v.integer).toBe(true);
    const r = await runSearch({
      file, sets: [], vary: v, want: 'smallest', seeds: 2, judge, jobs: 1,
      goal: { text: describeGoal(goal), metric: 'goodput', unit: 'requests/s' },
    });
    expect([r.variants[0]!.status, r.variants[0]!.value, r.variants[0]!.next]).toEqual(['found', 5, 4]);
    expect(r.vary.step).toBe(1);
    expect(r.seeds).toEqual([1, 2]);
  });

  it('refuses to search a field a variant sets itself (its own value would win at every probe)', async () => {
    const file = scenario(`name: own
workload: { requests: 100, arrivals: { rate: 1/s } }
providers: [{ name: p, latency: 100ms }]
variants:
  - { name: a }
  - { name: fixed, workload: { arrivals: { rate: 2/s } } }
`);
    await expect(answer(file, 'workload.arrivals.rate=1/s..4/s', 0.1)).rejects.toThrow(
      /variant fixed sets workload\.arrivals\.rate itself, so the search cannot vary it there/,
    );
  });
});
