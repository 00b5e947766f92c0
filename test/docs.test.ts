import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli-options.js';
import { PROVIDER_PREFIXES, STATIC_REFERENCE_KEYS } from '../src/core/reference-keys.js';
import { generatedDocs, scenarioReference, slug } from '../src/docs.js';
import { scenarioJsonSchema } from '../src/scenario/schema.js';

/** Every markdown page a reader may open: the README and docs/, studies included. */
function pages(dir = 'docs'): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? pages(p) : p.endsWith('.md') ? [p] : [];
  });
}
const ALL = ['README.md', ...pages()];

/** Markdown without fenced code blocks and inline code, where links are not links. */
const prose = (text: string): string => text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** The anchors a page offers: its headings' GitHub slugs (repeats numbered) and explicit ids. */
function anchors(file: string): Set<string> {
  return anchorsOf(readFileSync(file, 'utf8'));
}

function anchorsOf(markdown: string): Set<string> {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/\bid="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** Every property name in a JSON Schema, at any depth, shared definitions included. */
function propertyNames(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) propertyNames(n, into);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && v && typeof v === 'object') for (const name of Object.keys(v)) into.add(name);
      propertyNames(v, into);
    }
  }
  return into;
}

/** A field appears as a path in backticks ending in its name (`keys.limit.tokens`, `burst`). */
const namesField = (page: string, name: string): boolean => new RegExp(`\`(?:[^\`|]*[.\\]])?${name.replace(/\$/g, '\\$')}\``).test(page);

describe('docs', () => {
  it('the generated pages are what `npm run docs` writes now', () => {
    for (const [file, text] of Object.entries(generatedDocs())) {
      expect(readFileSync(file, 'utf8'), `${file} is stale: run npm run docs`).toBe(text);
    }
  });

  it('the scenario reference names every field of the scenario schema', () => {
    const page = readFileSync('docs/scenario-reference.md', 'utf8');
    const missing = [...propertyNames(scenarioJsonSchema())].filter((name) => !namesField(page, name));
    expect(missing).toEqual([]);
  });

  it('the scenario reference names every metric key reference: accepts', () => {
    const page = readFileSync('docs/scenario-reference.md', 'utf8');
    const keys = [...STATIC_REFERENCE_KEYS.map((k) => `\`${k}\``), ...PROVIDER_PREFIXES.map((p) => `\`${p}.<name>\``)];
    expect(keys.filter((k) => !page.includes(k))).toEqual([]);
  });

  it('the command-line page names every flag of every command', () => {
    const page = readFileSync('docs/command-line.md', 'utf8');
    const missing: string[] = [];
    for (const [command, c] of Object.entries(COMMANDS)) {
      for (const flag of Object.keys(c.options)) if (!page.includes(`\`--${flag}\``)) missing.push(`${command} --${flag}`);
      if (!page.includes(`## ${command}`)) missing.push(command);
    }
    expect(missing).toEqual([]);
  });

  it('every relative link in the README and docs/ resolves, file and #anchor', () => {
    const broken: string[] = [];
    for (const file of ALL) {
      for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path the pages name in backticks exists', () => {
    const missing: string[] = [];
    for (const file of ALL) {
      for (const m of readFileSync(file, 'utf8').matchAll(/`((?:src|test|bench|scenarios|bin|docs)\/[^`\s<>*]*)`/g)) {
        if (!existsSync(m[1]!)) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the reference follows $refs: a definition read in place, a shared union written once, nested kinds listed, every link landing', () => {
    // The shape the JSON Schema takes with shared definitions: a limiter union used twice, a
    // definition that is an object, a union inside a kind's options (itself inside a definition).
    const limiter = {
      anyOf: [
        { type: 'string', enum: ['fixed', 'bucket'] },
        {
          oneOf: [
            { type: 'object', properties: { type: { const: 'fixed' } }, required: ['type'] },
            { type: 'object', properties: { type: { const: 'bucket' }, burst: { type: 'integer', minimum: 1, maximum: 9, description: 'Burst size' }, shape: { $ref: '#/$defs/shape' } }, required: ['type'] },
          ],
        },
      ],
    };
    const curve = { oneOf: [{ type: 'object', properties: { form: { const: 'linear' } } }, { type: 'object', properties: { form: { const: 'log' }, base: { type: 'number' } } }] };
    const shape = { oneOf: [{ type: 'object', properties: { dist: { const: 'flat' }, level: { type: 'number' } } }, { type: 'object', properties: { dist: { const: 'ramp' }, slope: { type: 'number' }, curve } }] };
    const store = { type: 'object', description: 'Where state lives', properties: { url: { type: 'string', description: 'Server URL' }, ttl: { type: 'integer', default: 5 } }, required: ['url'] };
    const schema = {
      type: 'object',
      properties: {
        keys: { type: 'object', properties: { limiter: { $ref: '#/$defs/limiter', default: 'fixed' }, tokenLimiter: { $ref: '#/$defs/limiter' }, store: { $ref: '#/$defs/store' } } },
        quota: { type: 'object', properties: { algorithm: { $ref: '#/$defs/limiter' } } },
      },
      $defs: { limiter, shape, store },
    };
    const page = scenarioReference(schema);
    expect([...propertyNames(schema)].filter((name) => !namesField(page, name))).toEqual([]);
    // A definition is read in place: the field keeps its own default, the union is linked once.
    expect(page).toContain('| `keys.limiter` | a name or { type, … }: [options](#kinds-of-limiter) | `fixed` |');
    expect(page).toContain('| `keys.store.url` | string | required |  | Server URL |');
    expect(page).toContain('Taken by `keys.limiter`, `keys.tokenLimiter`, `quota.algorithm`.');
    expect(page).toContain('| `burst` | integer |  | 1–9 | Burst size |');
    expect(page.match(/^#+ .*bucket$/gm)).toHaveLength(1); // the union once, not once per use
    expect(page.match(/^#+ .*ramp$/gm)).toHaveLength(1);
    expect(page.match(/^#+ .*log$/gm)).toHaveLength(1);
    const have = anchorsOf(page);
    const links = [...prose(page).matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(3);
    expect(links.filter((a) => !have.has(a))).toEqual([]);
  });

  it('anchors follow GitHub: punctuation dropped, spaces to hyphens', () => {
    expect(slug('Real mode and `gatesim serve`')).toBe('real-mode-and-gatesim-serve');
    expect(slug('Kinds of providers[].faults[]')).toBe('kinds-of-providersfaults');
    expect(slug('Which quota stops you: `token-quotas.yaml`')).toBe('which-quota-stops-you-token-quotasyaml');
  });
});

describe('the hand-written field table', () => {
  /** The paths a markdown table lists in its first column (`keys.limit`, `providers[].serving.ttft`). */
  const firstColumn = (file: string): string[] =>
    [...readFileSync(file, 'utf8').matchAll(/^\| `([^`|]+)`[^|]*\|/gm)].map((m) => m[1]!.replace(/\[\]/g, '').replace(/\s.*$/, ''));

  it('scenario-files.md names only fields the generated reference has (it cannot drift to a field that is gone)', () => {
    const page = readFileSync('docs/scenario-reference.md', 'utf8');
    // The Fields table, plus a variant's own fields (its section lists them by name).
    const variant = page.slice(page.indexOf('### variant'), page.indexOf('\n## ', page.indexOf('### variant')));
    const reference = new Set([
      ...firstColumn('docs/scenario-reference.md'),
      ...[...variant.matchAll(/^\| `([^`|]+)`/gm)].map((m) => `variants.${m[1]}`),
    ]);
    const gone = firstColumn('docs/scenario-files.md').filter((path) => !reference.has(path));
    expect(gone).toEqual([]);
  });
});
