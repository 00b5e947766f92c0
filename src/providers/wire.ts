import { Dimension, type DimensionCode } from '../core/outcome.js';
import type { Usage } from './port.js';

/**
 * The OpenAI wire format both sides of gatesim speak: what `gatesim serve` writes and real mode's
 * HTTP client reads. One file, so the two cannot drift apart: request sizes (a word is a token),
 * the `x-ratelimit-*` headers with their durations, the 429's dimension, and the words of a
 * prompt or an answer.
 */

/** The header a client tells `gatesim serve` how many tokens its answer should have (a whole number ≤ max_tokens). */
export const OUTPUT_TOKENS_HEADER = 'x-gatesim-output-tokens';

/** The answer's length when neither the header nor max_tokens says (OpenAI's old completions default). */
export const DEFAULT_OUTPUT_TOKENS = 16;

// JavaScript's \s, as char codes: what separates words.
function isSpace(c: number): boolean {
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Whitespace-separated words in `text`: gatesim's tokens (a word is a token). No allocation. */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

/** One word of every prompt and answer gatesim writes; an answer of n tokens is this word n times, single-spaced. */
const WORD = 'tok';
let words = WORD;

/**
 * `n` words (`tok tok …`), sliced from one cached string that doubles when a longer text is asked
 * for: building a prompt or an answer costs a slice, never a loop per word.
 */
export function wordsOf(n: number): string {
  if (n <= 0) return '';
  const length = n * (WORD.length + 1) - 1;
  while (words.length < length) words = `${words} ${words}`;
  return words.slice(0, length);
}

/**
 * A duration in OpenAI's `x-ratelimit-reset-*` format (Go's time.Duration): `20ms` under a second
 * (whole ms, rounded up), else hours, minutes and seconds with up to three decimals (`1s`, `6m0s`,
 * `1h0m30.5s`); `0s` for nothing left to wait.
 */
export function formatDuration(ms: number): string {
  if (!(ms > 0)) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms) / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total - h * 3600) / 60);
  const s = Number((total - h * 3600 - m * 60).toFixed(3));
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ns: 1e-6 };

/**
 * A reset duration as providers send it, in ms: Go's format (`6m0s`, `1.5s`, `20ms`, `1h2m`), or a
 * bare number of seconds; NaN for anything else.
 */
export function parseDuration(text: string | undefined): number {
  if (text === undefined) return NaN;
  const t = text.trim();
  if (t === '') return NaN;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|μs|ns|h|m|s)/y;
  let ms = 0;
  let at = 0;
  while (at < t.length) {
    re.lastIndex = at;
    const m = re.exec(t);
    if (!m) return NaN;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return ms;
}

/** An HTTP header's single value. */
type Headers = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * The `x-ratelimit-*` headers of what `u` says is left of a key's quotas, for the dimensions it has
 * (requests, tokens), resets in wall time (scenario ms × `scale`).
 */
export function rateLimitHeaders(u: Usage, scale: number, into: Record<string, string>): Record<string, string> {
  if (u.limitRequests === u.limitRequests) {
    into['x-ratelimit-limit-requests'] = String(u.limitRequests);
    into['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(u.remainingRequests)));
    into['x-ratelimit-reset-requests'] = formatDuration(u.resetRequestsMs * scale);
  }
  if (u.limitTokens === u.limitTokens) {
    into['x-ratelimit-limit-tokens'] = String(u.limitTokens);
    into['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(u.remainingTokens)));
    into['x-ratelimit-reset-tokens'] = formatDuration(u.resetTokensMs * scale);
  }
  return into;
}

/** Reads the `x-ratelimit-*` headers into `u` (limits and remaining as sent, resets in scenario ms = wall ÷ `scale`; NaN when absent). */
export function readRateLimitHeaders(h: Headers, scale: number, u: Usage): void {
  const num = (name: string): number => {
    const v = one(h[name]);
    const n = v === undefined || v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : NaN;
  };
  u.limitRequests = num('x-ratelimit-limit-requests');
  u.remainingRequests = num('x-ratelimit-remaining-requests');
  u.resetRequestsMs = parseDuration(one(h['x-ratelimit-reset-requests'])) / scale;
  u.limitTokens = num('x-ratelimit-limit-tokens');
  u.remainingTokens = num('x-ratelimit-remaining-tokens');
  u.resetTokensMs = parseDuration(one(h['x-ratelimit-reset-tokens'])) / scale;
}

/** What a 429's `error.type` says for each dimension (OpenAI's `requests` and `tokens`; gatesim's `concurrent`). */
export const LIMIT_TYPES = ['requests', 'tokens', 'concurrent'] as const;

/**
 * Which quota a 429 body says was exceeded: `error.type` (`requests`, `tokens`, `concurrent`), else
 * the wording of the message as OpenAI writes it (`… on tokens per min (TPM) …`, `… on requests per
 * day …`, `… concurrent requests …`); Dimension.none when it says neither.
 */
/** How OpenAI's 429 for a request above a quota's whole capacity begins ("Request too large for gpt-4o … Limit 30000, Requested 49851 …"). */
export const TOO_LARGE = 'Request too large';

/** Is a 429's body OpenAI's "Request too large" (no wait helps: never retried)? */
export function tooLargeOf(body: unknown): boolean {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' && message.startsWith(TOO_LARGE);
}

export function limitedByOf(body: unknown): DimensionCode {
  const error = (body as { error?: { type?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error !== 'object') return Dimension.none;
  const type = error.type;
  if (type === 'requests') return Dimension.requests;
  if (type === 'tokens') return Dimension.tokens;
  if (type === 'concurrent') return Dimension.concurrent;
  const message = typeof error.message === 'string' ? error.message : '';
  if (/\bon tokens per\b/i.test(message)) return Dimension.tokens;
  if (/\bon requests per\b/i.test(message)) return Dimension.requests;
  if (/\bconcurrent requests\b/i.test(message)) return Dimension.concurrent;
  return Dimension.none;
}

/** A window as OpenAI names it in a 429's message: `min (TPM)`, `day (RPD)`, or `10s` for any other. */
export function windowWords(windowMs: number, what: 'requests' | 'tokens'): string {
  const letter = what === 'requests' ? 'R' : 'T';
  if (windowMs === 60_000) return `min (${letter}PM)`;
  if (windowMs === 86_400_000) return `day (${letter}PD)`;
  if (windowMs === 1000) return `sec (${letter}PS)`;
  if (windowMs === 3_600_000) return `hour (${letter}PH)`;
  return formatDuration(windowMs);
}
