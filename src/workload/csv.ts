import { parse } from 'csv-parse/sync';

/**
 * CSV records as RFC 4180 writes them, for `workload.dataset`, read by csv-parse: fields separated
 * by commas, records by CRLF, LF or CR; a field in double quotes may hold commas, line breaks and
 * `""` for a quote; a byte-order mark at the start is dropped; lines with nothing but spaces are
 * skipped. Each record comes with the line it starts on, for messages. This file is the whole of
 * what gatesim asks of a CSV parser.
 */

/** A text that is not CSV: the line where the problem is, and what was found there (never the text itself). */
export class CsvError extends Error {
  constructor(
    readonly line: number,
    readonly found: string,
  ) {
    super(found);
  }
}

/** csv-parse's error codes in our words (its messages quote the text, which ours never do). */
const WORDS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field that is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'text after the closing quote of a field (a quote inside a field is written "")',
  INVALID_OPENING_QUOTE: 'a double quote inside an unquoted field (quote the field and write the quote as "")',
};

interface Info {
  /** Bytes read through the end of this record (its line break included). */
  bytes: number;
  /** Empty lines skipped so far. */
  empty_lines: number;
}

const LF = 10;
const CR = 13;

/** Line breaks (CRLF, LF or a lone CR, each one) in `b` from byte `from` up to `to`: csv-parse's own line count takes a CRLF inside quotes for two. */
export function breaks(b: Buffer, from: number, to: number): number {
  let n = 0;
  const end = Math.min(to, b.length);
  for (let i = from; i < end; i++) {
    const c = b[i];
    if (c === LF || (c === CR && b[i + 1] !== LF)) n++;
  }
  return n;
}

/**
 * Calls `onRecord` with each record's cells (unquoted, not trimmed) and the line it starts on.
 * Throws CsvError for an unclosed quoted field, text after a closing quote, a quote inside an
 * unquoted field, or a record of more than `maxColumns` cells.
 */
export function eachCsvRecord(text: string | Buffer, maxColumns: number, onRecord: (cells: string[], line: number) => void): void {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let rows: { record: string[]; info: Info }[];
  try {
    rows = parse(buf, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: Info }[];
  } catch (e) {
    const err = e as { code?: string; bytes_records?: number; empty_lines?: number };
    // The failing record starts after the last whole one (and any empty lines since).
    throw new CsvError(1 + breaks(buf, 0, err.bytes_records ?? 0), WORDS[err.code ?? ''] ?? 'text that is not CSV');
  }
  // The line a record starts on: the line breaks through the end of the one before, and the empty lines skipped since.
  let end = 0;
  let before = 0;
  let empty = 0;
  for (const { record, info } of rows) {
    const start = 1 + before + (info.empty_lines - empty);
    before += breaks(buf, end, info.bytes);
    end = info.bytes;
    empty = info.empty_lines;
    if (record.length > maxColumns) throw new CsvError(start, `more than ${maxColumns} columns`);
    if (record.length === 1 && record[0]!.trim() === '') continue;
    onRecord(record, start);
  }
}
