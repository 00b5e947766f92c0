/**
 * CSV records as RFC 4180 writes them, for `workload.dataset`: fields separated by commas, records
 * by CRLF, LF or CR; a field in double quotes may hold commas, line breaks and `""` for a quote; a
 * byte-order mark at the start is dropped; lines with nothing but spaces are skipped. Each record
 * comes with the line it starts on, for messages.
 *
 * This file is the whole of what gatesim asks of a CSV parser. csv-parse gives the same records
 * with `parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true })`
 * (`info.lines` is the line); moving to it, or to another parser, changes this file only.
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

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Line breaks (CRLF, LF or a lone CR, each one) in `text` from `from` up to `to`. */
function breaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) n++;
  }
  return n;
}

/**
 * Calls `onRecord` with each record's cells (unquoted, not trimmed) and the line it starts on.
 * Throws CsvError for an unclosed quoted field, text after a closing quote, a quote inside an
 * unquoted field, or a record of more than `maxColumns` cells.
 */
export function eachCsvRecord(text: string, maxColumns: number, onRecord: (cells: string[], line: number) => void): void {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let quoted = false;
    for (;;) {
      let cell: string;
      if (text.charCodeAt(i) === QUOTE) {
        quoted = true;
        const opened = line;
        cell = '';
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw new CsvError(opened, 'a quoted field that is never closed');
          line += breaks(text, from, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            cell += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          cell += text.slice(from, q);
          i = q + 1;
          break;
        }
        const c = text.charCodeAt(i);
        if (i < n && c !== COMMA && c !== LF && c !== CR) throw new CsvError(line, 'text after the closing quote of a field (a quote inside a field is written "")');
      } else {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) throw new CsvError(line, 'a double quote inside an unquoted field (quote the field and write the quote as "")');
        }
        cell = text.slice(i, j);
        i = j;
      }
      if (cells.length === maxColumns) throw new CsvError(start, `more than ${maxColumns} columns`);
      cells.push(cell);
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === CR) i += text.charCodeAt(i + 1) === LF ? 2 : 1;
      else if (c === LF) i++;
      line++;
      break;
    }
    if (cells.length > 1 || quoted || cells[0]!.trim() !== '') onRecord(cells, start);
  }
}
