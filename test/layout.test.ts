import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The folder picture is the architecture (docs/internals.md, Layout): each folder imports only from the
 * folders below it, so the flow of a request reads bottom to top and no two folders depend on
 * each other. Files directly under src/ (the CLI, run, progress) sit above every folder.
 */
const FLOORS: readonly string[][] = [
  ['core'],
  ['sim'],
  ['limiters', 'balancers'],
  ['keys', 'providers', 'workload', 'policies'],
  ['scenario'],
  ['metrics'],
  ['gateway'],
  ['modes', 'report'],
  ['study'],
];
const floorOf = (folder: string): number => {
  const i = FLOORS.findIndex((f) => f.includes(folder));
  return i < 0 ? FLOORS.length : i;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const folderOf = (file: string): string => {
  const parts = relative('src', file).split('/');
  return parts.length > 1 ? parts[0]! : '(top)';
};

describe('layout', () => {
  const edges: { from: string; to: string; file: string }[] = [];
  for (const file of sources('src')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]!));
      edges.push({ from: folderOf(file), to: folderOf(target), file: `${file} → ${m[1] ?? m[2]}` });
    }
  }

  it('every folder of src/ has a floor', () => {
    const folders = readdirSync('src').filter((f) => statSync(join('src', f)).isDirectory());
    expect(folders.filter((f) => floorOf(f) === FLOORS.length)).toEqual([]);
  });

  it('folders import only from their own floor or below, never the files above them', () => {
    // An import to a higher floor, to a sibling on the same floor, or to the files above: none.
    const wrong = edges.filter((e) => e.from !== e.to && e.from !== '(top)' && (e.to === '(top)' || floorOf(e.to) >= floorOf(e.from)));
    expect(wrong.map((e) => e.file)).toEqual([]);
  });
});
