/**
 * scenarios/scenario.schema.json: small (each repeated subschema written once in `$defs`), every
 * `$ref` resolving, and validating exactly as the schema zod writes with everything inlined.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { fileSchema, scenarioJsonSchema, scenarioJsonSchemaText } from '../src/scenario/schema.js';
import { formatJson, partialOf, shareDefinitions, type JsonObject } from '../src/scenario/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const committedPath = join(root, 'scenarios/scenario.schema.json');

/** Every `$ref` value in a JSON document. */
function refsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) refsOf(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

/** The value a local JSON pointer (`#/a/b`) names, or undefined. */
function resolve(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!at || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Every scenario file we ship or test with, parsed (files YAML cannot read are left out). */
function documents(): { name: string; doc: unknown }[] {
  const dirs = ['scenarios', 'bench', 'test/fixtures/ok', 'test/fixtures/broken', 'test/fixtures/real'];
  const out: { name: string; doc: unknown }[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(join(root, dir)).sort()) {
      const path = join(root, dir, f);
      // scenarios/ may hold folders of scenarios; the fixture folders' subfolders are other inputs
      if (dir.startsWith('scenarios') && statSync(path).isDirectory()) walk(`${dir}/${f}`);
      if (!/\.ya?ml$/.test(f) || !statSync(path).isFile()) continue;
      try {
        out.push({ name: `${dir}/${f}`, doc: parseYaml(readFileSync(path, 'utf8'), { maxAliasCount: 100, logLevel: 'error' }) });
      } catch {
        // alias bombs, duplicate keys…: the loader's own tests cover them
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return out;
}

/** The smallest scenario the schema accepts, and `edit` applied to a copy of it. */
const minimal = { name: 's', providers: [{ name: 'api', latency: '1s' }] };
const withEdit = (edit: Record<string, unknown>) => ({ ...structuredClone(minimal), ...edit });
const variant = (fields: Record<string, unknown>) => withEdit({ variants: [{ name: 'v', ...fields }] });
const run = (fields: Record<string, unknown>) => withEdit({ runs: [{ name: 'r', ...fields }] });

/**
 * Documents on either side of the line between base and override: what the base requires and an
 * override may leave out or unset (null), and what both reject (an unknown field, a wrong type, a
 * bound) however deep in an override it sits.
 */
const verdicts: [string, unknown, boolean][] = [
  ['minimal', minimal, true],
  ['base without name', { providers: minimal.providers }, false],
  ['base health.active without its required interval', withEdit({ health: { active: { cost: '1s' } } }), false],
  ['base limit step without its required at', withEdit({ keys: { limit: { requests: '3/min', steps: [{ requests: '2/min' }] } } }), false],
  ['base field null', withEdit({ retry: { attempts: null } }), false],
  ['base object null', withEdit({ keys: null }), false],
  ['override health.active without interval', variant({ health: { active: { cost: '1s' } } }), true],
  ['override unsetting a field (null)', variant({ retry: { attempts: null }, keys: { limit: null } }), true],
  ['override unsetting an object (null)', run({ health: null, slo: null }), true],
  ['override limiter form without its type', variant({ keys: { limiter: { burst: 3 } } }), false],
  ['override limiter form with a null type', variant({ keys: { limiter: { type: null } } }), false],
  ['override limiter form with its type only', variant({ keys: { limiter: { type: 'token-bucket' } } }), true],
  ['override name missing', withEdit({ variants: [{ retry: { attempts: 2 } }] }), false],
  ['override unknown field at the top', variant({ bogus: 1 }), false],
  ['override unknown field in retry', variant({ retry: { attempts: 2, bogus: 1 } }), false],
  ['override unknown field in keys.limit', run({ keys: { limit: { requests: '3/min', bogus: 1 } } }), false],
  ['override unknown field in health.active', variant({ health: { active: { bogus: '1s' } } }), false],
  ['override unknown field in a limiter form', variant({ keys: { limiter: { type: 'token-bucket', bogus: 1 } } }), false],
  ['override wrong type in retry.attempts', variant({ retry: { attempts: 'two' } }), false],
  ['override wrong type in keys.exclusive', run({ keys: { exclusive: 'yes' } }), false],
  ['override wrong type in a limiter form', variant({ keys: { limiter: { type: 'token-bucket', burst: 'x' } } }), false],
  ['override wrong type for an object', variant({ health: 3 }), false],
  ['override bound: retry.attempts 0', variant({ retry: { attempts: 0 } }), false],
  ['override bound: retry.attempts above the limit', run({ retry: { attempts: 101 } }), false],
  ['override bound: keys.count 0', variant({ keys: { count: 0 } }), false],
  ['override bound: a limit step list empty', variant({ keys: { limit: { steps: [] } } }), false],
  ['override enum: retry.jitter', variant({ retry: { jitter: 'some' } }), false],
  ['override enum: connections', variant({ connections: 'reused' }), false],
  ['override within bounds', variant({ retry: { attempts: 100, jitter: 'none' }, keys: { count: 10000 } }), true],
  ['override array items keep their required fields', variant({ keys: { limit: { steps: [{ requests: '2/min' }] } } }), false],
];

const compile = (schema: object) => new Ajv2020({ strict: true, allErrors: true }).compile(schema);
const inlined = () => z.toJSONSchema(fileSchema, { io: 'input', unrepresentable: 'any' });

describe('scenario.schema.json', () => {
  // Overrides written from the base's JSON (partialOf) share the base's leaves: 95 KB → 78 KB.
  it('is under 80 KB (it was 342 KB with the limiter union written out 9 times; 95 KB with zod\'s own override copies)', () => {
    expect(statSync(committedPath).size).toBeLessThan(80_000);
    expect(readFileSync(committedPath, 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('has every $ref resolving to a schema in the same file, and every definition used', () => {
    const schema = JSON.parse(readFileSync(committedPath, 'utf8')) as { $defs: Record<string, unknown> };
    const refs = refsOf(schema);
    expect(refs.length).toBeGreaterThan(50);
    const unresolved = refs.filter((r) => {
      const target = resolve(schema, r);
      return !target || typeof target !== 'object';
    });
    expect(unresolved).toEqual([]);
    const used = new Set(refs);
    expect(Object.keys(schema.$defs).filter((d) => !used.has(`#/$defs/${d}`))).toEqual([]);
  });

  it('writes each override field as zod\'s deep partial of the base field, defaults aside', () => {
    const raw = inlined() as JsonObject;
    const defs = raw.$defs as Record<string, JsonObject>;
    // Every named unit written out, and `default` (an annotation) dropped: zod's override inlines
    // a refined duration where the base refers to it beside the same constraints.
    const plain = (n: unknown): unknown => {
      if (Array.isArray(n)) return n.map(plain);
      if (!n || typeof n !== 'object') return n;
      const { $ref, default: _default, ...rest } = n as Record<string, unknown>;
      const target = typeof $ref === 'string' ? plain(defs[$ref.replace('#/$defs/', '')]) as object : {};
      return { ...target, ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, plain(v)])) };
    };
    const base = raw.properties as Record<string, JsonObject>;
    const fields = Object.keys((defs.override!.properties as JsonObject)).filter((f) => f !== 'name');
    expect(fields.length).toBeGreaterThan(8);
    for (const f of fields) expect(plain(partialOf(base[f]!)), f).toEqual(plain((defs.override!.properties as JsonObject)[f]));
  });

  it('writes the limiter union once for the base and once for overrides', () => {
    const text = scenarioJsonSchemaText();
    // Each limiter form's `type` tag: once in the base union, once in the overrides' (deep partial) one.
    expect(text.split('"const": "token-bucket"').length - 1).toBe(2);
  });

  it('accepts every shipped scenario and judges every fixture as the inlined schema does', () => {
    const shared = compile(scenarioJsonSchema());
    const full = compile(inlined());
    const docs = documents();
    expect(docs.length).toBeGreaterThan(40);
    expect(docs.filter((d) => d.name.startsWith('bench/')).length).toBeGreaterThanOrEqual(5);
    let rejected = 0;
    for (const { name, doc } of docs) {
      const ok = shared(doc);
      expect(ok, name).toBe(full(doc));
      if (/^(scenarios|bench)\//.test(name)) expect(ok ? '' : JSON.stringify(shared.errors?.slice(0, 3)), name).toBe('');
      if (!ok) rejected++;
    }
    expect(rejected).toBeGreaterThan(5); // the broken fixtures the JSON Schema can see
  });

  it('accepts and rejects the base/override cases as written, as the inlined schema does', () => {
    const committed = compile(JSON.parse(readFileSync(committedPath, 'utf8')) as object);
    const generated = compile(scenarioJsonSchema());
    const full = compile(inlined());
    for (const [what, doc, valid] of verdicts) {
      expect(committed(doc), what).toBe(valid);
      expect(generated(doc), what).toBe(valid);
      expect(full(doc), what).toBe(valid);
    }
  });

  it('judges shipped scenarios with one field changed as the inlined schema does (property)', () => {
    const shared = compile(scenarioJsonSchema());
    const full = compile(inlined());
    const shipped = documents().filter((d) => d.name.startsWith('scenarios/')).map((d) => d.doc as Record<string, unknown>);
    const limiterForm = fc.record({
      type: fc.constantFrom('sliding-log', 'token-bucket', 'gcra', 'bucket-window', 'aimd', 'headers', 'nope'),
      burst: fc.option(fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant('x')), { nil: undefined }),
      buckets: fc.option(fc.integer({ min: -1, max: 2000 }), { nil: undefined }),
    }, { requiredKeys: ['type'] });
    const edit = fc.oneof(
      limiterForm.map((l) => ({ keys: { limiter: l } })),
      limiterForm.map((l) => ({ keys: { tokenLimiter: l } })),
      fc.constantFrom('sliding-log', 'gcra', 'nope', 7).map((l) => ({ keys: { limiter: l } })),
      fc.constantFrom(null, 3, 'x', { count: 0 }, { count: 2, extra: 1 }).map((k) => ({ keys: k })),
      fc.constantFrom('round-robin', 'nope', { type: 'availability' }, { type: 'latency-ewma', alpha: 2 }).map((b) => ({ balancer: b })),
      fc.constantFrom(null, {}, { attempts: null }, { attempts: 0 }, { attempts: 3, on: ['timeout'] }, { on: ['nope'] }, { bogus: 1 })
        .map((r) => ({ retry: r })),
      fc.constantFrom(null, { active: null }, { active: { cost: '1s' } }, { active: { interval: 0 } }, { breaker: { failures: null, open: '1s' } })
        .map((h) => ({ health: h })),
    );
    fc.assert(
      fc.property(fc.nat(shipped.length - 1), edit, fc.constantFrom('base', 'variant', 'run'), (i, e, where) => {
        const doc = structuredClone(shipped[i]!);
        if (where === 'base') Object.assign(doc, e);
        else if (where === 'variant') doc.variants = [{ name: 'probe', ...e }];
        else if (!doc.sweep) doc.runs = [{ name: 'probe', ...e }];
        expect(shared(doc)).toBe(full(doc));
      }),
      { numRuns: 300, seed: 20 },
    );
  });

  it('judges shipped scenarios with any value changed, in the base or copied into an override, as the inlined schema does (property)', () => {
    const shared = compile(scenarioJsonSchema());
    const full = compile(inlined());
    const shipped = documents().filter((d) => /^(scenarios|bench)\//.test(d.name)).map((d) => d.doc as Record<string, unknown>);
    /** Every [holder, key] below `node`, objects and arrays alike. */
    const slots = (node: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) => {
      if (Array.isArray(node)) node.forEach((v, i) => { out.push([node, i]); slots(v, out); });
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) { out.push([node as Record<string, unknown>, k]); slots(v, out); }
      }
      return out;
    };
    const change = fc.constantFrom<[string, unknown]>(
      ['set', null], ['set', 'x'], ['set', -1], ['set', 0], ['set', 1e13], ['set', true], ['set', {}], ['set', []],
      ['delete', undefined], ['unknown', undefined],
    );
    fc.assert(
      fc.property(fc.nat(shipped.length - 1), fc.boolean(), fc.nat(), change, (i, inOverride, at, [how, value]) => {
        const doc = structuredClone(shipped[i]!);
        // An override holding a copy of the base's fields (all but name and seed), then changed.
        const { name: _name, seed: _seed, $schema: _s, variants: _v, runs: _r, sweep: _w, baseline: _b, reference: _f, notes: _n, goal: _g, marks: _m, ...fields } = doc;
        if (inOverride) doc.variants = [{ name: 'probe', ...structuredClone(fields) }];
        const target = inOverride ? (doc.variants as unknown[])[0] : doc;
        const all = slots(target);
        const [holder, key] = all[at % all.length]!;
        const h = holder as Record<string | number, unknown>;
        if (how === 'set') h[key] = value;
        else if (how === 'delete') {
          if (Array.isArray(holder)) holder.splice(key as number, 1);
          else delete h[key];
        } else if (h[key] && typeof h[key] === 'object' && !Array.isArray(h[key])) (h[key] as Record<string, unknown>).bogus = 1;
        else h[key] = { bogus: 1 };
        expect(shared(doc)).toBe(full(doc));
      }),
      { numRuns: 400, seed: 20 },
    );
  });
});

describe('shareDefinitions', () => {
  it('shares repeats without touching data keywords, and keeps validation the same', () => {
    const big = { type: 'object', properties: { a: { type: 'integer', minimum: 1, description: 'x'.repeat(100) } }, additionalProperties: false };
    const schema = {
      type: 'object',
      properties: { one: big, two: { anyOf: [big, { type: 'null' }] }, three: { items: big, type: 'array' } },
      default: { one: big }, // data, not a schema: left as written
      additionalProperties: false,
    };
    const out = shareDefinitions(schema as never);
    const text = JSON.stringify(out);
    expect(text.split('"minimum":1').length - 1).toBe(2); // the definition and the `default` data
    expect(out.default).toEqual({ one: big });
    const a = compile(schema);
    const b = compile(out);
    for (const doc of [{}, { one: { a: 1 } }, { one: { a: 0 } }, { two: null }, { two: { a: 'x' } }, { three: [{ a: 2 }, { b: 1 }] }]) {
      expect(b(doc), JSON.stringify(doc)).toBe(a(doc));
    }
  });

  it('makes an override: fields optional and nullable, a tag kept required, arrays and refs whole', () => {
    const base = {
      type: 'object',
      properties: {
        n: { type: 'integer', minimum: 1, default: 1 },
        o: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a'], additionalProperties: false },
        u: { oneOf: [
          { type: 'object', properties: { type: { type: 'string', const: 'x' }, k: { type: 'integer' } }, required: ['type', 'k'], additionalProperties: false },
          { type: 'object', properties: { type: { type: 'string', const: 'y' } }, required: ['type'], additionalProperties: false },
        ] },
        l: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false } },
        r: { $ref: '#/$defs/d' },
      },
      required: ['n', 'o'],
      additionalProperties: false,
      $defs: { d: { type: 'string', minLength: 2 } },
    };
    const override = compile({ ...partialOf(base as never, false), $defs: base.$defs });
    const verdicts: [unknown, boolean][] = [
      [{}, true], [{ n: null, o: null, u: null, l: null, r: null }, true], [{ o: { b: null } }, true], [{ o: { a: 'x' } }, true],
      [{ n: 0 }, false], [{ n: 'x' }, false], [{ o: { c: 1 } }, false], [{ o: { a: 1 } }, false], [{ z: 1 }, false],
      [{ u: { type: 'x' } }, true], [{ u: { type: 'x', k: null } }, true], [{ u: { k: 1 } }, false], [{ u: { type: null } }, false],
      [{ u: { type: 'y', k: 1 } }, false], [{ l: [{ a: 'x' }] }, true], [{ l: [{}] }, false], [{ l: [null] }, false],
      [{ r: 'ab' }, true], [{ r: 'a' }, false],
    ];
    for (const [doc, valid] of verdicts) expect(override(doc), JSON.stringify(doc)).toBe(valid);
    expect(() => partialOf({ oneOf: [{ type: 'object', properties: { a: { type: 'string' } } }] } as never)).toThrow(/not one/);
  });

  it('drops what a $ref\'s target says again beside it, and leaves a field\'s own described alternatives in place', () => {
    const alts = [{ type: 'number', minimum: 0, maximum: 1000 }, { type: 'string', pattern: '^[0-9]+(ms|s)$' }];
    const mine = { description: 'A field of its own: a number or a string, both long enough to share', anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', pattern: '^[0-9]+/s$' }] };
    const schema = {
      type: 'object',
      properties: {
        refined: { description: 'A duration with a check JSON Schema cannot say', anyOf: alts, $ref: '#/$defs/d' },
        one: mine,
        two: { type: 'array', items: mine },
      },
      additionalProperties: false,
      $defs: { d: { description: 'A duration', anyOf: alts } },
    };
    const out = shareDefinitions(schema as never);
    const props = out.properties as Record<string, Record<string, unknown>>;
    expect(props.refined).toEqual({ description: 'A duration with a check JSON Schema cannot say', $ref: '#/$defs/d' });
    expect(props.one).toEqual(mine); // a definition of it would read as a value type of its own in the docs
    const a = compile(schema);
    const b = compile(out);
    for (const doc of [{ refined: 5 }, { refined: -1 }, { refined: '5s' }, { refined: '5h' }, { one: 1 }, { one: 0 }, { two: ['3/s', -1] }]) {
      expect(b(doc), JSON.stringify(doc)).toBe(a(doc));
    }
  });

  it('formats JSON that parses back to the same value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(JSON.parse(formatJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }), { numRuns: 200 });
  });
});
