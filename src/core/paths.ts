import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare global {
  // Set by the CLI bundle (bin/bundle.js defines it), absent when src/ runs under vitest or tsx.
  var __GATESIM_ROOT__: string | undefined;
}

let cached: string | undefined;

/**
 * The folder of gatesim's package.json. The compiled CLI knows it (its bundle may live in a cache
 * folder far from the install); source modules find it by walking up from themselves.
 */
export function projectRoot(): string {
  if (cached !== undefined) return cached;
  if (typeof globalThis.__GATESIM_ROOT__ === 'string') return (cached = globalThis.__GATESIM_ROOT__);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'gatesim') return (cached = dir);
    if (dirname(dir) === dir) throw new Error('gatesim: cannot find its package.json above the running module');
  }
}

/** gatesim's version (package.json). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
