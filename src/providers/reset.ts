
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

/** Wall ms a detection or reset request may take before it counts as failed. */
const TIMEOUT_MS = 5000;

/** Is the provider at `url` (an OpenAI-compatible base URL such as http://host:port/v1) a gatesim serve? */
export async function isGatesimServe(url: string): Promise<boolean> {
  try {
    const { request } = await import('undici'); // only real mode talks HTTP: a simulation never loads it
    const res = await request(`${url}/models`, { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    await res.body.dump();
    return res.headers[SERVE_HEADER] === '1';
  } catch {
    return false;
  }
}

/**
 * Resets the gatesim serve behind `url` (its origin: one reset clears every provider it serves).
 * Resolves with null when it answered 200, else with why not in a few words.
 */
export async function resetServe(url: string, token: string): Promise<string | null> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return `not a URL: ${url}`;
  }
  try {
    const res = await (await import('undici')).request(`${origin}${RESET_PATH}`, {
      method: 'POST',
      headers: { [RESET_HEADER]: token },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    await res.body.dump();
    if (res.statusCode === 200) return null;
    const why: Record<number, string> = { 401: 'no token', 403: 'wrong token or not from loopback', 404: 'reset is off on that server' };
    return `HTTP ${res.statusCode}${why[res.statusCode] ? ` (${why[res.statusCode]})` : ''}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}
