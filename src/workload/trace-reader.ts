/**
 * `workload.trace`: a file of requests with their own times, read one row at a time in bounded
 * memory (a chunk of the file and one line at most), so a trace of millions of rows replays
 * without being held. CSV (RFC 4180, read by csv-parse over chunks cut at record boundaries) or
 * JSONL; a `.gz` file is inflated as it is read (node:zlib). Every problem is one line naming the
 * file, the line and the field, and what was there by its kind only, never its text.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import zlib from 'node:zlib';
import { MAX_TRACE_BYTES, MAX_TRACE_LINE_BYTES, MAX_TRACE_NAMES, MAX_TRACE_ROWS, MAX_DATASET_COLUMNS } from '../core/limits.js';
import { MAX_TOKENS as MAX_ROW_TOKENS } from '../sim/dist.js';
import { CsvError, breaks, eachCsvRecord } from './csv.js';
import { kindOf } from './token-count.js';

/** The public traces gatesim reads by name: their format and their columns. */
export const tracePresets = {
  'azure-llm': { format: 'csv', time: 'timestamp', columns: { time: 'TIMESTAMP', prompt: 'ContextTokens', output: 'GeneratedTokens' } },
  burstgpt: { format: 'csv', time: 's', columns: { time: 'Timestamp', prompt: 'Request tokens', output: 'Response tokens', model: 'Model' } },
  mooncake: { format: 'jsonl', time: 'ms', columns: { time: 'timestamp', prompt: 'input_length', output: 'output_length' } },
} as const satisfies Record<string, { format: 'csv' | 'jsonl'; time: TraceTime; columns: TraceColumns }>;

export type TracePreset = keyof typeof tracePresets;
export const tracePresetNames = Object.keys(tracePresets) as [TracePreset, ...TracePreset[]];

/** How a trace writes its times: seconds, milliseconds (both numbers, any origin), or date-times. */
export type TraceTime = 's' | 'ms' | 'timestamp';

/** The file's column (CSV header name, JSONL field) for each of ours; only `time` is required. */
export interface TraceColumns {
  time: string;
  prompt?: string;
  output?: string;
  maxTokens?: string;
  tenant?: string;
  model?: string;
  priority?: string;
}

/** How to read a trace (the part of `workload.trace` the reader needs). */
export interface TraceRead {
  /** The path as written (relative to the scenario); `path` is it resolved, set by the loader. */
  file: string;
  path: string;
  format: 'csv' | 'jsonl';
  /** The preset the columns came from, for messages (absent: `columns:` named them). */
  preset?: TracePreset;
  columns: TraceColumns;
  time: TraceTime;
  /** The window, in the trace's own ms from its first row: rows before `fromMs` are skipped, reading stops at `toMs`. */
  fromMs: number;
  toMs: number;
  /** Rows with an output of 0 tokens (BurstGPT's failures): replayed (`keep`) or skipped (`drop`). */
  zeroOutput: 'keep' | 'drop';
}

/** A problem reading a trace, in one line without the scenario's place (the loader adds it). */
export class TraceError extends Error {}

/** Bytes of the file (or of its inflated content) handed out in order. */
interface ByteSource {
  read(buf: Buffer, off: number, len: number): number;
  close(): void;
}

function kindOfFile(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  return 'something that is not a regular file';
}

function openFile(path: string, file: string): number {
  const failed = (e: unknown): TraceError => new TraceError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw failed(e);
  }
  if (!st.isFile()) throw new TraceError(`${file}: expected a regular file, got ${kindOfFile(st)}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw failed(e);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new TraceError(`${file}: expected a regular file, got something that is not one`);
  }
  return fd;
}

const plain = (fd: number): ByteSource => ({
  read: (buf, off, len) => readSync(fd, buf, off, len, null),
  close: () => closeSync(fd),
});

/** The internals of a zlib stream its own sync API uses (zlibBufferSync's loop, kept open between calls). */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  onerror: (message: string) => void;
}

/**
 * A gzip file inflated as it is read, synchronously: node:zlib's sync API takes a whole buffer,
 * so this drives the stream's handle as that API does (writeSync, then the counts it leaves in
 * `_writeState`) without closing it between calls. test/trace.test.ts checks it round-trips.
 */
function gunzip(fd: number, file: string): ByteSource {
  const z = new zlib.Gunzip() as unknown as { _handle: ZlibHandle; _writeState: Uint32Array; close(): void };
  const handle = z._handle;
  const state = z._writeState;
  let failure: string | undefined;
  handle.onerror = (message) => (failure = message);
  const input = Buffer.allocUnsafe(256 * 1024);
  let inOff = 0;
  let inLen = 0;
  let ended = false;
  let finished = false;
  return {
    read(buf, off, len) {
      for (;;) {
        if (finished) return 0;
        if (inLen === 0 && !ended) {
          inLen = readSync(fd, input, 0, input.length, null);
          inOff = 0;
          if (inLen === 0) ended = true;
        }
        const inLenBefore = inLen;
        handle.writeSync(ended ? zlib.constants.Z_FINISH : zlib.constants.Z_NO_FLUSH, input, inOff, inLen, buf, off, len);
        if (failure !== undefined) throw new TraceError(`${file}: expected gzip data (the name ends in .gz), got data that does not inflate`);
        const availOut = state[0]!;
        const availIn = state[1]!;
        inOff += inLen - availIn;
        inLen = availIn;
        const got = len - availOut;
        if (got > 0) return got;
        if (ended && inLen === 0) finished = true;
        // Input left that inflates to nothing, and the stream ended: bytes after the last member.
        else if (availIn > 0 && availIn === inLenBefore) throw new TraceError(`${file}: expected gzip data (the name ends in .gz), got data that does not inflate`);
      }
    },
    close() {
      z.close();
      closeSync(fd);
    },
  };
}

const LF = 10;
const QUOTE = 34;
/** Bytes read at a time. */
const CHUNK = 1024 * 1024;
const DATE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DIGITS = /^\d+$/;

/** A date-time as ms since 1970 (no zone: read as UTC; times are relative to the first row anyway), or NaN. */
export function parseTimestamp(text: string): number {
  const m = DATE.exec(text);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (m[7]) ms += Number(`0.${m[7]}`) * 1000;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/**
 * eachCsvRecord's records (with the same lines) for text with no double quote and no lone CR,
 * split at line breaks and commas — what RFC 4180 and csv-parse make of such text, at a fraction
 * of csv-parse's cost; false (nothing called) for any other text, which goes to csv-parse. The
 * public traces are written so. test/trace.test.ts checks the two agree.
 */
export function eachUnquotedRecord(slice: Buffer, maxColumns: number, onRecord: (cells: string[], line: number) => void): boolean {
  if (slice.includes(QUOTE)) return false;
  let text = slice.toString('utf8');
  if (text.includes('\r')) {
    if (/\r(?!\n)/.test(text)) return false;
    text = text.replace(/\r\n/g, '\n');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const cells = l.split(',');
    if (cells.length > maxColumns) throw new CsvError(i + 1, `more than ${maxColumns} columns`);
    if (cells.length === 1 && cells[0]!.trim() === '') continue;
    onRecord(cells, i + 1);
  }
  return true;
}

/** What a JSON value is, by kind. */
const jsonKind = (v: unknown): string =>
  v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? String(v) : 'an object';

/**
 * One trace, read row by row: `next()` loads the next row of the window into the fields, or
 * returns false at its end. Rows must come in time order (a time before the row before is a
 * problem naming the row: the file is never held, so it cannot be sorted here).
 */
export class TraceReader {
  /** The row's time in ms from the trace's first row (its own time, before `speed`). */
  timeMs = 0;
  prompt = 0;
  output = 0;
  /** max_tokens, or -1 when the trace has no such column. */
  maxTokens = -1;
  tenant = '';
  model = '';
  priority = 0;
  /** The line the row starts on (for messages). */
  line = 0;
  /** Rows of the window handed out so far. */
  rows = 0;

  private readonly src: ByteSource;
  private buf = Buffer.allocUnsafe(2 * CHUNK + MAX_TRACE_LINE_BYTES);
  private start = 0;
  private end = 0;
  private eof = false;
  private bytes = 0;
  /** Parsed records of the current chunk (CSV) and the line each starts on. */
  private records: string[][] = [];
  private recordLines: number[] = [];
  private at = 0;
  private lineBase = 0;
  private header: Int32Array | undefined;
  private first = NaN;
  private prev = -Infinity;
  private done = false;
  private closed = false;
  private readonly json: boolean;
  private readonly fields: (keyof TraceColumns)[];

  constructor(private readonly spec: TraceRead) {
    const fd = openFile(spec.path, spec.file);
    this.src = /\.gz$/i.test(spec.path) ? gunzip(fd, spec.file) : plain(fd);
    this.json = spec.format === 'jsonl';
    this.fields = (Object.keys(spec.columns) as (keyof TraceColumns)[]).filter((k) => spec.columns[k] !== undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.src.close();
  }

  /** The next row of the window into the fields; false at its end (the file is closed then). */
  next(): boolean {
    if (this.done) return false;
    for (;;) {
      const ok = this.json ? this.nextJson() : this.nextCsv();
      if (!ok) return this.finish();
      const t = this.timeMs;
      if (t < this.spec.fromMs) continue;
      if (t >= this.spec.toMs) return this.finish();
      if (this.spec.zeroOutput === 'drop' && this.spec.columns.output !== undefined && this.output === 0) continue;
      if (++this.rows > MAX_TRACE_ROWS) throw this.problem(undefined, `expected at most ${MAX_TRACE_ROWS} rows in the window (cut it with from/to)`);
      return true;
    }
  }

  private finish(): false {
    this.done = true;
    this.close();
    return false;
  }

  private problem(field: keyof TraceColumns | undefined, what: string): TraceError {
    const name = field && this.spec.columns[field];
    return new TraceError(`${this.spec.file}:${this.line}: ${name !== undefined ? `${name}: ` : ''}${what}`);
  }

  /** Reads until a whole line (LF outside quotes) follows `start`, or the end; returns the end of the last whole record (exclusive). */
  private fill(): number {
    for (;;) {
      const cut = this.boundary();
      if (cut > this.start) return cut;
      if (this.eof) return this.end;
      if (this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const room = Math.min(CHUNK, this.buf.length - this.end);
      const got = this.src.read(this.buf, this.end, room);
      if (got === 0) this.eof = true;
      this.end += got;
      this.bytes += got;
      if (this.bytes > MAX_TRACE_BYTES) throw new TraceError(`${this.spec.file}: expected at most ${MAX_TRACE_BYTES} bytes (16 GiB)`);
    }
  }

  /**
   * Just past the last LF in start..end that is outside double quotes (CSV) or any LF (JSONL);
   * `start` when none. A line (a record, for CSV) longer than the bound is a problem here, named
   * by the line it starts on; so is the last one at the end of the file.
   */
  private boundary(): number {
    const b = this.buf;
    const json = this.json;
    let inQuote = false;
    let cut = this.start;
    for (let i = this.start; i < this.end; i++) {
      const c = b[i]!;
      if (c === QUOTE && !json) inQuote = !inQuote;
      else if (c === LF && !inQuote) {
        if (i + 1 - cut > MAX_TRACE_LINE_BYTES) this.tooLong(cut);
        cut = i + 1;
      }
    }
    if (this.end - cut > MAX_TRACE_LINE_BYTES) this.tooLong(cut);
    return cut;
  }

  private tooLong(from: number): never {
    this.line = this.lineBase + 1 + breaks(this.buf, this.start, from);
    throw this.problem(undefined, `expected lines of at most ${MAX_TRACE_LINE_BYTES} bytes, got a longer one`);
  }

  private nextCsv(): boolean {
    while (this.at >= this.records.length) {
      if (this.eof && this.start >= this.end) return false;
      const cut = this.fill();
      if (cut <= this.start) return false;
      const slice = this.buf.subarray(this.start, cut);
      this.records = [];
      this.recordLines = [];
      this.at = 0;
      const base = this.lineBase;
      const add = (cells: string[], line: number): void => {
        this.records.push(cells);
        this.recordLines.push(base + line);
      };
      try {
        if (!eachUnquotedRecord(slice, MAX_DATASET_COLUMNS, add)) eachCsvRecord(slice, MAX_DATASET_COLUMNS, add);
      } catch (e) {
        if (!(e instanceof CsvError)) throw e;
        this.line = base + e.line;
        throw this.problem(undefined, `expected CSV (RFC 4180), got ${e.found}`);
      }
      this.lineBase += breaks(slice, 0, slice.length);
      this.start = cut;
      if (!this.header && this.records.length > 0) {
        this.line = this.recordLines[0]!;
        this.header = this.readHeader(this.records[0]!);
        this.at = 1;
      }
    }
    const cells = this.records[this.at]!;
    this.line = this.recordLines[this.at++]!;
    const h = this.header!;
    const f = this.fields;
    for (let i = 0; i < f.length; i++) this.take(f[i]!, cells[h[i]!] ?? '', undefined);
    return true;
  }

  private readHeader(cells: string[]): Int32Array {
    const names = cells.map((c) => c.trim());
    const index = new Int32Array(this.fields.length);
    const missing: string[] = [];
    this.fields.forEach((f, i) => {
      const col = this.spec.columns[f]!;
      index[i] = names.indexOf(col);
      if (index[i]! < 0) missing.push(col);
    });
    if (missing.length) {
      const wanted = this.fields.map((f) => this.spec.columns[f]!).join(', ');
      const by = this.spec.preset ? `format ${this.spec.preset}` : 'columns';
      throw this.problem(undefined, `expected a header naming ${wanted} (${by}), got one without ${missing.join(', ')}`);
    }
    return index;
  }

  private nextJson(): boolean {
    for (;;) {
      if (this.start >= this.end) {
        if (this.eof) return false;
        this.fill();
        if (this.start >= this.end) return false;
      }
      let nl = this.buf.indexOf(LF, this.start);
      if (nl < 0 || nl >= this.end) {
        this.fill();
        nl = this.buf.indexOf(LF, this.start);
        if (nl >= this.end) nl = -1;
      }
      const stop = nl < 0 ? this.end : nl;
      this.line = ++this.lineBase;
      let text = this.buf.toString('utf8', this.start, stop);
      this.start = nl < 0 ? this.end : nl + 1;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch {
        throw this.problem(undefined, 'expected a JSON object per line (JSONL), got a line that is not JSON');
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw this.problem(undefined, `expected a JSON object per line (JSONL), got ${jsonKind(row)}`);
      const o = row as Record<string, unknown>;
      const f = this.fields;
      for (let i = 0; i < f.length; i++) this.take(f[i]!, undefined, o[this.spec.columns[f[i]!]!]);
      return true;
    }
  }

  /** One field of the row from its CSV text or its JSON value, checked. */
  private take(field: keyof TraceColumns, text: string | undefined, value: unknown): void {
    const json = text === undefined;
    switch (field) {
      case 'time': {
        const t = json ? this.jsonTime(value) : this.textTime(text.trim());
        if (Number.isNaN(this.first)) this.first = t;
        const rel = t - this.first;
        if (rel < this.prev) throw this.problem('time', 'expected a time at or after the row before (a trace replays in file order: sort it by time first), got an earlier one');
        this.prev = rel;
        this.timeMs = rel;
        return;
      }
      case 'prompt':
      case 'output':
      case 'maxTokens':
      case 'priority': {
        const n = json ? this.jsonCount(field, value) : this.textCount(field, text.trim());
        if (field === 'prompt') this.prompt = n;
        else if (field === 'output') this.output = n;
        else if (field === 'maxTokens') this.maxTokens = n;
        else this.priority = n;
        return;
      }
      case 'tenant':
      case 'model': {
        let name: string;
        if (json) {
          if (typeof value === 'string') name = value;
          else if (typeof value === 'number' && Number.isInteger(value)) name = String(value);
          else throw this.problem(field, `expected a name (a string or a whole number), got ${jsonKind(value)}`);
        } else name = text.trim();
        if (name === '') throw this.problem(field, 'expected a name, got nothing');
        if (field === 'tenant') this.tenant = name;
        else this.model = name;
        return;
      }
    }
  }

  private timeExpected(): string {
    const t = this.spec.time;
    return t === 'timestamp' ? 'a date-time such as 2023-11-16 18:15:46.68 (time: timestamp)' : `a number of ${t === 's' ? 'seconds (time: s)' : 'milliseconds (time: ms)'}`;
  }

  private textTime(text: string): number {
    if (this.spec.time === 'timestamp') {
      const t = parseTimestamp(text);
      if (Number.isNaN(t)) throw this.problem('time', `expected ${this.timeExpected()}, got ${text === '' ? 'nothing' : DECIMAL.test(text) ? 'a number' : 'text that is not one'}`);
      return t;
    }
    if (!DECIMAL.test(text)) throw this.problem('time', `expected ${this.timeExpected()}, got ${text === '' ? 'nothing' : 'text that is not a number'}`);
    const n = Number(text);
    if (!Number.isFinite(n)) throw this.problem('time', `expected ${this.timeExpected()}, got a number too large`);
    return this.spec.time === 's' ? n * 1000 : n;
  }

  private jsonTime(value: unknown): number {
    if (this.spec.time === 'timestamp') {
      const t = typeof value === 'string' ? parseTimestamp(value.trim()) : NaN;
      if (Number.isNaN(t)) throw this.problem('time', `expected ${this.timeExpected()}, got ${typeof value === 'string' ? 'a string that is not one' : jsonKind(value)}`);
      return t;
    }
    if (typeof value !== 'number') throw this.problem('time', `expected ${this.timeExpected()}, got ${jsonKind(value)}`);
    return this.spec.time === 's' ? value * 1000 : value;
  }

  private countExpected(field: keyof TraceColumns): string {
    return field === 'priority' ? `a whole number from 0 to ${MAX_ROW_TOKENS}` : `a whole number of tokens from 0 to ${MAX_ROW_TOKENS}`;
  }

  private textCount(field: keyof TraceColumns, text: string): number {
    if (DIGITS.test(text)) {
      const n = Number(text);
      if (n <= MAX_ROW_TOKENS) return n;
    }
    throw this.problem(field, `expected ${this.countExpected(field)} in decimal digits, got ${kindOf(text, false)}`);
  }

  private jsonCount(field: keyof TraceColumns, value: unknown): number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ROW_TOKENS) return value;
    const got = typeof value === 'number' ? (value < 0 ? 'a negative number' : Number.isInteger(value) ? `more than ${MAX_ROW_TOKENS}` : 'a number with a fraction') : jsonKind(value);
    throw this.problem(field, `expected ${this.countExpected(field)}, got ${got}`);
  }
}

/** What a whole pass over a trace found: its rows in the window, its span, and its distinct tenant and model names with the line each first appears on. */
export interface TraceFacts {
  rows: number;
  /** The last row's time in the window, from the first row (ms of the trace's own time). */
  lastMs: number;
  tenants: Map<string, number>;
  models: Map<string, number>;
}

const scans = new Map<string, TraceFacts>();

/**
 * Reads a trace through once (every row checked), once per path and way of reading in a process:
 * the loader calls it for each variant.
 */
export function scanTrace(spec: TraceRead): TraceFacts {
  const id = JSON.stringify([spec.path, spec.format, spec.columns, spec.time, spec.fromMs, spec.toMs, spec.zeroOutput]);
  const hit = scans.get(id);
  if (hit) return hit;
  const r = new TraceReader(spec);
  const facts: TraceFacts = { rows: 0, lastMs: 0, tenants: new Map(), models: new Map() };
  const routed = (names: Map<string, number>, name: string, field: 'tenant' | 'model'): void => {
    if (names.has(name)) return;
    if (names.size >= MAX_TRACE_NAMES) throw new TraceError(`${spec.file}:${r.line}: ${spec.columns[field]}: expected at most ${MAX_TRACE_NAMES} distinct ${field} names, got more`);
    names.set(name, r.line);
  };
  try {
    while (r.next()) {
      facts.rows++;
      facts.lastMs = r.timeMs - spec.fromMs;
      if (spec.columns.tenant !== undefined) routed(facts.tenants, r.tenant, 'tenant');
      if (spec.columns.model !== undefined) routed(facts.models, r.model, 'model');
    }
  } finally {
    r.close();
  }
  if (facts.rows === 0) throw new TraceError(`${spec.file}: expected at least one row${spec.fromMs > 0 || spec.toMs < Infinity ? ' in the window from/to' : ''}`);
  scans.set(id, facts);
  return facts;
}
