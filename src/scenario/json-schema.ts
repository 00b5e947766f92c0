/**
 * Shares repeated subschemas of a generated JSON Schema as `$defs` entries.
 *
 * zod's `toJSONSchema` writes a schema once per place it is used unless it carries an id; the
 * scenario's limiter union is used by `keys.limiter`, `keys.tokenLimiter` and each provider quota's
 * `algorithm`, in the base, in `variants` and in `runs`. Comparing the output itself finds every
 * repeat: the largest subschema written twice or more becomes one `$defs` entry and each copy a
 * `$ref`, then again until no subschema of `minChars` or more is repeated. A `$ref` to a `$defs`
 * entry of the same document validates exactly as the inlined subschema (no `$id`, no relative refs
 * inside).
 *
 * An override (a `variants`/`runs` entry) is a deep-partial, nullable copy of the base's fields,
 * which zod writes as new schemas, each leaf without its default: no repeat to find. `partialOf`
 * writes that copy from the base's own JSON instead, defaults kept, so every leaf (description,
 * default, bounds, enum) is the same text in both and is written once.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Keywords whose value is a map of name → subschema. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
/** Keywords whose value is one subschema (values such as `enum`, `const`, `default` are data). */
const SCHEMA_ONE = [
  'items', 'additionalProperties', 'not', 'propertyNames', 'contains', 'if', 'then', 'else',
  'unevaluatedProperties', 'unevaluatedItems', 'contentSchema',
];

interface Site {
  holder: JsonObject | Json[];
  key: string | number;
  /** Keywords and names from the root, for naming the definition. */
  path: readonly string[];
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every subschema position below `node` (not `node` itself), in document order. */
function eachSubschema(node: JsonObject, path: readonly string[], visit: (site: Site) => void): void {
  for (const [kw, value] of Object.entries(node)) {
    if (SCHEMA_MAPS.includes(kw) && isObject(value)) {
      for (const name of Object.keys(value)) visitAt(value, name, [...path, kw, name], visit);
    } else if (SCHEMA_LISTS.includes(kw) && Array.isArray(value)) {
      value.forEach((_, i) => visitAt(value, i, [...path, kw, String(i)], visit));
    } else if (SCHEMA_ONE.includes(kw) && isObject(value)) {
      visitAt(node, kw, [...path, kw], visit);
    }
  }
}

function visitAt(holder: JsonObject | Json[], key: string | number, path: readonly string[], visit: (site: Site) => void): void {
  const value = (holder as Record<string | number, Json>)[key];
  if (!isObject(value)) return;
  visit({ holder, key, path });
  eachSubschema(value, path, visit);
}

/**
 * A readable name for a definition first met at `path`: the property (or definition) it sits
 * under, `.item` for an array's items, the discriminator's value for one form of a tagged union
 * (`limiter.token-bucket`), and `.override` when it was met inside a `variants`/`runs` entry, whose
 * fields are the base's made optional and nullable.
 */
function nameFor(path: readonly string[], node: JsonObject, inOverride: boolean): string {
  let base = 'shared';
  for (let i = 0; i + 1 < path.length; i++) {
    if (path[i] === 'properties' || path[i] === '$defs') base = path[i + 1]!.replace(/\.override$/, '');
  }
  if (path.at(-1) === 'items') base += '.item';
  if (Array.isArray(node.enum) && Object.keys(node).length <= 2) base += '.names';
  const props = node.properties;
  if (isObject(props)) {
    for (const tag of ['type', 'kind', 'dist']) {
      const t = props[tag];
      if (isObject(t) && typeof t.const === 'string') base += `.${t.const}`;
    }
  }
  return inOverride ? `${base}.override` : base;
}

/**
 * A field's own value with alternatives of plain values (an arrival rate: a number or a string,
 * with the field's description). It stays at its field: as a definition it would read as a value
 * type of its own (docs.ts lists a definition of alternatives without fields under Value types and
 * links the field to it), where in place the field's row of docs/scenario-reference.md shows its
 * description and bounds.
 */
function describedAlternatives(node: JsonObject, defs: JsonObject): boolean {
  return typeof node.description === 'string' && (Array.isArray(node.anyOf) || Array.isArray(node.oneOf)) && !hasFields(node, defs, new Set());
}

/** Whether a schema has fields somewhere (an object, a list, a union of them), following $refs. */
function hasFields(node: JsonObject, defs: JsonObject, seen: Set<string>): boolean {
  if (isObject(node.properties) || node.type === 'object' || node.type === 'array') return true;
  const ref = typeof node.$ref === 'string' && node.$ref.startsWith('#/$defs/') ? node.$ref.slice(8) : undefined;
  if (ref !== undefined && !seen.has(ref)) {
    seen.add(ref);
    const target = defs[ref];
    if (isObject(target) && hasFields(target, defs, seen)) return true;
  }
  const alts = [...(Array.isArray(node.anyOf) ? node.anyOf : []), ...(Array.isArray(node.oneOf) ? node.oneOf : [])];
  return alts.some((a) => isObject(a) && hasFields(a, defs, seen));
}

/**
 * Removes, beside each `$ref` to a definition, the keywords that repeat the definition's own (zod
 * writes a refined duration as `$ref: duration` and duration's `anyOf` again): the subschema must
 * satisfy both, so the copy adds nothing, and without it the field is a `$ref` and a description.
 */
function dropRepeatedByRef(root: JsonObject, defs: JsonObject): void {
  eachSubschema(root, [], ({ holder, key }) => {
    const node = (holder as Record<string | number, Json>)[key] as JsonObject;
    const ref = typeof node.$ref === 'string' && node.$ref.startsWith('#/$defs/') ? defs[node.$ref.slice(8)] : undefined;
    if (!isObject(ref)) return;
    for (const kw of Object.keys(node)) {
      if (kw !== '$ref' && kw !== 'description' && kw !== 'default' && kw in ref && JSON.stringify(node[kw]) === JSON.stringify(ref[kw])) delete node[kw];
    }
  });
}

/**
 * `schema` with every subschema of at least `minChars` characters that occurs twice or more written
 * once, in `$defs`; `overrideDefs` are the existing definitions of override entries (for names).
 */
export function shareDefinitions(schema: JsonObject, overrideDefs: readonly string[] = [], minChars = 60): JsonObject {
  const root = structuredClone(schema);
  const defs: JsonObject = isObject(root.$defs) ? root.$defs : {};
  root.$defs = defs;
  dropRepeatedByRef(root, defs);
  // Definitions holding (parts of) a variants/runs entry.
  const overrides = new Set(overrideDefs);
  for (;;) {
    const groups = new Map<string, Site[]>();
    eachSubschema(root, [], (site) => {
      const text = JSON.stringify((site.holder as Record<string | number, Json>)[site.key]);
      if (text.length < minChars) return;
      const sites = groups.get(text);
      if (sites) sites.push(site);
      else groups.set(text, [site]);
    });
    let best: [string, Site[]] | undefined;
    for (const [text, sites] of groups) {
      if (sites.length < 2 || (best && text.length <= best[0].length)) continue;
      if (!sites.some((s) => s.holder === defs) && describedAlternatives(JSON.parse(text) as JsonObject, defs)) continue;
      best = [text, sites];
    }
    if (!best) break;
    const [text, sites] = best;
    // A repeat of an existing definition points at it; otherwise the first copy's place names it.
    const existing = sites.find((s) => s.holder === defs);
    let name = existing ? String(existing.key) : '';
    if (!existing) {
      // Named after the first copy; `.override` only when every copy is inside an override entry.
      const inOverride = sites.every((s) => s.path[0] === '$defs' && overrides.has(s.path[1]!));
      const stem = nameFor(sites[0]!.path, JSON.parse(text) as JsonObject, inOverride);
      name = stem;
      for (let n = 2; name in defs; n++) name = `${stem}-${n}`;
      defs[name] = JSON.parse(text) as JsonObject;
      if (inOverride) overrides.add(name);
    }
    const ref = `#/$defs/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    for (const s of sites) {
      if (s !== existing) (s.holder as Record<string | number, Json>)[s.key] = { $ref: ref };
    }
  }
  // Definitions in the order they were first referenced would be arbitrary; sort them by name.
  root.$defs = Object.fromEntries(Object.entries(defs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return root;
}

/**
 * The JSON Schema of a field of an override (a `variants`/`runs` entry), from the base's schema of
 * that field: what schema.ts's `deepPartial` builds in zod, written from the base's own JSON. An
 * object keeps its properties, each optional (no `required`) and nullable (null unsets the field
 * when merged); a `oneOf` (discriminated union) keeps each form's tag required and not nullable;
 * an `anyOf` has each branch made partial; anything else is kept as written — a `$ref` (a named
 * unit such as a duration, checked whole), an array (it replaces on merge, so its items stay
 * whole), a leaf. The one difference from zod's override: the base's `default`s stay. They are
 * annotations (no verdict changes), an editor shows them as hints, and they make each leaf the same
 * text as the base's, so shareDefinitions writes it once for both.
 */
export function partialOf(base: JsonObject, nullable = true): JsonObject {
  const out = partialNode(base);
  return nullable ? { anyOf: [out, { type: 'null' }] } : out;
}

function partialNode(b: JsonObject, tag?: string): JsonObject {
  if ('$ref' in b) return b;
  if (b.type === 'object' && isObject(b.properties)) {
    const out: JsonObject = {};
    for (const [kw, v] of Object.entries(b)) {
      if (kw === 'required') {
        if (tag !== undefined) out.required = [tag];
      } else if (kw === 'properties' && isObject(v)) {
        out.properties = Object.fromEntries(Object.entries(v).map(([k, p]) => [k, k === tag || !isObject(p) ? p : partialOf(p)]));
      } else {
        out[kw] = v;
      }
    }
    return out;
  }
  if (Array.isArray(b.anyOf)) return { ...b, anyOf: b.anyOf.map((x) => (isObject(x) ? partialNode(x) : x)) };
  if (Array.isArray(b.oneOf)) {
    const tag = discriminator(b.oneOf.filter(isObject));
    return { ...b, oneOf: b.oneOf.map((x) => (isObject(x) ? partialNode(x, tag) : x)) };
  }
  return b;
}

/** The property every form of a discriminated union requires with a `const` value. */
function discriminator(forms: JsonObject[]): string {
  const tags = (f: JsonObject): string[] => {
    const props = isObject(f.properties) ? f.properties : {};
    const required = Array.isArray(f.required) ? f.required : [];
    return required.filter((k): k is string => typeof k === 'string' && isObject(props[k]) && 'const' in (props[k] as JsonObject));
  };
  const common = forms.length === 0 ? [] : forms.map(tags).reduce((a, b) => a.filter((k) => b.includes(k)));
  if (common.length !== 1) throw new Error(`a oneOf whose forms share ${common.length} required const properties, not one`);
  return common[0]!;
}

/**
 * `schema` (zod's JSON Schema of a file) with the `fields` of each of the `entries` definitions
 * (the override entries) rewritten by `partialOf` from the base's `properties`.
 */
export function overridesFromBase(schema: JsonObject, entries: readonly string[], fields: readonly string[]): JsonObject {
  const root = structuredClone(schema);
  const base = root.properties as JsonObject;
  for (const id of entries) {
    const props = ((root.$defs as JsonObject)[id] as JsonObject).properties as JsonObject;
    for (const f of fields) props[f] = partialOf(base[f] as JsonObject);
  }
  return root;
}

/** `v` as JSON on one line, with a space after each comma and colon. */
function oneLine(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(oneLine).join(', ')}]`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`).join(', ')}}`;
}

/**
 * JSON text for a file people read and diff: a value that fits in `width` columns on its line is
 * written on it, a larger one breaks over lines indented with tabs (counted as 2 columns). About
 * half the size of `JSON.stringify(v, null, 2)`, whose short leaves take a line each.
 */
export function formatJson(value: unknown, width = 100): string {
  const write = (v: unknown, depth: number, prefix: number): string => {
    const flat = oneLine(v);
    if (typeof v !== 'object' || v === null || 2 * depth + prefix + flat.length <= width) return flat;
    const pad = '\t'.repeat(depth + 1);
    const end = `\n${'\t'.repeat(depth)}`;
    if (Array.isArray(v)) {
      return v.length === 0 ? '[]' : `[\n${v.map((x) => pad + write(x, depth + 1, 0)).join(',\n')}${end}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${write(x, depth + 1, JSON.stringify(k).length + 2)}`).join(',\n')}${end}}`;
  };
  return `${write(value, 0, 0)}\n`;
}
