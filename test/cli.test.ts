import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatesim, tmp } from './helpers/cli.js';

/** Runs the CLI exactly as `npm run sim --` does (bin/gatesim.js), never throwing on a non-zero exit. */
const sim = (...args: string[]) => gatesim(args);

describe('npm run sim -- scenarios/high-concurrency.yaml', () => {
  it('prints both runs’ tables, writes results.json and results.md, and exits 0', async () => {
    const out = tmp();
    const r = await sim('scenarios/high-concurrency.yaml', '--out', out);
    expect(r.code).toBe(0);
    for (const title of ['100 requests / 20 concurrent', '200 requests / 50 concurrent']) expect(r.stdout).toContain(title);
    expect(r.stdout).toMatch(/success rate \(%\)\s+99\.0\s+99\.0/);
    expect(r.stdout).toContain('pooled vs original');
    const results = JSON.parse(readFileSync(join(out, 'high-concurrency', 'results.json'), 'utf8'));
    expect(results.schema).toBe('gatesim.results/v1');
    expect(results.mode).toBe('sim');
    expect(results.runs.map((x: { name: string }) => x.name)).toEqual(['100 requests / 20 concurrent', '200 requests / 50 concurrent']);
    const md = readFileSync(join(out, 'high-concurrency', 'results.md'), 'utf8');
    expect(md).toContain('| success rate (%) |');
    // With the file's seed, every difference goes the published way (no ≠ mark).
    expect(r.stdout).not.toContain('≠');
    expect(r.stderr).toContain('results.json');
  });

  it('the pooled client counts match the document exactly: 4 created, 96 and 196 reused', async () => {
    const out = tmp();
    const r = await sim('scenarios/high-concurrency.yaml', '--out', out, '--format', 'json', '-q');
    const results = JSON.parse(r.stdout);
    const pooled = results.runs.map((run: { variants: { name: string; metrics: { connections: { clientsCreated: number; clientsReused: number } } }[] }) =>
      run.variants.find((v) => v.name === 'pooled')!.metrics.connections,
    );
    expect(pooled.map((c: { clientsCreated: number }) => c.clientsCreated)).toEqual([4, 4]);
    expect(pooled.map((c: { clientsReused: number }) => c.clientsReused)).toEqual([96, 196]);
    expect(readFileSync(join(out, 'high-concurrency', 'results.json'), 'utf8')).toBe(r.stdout);
  });

  it('one seed gives a byte-identical results.json; --seed and --set change it', async () => {
    const [a, b, c, d] = [tmp(), tmp(), tmp(), tmp()];
    await Promise.all([
      sim('scenarios/high-concurrency.yaml', '--out', a, '-q'),
      sim('scenarios/high-concurrency.yaml', '--out', b, '-q'),
      sim('scenarios/high-concurrency.yaml', '--out', c, '-q', '--seed', '7'),
      sim('scenarios/high-concurrency.yaml', '--out', d, '-q', '--set', 'keys.count=8'),
    ]);
    const read = (dir: string): string => readFileSync(join(dir, 'high-concurrency', 'results.json'), 'utf8');
    expect(read(a)).toBe(read(b));
    expect(JSON.parse(read(c)).seed).toBe(7);
    expect(read(c)).not.toBe(read(a));
    expect(Object.keys(JSON.parse(read(d)).runs[0].variants[0].metrics.keys)).toHaveLength(8);
  });
});

describe('bad input: one line each, exit 2, no stack trace, nothing written', () => {
  const dir = 'test/fixtures/broken';
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, string | string[]>;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('covers at least 15 broken files, each with its expected message', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(expected).sort()).toEqual([...files].sort());
  });

  it('every broken file gives exactly its lines on stderr (and no Node warning)', async () => {
    const out = tmp();
    // Four CLI processes at a time: the machine has two cores and other jobs.
    const results: Awaited<ReturnType<typeof sim>>[] = [];
    for (let i = 0; i < files.length; i += 4) results.push(...(await Promise.all(files.slice(i, i + 4).map((f) => sim(join(dir, f), '--out', out)))));
    results.forEach((r, i) => {
      const want = expected[files[i]!]!;
      expect(r.code, files[i]).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), files[i]).toEqual(Array.isArray(want) ? want : [want]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);

  it('a missing file, a bad flag value and a bad --set are one line each', async () => {
    const missing = await sim('scenarios/nope.yaml');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('scenarios/nope.yaml: no such scenario file or folder');
    const seed = await sim('scenarios/high-concurrency.yaml', '--seed', '-3');
    expect(seed.code).toBe(2);
    expect(seed.stderr).toContain('seed');
    const set = await sim('scenarios/high-concurrency.yaml', '--set', 'workload.concurency=5');
    expect(set.code).toBe(2);
    expect(set.stderr.trim()).toBe('--set workload.concurency=5: unknown field "concurency" (did you mean "concurrency"?)');
    const format = await sim('scenarios/high-concurrency.yaml', '--format', 'xml');
    expect(format.code).toBe(2);
    expect(format.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync('reports/nope')).toBe(false);
  });
});

describe('other commands', () => {
  it('schema prints the committed JSON Schema', async () => {
    const r = await sim('schema');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync('scenarios/scenario.schema.json', 'utf8'));
  });

  it('--help explains usage', async () => {
    const r = await sim('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--set');
    expect(r.stdout).toContain('schema');
  });
});
