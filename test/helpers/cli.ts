import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as `npm run sim --` does (node bin/gatesim.js …) and resolves when it exits,
 * whatever the exit code. `onStart` sees the child (to signal it or write to its stdin).
 */
export function gatesim(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; onStart?: (p: ChildProcess) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(process.cwd(), 'bin', 'gatesim.js'), ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    opts.onStart?.(p);
  });
}

/** A promise of a command's output, rejecting on a non-zero exit (for setup steps). */
export const execNode = (args: string[]): Promise<string> =>
  new Promise((resolve, reject) => execFile(process.execPath, args, { maxBuffer: 1 << 26 }, (e, out) => (e ? reject(e) : resolve(out))));

/** A fresh temporary folder. */
export const tmp = (prefix = 'gatesim-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Every file under `dir`, recursively, with its bytes. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}
