import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../src/core/outcome.js';
import { MAX_TRACE_LINE_BYTES } from '../src/core/limits.js';
import { TokenDraws } from '../src/gateway/workload.js';
import { TraceFeed, traceRoutes } from '../src/gateway/trace.js';
import { shardProblem } from '../src/gateway/shard-source.js';
import { simulate } from '../src/modes/simulate.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { loadScenario } from '../src/scenario/load.js';
import { TraceReader, eachUnquotedRecord, parseTimestamp } from '../src/workload/trace-reader.js';
import { eachCsvRecord } from '../src/workload/csv.js';
import { traceRequests, type TraceSpec } from '../src/workload/trace-schema.js';
import type { Scenario } from '../src/scenario/types.js';
import { stream } from '../src/sim/random.js';
import { gatesim, tmp } from './helpers/cli.js';

/** Writes `files` (name → content) and `scenario.yaml` into a fresh temporary folder; returns the scenario's path. */
function folder(yaml: string, files: Record<string, string | Buffer>): string {
  const dir = tmp('gatesim-trace-');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, yaml);
  return file;
}

const only = (file: string): Scenario => loadScenario(file).runs[0]!.variants[0]!.scenario;

/** The scenario's one problem line (the loader throws ScenarioError with every line). */
function problem(file: string): string[] {
  try {
    loadScenario(file);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines;
    throw e;
  }
  throw new Error('expected the scenario to be refused');
}

describe('the three public formats replay at their own times, routed by their columns', () => {
  it('azure-llm: TIMESTAMP date-times (7 fractional digits, no zone), ContextTokens, GeneratedTokens', () => {
    const csv = [
      'TIMESTAMP,ContextTokens,GeneratedTokens',
      '2023-11-16 18:15:46.6805900,374,44',
      '2023-11-16 18:15:50.9951690,396,109',
      '2023-11-16 18:15:51.2015030,879,55',
      '2023-11-16 18:15:51.2015030,91,16',
      '2023-11-16 18:16:55.0000000,1000,100',
    ].join('\r\n');
    const file = folder('name: az\nworkload: { trace: { file: az.csv, format: azure-llm } }\nproviders: [{ name: p, latency: 1s }]\n', { 'az.csv': csv });
    const s = only(file);
    expect(s.workload.requests).toBe(5);
    const { recorder } = simulate(s, 'az');
    expect([...recorder.arrival].map((t) => Math.round(t * 1000) / 1000)).toEqual([0, 4314.579, 4520.913, 4520.913, 68319.41]);
    expect([...recorder.tokens!.prompt]).toEqual([374, 396, 879, 91, 1000]);
    expect([...recorder.tokens!.output]).toEqual([44, 109, 55, 16, 100]);
  });

  it('burstgpt: Timestamp in seconds, Model routes to providers, Log Type as the tenant picks keys; failures (0 response tokens) kept or dropped', () => {
    const csv = [
      'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type',
      '5,ChatGPT,472,18,490,Conversation log',
      '45,ChatGPT,1087,0,1087,Conversation log',
      '118,GPT-4,417,217,634,API log',
      '126,ChatGPT,1360,349,1709,API log',
      '126,GPT-4,29,0,29,Conversation log',
    ].join('\n');
    const yaml = (zero: string) => `name: burst
workload:
  trace:
    file: b.csv
    format: burstgpt
    zeroOutput: ${zero}
    columns: { tenant: Log Type }
    tenants: { Conversation log: 1, API log: [2, 3] }
    models: { ChatGPT: openai, GPT-4: [azure] }
keys: { count: 3 }
providers: [{ name: openai, latency: 1s }, { name: azure, latency: 1s }]
`;
    const s = only(folder(yaml('keep'), { 'b.csv': csv }));
    const { recorder } = simulate(s, 'b');
    expect([...recorder.arrival]).toEqual([0, 40_000, 113_000, 121_000, 121_000]);
    expect([...recorder.tokens!.output]).toEqual([18, 0, 217, 349, 0]);
    // Request i's one attempt: its key and provider.
    const keys = [...recorder.attemptKey.view()];
    const providers = [...recorder.attemptProvider.view()];
    expect(keys.map((k, i) => [recorder.attemptStart.view()[i], k, providers[i]])).toEqual([
      [0, 0, 0], [40_000, 0, 0], [113_000, 1, 1], [121_000, 2, 0], [121_000, 0, 1],
    ]);
    // Drop: the two failures go, the others keep their times.
    const d = only(folder(yaml('drop'), { 'b.csv': csv }));
    expect(d.workload.requests).toBe(3);
    expect([...simulate(d, 'b').recorder.arrival]).toEqual([0, 113_000, 121_000]);
  });

  it('mooncake: JSONL with timestamp in ms, input_length, output_length (and hash_ids ignored), gzipped', () => {
    const rows = [
      { timestamp: 27482, input_length: 6955, output_length: 52, hash_ids: [46, 47, 48] },
      { timestamp: 30535, input_length: 6472, output_length: 26, hash_ids: [46, 47] },
      { timestamp: 30535, input_length: 3, output_length: 1, hash_ids: [] },
      { timestamp: 60000, input_length: 100, output_length: 10, hash_ids: [1] },
    ];
    const text = `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
    const plain = only(folder('name: mc\nworkload: { trace: { file: m.jsonl, format: mooncake } }\nproviders: [{ name: p, latency: 1s }]\n', { 'm.jsonl': text }));
    const gz = only(folder('name: mc\nworkload: { trace: { file: m.jsonl.gz, format: mooncake } }\nproviders: [{ name: p, latency: 1s }]\n', { 'm.jsonl.gz': gzipSync(text) }));
    const a = simulate(plain, 'mc');
    const b = simulate(gz, 'mc');
    expect([...a.recorder.arrival]).toEqual([0, 3053, 3053, 32518]);
    expect([...a.recorder.tokens!.prompt]).toEqual([6955, 6472, 3, 100]);
    expect(JSON.stringify(b.result)).toBe(JSON.stringify(a.result));
  });

  it('a tenant waits only for its own keys: behind its own burst, never behind another tenant\'s', () => {
    const csv = 't,who\n0,a\n1,a\n2,b\n3,b\n';
    const file = folder(`name: iso
workload: { trace: { file: t.csv, columns: { time: t, tenant: who }, tenants: { a: 1, b: [2, 3] } } }
keys: { count: 3, limit: 1/min }
providers: [{ name: p, latency: 100ms }]
`, { 't.csv': csv });
    const { recorder } = simulate(only(file), 'iso');
    // a's second request waits for key 1 (free key 2 is not its); b's requests, arriving while it
    // waits, take keys 2 and 3 at once.
    expect([...recorder.keyWait]).toEqual([0, 59_000, 0, 0]);
    expect([...recorder.attemptKey.view()].map((k, i) => [recorder.attemptStart.view()[i], k])).toEqual([[0, 0], [2000, 1], [3000, 2], [60_000, 0]]);
  });

  it('a model with a list of providers: the balancer chooses among them only', () => {
    // Every fourth row asks for the small model (a plain round robin over three would give c every third).
    const csv = `t,m\n${Array.from({ length: 12 }, (_, i) => `${i},${i % 4 === 3 ? 'small' : 'big'}`).join('\n')}\n`;
    const file = folder(`name: models
workload: { trace: { file: t.csv, columns: { time: t, model: m }, models: { big: [a, b], small: c } } }
balancer: round-robin
providers: [{ name: a, latency: 10ms }, { name: b, latency: 10ms }, { name: c, latency: 10ms }]
`, { 't.csv': csv });
    const { recorder, result } = simulate(only(file), 'models');
    const providers = [...recorder.attemptProvider.view()];
    providers.forEach((p, i) => expect(p === 2, `request ${i}`).toBe(i % 4 === 3));
    expect([result.metrics.providers.a!.requests, result.metrics.providers.b!.requests, result.metrics.providers.c!.requests]).toEqual([5, 4, 3]);
  });

  it('from/to cut a window in the trace\'s own time; speed divides it; workload.requests caps the count', () => {
    const csv = `t,p,o\n${[0, 1, 2, 3, 4, 5, 6].map((t) => `${t * 10},1,1`).join('\n')}\n`;
    const yaml = (extra: string) => `name: w\nworkload: { ${extra} trace: { file: t.csv, columns: { time: t, prompt: p, output: o }, from: 15s, to: 50s, speed: 2 } }\nproviders: [{ name: p, latency: 1ms }]\n`;
    const s = only(folder(yaml(''), { 't.csv': csv }));
    // Rows at 20, 30, 40 s are in [15 s, 50 s); from 15 s, at speed 2: 2.5, 7.5, 12.5 s.
    expect([...simulate(s, 'w').recorder.arrival]).toEqual([2500, 7500, 12_500]);
    const capped = only(folder(yaml('requests: 2,'), { 't.csv': csv }));
    expect([...simulate(capped, 'w').recorder.arrival]).toEqual([2500, 7500]);
  });
});

/**
 * An independent reference: one key, an exact sliding window of tokens (a request of weight w is
 * admitted at the first moment t ≥ its arrival, and not before the one ahead of it, when the
 * weights admitted in (t − W, t] plus w are at most L), FIFO. Written for this test only, as
 * plainly as possible.
 */
function referenceWaits(arrivals: number[], weights: number[], limit: number, windowMs: number): number[] {
  const admitted: { t: number; w: number }[] = [];
  const waits: number[] = [];
  let prev = 0;
  for (let i = 0; i < arrivals.length; i++) {
    let t = Math.max(arrivals[i]!, prev);
    for (;;) {
      const inWindow = admitted.filter((a) => a.t > t - windowMs);
      const used = inWindow.reduce((s, a) => s + a.w, 0);
      if (used + weights[i]! <= limit) break;
      // Wait until enough of the oldest admissions leave the window.
      let over = used + weights[i]! - limit;
      for (const a of inWindow) {
        over -= a.w;
        if (over <= 0) {
          t = a.t + windowMs;
          break;
        }
      }
    }
    admitted.push({ t, w: weights[i]! });
    waits.push(t - arrivals[i]!);
    prev = t;
  }
  return waits;
}

describe('the same rows at their timestamps give the waits an independent reference computes', () => {
  it('one key, an exact tokens window, FIFO: every wait within 1% (and 1 ms)', () => {
    // A bursty trace: quiet stretches and bursts, sizes from a small deterministic generator.
    let x = 12345;
    const next = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const rows: [number, number, number][] = [];
    let t = 0;
    for (let i = 0; i < 400; i++) {
      t += next() < 0.2 ? 20_000 * next() : 300 * next();
      rows.push([Math.round(t), 50 + Math.floor(next() * 2000), 10 + Math.floor(next() * 300)]);
    }
    const csv = `ms,prompt,output\n${rows.map((r) => r.join(',')).join('\n')}\n`;
    const file = folder(`name: ref
workload: { trace: { file: r.csv, time: ms, columns: { time: ms, prompt: prompt, output: output } } }
keys: { count: 1, limit: { tokens: 20000/min }, acquireTimeout: 100h }
providers: [{ name: p, latency: 500ms }]
`, { 'r.csv': csv });
    const { recorder } = simulate(only(file), 'ref');
    const t0 = rows[0]![0];
    // charge reserve: prompt + max_tokens (= the output here), corrected to what was used, which is the same.
    const want = referenceWaits(rows.map((r) => r[0] - t0), rows.map((r) => r[1] + r[2]), 20_000, 60_000);
    const got = [...recorder.keyWait];
    expect(recorder.outcome.every((o) => o === Outcome.ok)).toBe(true);
    expect(want.filter((w) => w > 0).length).toBeGreaterThan(100);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `request ${i}`).toBeLessThanOrEqual(Math.max(1, 0.01 * want[i]!));
    const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
    expect(Math.abs(sum(got) - sum(want)) / sum(want)).toBeLessThan(0.01);
  });
});

describe('dataset order', () => {
  const mix = (order?: 'sequential' | 'shuffle') => ({
    prompt: undefined, output: undefined, maxTokens: undefined,
    rows: { file: 'x', prompt: Int32Array.from([10, 11, 12, 13, 14]), output: Int32Array.from([0, 1, 2, 3, 4]), ...(order ? { order } : {}) },
  });
  const draw = (d: TokenDraws, n: number) => Array.from({ length: n }, () => (d.next(), d.prompt));

  it('sequential: the rows in file order, then again from the first', () => {
    expect(draw(new TokenDraws(mix('sequential'), stream(1, 'tokens')), 12)).toEqual([10, 11, 12, 13, 14, 10, 11, 12, 13, 14, 10, 11]);
  });

  it('shuffle: every row once per pass, in a seeded order that differs between passes and seeds', () => {
    const a = draw(new TokenDraws(mix('shuffle'), stream(1, 'tokens')), 15);
    for (const pass of [a.slice(0, 5), a.slice(5, 10), a.slice(10, 15)]) expect([...pass].sort()).toEqual([10, 11, 12, 13, 14]);
    expect(new Set([a.slice(0, 5), a.slice(5, 10), a.slice(10, 15)].map(String)).size).toBeGreaterThan(1);
    expect(draw(new TokenDraws(mix('shuffle'), stream(1, 'tokens')), 15)).toEqual(a);
    expect(draw(new TokenDraws(mix('shuffle'), stream(2, 'tokens')), 15)).not.toEqual(a);
  });

  it('sample (the default) draws with replacement: some row repeats within a pass', () => {
    const a = draw(new TokenDraws(mix(), stream(1, 'tokens')), 5);
    expect(new Set(a).size).toBeLessThan(5);
  });

  it('the file says it: dataset: { file, order }', () => {
    const file = folder('name: d\nworkload: { requests: 6, dataset: { file: d.csv, order: sequential } }\nproviders: [{ name: p, latency: 1ms }]\n', {
      'd.csv': 'prompt_tokens,output_tokens\n1,1\n2,2\n3,3\n',
    });
    const s = only(file);
    expect(s.workload.tokens!.rows!.order).toBe('sequential');
    expect([...simulate(s, 'd').recorder.tokens!.prompt]).toEqual([1, 2, 3, 1, 2, 3]);
  });
});

describe('bad rows: one line naming the file, the row and the column, never the content', () => {
  const SECRET = 'sk-live-do-not-echo';
  const cases: [string, string, string, RegExp][] = [
    ['an unknown tenant', 't,who\n0,1\n1,' + SECRET + '\n', 'columns: { time: t, tenant: who }', /t\.csv:3: who: expected a key number from 1 to keys\.count \(1\)/],
    ['an unknown model', 't,m\n0,p\n1,' + SECRET + '\n', 'columns: { time: t, model: m }', /t\.csv:3: m: expected a provider's name \(p\)/],
    ['a time that is not a number', 't\n0\n' + SECRET + '\n', 'columns: { time: t }', /t\.csv:3: t: expected a number of seconds \(time: s\), got text that is not a number$/],
    ['a time earlier than the row before', 't\n0\n5\n4\n', 'columns: { time: t }', /t\.csv:4: t: expected a time at or after the row before .*got an earlier one$/],
    ['an unparseable timestamp', 't\n2023-11-16 18:15:46\n2023-13-16 18:15:46\n', 'columns: { time: t }, time: timestamp', /t\.csv:3: t: expected a date-time .*got text that is not one$/],
    ['a token count that is not one', 't,p,o\n0,1,1\n1,' + SECRET + ',1\n', 'columns: { time: t, prompt: p, output: o }', /t\.csv:3: p: expected a whole number of tokens .*got text that is not a number$/],
    ['a header without the preset\'s columns', 'Timestamp,Model\n1,x\n', 'format: burstgpt', /t\.csv:1: expected a header naming Timestamp, Request tokens, Response tokens \(format burstgpt\), got one without Request tokens, Response tokens$/],
  ];
  for (const [what, csv, fields, re] of cases) {
    it(what, () => {
      const file = folder(`name: bad\nworkload: { trace: { file: t.csv, ${fields} } }\nproviders: [{ name: p, latency: 1ms }]\n`, { 't.csv': csv });
      const lines = problem(file);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
      expect(lines[0]).toMatch(/^.*scenario\.yaml:2:\d+: workload\.trace/);
      expect(lines[0]).not.toContain(SECRET);
    });
  }

  it('the command line: exit 2, the one line on stderr, nothing else', async () => {
    const file = folder('name: bad\nworkload: { trace: { file: t.csv, columns: { time: t } } }\nproviders: [{ name: p, latency: 1ms }]\n', { 't.csv': 't\n0\n5\n4\n' });
    const r = await gatesim([file, '--out', join(tmp(), 'out'), '-q']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/t\.csv:4: t: expected a time at or after the row before/)]);
  }, 30_000);

  it('a row far into a file of many chunks is named by its line (quoted fields with line breaks across chunk edges)', () => {
    const lines = ['t,p,o,note'];
    let line = 2;
    let t = 0;
    // ~3 MiB: the reader's chunks are 1 MiB, so records are cut at chunk edges, some inside the quoted note.
    while (line < 60_000) {
      lines.push(`${t++},1,1,"a note ${'x'.repeat(20)}\nwith a second line"`);
      line += 2;
    }
    lines.push(`${t},1,oops,""`);
    const file = folder('name: big\nworkload: { trace: { file: t.csv, columns: { time: t, prompt: p, output: o } } }\nproviders: [{ name: p, latency: 1ms }]\n', {
      't.csv': `${lines.join('\n')}\n`,
    });
    expect(problem(file)).toEqual([expect.stringMatching(new RegExp(`t\\.csv:${line}: o: expected a whole number of tokens`))]);
  });
});

describe('bounds', () => {
  it(`a line longer than ${MAX_TRACE_LINE_BYTES} bytes is one line past the bound`, () => {
    const file = folder('name: long\nworkload: { trace: { file: t.jsonl, format: mooncake } }\nproviders: [{ name: p, latency: 1ms }]\n', {
      't.jsonl': `{"timestamp":0,"input_length":1,"output_length":1}\n{"timestamp":1,"input_length":1,"output_length":1,"x":"${'y'.repeat(MAX_TRACE_LINE_BYTES + 10)}"}\n`,
    });
    expect(problem(file)).toEqual([expect.stringMatching(new RegExp(`t\\.jsonl:2: expected lines of at most ${MAX_TRACE_LINE_BYTES} bytes, got a longer one$`))]);
  });

  it('rows × scale beyond the requests a run may hold is refused before anything runs', () => {
    const csv = `t\n${Array.from({ length: 100_001 }, (_, i) => i).join('\n')}\n`;
    const file = folder('name: many\nworkload: { trace: { file: t.csv, columns: { time: t }, scale: 100 } }\nproviders: [{ name: p, latency: 1ms }]\n', { 't.csv': csv });
    expect(problem(file)).toEqual([expect.stringMatching(/workload\.trace\.scale: expected the trace's rows × scale ≤ 10000000 requests, got 10000100/)]);
  });

  it('more than 10,000 distinct tenant names is one line at the row past the bound', () => {
    const csv = `t,who\n${Array.from({ length: 10_001 }, (_, i) => `${i},tenant-${i}`).join('\n')}\n`;
    const file = folder('name: names\nworkload: { trace: { file: t.csv, columns: { time: t, tenant: who } } }\nproviders: [{ name: p, latency: 1ms }]\n', { 't.csv': csv });
    expect(problem(file)).toEqual([expect.stringMatching(/t\.csv:10002: who: expected at most 10000 distinct tenant names, got more$/)]);
  });

  it('a trace with a concurrency cap is an open model: no workers in results, the cap\'s wait counted', () => {
    const file = folder('name: cap\nworkload: { concurrency: 1, trace: { file: t.csv, columns: { time: t } } }\nproviders: [{ name: p, latency: 1s }]\n', { 't.csv': 't\n0\n0\n0\n' });
    const { result, recorder } = simulate(only(file), 'cap');
    expect(result.metrics.workers).toBeNull();
    expect([...recorder.keyWait]).toEqual([0, 1000, 2000]);
  });

  it('a trace is not split over shard processes: one line', () => {
    const s = only(folder('name: sh\nworkload: { trace: { file: t.csv, columns: { time: t } } }\nproviders: [{ name: p, latency: 1ms }]\n', { 't.csv': 't\n0\n1\n2\n' }));
    expect(shardProblem(s.workload, 2)).toMatch(/^workload\.trace: a trace replays in one process/);
    expect(shardProblem(s.workload, 1)).toBeUndefined();
  });

  it('speed and scale outside their bounds', () => {
    const file = folder('name: b\nworkload: { trace: { file: t.csv, columns: { time: t }, speed: 0, scale: 101 } }\nproviders: [{ name: p, latency: 1ms }]\n', { 't.csv': 't\n0\n' });
    const lines = problem(file);
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/workload\.trace\.scale: expected a number above 0 up to 100/),
      expect.stringMatching(/workload\.trace\.speed: expected a number from 0\.000001 to 1000000/),
    ]));
  });

  it('a gzip file that does not inflate is one line', () => {
    const bad = gzipSync('t\n0\n1\n');
    bad[bad.length - 12]! ^= 0xff;
    bad[15]! ^= 0xff;
    const file = folder('name: gz\nworkload: { trace: { file: t.csv.gz, columns: { time: t } } }\nproviders: [{ name: p, latency: 1ms }]\n', { 't.csv.gz': bad });
    expect(problem(file)).toEqual([expect.stringMatching(/t\.csv\.gz: expected gzip data \(the name ends in \.gz\), got data that does not inflate$/)]);
    // Bytes after the last member: the same line, not a reader waiting for ever for them to inflate.
    const tail = folder('name: gz\nworkload: { trace: { file: t.csv.gz, columns: { time: t } } }\nproviders: [{ name: p, latency: 1ms }]\n', {
      't.csv.gz': Buffer.concat([gzipSync('t\n0\n1\n'), Buffer.from('not gzip\n')]),
    });
    expect(problem(tail)).toEqual([expect.stringMatching(/t\.csv\.gz: expected gzip data .*got data that does not inflate$/)]);
  });
});

describe('properties of the replay', () => {
  /** A feed over `times` (ms) written as a CSV in a temporary folder. */
  function feedOf(times: number[], speed: number, scale: number, seed = 1): TraceFeed {
    const dir = tmp('gatesim-trace-prop-');
    const path = join(dir, 't.csv');
    writeFileSync(path, `t\n${times.join('\n')}\n`);
    const spec: TraceSpec = {
      file: 't.csv', path, format: 'csv', columns: { time: 't' }, time: 'ms', fromMs: 0, toMs: Infinity, zeroOutput: 'keep', speed, scale, rows: times.length,
    };
    return new TraceFeed(spec, traceRoutes(spec, 1, ['p']), stream(seed, 'trace'));
  }
  const all = (f: TraceFeed): number[] => {
    const out: number[] = [];
    while (f.next()) out.push(f.at);
    return out;
  };
  const sortedTimes = fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 60 }).map((a) => a.sort((x, y) => x - y));

  it('scale 1, speed 1 keeps every arrival time (from the first row); speed k divides every gap by k', () => {
    fc.assert(
      fc.property(sortedTimes, fc.constantFrom(0.5, 2, 3, 1000), (times, k) => {
        const base = all(feedOf(times, 1, 1));
        expect(base).toEqual(times.map((t) => t - times[0]!));
        const fast = all(feedOf(times, k, 1));
        for (let i = 1; i < times.length; i++) expect(fast[i]! - fast[i - 1]!).toBeCloseTo((base[i]! - base[i - 1]!) / k, 6);
      }),
      { numRuns: 40 },
    );
  });

  it('scale k (whole) sends each row k times at its time; a fractional scale makes exactly the count the loader computed', () => {
    fc.assert(
      fc.property(sortedTimes, fc.integer({ min: 1, max: 4 }), fc.double({ min: 0.05, max: 3.95, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (times, k, s, seed) => {
        const whole = all(feedOf(times, 1, k));
        expect(whole).toEqual(times.flatMap((t) => Array<number>(k).fill(t - times[0]!)));
        const frac = all(feedOf(times, 1, s, seed));
        expect(frac.length).toBe(traceRequests(times.length, s, seed));
        // Thinned or superposed, the arrivals stay in time order and each is one of the rows' times.
        for (let i = 1; i < frac.length; i++) expect(frac[i]!).toBeGreaterThanOrEqual(frac[i - 1]!);
      }),
      { numRuns: 40 },
    );
  });

  it('a scaled replay moves no other draw: the workload stream is untouched, the same seed gives the same results', () => {
    const csv = `t,p,o\n${Array.from({ length: 200 }, (_, i) => `${i * 100},${10 + (i % 7)},${5 + (i % 3)}`).join('\n')}\n`;
    const yaml = (scale: number) => `name: s\nworkload: { trace: { file: t.csv, time: ms, columns: { time: t, prompt: p, output: o }, scale: ${scale} } }\nkeys: { count: 2, limit: 20/s }\nproviders: [{ name: p, latency: 50ms }]\n`;
    const a = simulate(only(folder(yaml(0.5), { 't.csv': csv })), 's');
    const b = simulate(only(folder(yaml(0.5), { 't.csv': csv })), 's');
    expect(JSON.stringify(a.result)).toBe(JSON.stringify(b.result));
    expect(a.result.metrics.requests).toBe(traceRequests(200, 0.5, 1));
    expect(a.result.metrics.requests).toBeGreaterThan(60);
    expect(a.result.metrics.requests).toBeLessThan(140);
  });
});

describe('the reader', () => {
  it('its split of text without quotes gives csv-parse\'s records on the same lines (property)', () => {
    const cell = fc.stringMatching(/^[a-z0-9 .:-]{0,5}$/);
    const record = fc.oneof(fc.array(cell, { minLength: 1, maxLength: 4 }).map((c) => c.join(',')), fc.constantFrom('', '  '));
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), (records, eol, bom) => {
        const text = `${bom ? '\uFEFF' : ''}${records.join(eol)}${eol}`;
        const ours: [number, string[]][] = [];
        const theirs: [number, string[]][] = [];
        expect(eachUnquotedRecord(Buffer.from(text), 100, (c, l) => ours.push([l, c]))).toBe(true);
        eachCsvRecord(text, 100, (c, l) => theirs.push([l, c]));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
    expect(eachUnquotedRecord(Buffer.from('a,"b"\n'), 100, () => {})).toBe(false);
    expect(eachUnquotedRecord(Buffer.from('a,b\rc,d\r'), 100, () => {})).toBe(false);
  });

  it('reads date-times with and without a zone, as UTC by default', () => {
    expect(parseTimestamp('2024-05-10 00:00:00.009930+00:00') - parseTimestamp('2024-05-10T00:00:00Z')).toBeCloseTo(9.93, 3);
    expect(parseTimestamp('2024-05-10 02:00:00+02:00')).toBe(parseTimestamp('2024-05-10 00:00:00'));
    expect(parseTimestamp('2024-05-10')).toBeNaN();
  });

  it('reads a gzip file of several members, one starting exactly at the edge of the reader\'s input buffer (256 KiB)', () => {
    const member = (text: string) => gzipSync(text, { level: 0 });
    const textOf = (n: number) => `t\n${Array.from({ length: n }, (_, k) => k).join('\n')}\n`;
    let lo = 1;
    let hi = 100_000;
    while (lo < hi) {
      const m = Math.ceil((lo + hi) / 2);
      if (member(textOf(m)).length <= 256 * 1024) lo = m;
      else hi = m - 1;
    }
    let pad = 0;
    while (member(`${textOf(lo)}${' '.repeat(pad)}\n`).length < 256 * 1024) pad++;
    const first = member(`${textOf(lo)}${' '.repeat(pad)}\n`);
    expect(first.length).toBe(256 * 1024);
    const dir = tmp('gatesim-trace-gz-');
    writeFileSync(join(dir, 'm.csv.gz'), Buffer.concat([first, member(`${Array.from({ length: 1000 }, (_, k) => lo + k).join('\n')}\n`)]));
    const r = new TraceReader({ file: 'm.csv.gz', path: join(dir, 'm.csv.gz'), format: 'csv', columns: { time: 't' }, time: 'ms', fromMs: 0, toMs: Infinity, zeroOutput: 'keep' });
    let n = 0;
    let last = -1;
    while (r.next()) {
      n++;
      last = r.timeMs;
    }
    expect([n, last]).toEqual([lo + 1000, lo + 999]);
  });

  it('inflates a gzip file larger than its buffers the same as the plain file', () => {
    const dir = tmp('gatesim-trace-gz-');
    const text = `t,p,o\n${Array.from({ length: 200_000 }, (_, i) => `${i},${i % 1000},${i % 97}`).join('\n')}\n`;
    writeFileSync(join(dir, 'a.csv'), text);
    writeFileSync(join(dir, 'a.csv.gz'), gzipSync(text));
    const read = (name: string) => {
      const r = new TraceReader({ file: name, path: join(dir, name), format: 'csv', columns: { time: 't', prompt: 'p', output: 'o' }, time: 'ms', fromMs: 0, toMs: Infinity, zeroOutput: 'keep' });
      let sum = 0;
      let n = 0;
      while (r.next()) {
        sum += r.timeMs * 7 + r.prompt * 3 + r.output;
        n++;
      }
      return [n, sum];
    };
    expect(read('a.csv.gz')).toEqual(read('a.csv'));
    expect(read('a.csv')[0]).toBe(200_000);
  });
});
