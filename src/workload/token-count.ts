/** How a token count is told apart from what is not one, by kind only (never its text): shared by datasets and traces. */
import { MAX_TOKENS as MAX_ROW_TOKENS } from '../sim/dist.js';

const DIGITS = /^[0-9]+$/;
const NUMBER_LIKE = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/i;

/** What a field held, by kind only (never its text): the end of a "got …". */
export function kindOf(text: string | undefined, json: boolean): string {
  if (text === undefined || text === '') return 'nothing';
  if (DIGITS.test(text)) return `more than ${MAX_ROW_TOKENS}`;
  if (json) {
    const c = text[0];
    if (c === '"') return 'a string (a number in JSONL is written without quotes)';
    if (c === '{') return 'an object';
    if (c === '[') return 'a list';
    if (text === 'true' || text === 'false' || text === 'null') return text;
  }
  if (/^[+-]?0[xob][0-9a-f]+$/i.test(text)) return 'a hexadecimal, octal or binary number';
  if (NUMBER_LIKE.test(text)) {
    if (text[0] === '-') return 'a negative number';
    if (/e/i.test(text)) return 'a number with an exponent';
    if (text.includes('.')) return 'a number with a decimal point';
    return 'a number with a sign';
  }
  return 'text that is not a number';
}

