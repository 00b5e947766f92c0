/**
 * Runs once around `npm test` (vitest globalSetup):
 * - first, `node bin/setup.js --for-tests`: silent when chromium and redis-server are installed; as
 *   root with apt-get it installs them (what `npm run setup` does); otherwise one line says which tests
 *   skip and what to run;
 * - around the run, a guard on the user's `reports/`: tests write only to temporary folders, so the
 *   run fails if any file under reports/ appeared, changed or went away.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reports = join(root, 'reports');

/** Every file and folder under `dir`: relative path → size and modification time. */
export function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (s) out.set(relative(dir, p), s.isDirectory() ? 'folder' : `${s.size} bytes, modified ${s.mtimeMs}`);
  }
  return out;
}

/** What changed between two listings, one line each (at most `max`). */
export function changes(before: Map<string, string>, after: Map<string, string>, max = 10): string[] {
  const out: string[] = [];
  for (const [p, s] of after) {
    if (!before.has(p)) out.push(`added ${p}`);
    else if (before.get(p) !== s) out.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p)) out.push(`removed ${p}`);
  return out.length > max ? [...out.slice(0, max), `… and ${out.length - max} more`] : out;
}

/** Set on the main process by the first project's globalSetup: each project runs it, once is enough. */
const ONCE = Symbol.for('gatesim.globalSetup');

export default function setup(): () => void {
  const g = globalThis as { [ONCE]?: true };
  if (g[ONCE]) return () => {};
  g[ONCE] = true;
  const r = spawnSync(process.execPath, [join(root, 'bin', 'setup.js'), '--for-tests'], { stdio: 'inherit' });
  if (r.status !== 0) process.stdout.write('npm test: bin/setup.js could not install what the browser and Redis tests need; they are skipped\n');
  const before = listing(reports);
  return () => {
    const changed = changes(before, listing(reports));
    if (changed.length === 0) return;
    // A throw here is printed but leaves the exit code 0: set it.
    process.exitCode = 1;
    process.stderr.write(`npm test failed: a test wrote into reports/ (tests must write only to temporary folders):\n  ${changed.join('\n  ')}\n`);
  };
}
