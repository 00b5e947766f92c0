import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * report/'s own floors, as test/layout.test.ts keeps src/'s folders: each file of report/ imports
 * only from the floors below its own, so a chart never reaches up into a page and the metric rows
 * never into a chart. And vega-lite's types are cast to in one place only, the kit's builder.
 */
const FLOORS: readonly (readonly string[])[] = [
  // The kit: the charts' look and the one spec builder (vega.ts), axis words, redaction.
  ['vega.ts', 'axis.ts', 'redact.ts'],
  // The metric rows of every table (and of the runs chart), and the shards' table of a merged run: no chart, no page.
  ['catalogue.ts', 'shards.ts'],
  // Verdicts, rankings and the published-figure checks, over the rows.
  ['answer.ts'],
  // The tables; the pieces several charts share.
  ['table.ts', 'charts/parts.ts'],
  // One file per chart.
  ['charts/*'],
  // The registry of run charts, by name, with their order and size.
  ['charts.ts'],
  // The run page, whose frame (CSS, scripts, escaping) the other pages share.
  ['html.ts'],
  ['search-page.ts', 'index-page.ts'],
  // A search over several fields: its own page, reusing the one-field search's shapes.
  ['config-search-page.ts'],
];
/** A file's floor: the first that names it, or that holds its folder (`charts/*`); -1 for none. */
const floorOf = (file: string): number => {
  const exact = FLOORS.findIndex((f) => f.includes(file));
  return exact >= 0 ? exact : FLOORS.findIndex((f) => f.includes(`${dirname(file)}/*`));
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const REPORT = join('src', 'report');

/** Every import of one file of report/ into report/, as `from → to` (paths inside report/). */
function reportImports(): { from: string; to: string }[] {
  return sources(REPORT).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(REPORT, join(dirname(file), s.replace(/\.js$/, '.ts'))))
      .filter((to) => !to.startsWith('..'))
      .map((to) => ({ from: relative(REPORT, file), to })),
  );
}

/**
 * Casts whose target names a vega-lite type (`x as T`, `<T>x`, `as unknown as T`, `import('vega-lite').T`),
 * as `file:line`. A name counts when the file imported it from vega-lite (a namespace import too).
 */
export function vegaCasts(file: string, text: string): string[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const names = new Set<string>();
  for (const st of src.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.moduleSpecifier.text.startsWith('vega-lite')) continue;
    const b = st.importClause;
    if (b?.name) names.add(b.name.text);
    if (b?.namedBindings && ts.isNamespaceImport(b.namedBindings)) names.add(b.namedBindings.name.text);
    if (b?.namedBindings && ts.isNamedImports(b.namedBindings)) for (const e of b.namedBindings.elements) names.add(e.name.text);
  }
  const namesVega = (type: ts.Node): boolean => {
    if (ts.isImportTypeNode(type) && ts.isLiteralTypeNode(type.argument) && ts.isStringLiteral(type.argument.literal) && type.argument.literal.text.startsWith('vega-lite')) return true;
    if (ts.isTypeReferenceNode(type)) {
      let n: ts.EntityName = type.typeName;
      while (ts.isQualifiedName(n)) n = n.left;
      if (names.has(n.text)) return true;
    }
    return ts.forEachChild(type, (c) => (namesVega(c) ? true : undefined)) ?? false;
  };
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && namesVega(node.type)) {
      found.push(`${file}:${src.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

describe('report/ floors', () => {
  const edges = reportImports();

  it('every file of report/ has a floor', () => {
    expect(sources(REPORT).map((f) => relative(REPORT, f)).filter((f) => floorOf(f) < 0)).toEqual([]);
  });

  it('files import only from the floors below their own', () => {
    expect(edges.filter((e) => floorOf(e.to) >= floorOf(e.from)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('the cast finder sees every way of writing a cast to a vega-lite type, and nothing else', () => {
    const text = [
      "import type { TopLevelSpec, Config as C } from 'vega-lite';",
      "import * as VL from 'vega-lite/types';",
      'const a = {} as unknown as TopLevelSpec;',
      'const b = <C>{};',
      'const c = {} as VL.TopLevelSpec;',
      "const d = {} as import('vega-lite').TopLevelSpec;",
      'const e = [{}] as TopLevelSpec[];',
      'const f = {} as Record<string, unknown>;',
      'const g: TopLevelSpec = a;',
      'const h = { a } satisfies { a: TopLevelSpec };',
    ].join('\n');
    expect(vegaCasts('x.ts', text)).toEqual(['x.ts:3', 'x.ts:4', 'x.ts:5', 'x.ts:6', 'x.ts:7']);
  });

  it('src/ casts to a vega-lite type once, in the kit', () => {
    const casts = sources('src').flatMap((f) => vegaCasts(f, readFileSync(f, 'utf8')));
    expect(casts.length, casts.join(', ')).toBeLessThanOrEqual(1);
    expect(casts.every((c) => c.startsWith(join(REPORT, 'vega.ts')))).toBe(true);
  });
});
