import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, delimiter, dirname, extname, join, resolve } from 'node:path';
import { scrub } from './secrets.js';

const closed = { out: false, err: false };

/**
 * A reader that stops reading (`… | head`, a terminal that hung up) ends printing, quietly, and
 * nothing else: the run goes on, its files are written and it exits with its own code.
 */
export function quietOnClosedPipes(): void {
  const watch = (stream: NodeJS.WriteStream, which: keyof typeof closed): void => {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'EIO') throw e;
      closed[which] = true;
    });
  };
  watch(process.stdout, 'out');
  watch(process.stderr, 'err');
}

/**
 * `JSON.stringify(value, null, 2)` + newline, byte for byte, in pieces: each element of the
 * top-level list `field` is its own piece. A large sweep's results exceed the longest string V8
 * can make (~512 MB); its pieces never do, and they are written one after another.
 */
export function jsonChunks<T extends object>(value: T, field: keyof T & string): string[] {
  const list = value[field] as unknown;
  if (!Array.isArray(list) || list.length === 0) return [`${JSON.stringify(value, null, 2)}\n`];
  const marker = `\u0000${field}\u0000`;
  const [head, tail] = JSON.stringify({ ...value, [field]: marker }, null, 2).split(JSON.stringify(marker)) as [string, string];
  // An element of a top-level list sits two levels deep: its lines are indented by four spaces.
  const items = list.map((item, i) => `${i ? ',' : ''}\n    ${JSON.stringify(item, null, 2).replace(/\n/g, '\n    ')}`);
  return [`${head}[`, ...items, `\n  ]${tail}\n`];
}

/** Everything gatesim prints goes through these: the redaction pass, then the stream. */
export function printOut(text: string): void {
  if (!closed.out) process.stdout.write(scrub(text));
}

export function printErr(text: string): void {
  if (!closed.err) process.stderr.write(scrub(text));
}

/** A user mistake about a path (`--out`, a scenario file): one line, exit 2. */
export class PathError extends Error {}

/** Folder names a report may not take: the reports index lives beside the folders. */
const RESERVED = new Set(['index.html', 'index']);

/**
 * The folder name of a scenario file's report: its name without extension, reduced to letters,
 * digits, `.`, `_` and `-`, never starting with a dot (so `...yaml` or `..yaml` cannot climb out of
 * `--out` or hide), never the index's name.
 */
export function reportName(file: string): string {
  const name = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 120);
  if (name === '') return 'scenario';
  return RESERVED.has(name.toLowerCase()) ? `${name}-report` : name;
}

/** OUT/<report name>/: always a direct child of `root`. */
export function reportDir(root: string, file: string): string {
  return join(root, reportName(file));
}

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * Creates `dir` and its missing parents one level at a time (Node's recursive mkdir never returns
 * on some virtual file systems, such as under /proc), as a PathError on failure.
 */
export function makeDir(dir: string, what = '--out'): string[] {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) {
    missing.push(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (missing.length === 0 && !statSync(d).isDirectory()) throw new PathError(`${what} ${dir}: expected a folder, got a file`);
  if (missing.length > 0 && existsSync(d) && !statSync(d).isDirectory()) throw new PathError(`${what} ${dir}: ${d} is a file, not a folder`);
  const created: string[] = [];
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
      created.push(m);
    } catch (e) {
      if (errno(e) !== 'EEXIST') {
        for (const c of created.reverse()) rmSync(c, { recursive: true, force: true });
        throw new PathError(`${what} ${dir}: cannot create ${m} (${errno(e)})`);
      }
    }
  }
  return created;
}

/**
 * Checks before anything runs that reports can be written under `out` — a folder, creatable and
 * writable — and leaves the disk as it found it (what it created to find out, it removes).
 */
export function checkOut(out: string): void {
  if (out.trim() === '') throw new PathError('--out: expected a folder path, got ""');
  const created = makeDir(out);
  const probe = join(out, `.gatesim-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
  } catch (e) {
    throw new PathError(`--out ${out}: cannot write there (${errno(e)})`);
  } finally {
    rmSync(probe, { force: true });
    for (const c of created.reverse()) rmSync(c, { recursive: true, force: true });
  }
}

/** Signals whose default action (ending the process at once) would cut a report's writing short. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let deferring = false;

/**
 * Holds SIGINT, SIGTERM and SIGHUP back while a report is written. The writing is synchronous, so
 * a listener runs only once it is done (every file renamed into place, or every temporary file
 * removed); a signal no one else listens for then ends the process by its default action, as it
 * would have — only after the writing instead of in the middle of it, which left a truncated
 * `.results.json.<pid>.tmp` behind. Installed on the first write and left in place: after a
 * report is written only a few milliseconds of work remain, so nothing waits on it.
 */
function deferEndingSignals(): void {
  if (deferring) return;
  deferring = true;
  for (const sig of ENDING_SIGNALS) {
    const held = (): void => {
      // Someone else handles this signal (a real run writes its partial report and exits by itself).
      if (process.listenerCount(sig) > 1) return;
      process.removeListener(sig, held);
      process.kill(process.pid, sig);
    };
    process.on(sig, held);
  }
}

/**
 * Writes every file of a report or none: each goes to a temporary name first and all are renamed
 * into place only once all were written, so an interrupted run never leaves half a results.json.
 * A failed write removes every temporary file, the one it failed in too, and a signal waits until
 * the writing is over (deferEndingSignals). Every file goes through the redaction pass.
 */
export function writeAll(dir: string, files: Record<string, string | readonly string[]>): string[] {
  makeDir(dir);
  deferEndingSignals();
  const temps: [string, string][] = [];
  try {
    for (const [name, text] of Object.entries(files)) {
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      temps.push([tmp, join(dir, name)]);
      if (typeof text === 'string') writeFileSync(tmp, scrub(text));
      else {
        const fd = openSync(tmp, 'w');
        try {
          for (const chunk of text) writeSync(fd, scrub(chunk));
        } finally {
          closeSync(fd);
        }
      }
    }
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, final] of temps) renameSync(tmp, final);
  return temps.map(([, final]) => final);
}

export { packageVersion } from './paths.js';

/** The command that opens a file in the system browser here, or why there is none. */
function opener(): [string, string[]] | string {
  if (process.platform === 'darwin') return ['open', []];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '']];
  const onPath = (cmd: string): boolean => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
  if (!onPath('xdg-open')) return 'no system browser here (xdg-open not found)';
  // xdg-open with no display fails quietly in the background; say so instead.
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no system browser here (no graphical display)';
  return ['xdg-open', []];
}

/**
 * Opens `file` in the system browser without waiting for it. Returns null when it was handed
 * over, or a one-line reason when there is no browser to hand it to (not an error).
 */
export function openInBrowser(file: string): string | null {
  const cmd = opener();
  if (typeof cmd === 'string') return `--open: ${cmd}; open ${file} yourself`;
  const child = spawn(cmd[0], [...cmd[1], resolve(file)], { detached: true, stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`--open: could not run ${cmd[0]}; open ${file} yourself\n`));
  child.unref();
  return null;
}
