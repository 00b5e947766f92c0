/**
 * `workload.dataset`: a file of request sizes, read once when the scenario loads. JSONL (one
 * object a line with `prompt_tokens` and `output_tokens`; `completion_tokens` is read as
 * `output_tokens`) or CSV (a header naming those columns, other columns ignored). Every row is
 * checked; a problem names the file and the row.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Rows a dataset may hold: two Int32 columns of a million rows are 8 MB. */
export const MAX_DATASET_ROWS = 1_000_000;
/** Bytes read of a dataset at most (a million rows of JSON fit). */
export const MAX_DATASET_BYTES = 64 * 1024 * 1024;
/** Tokens one row may give (the token distributions' own bound). */
const MAX_ROW_TOKENS = 10_000_000;

export interface Dataset {
  prompt: Int32Array;
  output: Int32Array;
}

/** A problem reading a dataset, in one line without the scenario's place (the loader adds it). */
export class DatasetError extends Error {}

function readBounded(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new DatasetError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new DatasetError(`${file} is a folder, not a dataset file`);
    const buf = Buffer.allocUnsafe(MAX_DATASET_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_DATASET_BYTES) throw new DatasetError(`${file}: expected at most ${MAX_DATASET_BYTES} bytes (64 MiB)`);
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

function count(v: unknown, where: string, field: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ROW_TOKENS) {
    throw new DatasetError(`${where}: ${field}: expected a whole number of tokens from 0 to ${MAX_ROW_TOKENS}, got ${JSON.stringify(v)?.slice(0, 40) ?? 'nothing'}`);
  }
  return n;
}

/** Parses the text of a dataset (`file` only names it in messages). */
export function parseDataset(text: string, file: string): Dataset {
  const lines = text.split(/\r?\n/);
  const prompt: number[] = [];
  const output: number[] = [];
  const push = (p: number, o: number, where: string): void => {
    if (prompt.length >= MAX_DATASET_ROWS) throw new DatasetError(`${where}: expected at most ${MAX_DATASET_ROWS} rows`);
    prompt.push(p);
    output.push(o);
  };
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new DatasetError(`${file}: expected rows of prompt_tokens and output_tokens, got an empty file`);
  if (lines[first]!.trim().startsWith('{')) {
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${file}:${i + 1}`;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new DatasetError(`${where}: expected a JSON object per line (JSONL)`);
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new DatasetError(`${where}: expected a JSON object per line (JSONL)`);
      const r = row as Record<string, unknown>;
      push(count(r.prompt_tokens, where, 'prompt_tokens'), count(r.output_tokens ?? r.completion_tokens, where, 'output_tokens'), where);
    });
  } else {
    const header = lines[first]!.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
    const pi = header.indexOf('prompt_tokens');
    let oi = header.indexOf('output_tokens');
    if (oi < 0) oi = header.indexOf('completion_tokens');
    if (pi < 0 || oi < 0) throw new DatasetError(`${file}:${first + 1}: expected a CSV header naming prompt_tokens and output_tokens, got ${JSON.stringify(lines[first]!.slice(0, 60))}`);
    for (let i = first + 1; i < lines.length; i++) {
      if (lines[i]!.trim() === '') continue;
      const cells = lines[i]!.split(',');
      const where = `${file}:${i + 1}`;
      push(count(cells[pi], where, 'prompt_tokens'), count(cells[oi], where, 'output_tokens'), where);
    }
  }
  if (prompt.length === 0) throw new DatasetError(`${file}: expected at least one row`);
  return { prompt: Int32Array.from(prompt), output: Int32Array.from(output) };
}

const cache = new Map<string, Dataset>();

/** Reads and parses a dataset file, once per path in a process. */
export function readDataset(path: string): Dataset {
  let d = cache.get(path);
  if (!d) cache.set(path, (d = parseDataset(readBounded(path), path)));
  return d;
}
