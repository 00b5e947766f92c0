import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatesim, tmp } from './helpers/cli.js';

/**
 * An `--import` hook that prints, as the process exits, the CommonJS files it loaded from the
 * packages named (ESM imports of CommonJS packages go through the same module cache).
 */
const loadedFrom = (packages: string[]): string =>
  `data:text/javascript,${encodeURIComponent(
    `import { createRequire } from 'node:module';
     const cache = createRequire('/').cache;
     process.on('exit', () => {
       const hit = Object.keys(cache).filter((f) => /node_modules\\/(${packages.join('|')})\\//.test(f));
       process.stderr.write('loaded from packages: ' + hit.length + '\\n');
     });`,
  )}`;

describe('start-up of the compiled CLI', () => {
  it('a simulation loads neither the Redis client nor the HTTP client (only real mode and shards use them)', async () => {
    const out = tmp('gatesim-startup-');
    const r = await gatesim(['scenarios/app-id-manager.yaml', '--out', out, '-q'], { node: ['--import', loadedFrom(['ioredis', 'undici'])] });
    expect(r.stderr).toContain('loaded from packages: 0\n');
    expect(r.code).toBe(0);
  });
});

describe("V8's code cache of the compiled CLI", () => {
  it('the first start writes it, later ones use it as it is, and one V8 turns down is written anew', async () => {
    const cache = tmp('gatesim-cache-');
    const env = { GATESIM_CACHE_DIR: cache };
    expect((await gatesim(['--version'], { env })).code).toBe(0);
    const [build] = readdirSync(cache);
    const file = join(cache, build!, 'cli.cjs.v8');
    const first = statSync(file);
    expect(first.size).toBeGreaterThan(0);
    expect((await gatesim(['--version'], { env })).code).toBe(0);
    // Used, not rewritten: the same file (a rewrite renames a new one in place).
    expect(statSync(file).ino).toBe(first.ino);
    writeFileSync(file, 'not a code cache');
    const r = await gatesim(['--version'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(statSync(file).size).toBeGreaterThan(100);
    expect(readdirSync(join(cache, build!)).filter((f) => /\d{3,}/.test(f))).toEqual([]);
  });

  it("a start from the cache still imports on demand (the worker pool of a folder's runs)", async () => {
    const env = { GATESIM_CACHE_DIR: tmp('gatesim-cache-') };
    const folder = tmp('gatesim-folder-');
    for (const n of ['app-id-manager', 'parallel-workers']) copyFileSync(join('scenarios', `${n}.yaml`), join(folder, `${n}.yaml`));
    // The first start writes the cache with the pool's code compiled; the second runs that code from it.
    for (let i = 0; i < 2; i++) {
      const out = tmp('gatesim-folder-out-');
      const r = await gatesim([folder, '--out', out, '-q', '--jobs', '2'], { env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(existsSync(join(out, 'parallel-workers', 'results.json'))).toBe(true);
    }
  });

  it('the CommonJS script and the ES build (GATESIM_DEBUG) write byte-identical results', async () => {
    const out = [tmp('gatesim-cjs-'), tmp('gatesim-esm-')];
    const a = await gatesim(['scenarios/app-id-manager.yaml', '--out', out[0]!, '-q']);
    const b = await gatesim(['scenarios/app-id-manager.yaml', '--out', out[1]!, '-q'], { env: { GATESIM_DEBUG: '1' } });
    expect([a.code, b.code]).toEqual([0, 0]);
    const results = (dir: string): string => readFileSync(join(dir, 'app-id-manager', 'results.json'), 'utf8');
    expect(results(out[0]!)).toBe(results(out[1]!));
  });
});
