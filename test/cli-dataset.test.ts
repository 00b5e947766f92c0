import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatesim, tmp } from './helpers/cli.js';

/** A scenario in `dir` whose requests take their sizes from `dataset`. */
function scenarioWith(dir: string, dataset: string): string {
  const file = join(dir, 'ds.yaml');
  writeFileSync(file, `name: ds\nworkload: { requests: 20, concurrency: 2, dataset: ${JSON.stringify(dataset)} }\nproviders: [{ name: main, latency: 100ms }]\n`);
  return file;
}

describe('a dataset path that is not a regular file', () => {
  it('a FIFO is refused in one line at once (opening one waits for a writer that never comes)', async () => {
    const dir = tmp();
    const fifo = join(dir, 'rows.jsonl');
    execFileSync('mkfifo', [fifo]);
    const file = scenarioWith(dir, 'rows.jsonl');
    // No writer ever opens the FIFO: the command must end by itself (a hang fails at the test's timeout, the child killed).
    const r = await gatesim([file, '--out', join(dir, 'out'), '-q']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([`${file}:2:52: workload.dataset: ${fifo}: expected a regular file, got a FIFO (named pipe)`]);
  }, 30_000);

  it('a folder and a character device are refused the same way', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'rows'));
    for (const [path, kind] of [[join(dir, 'rows'), 'a folder'], ['/dev/null', 'a character device']] as const) {
      const file = scenarioWith(dir, path);
      const r = await gatesim([file, '--out', join(dir, 'out'), '-q']);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${file}:2:\\d+: workload\\.dataset: ${path}: expected a regular file, got ${kind}$`))]);
    }
  }, 30_000);

  it('a regular file loads and runs', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'rows.csv'), '\uFEFFprompt_tokens,output_tokens\r\n10,5\r\n"20",7\r\n');
    const r = await gatesim([scenarioWith(dir, 'rows.csv'), '--out', join(dir, 'out'), '-q', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 30_000);
});
