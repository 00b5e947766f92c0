/**
 * Shares repeated subschemas of a generated JSON Schema as `$defs` entries.
 *
 * zod's `toJSONSchema` writes a schema once per place it is used unless it carries an id; the
 * scenario's limiter union is used by `keys.limiter`, `keys.tokenLimiter` and each provider quota's
 * `algorithm`, in the base, in `variants` and in `runs` (where overrides rebuild it as a new, deep
 * partial schema, so zod cannot see the reuse). Comparing the output itself finds every repeat: the
 * largest subschema written twice or more becomes one `$defs` entry and each copy a `$ref`, then
 * again until no subschema of `minChars` or more is repeated. A `$ref` to a `$defs` entry of the
 * same document validates exactly as the inlined subschema (no `$id`, no relative refs inside).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

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
 * `schema` with every subschema of at least `minChars` characters that occurs twice or more written
 * once, in `$defs`; `overrideDefs` are the existing definitions of override entries (for names).
 */
export function shareDefinitions(schema: JsonObject, overrideDefs: readonly string[] = [], minChars = 80): JsonObject {
  const root = structuredClone(schema);
  const defs: JsonObject = isObject(root.$defs) ? root.$defs : {};
  root.$defs = defs;
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
      if (sites.length > 1 && (!best || text.length > best[0].length)) best = [text, sites];
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
