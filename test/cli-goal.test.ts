import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../src/metrics/results.js';
import { gatesim, tmp } from './helpers/cli.js';

describe('--goal on the command line', () => {
  const file = (dir: string): string => {
    const f = join(dir, 'g.yaml');
    writeFileSync(f, 'name: g\nworkload: { requests: 20, concurrency: 2 }\nproviders: [{ name: p, latency: { dist: constant, value: 100ms } }]\nvariants: [{ name: a }, { name: b, connections: fresh }]\n');
    return f;
  };

  it("replaces the file's goal: results record it and the answer ranks by it", async () => {
    const dir = tmp('gatesim-goal-');
    // COLUMNS: stdout is a pipe, so its tables would wrap at 80; this reads the answer's title on one line.
    const r = await gatesim([file(dir), '--out', join(dir, 'out'), '-q', '--goal', 'maximise success subject to p99 latency <= 50ms'], { env: { COLUMNS: '1000' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'out', 'g', 'results.json'), 'utf8')) as Results;
    expect(results.goal).toEqual({ text: 'maximise success subject to p99 latency ≤ 50ms', maximise: 'successRate', constraints: [{ metric: 'latencyP99', op: '<=', value: 50 }] });
    expect(results.runs[0]!.variants.map((v) => v.goal?.met)).toEqual([false, false]);
    expect(r.stdout).toContain('The answer: the best option of each run, by the goal (maximise success subject to p99 latency ≤ 50ms)');
    expect(r.stdout).toContain('no option meets the goal; the closest');
  });

  it('a bad --goal is one line and exit 2, before anything runs', async () => {
    const dir = tmp('gatesim-goal-');
    const r = await gatesim([file(dir), '--out', join(dir, 'out'), '--goal', 'p99 latency <= 2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gatesim: --goal: constraint 1 (latencyP99): expected a duration such as 2s or 500ms, got "2"\n');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
