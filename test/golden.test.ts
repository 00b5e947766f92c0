import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonChunks } from '../src/core/output.js';
import { runPlan } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';

/**
 * Every shipped scenario's results.json, byte for byte: a refactor must not move a number. The
 * hashes in test/golden/results.sha256.json change only on purpose:
 * `GATESIM_UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts` rewrites them (say why in the commit).
 */
const FILE = join('test', 'golden', 'results.sha256.json');
// The shipped studies, and the benchmark's million-request workload (the hot path at scale).
const files = [...readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios', f)), join('bench', 'million.yaml')].sort();
const committed = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string>;
const seen: Record<string, string> = {};

describe('shipped scenarios give the same results.json, byte for byte', () => {
  it.each(files)('%s', (name) => {
    const results = runPlan(loadScenario(name));
    const hash = createHash('sha256').update(jsonChunks(results, 'runs').join('')).digest('hex');
    seen[name] = hash;
    if (process.env.GATESIM_UPDATE_GOLDEN) return;
    expect(hash, `${name}: results changed; if on purpose, GATESIM_UPDATE_GOLDEN=1 and say why`).toBe(committed[name]);
  });

  it('the list of hashes covers exactly the shipped scenarios', () => {
    if (process.env.GATESIM_UPDATE_GOLDEN) {
      writeFileSync(FILE, `${JSON.stringify(seen, null, 2)}\n`);
      return;
    }
    expect(Object.keys(committed).sort()).toEqual(files);
  });
});
