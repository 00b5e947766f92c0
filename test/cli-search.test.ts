import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SearchResults } from '../src/report/search-page.js';
import { gatesim } from './helpers/cli.js';

const SCENARIO = `name: cap
seed: 5
goal: 429s = 0, p99 key wait <= 2s
workload: { requests: 2000, arrivals: { process: poisson, rate: 1/s } }
keys: { count: 2, limit: 120/min, acquireTimeout: 1h }
providers:
  - { name: p, latency: { dist: lognormal, median: 300ms, p99: 2s }, limit: 120/min }
variants:
  - { name: sliding-log }
  - { name: fixed-window, keys: { limiter: fixed-window } }
`;

function file(text = SCENARIO): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-cli-search-'));
  writeFileSync(join(dir, 'cap.yaml'), text);
  return { dir, file: join(dir, 'cap.yaml') };
}

describe('gatesim search', () => {
  it('answers first on stdout within 80 columns, and gives the same probes and answer on one thread or two', async () => {
    const { dir, file: f } = file();
    const one = await gatesim(['search', f, '--vary', 'workload.arrivals.rate=0.5/s..8/s', '--out', join(dir, 'a'), '--jobs', '1']);
    expect(one.code, one.stderr).toBe(0);
    const two = await gatesim(['search', f, '--vary', 'workload.arrivals.rate=0.5/s..8/s', '--out', join(dir, 'b'), '--jobs', '2', '-q']);
    expect(two.code, two.stderr).toBe(0);
    const a = readFileSync(join(dir, 'a', 'cap-search', 'search.json'), 'utf8');
    expect(readFileSync(join(dir, 'b', 'cap-search', 'search.json'), 'utf8')).toBe(a);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe('');
    const r = JSON.parse(a) as SearchResults;
    expect(r.seeds).toEqual([5, 6, 7]);
    expect(r.goal.text).toBe('maximise goodput subject to 429s = 0%, p99 key wait ≤ 2s');
    // The answer first, each variant's value with its unit.
    expect(one.stdout.split('\n')[0]).toMatch(/^The answer: the largest workload\.arrivals\.rate/);
    for (const v of r.variants.filter((x) => x.status === 'found')) expect(one.stdout).toContain(`${v.value}/s`);
    expect(Math.max(...one.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    // Progress names each probe on stderr.
    expect(one.stderr).toMatch(/sliding-log\s+0\.5\/s\s+held in 3 of 3/);
    expect(readFileSync(join(dir, 'a', 'cap-search', 'index.html'), 'utf8')).toContain('The answer: the largest workload.arrivals.rate (requests per s) where the goal holds');
  }, 120_000);

  it('a mistake is one line and exit 2', async () => {
    const { dir, file: f } = file();
    const cases: [string[], RegExp][] = [
      [['--vary', 'workload.arrivals.rate=4/s..1/s'], /^gatesim: --vary: workload\.arrivals\.rate: expected LOW below HIGH, got/],
      [['--vary', 'keys.count=1..x'], /^gatesim: --vary: expected FIELD=LOW\.\.HIGH/],
      [['--vary', 'keys.count=1..8', '--seeds', '0'], /^gatesim: --seeds: expected an integer from 1 to 100, got 0/],
      [['--vary', 'keys.count=1..8', '--step', '0.5'], /^gatesim: --step: keys\.count takes whole numbers/],
      [['--vary', 'keys.count=1..8', '--goal', 'p99 wait <= 2s'], /^gatesim: --goal: constraint 1: unknown metric/],
      [['--vary', 'keys.count=1..8', '--only', 'nope'], /^gatesim: --only nope: expected a variant name/],
    ];
    for (const [args, want] of cases) {
      const r = await gatesim(['search', f, ...args, '--out', dir, '-q']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(want);
    }
    const swept = file(`${SCENARIO}sweep:\n  keys.count: [1, 2]\n`);
    const s = await gatesim(['search', swept.file, '--vary', 'keys.count=1..8', '--out', dir, '-q']);
    expect([s.code, s.stderr.trim()]).toEqual([2, `gatesim: ${swept.file}: expected a file without sweep: (search varies keys.count itself)`]);
  }, 120_000);
});
