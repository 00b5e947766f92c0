/**
 * `node bin/setup.js --for-tests`, which npm test runs first (test/helpers/global-setup.ts): silent
 * when chromium and redis-server are there, otherwise one line naming what is missing and what to
 * run. Every case here either hides apt-get from PATH or sets GATESIM_SETUP=0: nothing is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const hasChromium = existsSync('/usr/bin/chromium');

/** A PATH holding only empty stand-ins for `names` (setup.js only looks them up, never runs them here). */
function pathWith(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-setup-'));
  for (const n of names) writeFileSync(join(dir, n), '');
  return dir;
}

function setup(path: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['bin/setup.js', '--for-tests'], { env: { ...process.env, PATH: path, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm test brings what its browser and Redis tests need, or says in one line what to run', () => {
  it('without apt-get: one line naming redis-server, that its tests skip, and to use the package manager', () => {
    const r = setup(pathWith());
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^npm test: (chromium and )?redis-server (is|are) not installed, so the tests that need (it|them) are skipped; install (it|them) with your system's package manager \(chromium at \/usr\/bin\/chromium\)\n$/);
  });

  it('with apt-get but not allowed to install (GATESIM_SETUP=0, or not root): one line saying to run sudo npm run setup', () => {
    const r = setup(pathWith('apt-get'), { GATESIM_SETUP: '0' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^npm test: (chromium and )?redis-server (is|are) not installed, so the tests that need (it|them) are skipped; to install (it|them) run: sudo npm run setup\n$/);
  });

  it.skipIf(!hasChromium)(`silent when both are installed${hasChromium ? '' : ' (skipped: /usr/bin/chromium not installed)'}`, () => {
    const r = setup(pathWith('redis-server', 'apt-get'));
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('npm run setup itself still explains in full', () => {
    const r = spawnSync(process.execPath, ['bin/setup.js'], { env: { ...process.env, PATH: pathWith() }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('setup: npm test skips the tests that need:\n');
    expect(r.stdout).toContain('  redis-server: the shared key pool tests');
  });
});
