/**
 * `workload.dataset`: a file of request sizes, read once when the scenario loads. JSONL (one
 * object a line with `prompt_tokens` and `output_tokens`; `completion_tokens` is read as
 * `output_tokens`) or CSV (a header naming those columns, other columns ignored; RFC 4180 quoting).
 * Every row is checked; a problem names the file, the row and the field, and what was there only
 * by its kind ("a number with an exponent", "a string"), never its text: a dataset may be any file,
 * a key file or a password file pointed at by mistake included.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { MAX_DATASET_BYTES, MAX_DATASET_COLUMNS, MAX_DATASET_ROWS } from '../core/limits.js';
// A row's tokens: at most the token distributions' own bound.
import { MAX_TOKENS as MAX_ROW_TOKENS } from '../sim/dist.js';
import { CsvError, eachCsvRecord } from '../workload/csv.js';
import { kindOf } from '../workload/token-count.js';

export { MAX_DATASET_BYTES, MAX_DATASET_COLUMNS, MAX_DATASET_ROWS };

export interface Dataset {
  prompt: Int32Array;
  output: Int32Array;
}

/** A problem reading a dataset, in one line without the scenario's place (the loader adds it). */
export class DatasetError extends Error {}

/** What a path is, when it is not a regular file. */
function kindOfFile(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'something that is not a regular file';
}

const notRegular = (file: string, st: Stats): DatasetError => new DatasetError(`${file}: expected a regular file, got ${kindOfFile(st)}`);

function readBounded(file: string): string {
  const failed = (e: unknown): DatasetError => new DatasetError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  // Checked before opening: opening a FIFO waits for a writer, which may never come.
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw failed(e);
  }
  if (!st.isFile()) throw notRegular(file, st);
  let fd: number;
  try {
    // Non-blocking, so a FIFO put in the file's place since the check is refused below rather than waited on.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw failed(e);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw notRegular(file, opened);
    const buf = Buffer.allocUnsafe(MAX_DATASET_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_DATASET_BYTES) throw new DatasetError(`${file}: expected at most ${MAX_DATASET_BYTES} bytes (64 MiB)`);
    }
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw failed(e);
  } finally {
    closeSync(fd);
  }
}

const DIGITS = /^[0-9]+$/;

/**
 * The one rule for a token count, in both formats: the field's text (a CSV cell, or the JSON value
 * as written) is decimal digits, at most MAX_ROW_TOKENS, spaces around it aside. So `1e3`, `10.0`,
 * `0x10`, `+5` and JSONL's `"10"` are refused, each named by its kind.
 */
function tokens(raw: string | undefined, where: string, field: string, json: boolean): number {
  const text = raw?.trim();
  if (text !== undefined && DIGITS.test(text)) {
    const n = Number(text);
    if (n <= MAX_ROW_TOKENS) return n;
  }
  throw new DatasetError(`${where}: ${field}: expected a whole number of tokens from 0 to ${MAX_ROW_TOKENS} in decimal digits, got ${kindOf(text, json)}`);
}

const FIELDS = ['prompt_tokens', 'output_tokens', 'completion_tokens'] as const;

/** Index just past the JSON string that opens at `i`. */
function stringEnd(line: string, i: number): number {
  for (let j = i + 1; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  return line.length;
}

/**
 * The text, as written, of the row's top-level token fields (`{` or `[` for a container), from a
 * line JSON.parse has accepted — the rule is about how a number is written, which JSON.parse
 * forgets (`1e3` and `1000` parse alike). The last of repeated keys wins, as in JSON.parse.
 */
function rawFields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let key = '';
  let value = false;
  for (let i = 0; i < line.length; ) {
    const c = line[i]!;
    if (c === '"') {
      const end = stringEnd(line, i);
      if (depth === 1) {
        if (value) {
          if ((FIELDS as readonly string[]).includes(key)) out.set(key, line.slice(i, end));
          value = false;
        } else key = JSON.parse(line.slice(i, end)) as string;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (depth === 1 && value) {
        if ((FIELDS as readonly string[]).includes(key)) out.set(key, c);
        value = false;
      }
      depth++;
      i++;
    } else if (c === '}' || c === ']') {
      depth--;
      i++;
    } else if (depth === 1 && c === ':') {
      value = true;
      i++;
    } else if (depth === 1 && value && c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') {
      let j = i;
      while (j < line.length && !',}] \t\r\n'.includes(line[j]!)) j++;
      if ((FIELDS as readonly string[]).includes(key)) out.set(key, line.slice(i, j));
      value = false;
      i = j;
    } else i++;
  }
  return out;
}

/** A JSON value's kind, for a line that is not an object. */
const jsonKind = (v: unknown): string => (Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? String(v) : 'something else');

const BOM = /^\uFEFF/;

/** Parses the text of a dataset (`file` only names it in messages). */
export function parseDataset(text: string, file: string): Dataset {
  const prompt: number[] = [];
  const output: number[] = [];
  const push = (p: number, o: number, where: string): void => {
    if (prompt.length >= MAX_DATASET_ROWS) throw new DatasetError(`${where}: expected at most ${MAX_DATASET_ROWS} rows`);
    prompt.push(p);
    output.push(o);
  };
  // A byte-order mark is no content; in JSONL it may also start a later line (files joined with cat).
  const lines = text.replace(BOM, '').split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new DatasetError(`${file}: expected rows of prompt_tokens and output_tokens, got an empty file`);
  if (lines[first]!.trim().startsWith('{')) {
    lines.forEach((text, i) => {
      const line = text.replace(BOM, '');
      if (line.trim() === '') return;
      const where = `${file}:${i + 1}`;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new DatasetError(`${where}: expected a JSON object per line (JSONL), got a line that is not JSON`);
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new DatasetError(`${where}: expected a JSON object per line (JSONL), got ${jsonKind(row)}`);
      const raw = rawFields(line);
      const out = raw.has('output_tokens') || !raw.has('completion_tokens') ? 'output_tokens' : 'completion_tokens';
      push(tokens(raw.get('prompt_tokens'), where, 'prompt_tokens', true), tokens(raw.get(out), where, out, true), where);
    });
  } else {
    let columns: { prompt: number; output: number; outName: string } | undefined;
    try {
      eachCsvRecord(text, MAX_DATASET_COLUMNS, (cells, line) => {
        const where = `${file}:${line}`;
        if (!columns) {
          const header = cells.map((h) => h.trim());
          const pi = header.indexOf('prompt_tokens');
          const outName = header.includes('output_tokens') ? 'output_tokens' : 'completion_tokens';
          const oi = header.indexOf(outName);
          if (pi < 0 || oi < 0) {
            const got = pi < 0 && oi < 0 ? 'naming neither' : pi < 0 ? 'without prompt_tokens' : 'without output_tokens or completion_tokens';
            throw new DatasetError(`${where}: expected JSONL, or a CSV header naming prompt_tokens and output_tokens (or completion_tokens), got a first line ${got}`);
          }
          columns = { prompt: pi, output: oi, outName };
          return;
        }
        push(tokens(cells[columns.prompt], where, 'prompt_tokens', false), tokens(cells[columns.output], where, columns.outName, false), where);
      });
    } catch (e) {
      if (e instanceof CsvError) throw new DatasetError(`${file}:${e.line}: expected CSV (RFC 4180), got ${e.found}`);
      throw e;
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
