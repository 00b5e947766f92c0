/**
 * Mutated scenario files for the loader fuzz test: a shipped scenario, a few structural mutations
 * of its data (deletions, retyping, huge/zero/negative numbers, unit typos, sweeps and references
 * with odd paths, prototype keys), then a few mutations of the text (YAML anchors, aliases and tags,
 * nesting, corruption), and maybe `--set` / `--seed` options. What the loader must do with any of
 * them: a Plan, or a ScenarioError of well-formed lines.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** The shipped scenarios and the test's valid fixtures: the seeds of every mutation. */
export const SEEDS: { name: string; text: string }[] = [
  ...readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios', f)),
  ...readdirSync('test/fixtures/ok').map((f) => join('test/fixtures/ok', f)),
].map((file) => ({ name: file, text: readFileSync(file, 'utf8') }));

/** Every path of a value, containers included. */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

const NUMBERS = [0, -1, -0.5, 0.5, 1, 3, 1e3, 1e6, 1e7 + 1, 1e9, 1e12, 2 ** 31, 2 ** 53, 1e300, Infinity, -Infinity, NaN];
const STRINGS = [
  '', 'x', '3 sec', '3ss', '3/minn', '1.5/s', '5/0s', '0/s', '3m/s', '1e3ms', '150%', '-1s', '1d', '0', '0ms', '0.0001ms',
  '99999999999999999999999999h', '1/99999999999999999999999h', '99999999999999/s', '1000001/s', '8761h', 'sliding-logg',
  'p2c', 'bucket-window', 'consistent-hash', 'notify', 'poll', 'pooled', 'fresh', 'lognormal', '__proto__', '${OPENAI_KEY}',
];
const KEYS = [
  'name', 'seed', 'requests', 'concurrency', 'clients', 'count', 'limit', 'limiter', 'wait', 'poll', 'latency', 'dist', 'mu',
  'sigma', 'median', 'p99', 'mean', 'samples', 'attempts', 'backoff', 'interval', 'active', 'buckets', 'choices', 'vnodes',
  'condition', 'unknownField', '__proto__', 'constructor', 'prototype', 'toString', '<<', 'hasOwnProperty', '0', '-1',
];
const SWEEP_PATHS = [
  'seed', 'runs', 'baseline', 'reference', 'notes', 'marks', '$schema', 'name', 'description', 'variants', 'variants.0',
  'variants.0.name', 'variants.0.condition', 'variants.9.keys.count', 'variants.1.workload.concurrency', '__proto__.polluted',
  'constructor.prototype.polluted', 'providers.-1.latency', 'providers.5.latency', 'providers.0.latency', 'keys.count',
  'workload.concurrency', 'workload.requests.x', 'keys.wait.poll', 'health.active.interval', 'retry.attempts',
];
const METRICS = ['successRate', 'meanLatencyMs', 'meanLatncyMs', 'share.api', 'share.nope', 'speedup', 'imbalance', 'x', '__proto__'];

const value: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(...NUMBERS),
  fc.constantFrom<Json>(...STRINGS),
  fc.constantFrom<Json>(true, false, null, [], {}, [1, 2], { a: 1 }, { dist: 'lognormal', mu: 700, sigma: 1 }, { poll: 0 }),
  fc.integer({ min: -5, max: 200 }),
  fc.double({ noNaN: false }),
);

/** A structural mutation: where (an index into the value's paths) and what. */
type Structural =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: Json }
  | { op: 'add'; at: number; key: string; value: Json }
  | { op: 'sweep'; path: string; values: Json[] }
  | { op: 'reference'; run: string; variant: string; metric: string; value: Json }
  | { op: 'variant'; name: string; condition: Json; extra: Json };

const structural: fc.Arbitrary<Structural> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.constantFrom(...KEYS), value }),
  fc.record({ op: fc.constant('sweep' as const), path: fc.constantFrom(...SWEEP_PATHS), values: fc.array(value, { minLength: 0, maxLength: 3 }) }),
  fc.record({
    op: fc.constant('reference' as const), run: fc.constantFrom('default', 'x', 'workload.concurrency=20'),
    variant: fc.constantFrom('default', 'pooled', 'multi-process', 'nope'), metric: fc.constantFrom(...METRICS), value,
  }),
  fc.record({ op: fc.constant('variant' as const), name: fc.constantFrom('extra', 'default', ''), condition: value, extra: value }),
);

function applyStructural(data: Json, mutation: Structural): Json {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  // fast-check hands out the same constant objects again: never let one end up inside itself
  const m = structuredClone(mutation);
  const all = paths(data);
  const target = (at: number): Path => all[at % all.length]!;
  const parentOf = (p: Path): { parent: Json; key: string | number } | undefined => {
    if (p.length === 0) return undefined;
    let parent: Json = data;
    for (const k of p.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string]!;
    return { parent, key: p.at(-1)! };
  };
  // Own-property writes: the data is plain, and `__proto__` must be a key like any other.
  const define = (o: object, k: string | number, v: Json) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  switch (m.op) {
    case 'delete': {
      const p = parentOf(target(m.at));
      if (p && Array.isArray(p.parent)) p.parent.splice(p.key as number, 1);
      else if (p) delete (p.parent as Record<string, Json>)[p.key];
      return data;
    }
    case 'set': {
      const p = parentOf(target(m.at));
      if (p) define(p.parent as object, p.key, m.value);
      return data;
    }
    case 'add': {
      let node: Json = data;
      for (const k of target(m.at)) node = (node as Record<string, Json>)[k as string]!;
      if (node !== null && typeof node === 'object' && !Array.isArray(node)) define(node, m.key, m.value);
      else if (Array.isArray(node)) node.push(m.value);
      return data;
    }
    case 'sweep': {
      const sweep = (data.sweep && typeof data.sweep === 'object' && !Array.isArray(data.sweep) ? data.sweep : (data.sweep = {})) as Record<string, Json>;
      define(sweep, m.path, m.values);
      delete data.runs;
      return data;
    }
    case 'reference': {
      const ref = (data.reference && typeof data.reference === 'object' ? data.reference : (data.reference = {})) as Record<string, Record<string, Record<string, Json>>>;
      const run = (ref[m.run] ??= {});
      define(run, m.variant, { ...(run[m.variant] ?? {}), [m.metric]: m.value });
      return data;
    }
    case 'variant': {
      const list: Json[] = Array.isArray(data.variants) ? data.variants : (data.variants = [{ name: 'default' }]);
      list.push({ name: m.name, condition: m.condition, keys: { count: m.extra } });
      return data;
    }
  }
}

/** A mutation of the text: `at` is a fraction of its length. */
type Textual =
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; what: string }
  | { op: 'line'; at: number; kind: 'drop' | 'dup' | 'indent' | 'dedent' }
  | { op: 'truncate'; at: number }
  | { op: 'prepend'; what: string }
  | { op: 'append'; what: string };

const bomb = (levels: number) => {
  const lines = ['bomb:', '  a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++) lines.push(`  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
};
const SNIPPETS = [
  '&a ', '*a', '*nope', '&a [*a]', '!!binary ', '!!set ', '!!timestamp ', '!foo ', '!!str ', '!!int ', '!!float ', '? [a, b]\n: 1\n',
  '{', '}', '[', ']', ':', ': ', '- ', ',', '#', '"', "'", '|', '>', '%', '@', '`', '\t', '\n', '\u0000', '\uFEFF', '\u00e9', '\ud83d',
  '.inf', '-.inf', '.nan', '9'.repeat(400), '1e400', '0x1F', '0o17', '<<: *a\n', '__proto__: { polluted: 1 }\n', 'null', '~',
];
const PREFIXES = ['%YAML 1.1\n---\n', '%YAML 1.2\n---\n', '---\n', '--- !!map\n', '%TAG ! tag:example.com,2000:\n---\n', '# just a comment\n'];
const SUFFIXES = [
  bomb(3), bomb(8), `deep: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, `deep: ${'['.repeat(64)}${']'.repeat(64)}\n`, '---\nname: second\n',
  '? { a: 1 }\n: 2\n', 'x: &a [*a]\n', 'anchored: &a { dist: constant, value: 1s }\nuses: [*a, *a, *a]\n', '...\n', '__proto__:\n  polluted: 1\n',
];

const textual: fc.Arbitrary<Textual> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), what: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 4 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('line' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom('drop' as const, 'dup' as const, 'indent' as const, 'dedent' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('prepend' as const), what: fc.constantFrom(...PREFIXES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), what: fc.constantFrom(...SUFFIXES) }) },
);

function applyTextual(text: string, m: Textual): string {
  const i = 'at' in m ? Math.floor(m.at * text.length) : 0;
  switch (m.op) {
    case 'delete': return text.slice(0, i) + text.slice(i + m.len);
    case 'insert': return text.slice(0, i) + m.what + text.slice(i);
    case 'truncate': return text.slice(0, i);
    case 'prepend': return m.what + text;
    case 'append': return text + (text.endsWith('\n') ? '' : '\n') + m.what;
    case 'line': {
      const lines = text.split('\n');
      const j = Math.min(lines.length - 1, Math.floor(m.at * lines.length));
      if (m.kind === 'drop') lines.splice(j, 1);
      else if (m.kind === 'dup') lines.splice(j, 0, lines[j]!);
      else if (m.kind === 'indent') lines[j] = `  ${lines[j]}`;
      else lines[j] = lines[j]!.replace(/^ {1,2}/, '');
      return lines.join('\n');
    }
  }
}

const setOption = fc.tuple(
  fc.constantFrom(...SWEEP_PATHS, 'keys.count', 'workload.requests', 'providers.0.capacity', 'providers.1', 'connections', 'retry.on.x', ''),
  fc.oneof(fc.constantFrom('1', '0', '-1', '1e12', '.inf', '*a', '&a [*a]', '!foo x', '{ handshake: 50ms }', '[', '3/min', '"x"', ''), fc.string({ maxLength: 5 })),
).map(([path, v]) => `${path}=${v}`);

/** One fuzz case: a seed file and what was done to it. */
export interface Case {
  seed: string;
  text: string;
  sets: string[];
  seedOption?: number;
}

/** Mutated scenario files with options. The structural part goes through the data, then the text. */
export const mutatedCase: fc.Arbitrary<Case> = fc
  .record({
    seed: fc.nat({ max: SEEDS.length - 1 }),
    structural: fc.array(structural, { maxLength: 3 }),
    textual: fc.array(textual, { maxLength: 3 }),
    sets: fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.array(setOption, { minLength: 1, maxLength: 2 }) }),
    seedOption: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(7, -1, 1.5, 1e20, 2 ** 53) }),
  })
  .map(({ seed, structural: ss, textual: ts, sets, seedOption }) => {
    const base = SEEDS[seed]!;
    let text = base.text;
    if (ss.length > 0) {
      let data = parse(base.text) as Json;
      for (const m of ss) data = applyStructural(data, m);
      text = stringify(data);
    }
    for (const m of ts) text = applyTextual(text, m);
    return { seed: base.name, text, sets, ...(seedOption === undefined ? {} : { seedOption }) };
  });
