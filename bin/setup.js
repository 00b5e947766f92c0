#!/usr/bin/env node
// `npm run setup`: installs what the browser and Redis tests need and gatesim never downloads itself:
// Debian's chromium (driven by playwright-core at /usr/bin/chromium) and redis-server. As root on a
// Debian-like system it runs apt-get; otherwise it says what to install and how.
//
// `node bin/setup.js --for-tests` is what `npm test` runs first (test/helpers/global-setup.ts): silent
// when both are there, the same install as root with apt-get (unless GATESIM_SETUP=0), otherwise one
// line saying which tests skip and what to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const forTests = process.argv.includes('--for-tests');
const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
const wanted = [
  { pkg: 'chromium', present: existsSync('/usr/bin/chromium'), why: 'the browser tests (test/browser.test.ts, test/studies.test.ts) open report pages in it' },
  { pkg: 'redis-server', present: onPath('redis-server'), why: 'the shared key pool tests (test/redis-*.test.ts) start their own server' },
];
const missing = wanted.filter((w) => !w.present);
if (missing.length === 0) {
  if (!forTests) process.stdout.write('setup: chromium (/usr/bin/chromium) and redis-server are installed; npm test runs every test.\n');
  process.exit(0);
}
const pkgs = missing.map((m) => m.pkg).join(' ');
const list = missing.map((m) => `  ${m.pkg}: ${m.why}`).join('\n');
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const [isNot, them] = missing.length > 1 ? ['are not', 'them'] : ['is not', 'it'];
const skips = `npm test: ${missing.map((m) => m.pkg).join(' and ')} ${isNot} installed, so the tests that need ${them} are skipped`;
if (!onPath('apt-get')) {
  if (forTests) process.stdout.write(`${skips}; install ${them} with your system's package manager (chromium at /usr/bin/chromium)\n`);
  else process.stdout.write(`setup: npm test skips the tests that need:\n${list}\nInstall them with your system's package manager (chromium must be at /usr/bin/chromium).\n`);
  process.exit(0);
}
if (!root || (forTests && process.env.GATESIM_SETUP === '0')) {
  if (forTests) process.stdout.write(`${skips}; to install ${them} run: sudo npm run setup\n`);
  else process.stdout.write(`setup: npm test skips the tests that need:\n${list}\nInstall them as root:\n  sudo apt-get update && sudo apt-get install -y ${pkgs}\n`);
  process.exit(0);
}
process.stdout.write(`setup: installing ${pkgs} with apt-get${forTests ? ' (once, for the browser and Redis tests; GATESIM_SETUP=0 skips this)' : ''}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing.map((m) => m.pkg)]]) {
  const r = spawnSync('apt-get', args, { stdio: forTests ? ['ignore', 'ignore', 'inherit'] : 'inherit', env });
  if (r.status !== 0) {
    process.stderr.write(`setup: apt-get ${args[0]} failed (exit ${r.status}); the tests that need ${pkgs} will be skipped\n`);
    process.exit(1);
  }
}
process.stdout.write(`setup: installed ${pkgs}; npm test runs every test.\n`);
