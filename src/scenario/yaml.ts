/**
 * YAML text → plain data, or the problems that stop it, with nothing thrown, printed or unbounded
 * on the way. The `yaml` library composes recursively (3,000 nested `[` overflow the stack), hands
 * aliases out as shared references that later code would walk as trees (an alias bomb of 40 lines
 * expands to 10^40 values), throws on undefined or recursive aliases while converting, prints a
 * Node warning for a mapping used as a key, and turns explicit tags into Dates, Buffers and Sets.
 * So before converting: the nesting of the token stream is measured without recursion, then one
 * walk over the document checks every alias (defined, not inside its own anchor), the nesting and
 * value count once aliases are expanded (each anchor's size is memoised, so the walk is linear),
 * that keys are plain, that every value is a string, finite number, boolean or null, and that
 * tags are the core schema's.
 */
import { LineCounter, Parser, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { CST, Document, Node as YamlNode } from 'yaml';
import { MAX_DEPTH, MAX_VALUES } from '../core/limits.js';

type Path = (string | number)[];

/** A problem at a character offset of the text; `path` is where it sits in the document. */
export interface YamlProblem {
  offset: number;
  path: Path;
  message: string;
}

export type YamlResult =
  | { ok: true; value: unknown; doc: Document; lineCounter: LineCounter; values: number }
  | { ok: false; problems: YamlProblem[]; lineCounter: LineCounter };

const CORE = 'tag:yaml.org,2002:';
const PLAIN_TAGS = new Set(['!', ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => CORE + t)]);
const shortTag = (tag: string): string => (tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag);

/** Reads `text` as one YAML document of plain data (see the header). */
export function readYaml(text: string): YamlResult {
  const lineCounter = new LineCounter();
  const deep = tooDeep(text);
  if (deep !== undefined) {
    return { ok: false, lineCounter: countLines(text), problems: [{ offset: deep, path: [], message: `expected at most ${MAX_DEPTH} levels of nesting` }] };
  }
  // logLevel error: a warning becomes a problem below, never a line printed by Node.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  if (doc.errors.length) {
    return {
      ok: false,
      lineCounter,
      problems: doc.errors.map((e) => ({
        offset: e.pos[0],
        path: [],
        message: e.code === 'MULTIPLE_DOCS' ? 'expected one YAML document, got more (a --- line starts another)' : `YAML syntax: ${firstLine(e.message)}`,
      })),
    };
  }
  // An unknown tag is reported by the walk, at its value; what remains (`!!float 1` is no float) is said here.
  const problems: YamlProblem[] = doc.warnings
    .filter((w) => !(w.code === 'TAG_RESOLVE_FAILED' && /^Unresolved tag: /.test(w.message) && !PLAIN_TAGS.has(w.message.slice(16).trim())))
    .map((w) => ({ offset: w.pos[0], path: [], message: `YAML: ${firstLine(w.message).replace(CORE, '!!')}` }));
  const values = walk(doc, problems);
  if (problems.length) return { ok: false, lineCounter, problems };
  try {
    // Sizes are checked above, so the library's own alias budget (which rejects 101 uses of one anchor) is off.
    return { ok: true, value: doc.toJS({ maxAliasCount: -1 }), doc, lineCounter, values };
  } catch (e) {
    // e.g. a YAML 1.1 merge key (<<) whose source is not a mapping
    return { ok: false, lineCounter, problems: [{ offset: 0, path: [], message: `YAML: ${firstLine((e as Error).message)}` }] };
  }
}

const firstLine = (s: string): string => s.split('\n')[0]!;

function countLines(text: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return lc;
}

/** The offset of the first collection nested deeper than MAX_DEPTH in the token stream, or undefined. */
function tooDeep(text: string): number | undefined {
  const stack: [CST.Token, number][] = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop()!;
    if (t.type === 'document') {
      if (t.value) stack.push([t.value, depth]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > MAX_DEPTH) return t.offset;
      for (const item of t.items as CST.CollectionItem[]) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/** Expanded size (values) and height (nested collections) of a node. */
interface Extent {
  size: number;
  height: number;
}

class Stop extends Error {}

/**
 * Checks the document (see the header) and returns its value count once aliases are expanded.
 * Recursion is bounded by the nesting already checked; aliases are never followed, their
 * target's memoised extent is used.
 */
function walk(doc: Document, problems: YamlProblem[]): number {
  const anchors = new Map<string, YamlNode>();
  const extents = new Map<YamlNode, Extent>();
  const open = new Set<YamlNode>();
  const LEAF: Extent = { size: 1, height: 0 };
  let total = 0;
  const problem = (node: YamlNode, path: Path, message: string) => problems.push({ offset: node.range?.[0] ?? 0, path, message });
  const count = (n: number, node: YamlNode, path: Path) => {
    total += n;
    if (total > MAX_VALUES) {
      const where = isAlias(node) ? `at *${node.source}` : 'here';
      problem(node, path, `expected at most ${MAX_VALUES} values once aliases are expanded, got more ${where}`);
      throw new Stop();
    }
  };

  const visit = (node: unknown, path: Path, depth: number): Extent => {
    if (node === null || node === undefined) return LEAF; // `a:` with no value
    const n = node as YamlNode;
    if (isAlias(n)) {
      const target = anchors.get(n.source);
      if (!target) {
        problem(n, path, `undefined alias *${n.source} (its anchor &${n.source} must come before it)`);
        return LEAF;
      }
      if (open.has(target)) {
        problem(n, path, `alias *${n.source} is inside its own anchor &${n.source} (a recursive alias)`);
        return LEAF;
      }
      const e = extents.get(target) ?? LEAF;
      if (depth + e.height > MAX_DEPTH) {
        problem(n, path, `expected at most ${MAX_DEPTH} levels of nesting once aliases are expanded, got more through *${n.source}`);
        return LEAF;
      }
      count(e.size, n, path);
      return e;
    }
    if (n.anchor) anchors.set(n.anchor, n);
    const badTag = n.tag !== undefined && !PLAIN_TAGS.has(n.tag);
    if (badTag) problem(n, path, `unsupported YAML tag ${shortTag(n.tag!)}`);
    const start = total;
    count(1, n, path);
    let height = 0;
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === 'number' && !Number.isFinite(v)) {
        const src = String(n.source ?? v);
        problem(n, path, `expected a finite number, got ${src.length > 24 ? `${src.slice(0, 20)}…` : src}`);
      } else if (v !== null && typeof v === 'object' && !badTag) {
        // an implicit YAML 1.1 type (`%YAML 1.1` makes 2001-12-14 a Date)
        problem(n, path, `unsupported YAML value (${v.constructor?.name ?? 'object'}); expected a string, number, true/false or null`);
      }
    } else if (isMap(n) || isSeq(n)) {
      open.add(n);
      n.items.forEach((item, i) => {
        let childPath: Path = [...path, i];
        let value: unknown = item;
        if (isMap(n)) {
          const pair = item as { key: unknown; value: unknown };
          const key = pair.key as YamlNode | null;
          const keyNode = isAlias(key) ? anchors.get(key.source) : key;
          visit(key, path, depth + 1);
          if (keyNode && !isScalar(keyNode)) {
            problem(key!, path, `expected a field name, got a ${isSeq(keyNode) ? 'list' : 'mapping'} as a key`);
          }
          const name = isScalar(keyNode) ? String(keyNode.value ?? '') : '';
          // As an own key it is harmless here, but zod's records would make it the prototype of their output.
          if (name === '__proto__') problem(key!, path, 'expected a field name, got "__proto__"');
          childPath = [...path, name];
          value = pair.value;
        }
        height = Math.max(height, visit(value, childPath, depth + 1).height);
      });
      open.delete(n);
      height++;
    }
    // What was counted since this node began is its expanded size.
    const extent = { size: total - start, height };
    extents.set(n, extent);
    return extent;
  };

  try {
    visit(doc.contents, [], 0);
    return total;
  } catch (e) {
    if (e instanceof Stop) return total;
    throw e;
  }
}
