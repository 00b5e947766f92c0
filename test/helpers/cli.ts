import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';

/** How a CLI process ended, and everything it printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of `gatesim`. */
export interface CliOptions {
  /** Added to this process's environment (a value of '' sets the variable empty). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Node's own flags, before the script (such as --max-old-space-size=512). */
  node?: string[];
  /** Sees the child as soon as it is spawned: to signal it, write to its stdin, or `waitFor` a line. */
  onStart?: (p: ChildProcess) => void;
}

/** What a tracked child has printed so far, and who waits for what. */
interface Output {
  stdout: string;
  stderr: string;
  closed: boolean;
  waiters: (() => void)[];
}

const outputs = new WeakMap<ChildProcess, Output>();

/**
 * Collects a child's stdout and stderr from now on, so that `waitFor` can look at all of it.
 * `gatesim` does this itself; call it for a child spawned otherwise (such as `npm run serve`).
 */
export function track(p: ChildProcess): void {
  if (outputs.has(p)) return;
  const o: Output = { stdout: '', stderr: '', closed: false, waiters: [] };
  outputs.set(p, o);
  const feed = (which: 'stdout' | 'stderr') => (d: Buffer) => {
    o[which] += d.toString();
    for (const w of o.waiters.splice(0)) w();
  };
  p.stdout?.on('data', feed('stdout'));
  p.stderr?.on('data', feed('stderr'));
  p.on('close', () => {
    o.closed = true;
    for (const w of o.waiters.splice(0)) w();
  });
}

/** A tracked child's output so far: stdout, stderr, or both (stdout first, then stderr). */
export function output(p: ChildProcess, from: 'stdout' | 'stderr' | 'both' = 'both'): string {
  const o = outputs.get(p);
  if (!o) throw new Error('output: the child is not tracked (spawn it with gatesim(), or call track() first)');
  return from === 'both' ? `${o.stdout}${o.stderr}` : o[from];
}

/**
 * Resolves with the first match of `re` in what the child has printed (on `from`: stdout, stderr,
 * or each of them), as soon as it is printed; rejects, with the output, if the child exits first.
 * No timer: a line that never comes fails the test at its timeout, with the child killed.
 */
export function waitFor(p: ChildProcess, re: RegExp, from: 'stdout' | 'stderr' | 'both' = 'both'): Promise<RegExpExecArray> {
  const o = outputs.get(p);
  if (!o) return Promise.reject(new Error('waitFor: the child is not tracked (spawn it with gatesim(), or call track() first)'));
  const texts = (): string[] => (from === 'both' ? [o.stdout, o.stderr] : [o[from]]);
  return new Promise((resolve, reject) => {
    const look = (): void => {
      for (const t of texts()) {
        const m = new RegExp(re.source, re.flags.replace('g', '')).exec(t);
        if (m) return resolve(m);
      }
      if (o.closed) return reject(new Error(`exited (code ${p.exitCode}, signal ${p.signalCode}) before printing ${re}:\n${o.stdout}${o.stderr}`));
      o.waiters.push(look);
    };
    look();
  });
}

/** Ends a child if it still runs (SIGKILL), and resolves once it has. */
export function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

/**
 * Runs the CLI as `npm run sim --` does (node bin/gatesim.js …) and resolves when it exits,
 * whatever the exit code. `onStart` sees the child (to signal it, write to its stdin, or `waitFor`
 * a line). Spawned inside a test, the child is killed when the test ends if it still runs, so a
 * failed test leaves no process behind.
 */
export function gatesim(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...(opts.node ?? []), join(process.cwd(), 'bin', 'gatesim.js'), ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, ...opts.env },
    });
    track(p);
    try {
      onTestFinished(() => kill(p));
    } catch {
      // Outside a test (beforeAll): the caller ends it in its afterAll.
    }
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout: output(p, 'stdout'), stderr: output(p, 'stderr') }));
    opts.onStart?.(p);
  });
}

/** A `gatesim serve` child that has printed its address. */
export interface ServeCli {
  url: string;
  proc: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
  /** SIGTERM, then its exit: what it printed in all (its totals come last). */
  stop: () => Promise<CliResult>;
}

/** `gatesim serve ARGS…` as a child process; resolves once it prints the address it listens on. */
export async function gatesimServe(args: readonly string[], opts: Omit<CliOptions, 'onStart'> = {}): Promise<ServeCli> {
  let proc!: ChildProcess;
  const done = gatesim(['serve', ...args], { ...opts, onStart: (p) => (proc = p) });
  const [, url] = await waitFor(proc, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 'stdout');
  return {
    url: url!,
    proc,
    output: () => output(proc),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return done;
    },
  };
}

/** What test/helpers/loop-delay.mjs measured in one child: how late it ran its callbacks, in wall ms. */
export interface LoopDelay {
  meanMs: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * A probe of one child's event-loop delay: give `node` and `env` to `gatesim` or `gatesimServe`;
 * once the child has exited, `read()` is what it measured over its whole life.
 */
export function loopDelayProbe(): { node: string[]; env: NodeJS.ProcessEnv; read: () => LoopDelay } {
  const dir = tmp('gatesim-loop-');
  return {
    node: ['--import', pathToFileURL(join(process.cwd(), 'test', 'helpers', 'loop-delay.mjs')).href],
    env: { GATESIM_TEST_LOOP_DELAY: join(dir, 'delay') },
    read: () => {
      const files = readdirSync(dir);
      if (files.length !== 1) throw new Error(`loop-delay probe: expected one report in ${dir}, found ${files.length}`);
      return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as LoopDelay;
    },
  };
}

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
