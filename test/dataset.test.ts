import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError, MAX_DATASET_COLUMNS, parseDataset } from '../src/scenario/dataset.js';

const MAX = 10_000_000;
const rowsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX })), { minLength: 1, maxLength: 30 });
/** Text a cell or a string value may hold: quotes, commas, braces, line breaks, a BOM, non-ASCII. */
const junk = fc.string({ unit: fc.constantFrom('a', 'Z', '7', ' ', ',', '"', '\\', '{', '}', '[', ':', '\n', '\r', '\t', '\uFEFF', 'é', '🚀'), maxLength: 12 });
const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;

function parse(text: string): { prompt: number[]; output: number[] } | string {
  try {
    const d = parseDataset(text, 'f');
    return { prompt: [...d.prompt], output: [...d.output] };
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    return e.message;
  }
}

describe('dataset files: what loads', () => {
  it('the shipped chat mix: 160 rows', () => {
    const d = parseDataset(readFileSync('scenarios/data/chat-mix.jsonl', 'utf8'), 'chat-mix.jsonl');
    expect(d.prompt).toHaveLength(160);
    expect(d.output).toHaveLength(160);
  });

  it('JSONL: any key order, other fields (nested ones too), spacing, CRLF, blank lines, a BOM on any line', () => {
    fc.assert(
      fc.property(rowsArb, fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.array(fc.tuple(fc.boolean(), fc.boolean(), junk, fc.boolean())), (rows, completion, eol, extras) => {
        const out = completion ? 'completion_tokens' : 'output_tokens';
        const lines = rows.map(([p, o], i) => {
          const [reverse, bom, extra, blank] = extras[i % Math.max(1, extras.length)] ?? [false, false, '', false];
          const fields = [`"prompt_tokens" : ${p}`, `"${out}":${o}`, `"note": ${JSON.stringify(extra)}`, `"inner": {"prompt_tokens": "x", "list": [1e3, "${out}"]}`];
          if (reverse) fields.reverse();
          return `${bom ? '\uFEFF' : ''}{ ${fields.join(', ')} }${blank ? `${eol}  ` : ''}`;
        });
        expect(parse(lines.join(eol) + eol)).toEqual({ prompt: rows.map((r) => r[0]), output: rows.map((r) => r[1]) });
      }),
      { numRuns: 200 },
    );
  });

  it('CSV (RFC 4180): columns in any order, quoted cells holding commas, quotes and line breaks, spaces, CRLF, a BOM', () => {
    fc.assert(
      fc.property(rowsArb, fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.array(junk, { minLength: 1 }), fc.array(fc.boolean(), { minLength: 1 }), fc.boolean(), (rows, bom, eol, notes, quoted, swap) => {
        const header = swap ? ['output_tokens', 'note', '"prompt_tokens"'] : ['note', 'prompt_tokens', ' output_tokens '];
        const body = rows.map(([p, o], i) => {
          const note = quote(notes[i % notes.length]!);
          const q = quoted[i % quoted.length]!;
          const ps = q ? quote(` ${p}`) : String(p);
          const os = q ? String(o) : ` ${o}\t`;
          return (swap ? [os, note, ps] : [note, ps, os]).join(',');
        });
        const text = `${bom ? '\uFEFF' : ''}${[header.join(','), ...body].join(eol)}${eol}`;
        expect(parse(text)).toEqual({ prompt: rows.map((r) => r[0]), output: rows.map((r) => r[1]) });
      }),
      { numRuns: 200 },
    );
  });

  it('the byte-order mark: a JSONL file with one loads, as a CSV with one does', () => {
    expect(parse('\uFEFF{"prompt_tokens": 10, "output_tokens": 5}\n')).toEqual({ prompt: [10], output: [5] });
    expect(parse('\uFEFFprompt_tokens,output_tokens\r\n10,5\r\n')).toEqual({ prompt: [10], output: [5] });
  });

  it('a row is named by the line it starts on, after a quoted cell over several lines', () => {
    expect(parse('note,prompt_tokens,output_tokens\n"two\r\nlines",1,2\n"three\nmore\rlines",1e3,2\n')).toBe(
      'f:4: prompt_tokens: expected a whole number of tokens from 0 to 10000000 in decimal digits, got a number with an exponent',
    );
  });
});

describe('dataset files: one rule for a token count, in both formats', () => {
  const csvOf = (v: string): string => `prompt_tokens,output_tokens\n${v},1\n`;
  const jsonlOf = (v: string): string => `{"prompt_tokens": ${v}, "output_tokens": 1}\n`;
  const expected = 'prompt_tokens: expected a whole number of tokens from 0 to 10000000 in decimal digits, got ';

  it('refuses hex, exponents, fractions, signs, more than the bound and a quoted JSON number, each by its kind, worded alike', () => {
    const cases: [string, string][] = [
      ['0x10', 'a hexadecimal, octal or binary number'],
      ['1e3', 'a number with an exponent'],
      ['1E+3', 'a number with an exponent'],
      ['1e400', 'a number with an exponent'],
      ['10.0', 'a number with a decimal point'],
      ['-1', 'a negative number'],
      ['-0', 'a negative number'],
      ['10000001', 'more than 10000000'],
      ['99999999999999999999999', 'more than 10000000'],
    ];
    for (const [v, kind] of cases) {
      // Not every case is JSON (0x10, +5): those are "not JSON" in JSONL; the rest get the same words in both.
      expect(parse(csvOf(v))).toBe(`f:2: ${expected}${kind}`);
      let json = true;
      try {
        JSON.parse(v);
      } catch {
        json = false;
      }
      expect(parse(jsonlOf(v))).toBe(json ? `f:1: ${expected}${kind}` : 'f:1: expected a JSON object per line (JSONL), got a line that is not JSON');
    }
    expect(parse(csvOf('+5'))).toBe(`f:2: ${expected}a number with a sign`);
    expect(parse(csvOf('12abc'))).toBe(`f:2: ${expected}text that is not a number`);
    expect(parse(csvOf(''))).toBe(`f:2: ${expected}nothing`);
    expect(parse(jsonlOf('"10"'))).toBe(`f:1: ${expected}a string (a number in JSONL is written without quotes)`);
    expect(parse(jsonlOf('null'))).toBe(`f:1: ${expected}null`);
    expect(parse(jsonlOf('[10]'))).toBe(`f:1: ${expected}a list`);
    expect(parse('{"prompt_tokens": 1}\n')).toBe('f:1: output_tokens: expected a whole number of tokens from 0 to 10000000 in decimal digits, got nothing');
    expect(parse('{"prompt_tokens": 1, "completion_tokens": 2.5}\n')).toBe('f:1: completion_tokens: expected a whole number of tokens from 0 to 10000000 in decimal digits, got a number with a decimal point');
    // What is accepted: decimal digits, leading zeros and spaces around them (a CSV cell) aside.
    expect(parse(csvOf(' 007 '))).toEqual({ prompt: [7], output: [1] });
    expect(parse(jsonlOf('10000000'))).toEqual({ prompt: [MAX], output: [1] });
  });

  it('any number a generator writes in another form is refused in both formats with the same words', () => {
    const other = fc.oneof(
      fc.integer({ min: 0, max: MAX }).map((n) => `${n}e0`),
      fc.integer({ min: 0, max: MAX }).map((n) => `${n}.0`),
      fc.integer({ min: 1, max: MAX }).map((n) => `-${n}`),
      fc.integer({ min: MAX + 1, max: Number.MAX_SAFE_INTEGER }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)).filter((s) => !/^[0-9]+$/.test(s)),
    );
    fc.assert(
      fc.property(other, (v) => {
        const csv = parse(csvOf(v));
        const jsonl = parse(jsonlOf(v));
        expect(typeof csv).toBe('string');
        expect((csv as string).replace('f:2:', 'f:1:')).toBe(jsonl);
        expect(csv as string).not.toContain(v);
      }),
    );
  });
});

describe('dataset files: messages name the row and the problem, never the content', () => {
  const SECRET = 'sk-PLANTED-secret-7f3a9c';

  it('a key file, a password file or a header with a key in it: the first line is not echoed', () => {
    for (const text of [`${SECRET},output_tokens\n1,2\n`, `root:$6$${SECRET}$x:19000:0:99999:7:::\n`, `prompt_tokens,output_tokens\n${SECRET},2\n`, `{"prompt_tokens": "${SECRET}", "output_tokens": 2}\n`, `{"prompt_tokens": 1, "output_tokens": ${SECRET}}\n`]) {
      const m = parse(text);
      expect(typeof m).toBe('string');
      expect(m as string).toMatch(/^f:\d+: expected|^f:\d+: [a-z_]+: expected/);
      expect(m as string).not.toContain(SECRET);
      expect(m as string).not.toContain('root');
    }
  });

  it('random files with a secret planted anywhere: rows, or one line that names the file and never holds the secret', () => {
    const fragment = fc.oneof(
      fc.constantFrom('prompt_tokens', 'output_tokens', 'completion_tokens', ',', '"', '""', '\n', '\r\n', '\r', '{', '}', '[', ']', ':', ' ', '\uFEFF', '12', '1e3', '0x10', '-', '.', 'null', SECRET),
      junk,
    );
    const file = fc.oneof(
      fc.array(fragment, { maxLength: 40 }).map((f) => f.join('')),
      fc.tuple(fc.array(fragment, { maxLength: 20 }), fc.array(fragment, { maxLength: 20 })).map(([a, b]) => `prompt_tokens,output_tokens\n${a.join('')}${SECRET}${b.join('')}`),
      fc.tuple(fc.array(fragment, { maxLength: 20 }), fc.array(fragment, { maxLength: 20 })).map(([a, b]) => `{"prompt_tokens": ${a.join('')}"${SECRET}"${b.join('')}`),
    );
    fc.assert(
      fc.property(file, (text) => {
        const r = parse(text);
        if (typeof r === 'string') {
          expect(r.split(/[\n\r\u2028\u2029]/)).toHaveLength(1);
          expect(r).toMatch(/^f(:\d+)?: /);
          expect(r).not.toContain(SECRET);
        } else {
          expect(r.prompt.length).toBeGreaterThan(0);
          expect(r.prompt.every((n) => Number.isInteger(n) && n >= 0 && n <= MAX)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a row of as many columns as the bound loads; one more is refused by its line, without building them; broken quoting is named', () => {
    const filler = ','.repeat(MAX_DATASET_COLUMNS - 2);
    expect(parse(`prompt_tokens,output_tokens${filler}\n1,2${filler}\n`)).toEqual({ prompt: [1], output: [2] });
    expect(parse(`prompt_tokens,output_tokens\n1,2${','.repeat(MAX_DATASET_COLUMNS)}\n`)).toBe(`f:2: expected CSV (RFC 4180), got more than ${MAX_DATASET_COLUMNS} columns`);
    expect(parse('prompt_tokens,output_tokens\n"1,2\n3,4\n')).toBe('f:2: expected CSV (RFC 4180), got a quoted field that is never closed');
    expect(parse('prompt_tokens,output_tokens\n1"2,3\n')).toBe('f:2: expected CSV (RFC 4180), got a double quote inside an unquoted field (quote the field and write the quote as "")');
  });
});
