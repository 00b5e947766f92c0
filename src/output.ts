import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

/** reports/<scenario file name without extension>/ */
export function reportDir(root: string, file: string): string {
  return join(root, basename(file, extname(file)));
}

/**
 * Writes every file of a report or none: each goes to a temporary name first and all are renamed
 * into place only once all were written, so an interrupted run never leaves half a results.json.
 */
export function writeAll(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  const temps: [string, string][] = [];
  try {
    for (const [name, text] of Object.entries(files)) {
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      writeFileSync(tmp, text);
      temps.push([tmp, join(dir, name)]);
    }
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, final] of temps) renameSync(tmp, final);
  return temps.map(([, final]) => final);
}
