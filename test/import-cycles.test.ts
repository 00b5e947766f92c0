import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * No import circles anywhere in src/: files import one way, so each can be read, tested and moved
 * with only what sits below it. test/layout.test.ts keeps the folders in floors; this keeps the
 * files inside a folder (report/ above all) from leaning on each other.
 *
 * `import type` counts as an edge. It is erased at run time, but a file that needs another's types
 * cannot be read or moved without it either, and a type-only import is exactly how a circle hides
 * (adaptive.ts took `Palette` from charts.ts, which imported adaptive.ts). Re-exports
 * (`export … from`) and `import()` count too; packages (no leading `.`) do not.
 */

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The relative imports of every .ts file under `dir`, as paths relative to `dir` (`.js` specifiers mapped to their `.ts` file). */
export function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(dir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const to = info.importedFiles
      .map((f) => f.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(dir, join(dirname(file), s.replace(/\.js$/, '.ts'))));
    graph.set(relative(dir, file), [...new Set(to)].sort());
  }
  return graph;
}

/**
 * Every import circle as a path `a → b → … → a`: for each strongly connected component with a
 * circle in it (Tarjan), the shortest circle through each of its files, each told once (starting at
 * its smallest file name).
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      components.push(c);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);

  const cycles = new Set<string>();
  for (const c of components) {
    const inside = new Set(c);
    if (c.length === 1 && !(graph.get(c[0]!) ?? []).includes(c[0]!)) continue;
    for (const start of c) {
      // Breadth first from `start` inside the component, back to `start`: its shortest circle.
      const prev = new Map<string, string>();
      const queue = [start];
      let found = false;
      while (queue.length && !found) {
        const v = queue.shift()!;
        for (const w of graph.get(v) ?? []) {
          if (!inside.has(w)) continue;
          if (w === start) {
            prev.set(start, v);
            found = true;
            break;
          }
          if (!prev.has(w)) {
            prev.set(w, v);
            queue.push(w);
          }
        }
      }
      const path = [start];
      for (let v = prev.get(start)!; v !== start; v = prev.get(v)!) path.unshift(v);
      // Told from its smallest file, so the same circle found from another file is one entry.
      const at = path.indexOf([...path].sort()[0]!);
      const turned = [...path.slice(at), ...path.slice(0, at)];
      cycles.add([...turned, turned[0]].join(' → '));
    }
  }
  return [...cycles].sort();
}

describe('import circles', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gatesim-cycles-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the finder sees circles closed by a type import, a re-export, a multi-line import and import()', () => {
    const files: Record<string, string> = {
      'a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'b.ts': "import {\n  c,\n} from './sub/c.js';\nexport type B = number;\nexport const b = c;\n",
      'sub/c.ts': "export { a } from '../d.js';\nexport const c = 1;\n",
      'd.ts': "export const a = 1;\nexport const later = () => import('./e.js');\n// import { x } from './nowhere.js' is a comment\n",
      'e.ts': "import { a } from './d.js';\nimport 'node:fs';\nimport { z } from 'zod';\nexport const e = [a, z];\n",
      'f.ts': "import './f.js';\n",
      'g.ts': "import { a } from './d.js';\nexport const g = a;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true });
      writeFileSync(join(tmp, name), text);
    }
    const graph = importGraph(tmp);
    expect(graph.get('b.ts')).toEqual(['sub/c.ts']);
    expect(graph.get('sub/c.ts')).toEqual(['d.ts']);
    expect(graph.get('d.ts')).toEqual(['e.ts']);
    expect(graph.get('e.ts')).toEqual(['d.ts']);
    expect(importCycles(graph)).toEqual(['d.ts → e.ts → d.ts', 'f.ts → f.ts']);
    // One more edge closes a second, longer circle through a type import.
    graph.set('d.ts', ['a.ts', 'e.ts']);
    expect(importCycles(graph)).toEqual(['a.ts → b.ts → sub/c.ts → d.ts → a.ts', 'd.ts → e.ts → d.ts', 'f.ts → f.ts']);
  });

  it('src/ has none', () => {
    expect(importCycles(importGraph('src'))).toEqual([]);
  });
});
