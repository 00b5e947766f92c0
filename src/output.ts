import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, delimiter, extname, join, resolve } from 'node:path';
import { scrub } from './secrets.js';

/** Everything gatesim prints goes through these: the redaction pass, then the stream. */
export function printOut(text: string): void {
  process.stdout.write(scrub(text));
}

export function printErr(text: string): void {
  process.stderr.write(scrub(text));
}

/** reports/<scenario file name without extension>/ */
export function reportDir(root: string, file: string): string {
  return join(root, basename(file, extname(file)));
}

/**
 * Writes every file of a report or none: each goes to a temporary name first and all are renamed
 * into place only once all were written, so an interrupted run never leaves half a results.json.
 * Every file goes through the redaction pass.
 */
export function writeAll(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  const temps: [string, string][] = [];
  try {
    for (const [name, text] of Object.entries(files)) {
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      writeFileSync(tmp, scrub(text));
      temps.push([tmp, join(dir, name)]);
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
