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
