import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ScenarioError, didYouMean, show } from '../src/scenario/errors.js';
import { loadScenario, parseScenario } from '../src/scenario/load.js';
import type { LoadOptions } from '../src/scenario/load.js';
import { isReferenceKey } from '../src/core/reference-keys.js';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../src/scenario/schema.js';
import type { Plan, Scenario } from '../src/scenario/types.js';
import { arrivalRate, duration, parseDuration, probability, rate } from '../src/core/units.js';
import { Z99, distribution } from '../src/sim/dist.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test/fixtures');

const PROVIDERS = 'providers:\n  - name: main\n    latency: 1s\n';
const parse = (text: string, opts?: LoadOptions): Plan => parseScenario(text, 's.yaml', opts);
const only = (plan: Plan): Scenario => plan.runs[0]!.variants[0]!.scenario;
/** The error lines of a scenario that must fail. */
function errorsOf(text: string, opts?: LoadOptions): string[] {
  try {
    parse(text, opts);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

describe('units', () => {
  it('parses durations to ms', () => {
    const cases: [unknown, number][] = [
      [250, 250], ['250ms', 250], ['3s', 3000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['0', 0], [0, 0],
    ];
    for (const [input, ms] of cases) expect(duration.parse(input)).toBe(ms);
    for (const bad of ['3 sec', '-1s', -1, '1d', true, '']) expect(duration.safeParse(bad).success).toBe(false);
  });

  it('round-trips any whole number of ms and s', () => {
    fc.assert(fc.property(fc.nat(), (n) => parseDuration(`${n}ms`) === n && parseDuration(`${n}s`) === n * 1000));
  });

  it('parses rates to count per window', () => {
    expect(rate.parse('3/min')).toEqual({ count: 3, windowMs: 60_000 });
    expect(rate.parse('10/s')).toEqual({ count: 10, windowMs: 1000 });
    expect(rate.parse('100/h')).toEqual({ count: 100, windowMs: 3_600_000 });
    expect(rate.parse('5/10s')).toEqual({ count: 5, windowMs: 10_000 });
    // A bare number is per second (so --set takes `2` where a rate goes).
    expect(rate.parse(3)).toEqual({ count: 3, windowMs: 1000 });
    for (const bad of ['1.5/s', '0/s', '3/0s', '3 per min', 0, -3, 1.5]) expect(rate.safeParse(bad).success).toBe(false);
  });

  it('parses arrival rates to requests per ms, fractional counts allowed', () => {
    expect(arrivalRate.parse('20/s')).toBeCloseTo(0.02, 12);
    expect(arrivalRate.parse('0.9/s')).toBeCloseTo(0.0009, 12);
    expect(arrivalRate.safeParse('0/s').success).toBe(false);
  });

  it('parses probabilities', () => {
    expect(probability.parse('1%')).toBeCloseTo(0.01, 12);
    expect(probability.parse(0.01)).toBe(0.01);
    expect(probability.parse('100%')).toBe(1);
    for (const bad of ['150%', 1.5, -0.1, 'often']) expect(probability.safeParse(bad).success).toBe(false);
  });

  it('parses distributions', () => {
    expect(distribution.parse('3s')).toEqual({ dist: 'constant', value: 3000 });
    expect(distribution.parse({ dist: 'uniform', min: '1s', max: 2000 })).toEqual({ dist: 'uniform', min: 1000, max: 2000 });
    expect(distribution.parse({ dist: 'exponential', mean: '1s' })).toEqual({ dist: 'exponential', mean: 1000 });
    expect(distribution.parse({ dist: 'normal', mean: '1s', sd: '100ms' })).toEqual({ dist: 'normal', mean: 1000, sd: 100 });
    expect(distribution.parse({ dist: 'empirical', samples: ['1s', 5] })).toEqual({ dist: 'empirical', samples: [1000, 5] });
    expect(distribution.parse({ dist: 'lognormal', mu: 7, sigma: 0.5 })).toEqual({ dist: 'lognormal', mu: 7, sigma: 0.5 });
  });

  it('derives lognormal mu and sigma from median and p99', () => {
    const d = distribution.parse({ dist: 'lognormal', median: '3s', p99: '9s' });
    expect(d).toEqual({ dist: 'lognormal', mu: Math.log(3000), sigma: Math.log(3) / 2.3263478740408408 });
    expect(Z99).toBe(2.3263478740408408);
    // sigma = ln 3 / 2.3263 ≈ 0.4722: hand-checked
    expect(d.dist === 'lognormal' && d.sigma).toBeCloseTo(0.47225, 4);
  });
});

describe('error helpers', () => {
  it('renders source values compactly', () => {
    expect([show('a'), show(3), show(true), show(null), show([1]), show([]), show({ a: 1 }), show({})])
      .toEqual(['"a"', '3', 'true', 'null', '[…]', '[]', '{ a: … }', '{}']);
    // a mapping by its first three fields' names: which form was written
    expect(show({ a: 1, b: 2, c: 3, d: 4 })).toBe('{ a: …, b: …, c: …, … }');
    expect(show({ 'x\ny': 1 })).toBe('{ x\\ny: … }');
  });

  it('shows long strings by their start and invisible characters as escapes', () => {
    expect(show('9'.repeat(100))).toBe(`"${'9'.repeat(59)}…"`);
    expect(show('\ufeffname')).toBe('"\\ufeffname"');
    // a byte-order mark in the middle of a file is a key of its own: the line says so visibly
    expect(errorsOf(`name: x\n${PROVIDERS}\ufeffseed: 1\n`)).toEqual(['s.yaml:5:1: \\ufeffseed: unknown field "\\ufeffseed" (did you mean "seed"?)']);
  });

  it('suggests only close candidates', () => {
    expect(didYouMean('concurency', ['requests', 'concurrency'])).toBe(' (did you mean "concurrency"?)');
    expect(didYouMean('pool', ['pooled', 'fresh'])).toBe(' (did you mean "pooled"?)');
    expect(didYouMean('random', ['round-robin'])).toBe('');
    expect(didYouMean(5, ['5'])).toBe('');
  });
});

describe('resolution', () => {
  it('fills every default', () => {
    const plan = parse(`name: min\n${PROVIDERS}`);
    expect(plan).toMatchObject({ name: 'min', description: undefined, seed: 1, baseline: 'default', reference: {}, file: 's.yaml' });
    expect(plan.runs.map((r) => [r.name, r.variants.map((v) => v.name)])).toEqual([['default', ['default']]]);
    expect(only(plan)).toEqual({
      name: 'min',
      description: undefined,
      seed: 1,
      workload: { requests: 100, concurrency: 10, think: { dist: 'constant', value: 0 }, arrivals: undefined, clients: 1000 },
      keys: {
        count: 1, limit: undefined, limiter: { type: 'sliding-log', options: {} }, choice: 'least-used',
        exclusive: false, wait: { mode: 'notify' }, guardMs: 0,
      acquireTimeoutMs: 300_000,
      },
      balancer: { type: 'round-robin', options: {} },
      providers: [{
        name: 'main', weight: 1, latency: { dist: 'constant', value: 1000 }, failure: 0, capacity: Infinity,
        limit: undefined, timeoutMs: Infinity, connect: { handshakeMs: 0, max: Infinity, timeoutMs: 0, lingerMs: 0 },
        faults: [],
      }],
      connections: 'pooled',
      health: { passive: undefined, cooldown: undefined, breaker: undefined, active: undefined },
      request: { model: 'gpt-4o-mini', maxTokens: 16, prompt: 'Reply with the word ok.', body: undefined, stream: false },
      retry: { attempts: 1, fallback: false, backoffMs: 1000, maxBackoffMs: 30_000, jitter: 'full', on: ['rateLimited', 'serverError', 'timeout', 'connectFailed', 'unavailable'] },
    } satisfies Scenario);
  });

  it('resolves the open model: no default concurrency, arrivals per ms', () => {
    const s = only(parse(`name: x\nworkload: { arrivals: { rate: 20/s } }\n${PROVIDERS}`));
    expect(s.workload).toMatchObject({ concurrency: undefined, arrivals: { process: 'poisson', perMs: 0.02 } });
  });

  it('resolves keys, wait modes and provider units', () => {
    const s = only(parse(`name: x
keys: { count: 4, limit: 3/min, limiter: { type: sliding-log }, choice: random, exclusive: true, wait: { poll: 500ms }, acquireTimeout: 1m }
providers:
  - { name: a, weight: 2, latency: { dist: lognormal, median: 3s, p99: 9s }, failure: 1%, capacity: 64, limit: 5/10s, timeout: 10s, connect: { handshake: 150ms, max: 20 } }
`));
    expect(s.keys).toEqual({
      count: 4, limit: { count: 3, windowMs: 60_000 }, limiter: { type: 'sliding-log', options: {} }, choice: 'random',
      exclusive: true, wait: { mode: 'poll', intervalMs: 500 }, acquireTimeoutMs: 60_000, guardMs: 0,
    });
    expect(s.providers[0]).toMatchObject({
      weight: 2, failure: 0.01, capacity: 64, limit: { count: 5, windowMs: 10_000 }, timeoutMs: 10_000, connect: { handshakeMs: 150, max: 20, timeoutMs: 0, lingerMs: 0 },
    });
  });

  it('merges base ⊕ run ⊕ variant: variant beats run beats base, maps merge, lists replace', () => {
    const plan = parse(`name: x
workload: { requests: 100, clients: 7 }
keys: { limit: 3/min }
retry: { on: [timeout, serverError] }
${PROVIDERS}variants:
  - { name: v1, workload: { requests: 300 }, retry: { on: [rateLimited] } }
  - { name: v2, keys: { count: 2 } }
runs:
  - { name: r1, workload: { requests: 200, concurrency: 3 } }
  - { name: r2 }
`);
    const get = (r: number, v: number) => plan.runs[r]!.variants[v]!.scenario;
    expect(plan.runs.map((r) => r.name)).toEqual(['r1', 'r2']);
    expect(get(0, 0).workload).toMatchObject({ requests: 300, concurrency: 3, clients: 7 });
    expect(get(0, 1).workload).toMatchObject({ requests: 200, concurrency: 3, clients: 7 });
    expect(get(1, 0).workload).toMatchObject({ requests: 300, concurrency: 10 });
    expect(get(1, 1).workload.requests).toBe(100);
    expect(get(0, 1).keys).toMatchObject({ count: 2, limit: { count: 3, windowMs: 60_000 } });
    expect(get(0, 0).retry.on).toEqual(['rateLimited']);
    expect(get(0, 1).retry.on).toEqual(['timeout', 'serverError']);
    expect(plan.baseline).toBe('v1');
  });

  it('lets an override unset a field with null', () => {
    const plan = parse(`name: x\nworkload: { think: 1s }\n${PROVIDERS}runs:\n  - { name: open, workload: { think: null, arrivals: { rate: 1/s } } }\n`);
    expect(only(plan).workload.think).toEqual({ dist: 'constant', value: 0 });
  });

  it('applies --set to the base, before overrides', () => {
    const text = `name: x\nworkload: { concurrency: 5 }\n${PROVIDERS}variants:\n  - { name: a }\n  - { name: b, connections: pooled }\n`;
    const plan = parse(text, { sets: ['workload.concurrency=20', 'keys.limit=5/min', 'providers.0.capacity=8', 'connections=fresh'] });
    const [a, b] = plan.runs[0]!.variants.map((v) => v.scenario);
    expect(a!.workload.concurrency).toBe(20);
    expect(a!.keys.limit).toEqual({ count: 5, windowMs: 60_000 });
    expect(a!.providers[0]!.capacity).toBe(8);
    expect(a!.connections).toBe('fresh');
    expect(b!.connections).toBe('pooled');
  });

  it('reports --set problems without a line', () => {
    expect(errorsOf(`name: x\n${PROVIDERS}`, { sets: ['workload.concurency=20', 'providers.0.capacity=-1', 'oops'] })).toEqual([
      '--set oops: expected path=value, such as workload.concurrency=20',
      '--set workload.concurency=20: unknown field "concurency" (did you mean "concurrency"?)',
      '--set providers.0.capacity=-1: expected a positive integer up to 1000000, got -1',
    ]);
  });

  it('overrides the seed', () => {
    const plan = parse(`name: x\nseed: 42\n${PROVIDERS}`, { seed: 7 });
    expect(plan.seed).toBe(7);
    expect(only(plan).seed).toBe(7);
    expect(only(parse(`name: x\nseed: 42\n${PROVIDERS}`)).seed).toBe(42);
    expect(errorsOf(`name: x\n${PROVIDERS}`, { seed: -1 })).toEqual(['--seed -1: expected a non-negative integer below 2^53']);
  });

  it('keeps reference figures whose run and variant names exist', () => {
    const plan = parse(`name: x\n${PROVIDERS}variants: [{ name: a }, { name: b }]\nreference: { default: { b: { successRate: 0.99 } } }\n`);
    expect(plan.reference).toEqual({ default: { b: { successRate: 0.99 } } });
    expect(errorsOf(`name: x\n${PROVIDERS}variants: [{ name: a }]\nreference: { default: { c: { successRate: 1 } } }\n`)).toEqual([
      's.yaml:6:25: reference.default.c: expected a variant name (one of a), got "c"',
    ]);
  });

  it('allows $schema and keeps the source text', () => {
    const text = `$schema: ./scenario.schema.json\nname: x\n${PROVIDERS}`;
    expect(parse(text).source).toBe(text);
  });

  it('reports a merged-only problem at the override that set it', () => {
    expect(errorsOf(`name: x\n${PROVIDERS}variants:\n  - name: a\n  - name: b\n    workload: { think: 1s, arrivals: { rate: 1/s } }\n`)).toEqual([
      's.yaml:8:24: variants.1.workload.think: think applies to the closed model only, not with arrivals',
    ]);
  });

  it('collects every problem in one ScenarioError, sorted by position', () => {
    const e = (() => {
      try {
        parse('name: 3\nconnections: pool\nseed: x\n');
      } catch (err) {
        return err as ScenarioError;
      }
    })();
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e!.lines).toEqual([
      's.yaml:1:1: providers: required field missing',
      's.yaml:1:7: name: expected a string, got 3',
      's.yaml:2:14: connections: expected one of pooled | fresh, got "pool" (did you mean "pooled"?)',
      's.yaml:3:7: seed: expected a non-negative integer below 2^53, got "x"',
    ]);
    expect(e!.message).toBe(e!.lines.join('\n'));
  });

  it('reports an unreadable file', () => {
    expect(() => loadScenario('no/such/file.yaml')).toThrow(/^no\/such\/file\.yaml: cannot read: ENOENT/);
  });
});

describe('fixtures', () => {
  const dir = join(fixtures, 'broken');
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, string | string[]>;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  it('has an expectation for every broken file', () => {
    expect(Object.keys(expected).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(18);
  });

  it.each(files)('broken/%s fails with the expected lines', (f) => {
    const want = expected[f]!;
    const name = `test/fixtures/broken/${f}`;
    let lines: string[] | undefined;
    try {
      parseScenario(readFileSync(join(dir, f), 'utf8'), name);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      lines = e.lines;
    }
    expect(lines).toEqual(typeof want === 'string' ? [want] : want);
  });

  it.each(readdirSync(join(fixtures, 'ok')))('ok/%s loads', (f) => {
    const plan = loadScenario(join(fixtures, 'ok', f));
    expect(plan.runs.length).toBeGreaterThan(0);
  });
});

describe('JSON Schema', () => {
  it('is committed up to date (regenerate: npm run sim -- schema > scenarios/scenario.schema.json)', () => {
    const committed = readFileSync(join(root, 'scenarios/scenario.schema.json'), 'utf8');
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('documents defaults and requires name and providers', () => {
    type Node = { description?: string; $ref?: string };
    const schema = scenarioJsonSchema() as { title: string; required: string[]; properties: Record<string, Node>; $defs: Record<string, Node> };
    expect(schema.title).toBe('gatesim scenario');
    expect(schema.required).toEqual(['name', 'providers']);
    // A field the base shares with the overrides is a $ref to their one definition.
    const connections = schema.properties.connections!;
    expect((connections.$ref ? schema.$defs[connections.$ref.replace('#/$defs/', '')]! : connections).description).toMatch(/default pooled/);
  });
});

describe('the loader contract: a Plan or one located line per problem, nothing thrown, printed or unbounded', () => {
  /** Runs `f` and returns what it threw as lines (or [] when it returned), with the Node warnings emitted meanwhile. */
  function outcome(f: () => unknown): { lines: string[]; warnings: unknown[] } {
    const warnings: unknown[] = [];
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation((w: unknown) => void warnings.push(w));
    try {
      f();
      return { lines: [], warnings };
    } catch (e) {
      if (e instanceof ScenarioError) return { lines: e.lines, warnings };
      throw e;
    } finally {
      spy.mockRestore();
    }
  }
  const lines = (text: string, opts?: LoadOptions) => outcome(() => parse(text, opts));

  it('an undefined alias, a recursive alias and an alias in a key are lines at the alias', () => {
    expect(lines(`name: x\nproviders: [{ name: p, latency: *nope }]\n`).lines).toEqual([
      's.yaml:2:33: providers.0.latency: undefined alias *nope (its anchor &nope must come before it)',
    ]);
    expect(lines(`name: x\n${PROVIDERS}request: { body: { x: &a [*a] } }\n`).lines).toEqual([
      's.yaml:5:27: request.body.x.0: alias *a is inside its own anchor &a (a recursive alias)',
    ]);
    expect(lines(`name: x\n${PROVIDERS}request: { body: { a: &k [1], *k : 2 } }\n`)).toEqual({
      lines: ['s.yaml:5:31: request.body: expected a field name, got a list as a key'], warnings: [],
    });
  });

  it('3,000 levels of nesting in flow style, 500 in block style, are one line (no stack overflow)', () => {
    const flow = `name: x\n${PROVIDERS}request: { body: { x: ${'['.repeat(3000)}${']'.repeat(3000)} } }\n`;
    // root, request and body are 3 levels: the 62nd bracket (column 23 + 61) is the 65th
    expect(lines(flow).lines).toEqual(['s.yaml:5:84: expected at most 64 levels of nesting']);
    const block = `name: x\n${PROVIDERS}request:\n${Array.from({ length: 500 }, (_, i) => `${' '.repeat(i + 1)}a${i}:`).join('\n')}\n`;
    // the mapping holding a_k (line 6 + k, column k + 2) is level k + 2: a63's is the 65th
    expect(lines(block).lines).toEqual(['s.yaml:69:65: expected at most 64 levels of nesting']);
    // 64 levels is allowed (request.body is free JSON)
    const ok = `name: x\n${PROVIDERS}request: { body: { x: ${'['.repeat(61)}${']'.repeat(61)} } }\n`;
    expect(lines(ok).lines).toEqual([]);
  });

  it('an alias bomb is one line where the expansion passes a million values; aliases that nest too deep are refused', () => {
    const bomb = ['name: x', PROVIDERS.trimEnd(), 'request:', '  body:', '    a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 40; i++) bomb.push(`    a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    expect(lines(bomb.join('\n')).lines).toEqual([
      's.yaml:12:49: request.body.a5.7: expected at most 1000000 values once aliases are expanded, got more at *a4',
    ]);
    // each alias nests its anchor one level deeper: a_i is i + 1 levels, inside 4 (root, request,
    // body, its list), so *a60 in a61 is the first past 64; it sits on line 7 + 61
    const deep = ['name: x', PROVIDERS.trimEnd(), 'request:', '  body:', '    a0: &a0 [1]'];
    for (let i = 1; i < 70; i++) deep.push(`    a${i}: &a${i} [*a${i - 1}]`);
    expect(lines(deep.join('\n')).lines).toEqual([
      's.yaml:68:16: request.body.a61.0: expected at most 64 levels of nesting once aliases are expanded, got more through *a60',
    ]);
  });

  it('an anchor used 150 times is fine (the yaml library alone refuses more than 100)', () => {
    const text = `name: x\nproviders:\n  - { name: p0, latency: &lat { dist: uniform, min: 1s, max: 2s } }\n${Array.from({ length: 150 }, (_, i) => `  - { name: p${i + 1}, latency: *lat }`).join('\n')}\n`;
    const plan = parse(text);
    expect(only(plan).providers).toHaveLength(151);
    expect(only(plan).providers[150]!.latency).toEqual({ dist: 'uniform', min: 1000, max: 2000 });
  });

  it('complex keys, tags and YAML 1.1 types are lines, and Node prints no warning', () => {
    expect(lines(`name: x\n${PROVIDERS}? [a, b]\n: 1\n? { c: 1 }\n: 2\n`)).toEqual({
      lines: ['s.yaml:5:3: expected a field name, got a list as a key', 's.yaml:7:3: expected a field name, got a mapping as a key'],
      warnings: [],
    });
    expect(lines(`name: x\n${PROVIDERS}request: { body: { a: !!binary aGk=, b: !!timestamp 2001-12-14, c: !foo bar, d: !!omap [] } }\n`)).toEqual({
      // each at its value, after the tag
      lines: [
        's.yaml:5:32: request.body.a: unsupported YAML tag !!binary',
        's.yaml:5:53: request.body.b: unsupported YAML tag !!timestamp',
        's.yaml:5:73: request.body.c: unsupported YAML tag !foo',
        's.yaml:5:88: request.body.d: unsupported YAML tag !!omap',
      ],
      warnings: [],
    });
    // YAML 1.1 reads 2001-12-14 as a Date without any tag
    expect(lines(`%YAML 1.1\n---\nname: x\n${PROVIDERS}description: 2001-12-14\n`).lines).toEqual([
      's.yaml:7:14: description: unsupported YAML value (Date); expected a string, number, true/false or null',
    ]);
    // the core tags are plain values; one that cannot read its value is a line
    expect(only(parse(`name: !!str x\n${PROVIDERS}workload: { requests: !!int "7" }\n`)).workload.requests).toBe(7);
    expect(lines(`name: x\n${PROVIDERS}description: !!float 1\n`).lines).toEqual(['s.yaml:5:14: YAML: Unresolved tag: !!float']);
  });

  it('two documents in one file, and text that is no mapping, are one line', () => {
    expect(lines(`name: x\n---\nname: y\n`).lines).toEqual(['s.yaml:2:1: expected one YAML document, got more (a --- line starts another)']);
    expect(lines('\u0000\u0001{[').lines).toEqual(['s.yaml:1:1: expected a mapping of scenario fields, got "\\u0000\\u0001{["']);
    expect(lines('{ name: x').lines).toEqual(['s.yaml:1:10: YAML syntax: Flow map must end with a }']);
  });

  it('reads at most 1 MiB: a file of exactly 1 MiB loads, one byte more is one line, /dev/zero ends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-size-'));
    const head = `name: x\n${PROVIDERS}`;
    const exact = head + `#${'x'.repeat(1024 * 1024 - head.length - 2)}\n`;
    writeFileSync(join(dir, 'exact.yaml'), exact);
    writeFileSync(join(dir, 'over.yaml'), `${exact} `);
    expect(Buffer.byteLength(exact)).toBe(1024 * 1024);
    expect(loadScenario(join(dir, 'exact.yaml')).name).toBe('x');
    expect(() => loadScenario(join(dir, 'over.yaml'))).toThrow(new ScenarioError([
      `${join(dir, 'over.yaml')}: expected a scenario file of at most 1048576 bytes (1 MiB), got 1048577 bytes`,
    ]));
    expect(() => loadScenario('/dev/zero')).toThrow(new ScenarioError(['/dev/zero: expected a scenario file of at most 1048576 bytes (1 MiB), got more']));
    expect(() => loadScenario(dir)).toThrow(/^[^\n]*: cannot read: EISDIR/);
  });

  it('--set values go through the same reader', () => {
    expect(lines(`name: x\n${PROVIDERS}`, { sets: ['request.body=*a', 'request.body=&a [*a]', 'request.body=? [a]\n: 1', 'description=!foo x', 'request.body={ a: .inf }'] })).toEqual({
      lines: [
        '--set request.body=*a: undefined alias *a (its anchor &a must come before it)',
        '--set request.body=&a [*a]: alias *a is inside its own anchor &a (a recursive alias)',
        '--set request.body=? [a]\n: 1: expected a field name, got a list as a key',
        '--set description=!foo x: unsupported YAML tag !foo',
        '--set request.body={ a: .inf }: expected a finite number, got .inf',
      ],
      warnings: [],
    });
    expect(lines(`name: x\n${PROVIDERS}`, { sets: [`request.body=${'['.repeat(5000)}`] }).lines).toEqual([
      `--set request.body=${'['.repeat(5000)}: expected at most 64 levels of nesting`,
    ]);
  });
});

describe('no key or path reaches Object.prototype', () => {
  const snapshot = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

  it('__proto__, constructor and prototype in files, overrides, --set and sweeps', () => {
    const before = snapshot();
    const attempts: [string, LoadOptions?][] = [
      [`name: x\n${PROVIDERS}__proto__: { polluted: 1 }\nconstructor: { prototype: { polluted: 1 } }\n`],
      [`name: x\n${PROVIDERS}variants:\n  - { name: a, __proto__: { polluted: 1 }, keys: { __proto__: { polluted: 1 } } }\n  - { name: b, constructor: { prototype: { polluted: 1 } } }\n`],
      [`name: x\n${PROVIDERS}`, { sets: ['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'keys.__proto__.polluted=1', 'providers.0.constructor.prototype.polluted=1'] }],
      [`name: x\n${PROVIDERS}sweep:\n  __proto__.polluted: [1]\n  keys.constructor.prototype.polluted: [1]\n  zip: { __proto__.polluted: [1] }\n`],
    ];
    for (const [text, opts] of attempts) {
      expect(() => parse(text, opts)).toThrow(ScenarioError);
    }
    // not even in free JSON, where zod's record would make it the output's prototype
    expect(errorsOf(`name: x\n${PROVIDERS}request: { body: { __proto__: { polluted: 1 }, messages: [] } }\n`)).toEqual([
      's.yaml:5:20: request.body: expected a field name, got "__proto__"',
    ]);
    expect(snapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the lines name the segment; list indexes must be the list’s (or the next one)', () => {
    expect(errorsOf(`name: x\n${PROVIDERS}`, { sets: ['__proto__.polluted=1', 'providers.-1.name=q', 'providers.5.name=q', 'retry.on.x=timeout'] })).toEqual([
      '--set __proto__.polluted=1: expected a field path, got "__proto__" in it',
      '--set providers.-1.name=q: expected an index of providers from 0 to 1, got "-1"',
      '--set providers.5.name=q: expected an index of providers from 0 to 1, got "5"',
      // the mappings a --set makes on its way are its own: their problems are its
      '--set retry.on.x=timeout: expected a list, got { x: … }',
    ]);
  });

  it('--set providers.1=… adds a provider at the end', () => {
    const s = only(parse(`name: x\n${PROVIDERS}`, { sets: ['providers.1={ name: b, latency: 2s }'] }));
    expect(s.providers.map((p) => p.name)).toEqual(['main', 'b']);
  });
});

describe('reference metric keys', () => {
  it('a key that is no row of the table is a line with did-you-mean; provider rows name any variant’s providers', () => {
    const text = `name: x\n${PROVIDERS}variants:\n  - { name: a }\n  - { name: b, providers: [{ name: backup, latency: 1s }] }\nreference:\n  default:\n    a: { meanLatncyMs: 1, share.main: 0.5, unhealthy.backup: 0, share.nope: 1, speedup: 2, imbalance: 1.2, detectedAfterMs.main: 3 }\n`;
    expect(errorsOf(text)).toEqual([
      's.yaml:10:10: reference.default.a.meanLatncyMs: unknown metric "meanLatncyMs" (did you mean "meanLatencyMs"?)',
      's.yaml:10:65: reference.default.a.share.nope: unknown metric "share.nope"',
    ]);
  });

  it('isReferenceKey: the catalogue, the run-dependent rows, and <prefix>.<provider>', () => {
    for (const k of ['successRate', 'sent', 'meanLatencyMs', 'limiterEntriesPeak', 'imbalance', 'timePerTaskMs', 'theoreticalSpeedup', 'speedup', 'parallelEfficiency', 'failedRequests', 'healthChecks']) {
      expect(isReferenceKey(k, []), k).toBe(true);
    }
    for (const k of ['share.a', 'unhealthy.a', 'detectedAfterMs.a', 'restoredAfterMs.a', 'share.a.b']) expect(isReferenceKey(k, ['a', 'a.b']), k).toBe(true);
    for (const k of ['share.b', 'share', 'share.', 'meanLatency', 'successRate.a', '']) expect(isReferenceKey(k, ['a']), k).toBe(false);
  });
});

describe('variants[].condition', () => {
  it('is carried to the plan only when true, and never into the scenario', () => {
    const plan = parse(`name: x\n${PROVIDERS}variants:\n  - { name: a }\n  - { name: b, condition: true, keys: { count: 2 } }\n  - { name: c, condition: false }\n`);
    const [a, b, c] = plan.runs[0]!.variants;
    expect(b).toMatchObject({ name: 'b', condition: true });
    expect(b!.scenario.keys.count).toBe(2);
    expect('condition' in a!).toBe(false);
    expect('condition' in c!).toBe(false);
    expect('condition' in b!.scenario).toBe(false);
  });

  it('belongs to variants, not runs, and must be true or false', () => {
    expect(errorsOf(`name: x\n${PROVIDERS}runs: [{ name: r, condition: true }]\nvariants: [{ name: a, condition: yes }]\n`)).toEqual([
      's.yaml:5:19: runs.0.condition: unknown field "condition"',
      's.yaml:6:34: variants.0.condition: expected true or false, got "yes"',
    ]);
  });

  it('marks parallel-workers’ "no rate limit" and "serial" (which ignores the stated 3/min) variants, in every point of its sweep', () => {
    const plan = loadScenario(join(root, 'scenarios/parallel-workers.yaml'));
    for (const run of plan.runs) {
      expect(run.variants.filter((v) => v.condition).map((v) => v.name)).toEqual(['no rate limit', 'serial']);
    }
    const schema = scenarioJsonSchema() as { $defs: { variant: { properties: { condition: { description: string } } } } };
    expect(schema.$defs.variant.properties.condition.description).toMatch(/^This variant changes the world/);
  });
});

describe('a provider with a serving model', () => {
  const head = 'name: x\nworkload: { requests: 2, tokens: { prompt: 10, output: 5 } }\nkeys: { count: 1 }\n';
  it('needs no latency (the model times each answer); without one it runs on the model alone', () => {
    const plan = parse(`${head}providers:\n  - { name: a, serving: { ttft: 100ms, tpot: 10ms, maxSequences: 4 } }\n`);
    const p = plan.runs[0]!.variants[0]!.scenario.providers[0]!;
    expect(p.serving?.maxSequences).toBe(4);
    expect(p.capacity).toBe(4);
  });
  it('any other provider still needs its latency', () => {
    expect(() => parse(`${head}providers:\n  - { name: a }\n`)).toThrow(/s\.yaml:5:5: providers\.0\.latency: required field missing/);
  });
});
