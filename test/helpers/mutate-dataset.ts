/**
 * Dataset files for the loader fuzz: valid CSV and JSONL (generated rows, other columns and
 * fields, quoting, BOMs, CRLF, the shipped chat mix) with up to four textual mutations — deletions,
 * insertions of what trips parsers (quotes, separators, line breaks, BOMs, numbers in other forms,
 * long runs), duplicated or dropped lines, truncation. Every seed carries PLANTED, which no
 * message may echo.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

/** A marker in every seed file: it must never appear in a message. */
export const PLANTED = 'sk-FUZZ-planted-4c5d6e';

const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const cellText = fc.string({ unit: fc.constantFrom('a', ' ', ',', '"', '\n', '\r', 'é', '7'), maxLength: 6 });
const rows = fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), cellText), { minLength: 1, maxLength: 12 });

const csv = fc.tuple(rows, fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([rs, bom, eol, completion]) =>
  [`${bom ? '\uFEFF' : ''}note,prompt_tokens,${completion ? 'completion_tokens' : 'output_tokens'},secret`, ...rs.map(([p, o, note]) => `${quote(note)},${p},${o},${PLANTED}`)].join(eol) + eol,
);
const jsonl = fc.tuple(rows, fc.boolean(), fc.constantFrom('\n', '\r\n')).map(([rs, bom, eol]) =>
  rs.map(([p, o, note], i) => `${bom && i === 0 ? '\uFEFF' : ''}{"note": ${JSON.stringify(note)}, "prompt_tokens": ${p}, "output_tokens": ${o}, "key": "${PLANTED}"}`).join(eol) + eol,
);
const chatMix = readFileSync('scenarios/data/chat-mix.jsonl', 'utf8')
  .split('\n')
  .slice(0, 20)
  .map((l) => l.replace(/\}\s*$/, `, "key": "${PLANTED}"}`))
  .join('\n');

const INSERTS = [
  '"', '""', ',', '\n', '\r\n', '\r', '\uFEFF', '{', '}', '[', ']', ':', ' ', '\t', '\u0000', '\ud800', 'é', '1e3', '0x10', '-1', '10.5', '+5',
  '"10"', 'null', 'NaN', 'Infinity', '1e400', '9'.repeat(40), ',,,', ','.repeat(1200), 'prompt_tokens', 'output_tokens', '{"prompt_tokens": 1, "output_tokens": 2}\n',
  `${PLANTED},`, `"${PLANTED}`, `{"prompt_tokens": "${PLANTED}"`,
];

type Mutation =
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; what: string }
  | { op: 'line'; at: number; kind: 'drop' | 'dup' }
  | { op: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), what: fc.oneof(fc.constantFrom(...INSERTS), fc.string({ maxLength: 4 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('line' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom('drop' as const, 'dup' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

function apply(text: string, m: Mutation): string {
  const i = Math.floor(m.at * text.length);
  switch (m.op) {
    case 'delete': return text.slice(0, i) + text.slice(i + m.len);
    case 'insert': return text.slice(0, i) + m.what + text.slice(i);
    case 'truncate': return text.slice(0, i);
    case 'line': {
      const lines = text.split('\n');
      const j = Math.min(lines.length - 1, Math.floor(m.at * lines.length));
      if (m.kind === 'drop') lines.splice(j, 1);
      else lines.splice(j, 0, lines[j]!);
      return lines.join('\n');
    }
  }
}

/** A dataset file's text: a valid one, mutated (or, one time in eight, left valid). */
export const mutatedDataset: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(csv, jsonl, fc.constant(chatMix)), fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 7, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }) }))
  .map(([text, ms]) => ms.reduce(apply, text));
