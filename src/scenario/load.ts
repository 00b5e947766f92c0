/**
 * Scenario loading: YAML text → validated, unit-converted, merged `Plan`, or a ScenarioError listing
 * every problem with its place in the file. Its contract: whatever the text (and `--set`, `--seed`),
 * one or the other, never another exception, a hang, a printed warning, or memory beyond the
 * bounds of limits.ts.
 *
 * Errors are located through "origins": the raw layers (base ⊕ run ⊕ variant) are deep-merged, and
 * a zod issue's path is traced back through the same merge to the layer whose value won, hence to
 * its document path (or to the `--set` that wrote it); missing paths fall back to their nearest
 * existing parent.
 *
 * Every object built here from user keys is written with own-property definitions and read with
 * own-property checks, and path segments naming a prototype are refused, so no key or path can
 * reach Object.prototype.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import type { Plan, PlanRun, PlanVariant, Scenario } from './types.js';
import { ScenarioError, didYouMean, show, sortedLines } from './errors.js';
import type { Located, Place } from './errors.js';
import { MAX_ATTEMPT_LOG, MAX_CHECKED_VALUES, MAX_FILE_BYTES, MAX_REQUESTS, MAX_SIMULATIONS } from '../core/limits.js';
import { fileSchema, nameProblems, scenarioSchema } from './schema.js';
import { sweepDimensions, sweepPoints, sweptFields } from './sweep.js';
import { seedSchema } from '../core/units.js';
import { readYaml } from './yaml.js';
import { DatasetError, readDataset } from './dataset.js';
import { TraceError, scanTrace } from '../workload/trace-reader.js';
import { routeProblem, traceCount } from '../workload/trace-schema.js';
import { learns } from '../limiters/index.js';
import { dirname, resolve } from 'node:path';
import { addSecretsIn, redactSet } from '../core/secrets.js';

export interface LoadOptions {
  /** Overrides the file's `seed`. */
  seed?: number;
  /** `path=value` overrides of the base document, value parsed as YAML (`workload.concurrency=20`). */
  sets?: string[];
}

type Path = (string | number)[];
type Issue = z.core.$ZodIssue;
/** A problem in terms of the validated object; `key` = point at the key node rather than the value. */
interface Problem { path: Path; key: boolean; message: string }
/**
 * An override of the base document: a `--set` (text) or a sweep point's value (where it sits in the
 * file). `created`: the length of the path's prefix that existed; the mappings below it were made by it.
 */
interface SetOp { path: Path; text: string; docPath?: Path; keyPath?: Path; created: number }
type Origin = { docPath: Path; keyPath?: Path } | { set: string };
interface Layer { value: unknown; docPath: Path; sets: SetOp[] }

/** Top-level fields that belong to the file, not to a scenario (never merged, never overridden). */
const FILE_ONLY = ['$schema', 'seed', 'variants', 'runs', 'baseline', 'reference', 'sweep', 'notes', 'marks', 'goal'];
/** Fields of a variant entry that are not scenario fields. */
const VARIANT_ONLY = ['name', 'condition', 'oracle'];
/** Path segments that would reach a prototype instead of a field. */
const PROTO = new Set(['__proto__', 'constructor', 'prototype']);

export function loadScenario(file: string, opts: LoadOptions = {}): Plan {
  return parseScenario(readBounded(file), file, opts);
}

/** The file's text, reading at most MAX_FILE_BYTES + 1 bytes (a FIFO or /dev/zero never ends). */
function readBounded(file: string): string {
  const fail = (e: unknown): never => {
    throw new ScenarioError([`${file}: cannot read: ${(e as Error).message}`]);
  };
  let fd = -1;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.allocUnsafe(MAX_FILE_BYTES + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_FILE_BYTES) {
      const size = fstatSync(fd).size; // 0 for a device or a pipe
      throw new ScenarioError([`${file}: expected a scenario file of at most ${MAX_FILE_BYTES} bytes (1 MiB), got ${size >= n ? `${size} bytes` : 'more'}`]);
    }
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    return fail(e);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export function parseScenario(text: string, file: string, opts: LoadOptions = {}): Plan {
  if (text.length > MAX_FILE_BYTES) {
    throw new ScenarioError([`${file}: expected a scenario file of at most ${MAX_FILE_BYTES} bytes (1 MiB), got ${text.length} characters`]);
  }
  const read = readYaml(text);
  const at = (offset: number): Place => {
    const { line, col } = read.lineCounter.linePos(offset);
    return { file, line, col };
  };
  if (!read.ok) {
    throw new ScenarioError(sortedLines(read.problems.map((p) => ({ place: at(p.offset), path: p.path.join('.'), message: p.message }))));
  }
  const { doc, value: raw } = read;
  // Learn the file's secrets before any message could echo one (the redaction pass hides them).
  addSecretsIn(raw);
  if (!isPlainMap(raw)) {
    throw new ScenarioError([`${file}:1:1: expected a mapping of scenario fields, got ${show(raw)}`]);
  }
  const located: Located[] = duplicateKeys(doc.contents, []).map(([node, path, key]) => ({
    place: at(node.range![0]), path: path.join('.'), message: `duplicate field ${show(key)}`,
  }));
  const sets = applySets(raw, opts.sets ?? [], located);
  const sweep = isPlainMap(raw.sweep) ? raw.sweep : undefined;
  if (opts.seed !== undefined) {
    const place = { option: `--seed ${opts.seed}` };
    const s = seedSchema.safeParse(opts.seed);
    if (!s.success) {
      located.push({ place, path: '', message: s.error.issues[0]!.message });
    } else if (sweep && sweptFields(sweep).includes('seed')) {
      located.push({ place, path: '', message: 'expected no --seed with a sweep over seed (each point runs with its own)' });
    }
  }

  const locate = (problems: Problem[], layers: Layer[]): Located[] => problems.map((p) => locateProblem(p, layers, doc, at));
  const fail = (): never => { throw new ScenarioError(sortedLines(located)); };

  // 1. the file as written, overrides deep-partial: errors point into the override that made them
  const top = fileSchema.safeParse(raw, { error: errorMap });
  const problems = [...(top.success ? [] : toProblems(top.error.issues, raw)), ...nameProblems(raw)];
  located.push(...locate(problems, [{ value: raw, docPath: [], sets }]));
  if (!top.success || located.length) fail();
  const spec = top.data!;

  // 2. the work this file asks of the loader, before doing it
  const points = sweep ? sweepPoints(sweep).points : [undefined];
  const runCount = sweep ? points.length : (spec.runs?.length ?? 1);
  const simulations = runCount * (spec.variants?.length ?? 1);
  if (simulations > MAX_SIMULATIONS) {
    const what = `${runCount} ${sweep ? 'points' : 'runs'} × ${spec.variants?.length ?? 1} variants`;
    throw new ScenarioError([`${file}:1:1: expected at most ${MAX_SIMULATIONS} simulations, got ${simulations} (${what})`]);
  }
  if (simulations * read.values > MAX_CHECKED_VALUES) {
    throw new ScenarioError([
      `${file}:1:1: expected at most ${MAX_CHECKED_VALUES} values to check (simulations × values in the file), got ${simulations} × ${read.values}; use fewer points or variants, or fewer values`,
    ]);
  }

  // 3. every (run × variant) — or (sweep point × variant) — merged base ⊕ run ⊕ variant, validated whole
  const seed = opts.seed ?? spec.seed;
  const runs: PlanRun[] = [];
  for (const point of points) {
    // A point's values apply to the base document like --set, after the command line's.
    let pointRaw = raw;
    let pointSeed = seed;
    const pointSets: SetOp[] = [];
    if (point) {
      pointRaw = structuredClone(raw);
      for (const v of point.values) {
        const keyPath = v.docPath.slice(0, -1);
        if (v.field === 'seed') {
          const s = seedSchema.safeParse(v.value);
          if (s.success) pointSeed = s.data;
          else located.push({ place: at(findNode(doc, v.docPath, false).range![0]), path: v.docPath.join('.'), message: `${s.error.issues[0]!.message}, got ${show(v.value)}` });
          continue;
        }
        const done = setIn(pointRaw, v.path, structuredClone(v.value));
        if (typeof done === 'string') located.push({ place: at(findNode(doc, keyPath, true).range![0]), path: keyPath.join('.'), message: done });
        else pointSets.push({ path: v.path, text: '', docPath: v.docPath, keyPath, created: done });
      }
    }
    const opsHere = [...sets, ...pointSets];
    const base: Layer = { value: omit(pointRaw, FILE_ONLY), docPath: [], sets: opsHere };
    const entries = (key: 'runs' | 'variants'): { name: string; condition?: true; oracle?: true; layer?: Layer }[] =>
      (pointRaw[key] as { name: string; condition?: boolean; oracle?: boolean }[] | undefined)?.map((entry, i) => ({
        name: entry.name,
        ...(entry.condition === true ? { condition: true as const } : {}),
        ...(entry.oracle === true ? { oracle: true as const } : {}),
        layer: { value: omit(entry, VARIANT_ONLY), docPath: [key, i], sets: opsHere.filter((s) => s.path[0] === key) },
      })) ?? [{ name: 'default' }];
    for (const run of entries('runs')) {
      runs.push({
        name: point?.name ?? run.name,
        ...(point ? { point: Object.fromEntries(point.values.map((v) => [v.field, v.value])) } : {}),
        variants: entries('variants').map((variant): PlanVariant => {
          const layers = [base, run.layer, variant.layer].filter((l): l is Layer => l !== undefined);
          const value = merge(layers);
          const parsed = scenarioSchema.safeParse(value, { error: errorMap });
          if (!parsed.success) located.push(...locate(toProblems(parsed.error.issues, value), layers));
          else {
            // A dataset's rows, read once per file (relative to the scenario's folder).
            const rows = parsed.data.workload.tokens?.rows;
            if (rows) {
              try {
                const d = readDataset(resolve(dirname(file), rows.file));
                rows.prompt = d.prompt;
                rows.output = d.output;
              } catch (e) {
                if (!(e instanceof DatasetError)) throw e;
                located.push(...locate([{ path: ['workload', 'dataset'], key: false, message: e.message }], layers));
              }
            }
            // A trace is read through once (cached per file): every row checked, its rows counted, its routes checked.
            const trace = parsed.data.workload.trace;
            if (trace) {
              const problem = (path: string[], message: string) => located.push(...locate([{ path: ['workload', 'trace', ...path], key: false, message }], layers));
              try {
                trace.path = resolve(dirname(file), trace.file);
                const facts = scanTrace(trace);
                trace.rows = facts.rows;
                const keys = parsed.data.keys;
                const route = routeProblem(trace, facts, { keys: keys.count, providers: parsed.data.providers.map((p) => p.name), shared: keys.store?.kind === 'redis', learning: learns(keys.limiter) });
                const n = traceCount(trace, pointSeed);
                const attempts = parsed.data.retry.attempts;
                if (route) problem(route.path, route.message);
                else if (n > MAX_REQUESTS) problem(['scale'], `expected the trace's rows × scale ≤ ${MAX_REQUESTS} requests, got ${n} (cut it with from/to, or cap it with workload.requests)`);
                else if (n * attempts > MAX_ATTEMPT_LOG) problem(['file'], `expected the trace's requests × retry.attempts ≤ ${MAX_ATTEMPT_LOG}, got ${n} × ${attempts}`);
                else parsed.data.workload.requests = n;
              } catch (e) {
                if (!(e instanceof TraceError)) throw e;
                problem(['file'], e.message);
              }
            }
          }
          // on failure a placeholder: fail() below throws before the plan escapes
          const scenario = parsed.success ? ({ ...parsed.data, seed: pointSeed } satisfies Scenario) : (undefined as never);
          return { name: variant.name, ...(variant.condition ? { condition: true } : {}), ...(variant.oracle ? { oracle: true } : {}), scenario };
        }),
      });
    }
    if (located.length) fail(); // one point's problems are usually every point's: stop at the first
  }

  return {
    file,
    name: spec.name,
    description: spec.description,
    seed,
    baseline: spec.baseline ?? runs[0]!.variants[0]!.name,
    runs,
    reference: spec.reference ?? {},
    source: text,
    ...(sweep ? { sweep: { fields: sweptFields(sweep), dimensions: sweepDimensions(sweep) } } : {}),
    ...(spec.notes ? { notes: spec.notes } : {}),
    ...(spec.marks ? { marks: spec.marks } : {}),
    ...(spec.goal ? { goal: spec.goal } : {}),
    ...changesOf(spec.seed, opts),
  };
}

/** The command line's changes to the file, as results record them (secret values fingerprinted); absent when none. */
function changesOf(fileSeed: number, opts: LoadOptions): Pick<Plan, 'changed'> {
  const changed = [
    ...(opts.seed !== undefined && opts.seed !== fileSeed ? [`--seed ${opts.seed}`] : []),
    ...(opts.sets ?? []).map((text) => `--set ${redactSet(text)}`),
  ];
  return changed.length ? { changed } : {};
}

// ---------- zod issues → problems ----------

const KEYS = '\u0000keys:';
const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', boolean: 'true or false', object: 'a mapping', array: 'a list',
  record: 'a mapping', int: 'an integer',
};

/** Messages for zod's own issues (leaf schemas carry their own); all read `expected …`. */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'unrecognized_keys': // smuggle the allowed keys out for "did you mean"
      return KEYS + JSON.stringify(Object.keys((iss.inst as { _zod: { def: { shape?: object } } })?._zod.def.shape ?? {}));
    case 'invalid_type':
      return `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}`;
    case 'invalid_value':
      return `expected one of ${iss.values.map(String).join(' | ')}`;
    case 'invalid_union':
      return 'options' in iss && Array.isArray(iss.options)
        ? `expected one of ${iss.options.map(String).join(' | ')}`
        : 'expected one of the allowed forms';
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return 'expected a non-empty string';
      return `expected a number ≥ ${iss.minimum}`;
    case 'too_big':
      return iss.origin === 'number' ? `expected a number ≤ ${iss.maximum}` : `expected at most ${iss.maximum}`;
    default:
      return undefined;
  }
};

function toProblems(issues: readonly Issue[], input: unknown, base: Path = []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...base, ...(issue.path as Path)];
    const value = getIn(input, path);
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const branch = chooseBranch(issue.errors, value);
      if (branch) return toProblems(branch, input, path);
    }
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.message.startsWith(KEYS) ? (JSON.parse(issue.message.slice(KEYS.length)) as string[]) : [];
      return issue.keys.map((k) => ({ path: [...path, k], key: true, message: `unknown field ${show(k)}${didYouMean(k, allowed)}` }));
    }
    if (issue.code === 'invalid_union' && 'discriminator' in issue && value === undefined && path.length > 0) {
      // A form without its discriminator (`{ lognormal: … }` for `{ dist: lognormal, … }`): say which field names the form.
      const options = 'options' in issue ? (issue.options as unknown[]).map(String).join(' | ') : '';
      const parent = path.slice(0, -1);
      return [{ path: parent, key: false, message: `expected a field ${String(issue.discriminator)}: ${options}, got ${show(getIn(input, parent))}` }];
    }
    let message = issue.message;
    const expected = message.startsWith('expected ');
    if (value === undefined && (expected || issue.code === 'invalid_type')) message = 'required field missing';
    else if (expected && !message.includes(', got ')) {
      const values = issue.code === 'invalid_value' ? issue.values : 'options' in issue ? (issue.options as unknown[]) : [];
      message += `, got ${show(value)}${didYouMean(value, values)}`;
    }
    const key = issue.code === 'custom' && (issue.params as { key?: boolean } | undefined)?.key === true;
    return [{ path, key, message }];
  });
}

/**
 * The union branch to report: drop branches that reject the value's very type (a number given where
 * a mapping was expected), then prefer the one whose issues reach deepest into the value.
 */
function chooseBranch(branches: Issue[][], value: unknown): Issue[] | undefined {
  // A form that knows none of the value's fields is not the one meant (`{ type: gcra, … }` is not
  // the `{ requests, tokens }` form), unless no form knows them.
  const known = (b: Issue[]) => !b.some((i) => i.path.length === 0 && i.code === 'unrecognized_keys' && isPlainMap(value) && Object.keys(value).every((k) => i.keys.includes(k)));
  const fits = branches.filter((b) => !b.some((i) => i.path.length === 0 && rejectsType(i, value)));
  if (fits.some(known)) return pick(fits.filter(known));
  return pick(fits);
}

/** The branch whose issues reach deepest into the value. */
function pick(fits: Issue[][]): Issue[] | undefined {
  const depth = (b: Issue[]) => Math.max(...b.map((i) => i.path.length + (i.code === 'unrecognized_keys' ? 1 : 0)));
  return fits.reduce<Issue[] | undefined>((best, b) => (best && depth(best) >= depth(b) ? best : b), undefined);
}

function rejectsType(issue: Issue, value: unknown): boolean {
  if (issue.code === 'invalid_type') return true;
  if (issue.code === 'invalid_value') return issue.values.every((v) => typeof v !== typeof value);
  if (issue.code === 'invalid_union' && issue.errors.length) {
    return issue.errors.every((b) => b.some((i) => i.path.length === 0 && rejectsType(i, value)));
  }
  return false;
}

// ---------- merging with origins ----------

/** Array#findLast (ES2023; the target is ES2022). */
function findLast<T>(list: T[], ok: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (ok(list[i]!)) return list[i];
  return undefined;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v[k]` only if `v` is a mapping or list holding `k` itself (never an inherited property). */
function own(v: unknown, k: string | number): unknown {
  return (isPlainMap(v) || Array.isArray(v)) && Object.hasOwn(v, k) ? (v as Record<string | number, unknown>)[k] : undefined;
}

/** Defines `o[k] = v` as an own data property: `__proto__` would be a key like any other. */
function define(o: object, k: string | number, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

function omit(v: unknown, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v as object).filter(([k]) => !keys.includes(k)));
}

function getIn(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((cur, k) => own(cur, k), v);
}

const isPrefix = (prefix: Path, path: Path) => prefix.length <= path.length && prefix.every((k, i) => String(k) === String(path[i]));

function originOf(layer: Layer, path: Path): Origin {
  // The override that wrote the value at `path` (or above it), or made the mapping at `path` on its way.
  const full = [...layer.docPath, ...path];
  const set = findLast(layer.sets, (s) => isPrefix(layer.docPath, s.path)
    && (isPrefix(s.path, full) || (isPrefix(full, s.path) && full.length > s.created)));
  if (!set) return { docPath: [...layer.docPath, ...path] };
  if (!set.docPath) return { set: set.text };
  // A sweep value: inside it, the path goes on from the value's own node (a mapping it made: its key).
  if (full.length < set.path.length) return { docPath: set.keyPath!, keyPath: set.keyPath };
  const rest = path.slice(set.path.length - layer.docPath.length);
  return { docPath: [...set.docPath, ...rest], keyPath: rest.length === 0 ? set.keyPath : undefined };
}

/** The value at a path of each layer (lowest priority first), with its layer. */
type Stack = { v: unknown; layer: Layer }[];

/**
 * Of the values stacked at one path, the one the merge keeps and the maps merged under it:
 * maps merge key by key, anything else replaces; null in an override unsets the field (back to its
 * default, e.g. `think: null` beside `arrivals`). Undefined when nothing is left.
 */
function winner(values: Stack, base: Layer): { top: Stack[number]; maps: Stack } | undefined {
  const present = values.filter((x) => x.v !== undefined);
  const top = present.at(-1);
  if (!top || (top.v === null && top.layer !== base)) return undefined;
  if (!isPlainMap(top.v)) return { top, maps: [] };
  // only the maps stacked on top merge; a scalar or list below them was replaced wholesale
  let i = present.length - 1;
  while (i > 0 && isPlainMap(present[i - 1]!.v)) i--;
  return { top, maps: present.slice(i) };
}

/** Deep-merges layers (lowest priority first); lists and values are taken as they are, not copied. */
function merge(layers: Layer[]): unknown {
  const go = (values: Stack): unknown => {
    const w = winner(values, layers[0]!);
    if (!w || w.maps.length === 0) return w?.top.v;
    const out: Record<string, unknown> = {};
    const keys = new Set(w.maps.flatMap((m) => Object.keys(m.v as object)));
    for (const k of keys) {
      const v = go(w.maps.map((m) => ({ v: own(m.v, k), layer: m.layer })));
      if (v !== undefined) define(out, k, v);
    }
    return out;
  };
  return go(layers.map((layer) => ({ v: layer.value, layer })));
}

/**
 * Where the merged value at `path` came from: the merge retraced along the path, down to the
 * deepest prefix that exists (`depth`), and the origin of the layer whose value won there.
 */
function originAt(layers: Layer[], path: Path): { origin: Origin; depth: number } {
  let values: Stack = layers.map((layer) => ({ v: layer.value, layer }));
  let found: { origin: Origin; depth: number } = { origin: { docPath: [] }, depth: 0 };
  for (let d = 0; ; d++) {
    const w = winner(values, layers[0]!);
    if (!w) return found;
    found = { origin: originOf(w.top.layer, path.slice(0, d)), depth: d };
    if (w.maps.length === 0) {
      // A list or value taken whole: the rest of the path lies inside it, in the same layer.
      let v = w.top.v;
      let e = d;
      while (e < path.length && own(v, path[e]!) !== undefined) v = own(v, path[e++]!);
      return { origin: originOf(w.top.layer, path.slice(0, e)), depth: e };
    }
    if (d === path.length) return found;
    values = w.maps.map((m) => ({ v: own(m.v, path[d]!), layer: m.layer }));
  }
}

// ---------- locating in the document ----------

function locateProblem(p: Problem, layers: Layer[], doc: Document, at: (o: number) => Place): Located {
  const { origin, depth: i } = originAt(layers, p.path);
  if ('set' in origin) return { place: { option: `--set ${origin.set}` }, path: '', message: p.message };
  // An unknown swept field: point at the field's name in `sweep`, not at one of its values.
  if (origin.keyPath && p.key && i === p.path.length) {
    return { place: at(findNode(doc, origin.keyPath, true).range![0]), path: origin.keyPath.join('.'), message: p.message };
  }
  const docPath = [...origin.docPath, ...p.path.slice(i)];
  return { place: at(findNode(doc, docPath, p.key).range![0]), path: docPath.join('.'), message: p.message };
}

/** The node at `path` (its key node if `key`), or the nearest existing ancestor. */
function findNode(doc: Document, path: Path, key: boolean): YamlNode {
  let node = doc.contents as YamlNode;
  for (const [i, seg] of path.entries()) {
    let next: YamlNode | null | undefined;
    if (isMap(node)) {
      const pair = findLast(node.items, (it) => isScalar(it.key) && String(it.key.value) === String(seg));
      if (pair && key && i === path.length - 1) return pair.key as YamlNode;
      next = (pair?.value as YamlNode | null) ?? (pair?.key as YamlNode | undefined);
    } else if (isSeq(node)) {
      next = node.items[Number(seg)] as YamlNode | undefined;
    }
    if (!next?.range) return node;
    node = next;
  }
  return node;
}

/** [key node, path, key] of every repeated key in every mapping. */
function duplicateKeys(node: unknown, path: Path): [YamlNode, Path, unknown][] {
  if (isSeq(node)) return node.items.flatMap((it, i) => duplicateKeys(it, [...path, i]));
  if (!isMap(node)) return [];
  const seen = new Set<unknown>();
  return node.items.flatMap((pair) => {
    const k = isScalar(pair.key) ? pair.key.value : undefined;
    const dup: [YamlNode, Path, unknown][] = k !== undefined && seen.has(k) ? [[pair.key as YamlNode, [...path, String(k)], k]] : [];
    seen.add(k);
    return [...dup, ...duplicateKeys(pair.value, [...path, String(k)])];
  });
}

// ---------- --set ----------

/** Applies `path=value` options to the raw base document; problems go to `out`. */
function applySets(raw: Record<string, unknown>, texts: string[], out: Located[]): SetOp[] {
  const ops: SetOp[] = [];
  for (const text of texts) {
    redactSet(text); // registers a secret value before a message could echo it
    const problem = (message: string) => out.push({ place: { option: `--set ${text}` }, path: '', message });
    const eq = text.indexOf('=');
    const path: Path = text.slice(0, eq).split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (eq < 1 || path.some((s) => s === '')) {
      problem('expected path=value, such as workload.concurrency=20');
      continue;
    }
    const read = readYaml(text.slice(eq + 1));
    if (!read.ok) {
      for (const p of read.problems) problem(p.message);
      continue;
    }
    addSecretsIn({ [String(path.at(-1))]: read.value });
    const done = setIn(raw, path, read.value);
    if (typeof done === 'string') problem(done);
    else ops.push({ path, text, created: done });
  }
  return ops;
}

/**
 * Sets `path` in `raw` to `value`, creating mappings on the way. Returns the length of the prefix
 * that existed, or a problem when a segment names a prototype, a step is not a mapping or list, or
 * a list index is not one of the list's (or the next).
 */
function setIn(raw: Record<string, unknown>, path: Path, value: unknown): number | string {
  const bad = path.find((s) => typeof s === 'string' && PROTO.has(s));
  if (bad !== undefined) return `expected a field path, got ${show(bad)} in it`;
  let cur: unknown = raw;
  let existed = path.length;
  for (const [i, seg] of path.entries()) {
    const here = path.slice(0, i).join('.');
    if (Array.isArray(cur) && !(typeof seg === 'number' && seg <= cur.length)) {
      return `expected an index of ${here} from 0 to ${cur.length}, got ${show(String(seg))}`;
    }
    if (i === path.length - 1) break;
    let next = own(cur, seg);
    if (next === undefined) {
      existed = Math.min(existed, i);
      define(cur as object, seg, (next = {}));
    }
    if (!isPlainMap(next) && !Array.isArray(next)) return `${path.slice(0, i + 1).join('.')} is ${show(next)}, not a mapping or list`;
    cur = next;
  }
  define(cur as object, path.at(-1)!, value);
  return existed;
}
