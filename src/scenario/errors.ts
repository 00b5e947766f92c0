/**
 * Scenario errors: one line per problem, `FILE:LINE:COL: PATH: MESSAGE`, every problem of a file at once.
 * The CLI prints `lines` and exits 2; a ScenarioError never needs its stack.
 */

import { redactUrl } from '../core/secrets.js';

export class ScenarioError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ScenarioError';
  }
}

/** Invisible characters (a byte-order mark, a zero-width space, line separators) as `\uXXXX`. */
export function visible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => (c === '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** A source value rendered compactly for "got …": strings quoted, containers elided. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    // A message stays one readable line: a 400-digit number is shown by its start, and invisible
    // characters (a byte-order mark, a zero-width space) are shown as escapes.
    // A URL's password is shown as its fingerprint, however short (the redaction pass skips short values).
    const text = visible(JSON.stringify(redactUrl(value)));
    return text.length > 64 ? `${text.slice(0, 60)}…"` : text;
  }
  if (Array.isArray(value)) return value.length ? '[…]' : '[]';
  if (value !== null && typeof value === 'object') {
    // A mapping by its first fields' names (`{ lognormal: … }` says which form was written).
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const names = keys.slice(0, 3).map((k) => { const v = visible(k).replace(/\n/g, '\\n'); return v.length > 24 ? `${v.slice(0, 23)}…` : v; });
    return `{ ${names.map((n) => `${n}: …`).join(', ')}${keys.length > 3 ? ', …' : ''} }`;
  }
  return String(value);
}

/** Levenshtein distance (two rows; inputs are short keys and enum values). */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** ` (did you mean "x"?)` for the closest candidate within 2 edits (or a third of the word), else ''. */
export function didYouMean(input: unknown, candidates: readonly unknown[]): string {
  if (typeof input !== 'string') return '';
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (typeof c !== 'string' || c === input) continue;
    const d = distance(input.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  const ok = best !== undefined && bestD < best.length && (bestD <= 2 || bestD <= input.length / 3);
  return ok ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

/** `expected one of a | b, got "c" (did you mean "a"?)`. */
export function expectedOneOf(values: readonly unknown[], got: unknown, what = ''): string {
  const list = values.map(String).join(' | ');
  return `expected ${what ? `${what} (one of ${list})` : `one of ${list}`}, got ${show(got)}${didYouMean(got, values)}`;
}

/** Where a problem is reported: a place in the file, or a command-line option (`--set a.b=1`, `--seed x`). */
export type Place = { file: string; line: number; col: number } | { option: string };

export interface Located {
  place: Place;
  /** Dotted path, e.g. `providers.0.latency.median`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatLine({ place, path, message }: Located): string {
  if ('option' in place) return `${place.option}: ${message}`;
  return `${place.file}:${place.line}:${place.col}: ${path ? `${visible(path)}: ` : ''}${message}`;
}

/** Command-line problems first, then by position in the file; duplicates dropped. */
export function sortedLines(problems: Located[]): string[] {
  const rank = (p: Place) => ('option' in p ? [0, 0] : [p.line, p.col]);
  const sorted = [...problems].sort((a, b) => {
    const [al, ac] = rank(a.place);
    const [bl, bc] = rank(b.place);
    return al! - bl! || ac! - bc!;
  });
  return [...new Set(sorted.map(formatLine))];
}
