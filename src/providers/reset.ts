import { deadline } from '../core/long-timer.js';

/**
 * How real mode tells a `gatesim serve` from any other provider and clears its windows between
 * variants. Both sides import these names, so they cannot drift apart.
 */

/** Every answer of `gatesim serve` carries this header (value `1`). */
export const SERVE_HEADER = 'x-gatesim-serve';
/** The reset endpoint, at the root of the server (it resets every provider the server serves). */
export const RESET_PATH = '/gatesim/reset';
/** The header carrying the reset token. */
export const RESET_HEADER = 'x-gatesim-reset';
/** The environment variable both sides read the token from. */
export const RESET_ENV = 'GATESIM_RESET_TOKEN';

/**
 * A token a user may choose: long enough not to be guessed, and only characters every HTTP header
 * and shell carries unquoted.
 */
export const RESET_TOKEN_RE = /^[A-Za-z0-9._~-]{16,256}$/;

/** The least entropy a reset token must carry, in bits (see `tokenBits`): `openssl rand -hex 16` carries about 120. */
export const MIN_TOKEN_BITS = 64;

/** Shannon entropy, in bits per symbol, of the frequencies of `symbols`. */
function entropy(symbols: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const c of symbols) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / symbols.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * An estimate of a token's entropy, in bits: its length times the smaller of the entropy of its
 * characters' frequencies and of the steps between neighbouring characters. A repeat
 * (`aaaaaaaaaaaaaaaa`, `abababab…`) and a run (`abcdefghijklmnop`, `0123456789…`) carry next to
 * none; 32 random hex digits carry about 120.
 */
export function tokenBits(token: string): number {
  const codes = [...token].map((c) => c.charCodeAt(0));
  if (codes.length < 2) return 0;
  const steps = codes.slice(1).map((c, i) => c - codes[i]!);
  return codes.length * Math.min(entropy(codes), entropy(steps));
}

/** What is wrong with a reset token, in a few words after the variable's name; undefined when it will do. */
export function resetTokenProblem(token: string): string | undefined {
  if (!RESET_TOKEN_RE.test(token)) {
    return `expected 16 to 256 letters, digits or . _ ~ -, got ${token.length} characters${token.length >= 16 && token.length <= 256 ? ' with others among them' : ''}`;
  }
  const bits = tokenBits(token);
  if (bits < MIN_TOKEN_BITS) {
    return `too easy to guess: about ${Math.floor(bits)} bits of entropy, at least ${MIN_TOKEN_BITS} needed (repeats and runs such as aaaa or 1234 add none); make one with openssl rand -hex 16`;
  }
  return undefined;
}

/**
 * Is `url`'s host this machine's loopback: 127.0.0.0/8, ::1 (or ::ffff:127.x) or `localhost`?
 * Real mode sends the reset token only to such a server, and only to the URL the user named.
 */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  // WHATWG URLs write ::ffff:127.0.0.1 as ::ffff:7f00:1.
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

/**
 * Wall ms a detection or reset exchange may take in all — connecting, the head and the whole
 * body — before it counts as failed: a server that sends its head and then trickles its body
 * forever ends here too.
 */
export const EXCHANGE_DEADLINE_MS = 5000;

/** Largest body a detection or reset answer may have: serve's are a few dozen bytes. */
const MAX_EXCHANGE_BODY_BYTES = 64 << 10;


/**
 * Is the provider at `url` (an OpenAI-compatible base URL such as http://host:port/v1) a gatesim
 * serve? False when it does not say so within EXCHANGE_DEADLINE_MS, or `signal` aborts.
 */
export async function isGatesimServe(url: string, signal?: AbortSignal): Promise<boolean> {
  const both = deadline(EXCHANGE_DEADLINE_MS, signal);
  try {
    const { request } = await import('undici'); // only real mode talks HTTP: a simulation never loads it
    const res = await request(`${url}/models`, { signal: both.signal, headersTimeout: EXCHANGE_DEADLINE_MS, bodyTimeout: EXCHANGE_DEADLINE_MS });
    // dump() resolves when the body is destroyed unless it is given the signal: then it rejects.
    await res.body.dump({ limit: MAX_EXCHANGE_BODY_BYTES, signal: both.signal });
    return res.headers[SERVE_HEADER] === '1';
  } catch {
    return false;
  } finally {
    both.done();
  }
}

/**
 * Resets the gatesim serve behind `url` (its origin: one reset clears every provider it serves).
 * Resolves with null when it answered 200 in full within EXCHANGE_DEADLINE_MS, else with why not
 * in a few words (`signal` aborting is one).
 */
export async function resetServe(url: string, token: string, signal?: AbortSignal): Promise<string | null> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return `not a URL: ${url}`;
  }
  const both = deadline(EXCHANGE_DEADLINE_MS, signal);
  try {
    const res = await (await import('undici')).request(`${origin}${RESET_PATH}`, {
      method: 'POST',
      headers: { [RESET_HEADER]: token },
      signal: both.signal,
      headersTimeout: EXCHANGE_DEADLINE_MS,
      bodyTimeout: EXCHANGE_DEADLINE_MS,
    });
    await res.body.dump({ limit: MAX_EXCHANGE_BODY_BYTES, signal: both.signal });
    if (res.statusCode === 200) return null;
    const why: Record<number, string> = { 401: 'no token', 403: 'wrong token or not from loopback', 404: 'reset is off on that server', 429: 'too many wrong tokens lately' };
    return `HTTP ${res.statusCode}${why[res.statusCode] ? ` (${why[res.statusCode]})` : ''}`;
  } catch (e) {
    if (signal?.aborted) return 'interrupted';
    if (both.expired) return `no complete answer within ${EXCHANGE_DEADLINE_MS / 1000} s`;
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  } finally {
    both.done();
  }
}
