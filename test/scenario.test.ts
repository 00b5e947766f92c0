import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScenarioError, didYouMean, show } from '../src/scenario/errors.js';
import { loadScenario, parseScenario } from '../src/scenario/load.js';
import type { LoadOptions } from '../src/scenario/load.js';
import { scenarioJsonSchema } from '../src/scenario/schema.js';
import type { Plan, Scenario } from '../src/scenario/types.js';
import { Z99, arrivalRate, distribution, duration, parseDuration, probability, rate } from '../src/scenario/units.js';

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
    for (const bad of ['1.5/s', '0/s', '3/0s', '3 per min', 3]) expect(rate.safeParse(bad).success).toBe(false);
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
      .toEqual(['"a"', '3', 'true', 'null', '[…]', '[]', '{…}', '{}']);
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
      request: { model: 'gpt-4o-mini', maxTokens: 16, prompt: 'Reply with the word ok.', body: undefined },
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
    expect(committed).toBe(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });

  it('documents defaults and requires name and providers', () => {
    const schema = scenarioJsonSchema() as { title: string; required: string[]; properties: Record<string, { description?: string }> };
    expect(schema.title).toBe('gatesim scenario');
    expect(schema.required).toEqual(['name', 'providers']);
    expect(schema.properties.connections!.description).toMatch(/default pooled/);
  });
});
