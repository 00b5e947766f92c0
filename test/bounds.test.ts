/**
 * Every bound and floor of src/scenario/limits.ts at its edge: the value at the limit loads, one
 * past it is exactly one `file:line:col: path: message` line naming the limit. Then the engine at
 * the edges: plans that validate run to the end and their results.json validates.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { runPlan } from '../src/run.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { parseScenario } from '../src/scenario/load.js';
import type { Plan } from '../src/scenario/types.js';

const P = 'providers: [{ name: p, latency: 1s }]\n';
const parse = (text: string): Plan => parseScenario(text, 's.yaml');

function linesOf(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines;
    throw e;
  }
  return [];
}

const providers = (n: number, extra = ''): string =>
  `providers:\n${Array.from({ length: n }, (_, i) => `  - { name: p${i}, latency: 1s${extra} }`).join('\n')}\n`;

/** [what, the file at the limit, the file one past it, path, the message]. */
type Edge = [string, string, string, string, string];
const edge = (what: string, at: string, past: string, path: string, message: string): Edge => [what, at, past, path, message];

const YEAR_MS = 365 * 24 * 3_600_000;

const edges: Edge[] = [
  edge('workload.requests', `name: b\nworkload: { requests: 10000000 }\n${P}`, `name: b\nworkload: { requests: 10000001 }\n${P}`,
    'workload.requests', 'expected a positive integer up to 10000000, got 10000001'),
  edge('workload.concurrency', `name: b\nworkload: { concurrency: 10000000 }\n${P}`, `name: b\nworkload: { concurrency: 10000001 }\n${P}`,
    'workload.concurrency', 'expected a positive integer up to 10000000, got 10000001'),
  edge('workload.clients', `name: b\nworkload: { clients: 1000000 }\n${P}`, `name: b\nworkload: { clients: 1000001 }\n${P}`,
    'workload.clients', 'expected a positive integer up to 1000000, got 1000001'),
  edge('keys.count', `name: b\nkeys: { count: 10000 }\n${P}`, `name: b\nkeys: { count: 10001 }\n${P}`,
    'keys.count', 'expected a positive integer up to 10000, got 10001'),
  edge('providers', `name: b\n${providers(1000)}`, `name: b\n${providers(1001)}`,
    'providers', 'expected at most 1000 providers, got 1001'),
  edge('retry.attempts', `name: b\nretry: { attempts: 100 }\n${P}`, `name: b\nretry: { attempts: 101 }\n${P}`,
    'retry.attempts', 'expected a positive integer up to 100, got 101'),
  edge('requests × attempts', `name: b\nworkload: { requests: 200000 }\nretry: { attempts: 100 }\n${P}`,
    `name: b\nworkload: { requests: 200001 }\nretry: { attempts: 100 }\n${P}`,
    'retry.attempts', 'expected workload.requests × retry.attempts ≤ 20000000 (the attempts recorded if every one fails), got 200001 × 100'),
  edge('keys × providers', `name: b\nkeys: { count: 10000 }\n${providers(10)}`, `name: b\nkeys: { count: 10000 }\n${providers(11)}`,
    'keys.count', 'expected keys.count × providers ≤ 100000 (a connection pool per key and provider), got 10000 × 11'),
  edge('keys × sliding-log entries', `name: b\nkeys: { count: 10000, limit: 1000/s }\n${P}`, `name: b\nkeys: { count: 10000, limit: 1001/s }\n${P}`,
    'keys.limit', "expected keys.count × the limit's count ≤ 10000000 (sliding-log keeps the last N times of each key), got 10000 × 1001"),
  edge('keys × provider limit entries', `name: b\nkeys: { count: 10 }\n${providers(1, ', limit: 1000000/s')}`,
    `name: b\nkeys: { count: 10 }\n${providers(2, ', limit: 1000000/s')}`,
    'providers.1.limit', "expected keys.count × the providers' limit counts ≤ 10000000 (a provider keeps the last N times of each key), got 20000000 up to this provider"),
  edge('limit count', `name: b\nkeys: { limit: 1000000/s }\n${P}`, `name: b\nkeys: { limit: 1000001/s }\n${P}`,
    'keys.limit', 'expected at most 1000000 requests per window, got "1000001/s"'),
  edge('limit window floor', `name: b\nkeys: { limit: 1/1ms }\n${P}`, `name: b\nkeys: { limit: 1/0.9ms }\n${P}`,
    'keys.limit', 'expected a window from 1ms to 8760h (a year), got "1/0.9ms"'),
  edge('limit window bound', `name: b\n${providers(1, ', limit: 1/8760h')}`, `name: b\n${providers(1, ', limit: 1/8761h')}`,
    'providers.0.limit', 'expected a window from 1ms to 8760h (a year), got "1/8761h"'),
  edge('arrival rate bound', `name: b\nworkload: { arrivals: { rate: 1000000/s } }\n${P}`, `name: b\nworkload: { arrivals: { rate: 1000001/s } }\n${P}`,
    'workload.arrivals.rate', 'expected a rate from 1/8760h to 1000000/s, such as 20/s, got "1000001/s"'),
  edge('arrival rate floor', `name: b\nworkload: { arrivals: { rate: 1/8760h } }\n${P}`, `name: b\nworkload: { arrivals: { rate: 1/8761h } }\n${P}`,
    'workload.arrivals.rate', 'expected a rate from 1/8760h to 1000000/s, such as 20/s, got "1/8761h"'),
  edge('duration as text', `name: b\nproviders: [{ name: p, latency: 8760h }]\n`, `name: b\nproviders: [{ name: p, latency: 8761h }]\n`,
    'providers.0.latency', 'expected a duration of at most 8760h (a year), got "8761h"'),
  edge('duration in ms', `name: b\nproviders: [{ name: p, latency: 1s, timeout: ${YEAR_MS} }]\n`, `name: b\nproviders: [{ name: p, latency: 1s, timeout: ${YEAR_MS + 1} }]\n`,
    'providers.0.timeout', `expected a duration of at most 8760h (a year), got ${YEAR_MS + 1}`),
  edge('keys.wait.poll floor', `name: b\nkeys: { wait: { poll: 1ms } }\n${P}`, `name: b\nkeys: { wait: { poll: 0.5ms } }\n${P}`,
    'keys.wait.poll', 'expected at least 1ms (each waiting request re-checks at this interval), got "0.5ms"'),
  edge('polls per wait', `name: b\nkeys: { wait: { poll: 1ms }, acquireTimeout: 1000s }\n${P}`, `name: b\nkeys: { wait: { poll: 1ms }, acquireTimeout: 1000001 }\n${P}`,
    'keys.wait.poll', 'expected keys.acquireTimeout ÷ poll ≤ 1000000 (a waiter re-checks that often before it gives up), got 1000001'),
  edge('health.active.interval floor', `name: b\nhealth: { active: { interval: 1 } }\n${P}`, `name: b\nhealth: { active: { interval: 0.999 } }\n${P}`,
    'health.active.interval', 'expected at least 1ms (every provider is checked at this interval), got 0.999'),
  edge('bucketWidth floor', `name: b\nkeys: { limiter: { type: bucket-window, bucketWidth: 1ms } }\n${P}`,
    `name: b\nkeys: { limiter: { type: bucket-window, bucketWidth: 0.5ms } }\n${P}`,
    'keys.limiter.bucketWidth', 'expected a duration of at least 1ms, got "0.5ms"'),
  edge('buckets', `name: b\nkeys: { limiter: { type: bucket-published, buckets: 1000 } }\n${P}`,
    `name: b\nkeys: { limiter: { type: bucket-published, buckets: 1001 } }\n${P}`,
    'keys.limiter.buckets', 'expected a positive integer up to 1000, got 1001'),
  edge('burst', `name: b\nkeys: { limiter: { type: gcra, burst: 1000000 } }\n${P}`, `name: b\nkeys: { limiter: { type: token-bucket, burst: 1000001 } }\n${P}`,
    'keys.limiter.burst', 'expected a positive integer up to 1000000, got 1000001'),
  edge('p2c choices', `name: b\nbalancer: { type: p2c, choices: 100 }\n${P}`, `name: b\nbalancer: { type: p2c, choices: 101 }\n${P}`,
    'balancer.choices', 'expected a positive integer up to 100, got 101'),
  edge('consistent-hash vnodes', `name: b\nbalancer: { type: consistent-hash, vnodes: 1000 }\n${P}`,
    `name: b\nbalancer: { type: consistent-hash, vnodes: 1001 }\n${P}`,
    'balancer.vnodes', 'expected a positive integer up to 1000, got 1001'),
  edge('smooth-weighted maxFails', `name: b\nbalancer: { type: smooth-weighted, maxFails: 1000000 }\n${P}`,
    `name: b\nbalancer: { type: smooth-weighted, maxFails: 1000001 }\n${P}`,
    'balancer.maxFails', 'expected a non-negative integer up to 1000000, got 1000001'),
  edge('weight', `name: b\n${providers(1, ', weight: 1000000')}`, `name: b\n${providers(1, ', weight: 1000000.5')}`,
    'providers.0.weight', 'expected a positive number up to 1000000, got 1000000.5'),
  edge('capacity', `name: b\n${providers(1, ', capacity: 1000000')}`, `name: b\n${providers(1, ', capacity: 1000001')}`,
    'providers.0.capacity', 'expected a positive integer up to 1000000, got 1000001'),
  edge('connect.max', `name: b\n${providers(1, ', connect: { max: 1000000 }')}`, `name: b\n${providers(1, ', connect: { max: 1000001 }')}`,
    'providers.0.connect.max', 'expected a positive integer up to 1000000, got 1000001'),
  edge('fault factor', `name: b\n${providers(1, ', faults: [{ at: 1s, for: 1s, kind: slow, factor: 1000 }]')}`,
    `name: b\n${providers(1, ', faults: [{ at: 1s, for: 1s, kind: slow, factor: 1000.5 }]')}`,
    'providers.0.faults.0.factor', 'expected a positive number up to 1000, got 1000.5'),
  edge('cooldown fails', `name: b\nhealth: { cooldown: { fails: 1000 } }\n${P}`, `name: b\nhealth: { cooldown: { fails: 1001 } }\n${P}`,
    'health.cooldown.fails', 'expected a positive integer up to 1000, got 1001'),
  edge('breaker probes', `name: b\nhealth: { breaker: { probes: 1000000 } }\n${P}`, `name: b\nhealth: { breaker: { failures: 1000001 } }\n${P}`,
    'health.breaker.failures', 'expected a positive integer up to 1000000, got 1000001'),
  edge('request.maxTokens', `name: b\nrequest: { maxTokens: 1000000 }\n${P}`, `name: b\nrequest: { maxTokens: 1000001 }\n${P}`,
    'request.maxTokens', 'expected a positive integer up to 1000000, got 1000001'),
  edge('seed', `name: b\nseed: 9007199254740991\n${P}`, `name: b\nseed: 9007199254740992\n${P}`,
    'seed', 'expected a non-negative integer below 2^53, got 9007199254740992'),
  // exponential: p99 = mean · ln 100 ≤ a year → mean ≤ 31,536,000,000 / 4.60517 = 6,847,955,390.65 ms
  edge('exponential p99', `name: b\nproviders: [{ name: p, latency: { dist: exponential, mean: 6847955390 } }]\n`,
    `name: b\nproviders: [{ name: p, latency: { dist: exponential, mean: 6847955391 } }]\n`,
    'providers.0.latency.mean', 'expected a p99 (4.61 × mean) of at most 8760h (a year), got 6847955391'),
  // normal: p99 = mean + 2.3263 sd; 8000h + 2.3263 × 326h = 8758h, × 327h = 8760.7h
  edge('normal p99', `name: b\nproviders: [{ name: p, latency: { dist: normal, mean: 8000h, sd: 326h } }]\n`,
    `name: b\nproviders: [{ name: p, latency: { dist: normal, mean: 8000h, sd: 327h } }]\n`,
    'providers.0.latency', 'expected a p99 (mean + 2.33 × sd) of at most 8760h (a year), got 8760h'),
  // lognormal mu/sigma: ln(a year in ms) = 24.1744; mu 21.84 + 2.3263 × 1 = 24.1663 (p99 8690h);
  // mu 21.85: p99 e^24.1763 = 8777h, mean e^22.35 = 1413h
  edge('lognormal p99', `name: b\nworkload: { think: { dist: lognormal, mu: 21.84, sigma: 1 } }\n${P}`,
    `name: b\nworkload: { think: { dist: lognormal, mu: 21.85, sigma: 1 } }\n${P}`,
    'workload.think', 'expected a mean and p99 of at most 8760h (a year), got mean 1410h, p99 8780h'),
  // lognormal median/p99, p99 a year: sigma = ln(p99/median)/2.3263, mean = median·e^(sigma²/2):
  // median 15m → sigma 4.498, mean 6188h; median 10m → sigma 4.673, mean 9173h
  edge('lognormal mean', `name: b\nproviders: [{ name: p, latency: { dist: lognormal, median: 15m, p99: 8760h } }]\n`,
    `name: b\nproviders: [{ name: p, latency: { dist: lognormal, median: 10m, p99: 8760h } }]\n`,
    'providers.0.latency', 'expected a mean and p99 of at most 8760h (a year), got mean 9170h, p99 8760h'),
];

describe('bounds: at the limit it loads, one past it is one line naming the limit', () => {
  it.each(edges)('%s', (_what, at, past, path, message) => {
    expect(linesOf(at)).toEqual([]);
    const lines = linesOf(past);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^s\.yaml:\d+:\d+: /);
    expect(lines[0]!.replace(/^s\.yaml:\d+:\d+: /, '')).toBe(`${path}: ${message}`);
  });

  it('a value no double holds is not a number a user meant: 400 digits, .inf, .nan', () => {
    const big = '9'.repeat(400);
    expect(linesOf(`name: b\nproviders: [{ name: p, latency: ${big} }]\n`)).toEqual([
      's.yaml:2:33: providers.0.latency: expected a finite number, got 99999999999999999999…',
    ]);
    expect(linesOf(`name: b\n${P}reference: { default: { default: { successRate: .inf, sent: -.inf, p50LatencyMs: .nan } } }\n`)).toEqual([
      's.yaml:3:49: reference.default.default.successRate: expected a finite number, got .inf',
      's.yaml:3:61: reference.default.default.sent: expected a finite number, got -.inf',
      's.yaml:3:82: reference.default.default.p50LatencyMs: expected a finite number, got .nan',
    ]);
    // A duration string of 400 digits parses to Infinity ms: the year bound catches it.
    expect(linesOf(`name: b\nproviders: [{ name: p, latency: 1s, timeout: ${big}ms }]\n`)).toEqual([
      `s.yaml:2:46: providers.0.timeout: expected a duration of at most 8760h (a year), got "${big.slice(0, 59)}…"`,
    ]);
  });

  it('values once aliases are expanded: 1,000,000 loads, one more is a line at the alias that passes it', () => {
    // Hand count (keys count too): root 1; name 2; providers key, list, mapping, name 2, latency 2
    // = 7; request key and mapping 2; body key and mapping 2; `a` key 1 + list 1 + 999; `b` key 1 +
    // list 1 + 998 aliases × 1000 each; `c` key 1 + list 1 + P. Total 999,019 + P: P = 981 is the edge.
    // The 982nd value of c (index 981) is at column 26 + 1997 + 7 + 2993 + 7 + 981 × 2 + 1 = 6993.
    const file = (p: number) => `name: x\n${P}request: { body: { a: &a [${Array(999).fill(0).join(',')}], b: [${Array(998).fill('*a').join(',')}], c: [${Array(p).fill(0).join(',')}] } }\n`;
    expect(linesOf(file(981))).toEqual([]);
    expect(linesOf(file(982))).toEqual(['s.yaml:3:6993: request.body.c.981: expected at most 1000000 values once aliases are expanded, got more here']);
  });

  it('more than 10,000 simulations (points × variants) is refused before any is checked', () => {
    const list = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
    const file = (n: number) => `name: b\n${P}variants: [{ name: a }, { name: b }]\nsweep:\n  workload.requests: ${list(n)}\n  workload.clients: ${list(50)}\n`;
    expect(linesOf(file(100))).toEqual([]);
    expect(linesOf(file(101))).toEqual(['s.yaml:1:1: expected at most 10000 simulations, got 10100 (5050 points × 2 variants)']);
  });

  it('simulations × values of the file is bounded (the loader checks every value of every simulation)', () => {
    // Hand count: the root mapping 1, `name` 2, `providers` key 1, list 1, provider mapping 1,
    // name 2, latency key 1, distribution mapping 1, dist 2, samples key 1, list 1 = 14,
    // + the samples, + `variants` key 1 + list 1 + n × (mapping 1 + name 2).
    const file = (samples: number, variants: number) => `name: b
providers:
  - name: p
    latency:
      dist: empirical
      samples: [${Array.from({ length: samples }, () => 1).join(',')}]
variants: [${Array.from({ length: variants }, (_, i) => `{ name: v${i} }`).join(', ')}]
`;
    // 100 variants: 14 + 2 + 300 = 316 values + the samples; 100 × (316 + 49,684) = 5,000,000
    expect(linesOf(file(49_684, 100))).toEqual([]);
    expect(linesOf(file(49_685, 100))).toEqual([
      's.yaml:1:1: expected at most 5000000 values to check (simulations × values in the file), got 100 × 50001; use fewer points or variants, or fewer values',
    ]);
  }, 60_000);
});

describe('the engine at the edges: plans that validate run to the end, results validate', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(readFileSync('scenarios/results.schema.json', 'utf8')) as object);
  const cases: [string, string][] = [
    ['1,000 providers on a 1,000-vnode ring with a breaker (the engine takes 2 handlers per provider)',
      `name: e\nworkload: { requests: 200 }\nbalancer: { type: consistent-hash, vnodes: 1000 }\nhealth: { breaker: { failures: 1 } }\n${providers(1000, ', failure: 10%')}`],
    ['a lognormal whose p99 is just under a year', `name: e\nworkload: { requests: 50 }\nproviders: [{ name: p, latency: { dist: lognormal, mu: 21.84, sigma: 1 } }]\n`],
    ['an exponential at its bound, and latencies of a year', `name: e\nworkload: { requests: 50 }\nproviders: [{ name: p, latency: { dist: exponential, mean: 6847903792 } }, { name: q, latency: 8760h }]\n`],
    ['polling every 1 ms for a key at 1/min', `name: e\nworkload: { requests: 4, concurrency: 4 }\nkeys: { limit: 1/min, wait: { poll: 1ms } }\n${P}`],
    ['active checks every 1 ms', `name: e\nworkload: { requests: 20 }\nhealth: { active: { interval: 1ms, cost: 5ms } }\n${P}`],
    ['arrivals at a million per second, and one a year', `name: e\nworkload: { requests: 2000, arrivals: { rate: 1000000/s } }\n${P}variants: [{ name: fast }, { name: slow, workload: { requests: 3, arrivals: { rate: 1/8760h } } }]\n`],
    ['100 attempts of a request that always fails', `name: e\nworkload: { requests: 5 }\nretry: { attempts: 100, backoff: 0 }\nproviders: [{ name: p, latency: 1ms, failure: 100% }]\n`],
    ['a million clients remapped when a provider goes down', `name: e\nworkload: { requests: 100, clients: 1000000 }\nbalancer: consistent-hash\nhealth: { breaker: { failures: 1 } }\n${providers(3, ', faults: [{ at: 0, for: 1m, kind: down }]')}`],
    ['a year-long limit window and bucket counters at the floor width', `name: e\nworkload: { requests: 20 }\nkeys: { count: 2, limit: 5/8760h, limiter: { type: bucket-window, buckets: 1000, bucketWidth: 1ms }, acquireTimeout: 1s }\n${P}`],
  ];
  it.each(cases)('%s', (_what, text) => {
    const results = runPlan(parse(text));
    const ok = validate(JSON.parse(JSON.stringify(results)));
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
    expect(ok).toBe(true);
    for (const v of results.runs.flatMap((r) => r.variants)) expect(v.metrics.requests).toBe(parse(text).runs[0]!.variants.find((x) => x.name === v.name)!.scenario.workload.requests);
  }, 60_000);
});
