/**
 * Scenario loading: YAML text → validated, unit-converted, merged `Plan`, or a ScenarioError listing
 * every problem with its place in the file.
 *
 * Errors are located through "origins": while the raw layers (base ⊕ run ⊕ variant) are deep-merged,
 * each merged path remembers which layer, hence which document path, supplied it (or which `--set`).
 * A zod issue's path is looked up there; missing paths fall back to their nearest recorded parent.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parse as parseYaml, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import type { Plan, PlanRun, Scenario } from './types.js';
import { ScenarioError, didYouMean, show, sortedLines } from './errors.js';
import type { Located } from './errors.js';
import { fileSchema, nameProblems, scenarioSchema } from './schema.js';
import { sweepDimensions, sweepPoints, sweptFields } from './sweep.js';

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
/** An override of the base document: a `--set` (text) or a sweep point's value (where it sits in the file). */
interface SetOp { path: Path; text: string; docPath?: Path; keyPath?: Path }
type Origin = { docPath: Path; keyPath?: Path } | { set: string };
interface Layer { value: unknown; docPath: Path; sets: SetOp[] }

/** Top-level fields that belong to the file, not to a scenario (never merged, never overridden). */
const FILE_ONLY = ['$schema', 'seed', 'variants', 'runs', 'baseline', 'reference', 'sweep', 'notes', 'marks'];

export function loadScenario(file: string, opts: LoadOptions = {}): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([`${file}: cannot read: ${(e as Error).message}`]);
  }
  return parseScenario(text, file, opts);
}

export function parseScenario(text: string, file: string, opts: LoadOptions = {}): Plan {
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicates are reported below with their path, alongside the schema problems
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  if (doc.errors.length) {
    throw new ScenarioError(sortedLines(doc.errors.map((e) => ({
      place: at(e.pos[0]), path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`,
    }))));
  }
  const raw: unknown = doc.toJS();
  if (!isPlainMap(raw)) {
    throw new ScenarioError([`${file}:1:1: expected a mapping of scenario fields, got ${show(raw)}`]);
  }
  const located: Located[] = duplicateKeys(doc.contents, []).map(([node, path, key]) => ({
    place: at(node.range![0]), path: path.join('.'), message: `duplicate field ${JSON.stringify(key)}`,
  }));
  const sets = applySets(raw, opts.sets ?? [], located);
  if (opts.seed !== undefined && !(Number.isInteger(opts.seed) && opts.seed >= 0)) {
    located.push({ place: { option: `--seed ${opts.seed}` }, path: '', message: `expected a non-negative integer` });
  }

  const locate = (problems: Problem[], origins: Map<string, Origin>): Located[] =>
    problems.map((p) => locateProblem(p, origins, doc, at));
  const fail = (): never => { throw new ScenarioError(sortedLines(located)); };

  // 1. the file as written, overrides deep-partial: errors point into the override that made them
  const top = fileSchema.safeParse(raw, { error: errorMap });
  const problems = [...(top.success ? [] : toProblems(top.error.issues, raw)), ...nameProblems(raw)];
  located.push(...locate(problems, merge([{ value: raw, docPath: [], sets }]).origins));
  if (!top.success || located.length) fail();
  const spec = top.data!;

  // 2. every (run × variant) — or (sweep point × variant) — merged base ⊕ run ⊕ variant, validated whole
  const sweep = isPlainMap(raw.sweep) ? raw.sweep : undefined;
  const seed = opts.seed ?? spec.seed;
  const runs: PlanRun[] = [];
  for (const point of sweep ? sweepPoints(sweep).points : [undefined]) {
    // A point's values apply to the base document like --set, after the command line's.
    let pointRaw = raw;
    const pointSets: SetOp[] = [];
    if (point) {
      pointRaw = structuredClone(raw);
      for (const v of point.values) {
        const problem = setIn(pointRaw, v.path, structuredClone(v.value));
        if (problem) located.push({ place: at(findNode(doc, v.docPath.slice(0, -1), true).range![0]), path: v.docPath.slice(0, -1).join('.'), message: problem });
        else pointSets.push({ path: v.path, text: '', docPath: v.docPath, keyPath: v.docPath.slice(0, -1) });
      }
    }
    const opsHere = [...sets, ...pointSets];
    const base: Layer = { value: omit(pointRaw, FILE_ONLY), docPath: [], sets: opsHere };
    const entries = (key: 'runs' | 'variants'): { name: string; layer?: Layer }[] =>
      (pointRaw[key] as { name: string }[] | undefined)?.map((entry, i) => ({
        name: entry.name,
        layer: { value: omit(entry, ['name']), docPath: [key, i], sets: opsHere.filter((s) => s.path[0] === key) },
      })) ?? [{ name: 'default' }];
    for (const run of entries('runs')) {
      runs.push({
        name: point?.name ?? run.name,
        ...(point ? { point: Object.fromEntries(point.values.map((v) => [v.field, v.value])) } : {}),
        variants: entries('variants').map((variant) => {
          const layers = [base, run.layer, variant.layer].filter((l): l is Layer => l !== undefined);
          const { value, origins } = merge(layers);
          const parsed = scenarioSchema.safeParse(value, { error: errorMap });
          if (!parsed.success) located.push(...locate(toProblems(parsed.error.issues, value), origins));
          // on failure a placeholder: fail() below throws before the plan escapes
          return { name: variant.name, scenario: parsed.success ? ({ ...parsed.data, seed } satisfies Scenario) : (undefined as never) };
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
  };
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
      return issue.keys.map((k) => ({ path: [...path, k], key: true, message: `unknown field ${JSON.stringify(k)}${didYouMean(k, allowed)}` }));
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
  const fits = branches.filter((b) => !b.some((i) => i.path.length === 0 && rejectsType(i, value)));
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

function omit(v: unknown, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v as object).filter(([k]) => !keys.includes(k)));
}

function getIn(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((cur, k) => (isPlainMap(cur) || Array.isArray(cur) ? (cur as Record<string, unknown>)[k] : undefined), v);
}

const pathKey = (path: Path) => path.map(String).join('\u0000');
const isPrefix = (prefix: Path, path: Path) => prefix.length <= path.length && prefix.every((k, i) => String(k) === String(path[i]));

function originOf(layer: Layer, path: Path): Origin {
  const set = findLast(layer.sets, (s) => isPrefix(s.path.slice(layer.docPath.length), path) && isPrefix(layer.docPath, s.path));
  if (!set) return { docPath: [...layer.docPath, ...path] };
  if (!set.docPath) return { set: set.text };
  // A sweep value: inside it, the path goes on from the value's own node.
  const rest = path.slice(set.path.length - layer.docPath.length);
  return { docPath: [...set.docPath, ...rest], keyPath: rest.length === 0 ? set.keyPath : undefined };
}

/**
 * Deep-merges layers (lowest priority first): maps merge key by key, anything else replaces. Records,
 * for every merged path, the origin of the layer whose value won (for maps: the topmost map).
 */
function merge(layers: Layer[]): { value: unknown; origins: Map<string, Origin> } {
  const origins = new Map<string, Origin>();
  const record = (layer: Layer, path: Path, v: unknown) => {
    origins.set(pathKey(path), originOf(layer, path));
    if (Array.isArray(v)) v.forEach((x, i) => record(layer, [...path, i], x));
    else if (isPlainMap(v)) for (const [k, x] of Object.entries(v)) record(layer, [...path, k], x);
  };
  const go = (values: { v: unknown; layer: Layer }[], path: Path): unknown => {
    const present = values.filter((x) => x.v !== undefined);
    const top = present.at(-1);
    // null in an override unsets the field (back to its default), e.g. `think: null` beside `arrivals`
    if (!top || (top.v === null && top.layer !== layers[0])) return undefined;
    if (!isPlainMap(top.v)) {
      record(top.layer, path, top.v);
      return top.v;
    }
    origins.set(pathKey(path), originOf(top.layer, path));
    // only the maps stacked on top merge; a scalar or list below them was replaced wholesale
    let i = present.length - 1;
    while (i > 0 && isPlainMap(present[i - 1]!.v)) i--;
    const maps = present.slice(i) as { v: Record<string, unknown>; layer: Layer }[];
    const keys = [...new Set(maps.flatMap((m) => Object.keys(m.v)))];
    const entries = keys.map((k) => [k, go(maps.map((m) => ({ v: m.v[k], layer: m.layer })), [...path, k])] as const);
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  };
  const value = go(layers.map((layer) => ({ v: layer.value, layer })), []);
  return { value, origins };
}

// ---------- locating in the document ----------

function locateProblem(p: Problem, origins: Map<string, Origin>, doc: Document, at: (o: number) => Located['place']): Located {
  let i = p.path.length;
  while (i > 0 && !origins.has(pathKey(p.path.slice(0, i)))) i--;
  const origin = origins.get(pathKey(p.path.slice(0, i))) ?? { docPath: [] };
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
    const problem = (message: string) => out.push({ place: { option: `--set ${text}` }, path: '', message });
    const eq = text.indexOf('=');
    const path: Path = text.slice(0, eq).split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (eq < 1 || path.some((s) => s === '')) {
      problem('expected path=value, such as workload.concurrency=20');
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(text.slice(eq + 1));
    } catch (e) {
      problem(`YAML syntax: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const bad = setIn(raw, path, value);
    if (bad) problem(bad);
    else ops.push({ path, text });
  }
  return ops;
}

/** Sets `path` in `raw` to `value`, creating mappings on the way; a problem when a step is not a mapping or list. */
function setIn(raw: Record<string, unknown>, path: Path, value: unknown): string | null {
  let cur: unknown = raw;
  for (const [i, seg] of path.slice(0, -1).entries()) {
    const c = cur as Record<string | number, unknown>;
    if (c[seg] === undefined) c[seg] = {};
    cur = c[seg];
    if (!isPlainMap(cur) && !Array.isArray(cur)) return `${path.slice(0, i + 1).join('.')} is ${show(cur)}, not a mapping or list`;
  }
  (cur as Record<string | number, unknown>)[path.at(-1)!] = value;
  return null;
}
