/**
 * The guard npm test keeps around the user's reports/ (test/helpers/global-setup.ts): any file that
 * appears, changes or goes away is named, so a test writing outside its temporary folder fails the run.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changes, listing } from './helpers/global-setup.js';

describe('the reports/ guard', () => {
  it('names a file added, a file rewritten in place (same size) and a file removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-guard-'));
    mkdirSync(join(dir, 'high-concurrency'));
    writeFileSync(join(dir, 'high-concurrency', 'results.json'), '{}');
    writeFileSync(join(dir, 'index.html'), '<p>');
    utimesSync(join(dir, 'high-concurrency', 'results.json'), 1_000, 1_000);
    const before = listing(dir);
    expect(changes(before, listing(dir))).toEqual([]);

    writeFileSync(join(dir, 'high-concurrency', 'screenshot.png'), 'png');
    writeFileSync(join(dir, 'high-concurrency', 'results.json'), '[]'); // same size, new mtime
    rmSync(join(dir, 'index.html'));
    expect(changes(before, listing(dir)).sort()).toEqual([
      'added high-concurrency/screenshot.png',
      'changed high-concurrency/results.json',
      'removed index.html',
    ]);
  });

  it('sees a folder that did not exist, and bounds its list', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gatesim-guard-')), 'reports');
    const before = listing(dir);
    expect(before.size).toBe(0);
    mkdirSync(dir);
    for (let i = 0; i < 30; i++) writeFileSync(join(dir, `f${i}`), '');
    const lines = changes(before, listing(dir), 10);
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toBe('… and 20 more');
  });
});
