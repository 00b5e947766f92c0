import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eachCsvRecord } from '../src/workload/csv.js';

const lines = (text: string): [number, string[]][] => {
  const out: [number, string[]][] = [];
  eachCsvRecord(text, 100, (cells, line) => out.push([line, cells]));
  return out;
};

describe('csv: each record with the line it starts on', () => {
  it('counts empty lines, CRLF inside quotes as one break, and lines of spaces skipped', () => {
    expect(lines('a,b\n\n\n1,2\n\n3,4\n"x\r\ny",5\n  \n6,7\n')).toEqual([
      [1, ['a', 'b']], [4, ['1', '2']], [6, ['3', '4']], [7, ['x\r\ny', '5']], [10, ['6', '7']],
    ]);
  });

  it('a record starts on the line the breaks before it say (property over records, empty lines and break styles)', () => {
    const cell = fc.oneof(fc.stringMatching(/^[a-z0-9 ]{0,4}$/), fc.tuple(fc.stringMatching(/^[a-z]{0,3}$/), fc.constantFrom('\n', '\r\n', '\r', ',', '""')).map(([a, b]) => `"${a}${b}${a}"`));
    fc.assert(
      // One line-break style per file (csv-parse takes the first record's for the file's), any inside quotes.
      fc.property(fc.array(fc.tuple(fc.array(cell, { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (recs, eol) => {
        let text = '';
        let line = 1;
        const want: number[] = [];
        for (const [cells, blanks] of recs) {
          text += eol.repeat(blanks);
          line += blanks;
          want.push(line);
          const row = cells.join(',');
          text += row + eol;
          // Breaks inside quoted cells: CRLF, LF or a lone CR count one each.
          line += 1 + (row.match(/\r\n|\n|\r/g)?.length ?? 0);
        }
        expect(lines(text).map(([l]) => l)).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
