import { createHash, timingSafeEqual } from 'node:crypto';
import { RESET_PATH } from './reset.js';

/** Wrong reset tokens taken per RESET_THROTTLE_WINDOW_MS; past that, every reset is refused (429) until the window has passed. */
export const RESET_WRONG_TRIES = 5;
/** The window of RESET_WRONG_TRIES, in wall ms. */
export const RESET_THROTTLE_WINDOW_MS = 60_000;

/** Is `address` (a socket's remoteAddress) on this machine's loopback: 127.0.0.0/8, ::1 or IPv4-mapped 127.x? */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Compares a presented token with the expected one in time independent of where they differ. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Why a reset is refused: the status and OpenAI-style error the server answers with. */
export interface Refusal {
  status: number;
  message: string;
  type: string;
  headers?: Record<string, string>;
}

/**
 * Who may reset `gatesim serve`: a POST from loopback carrying the token. Wrong tokens are
 * throttled: after RESET_WRONG_TRIES of them within RESET_THROTTLE_WINDOW_MS every reset — the
 * right token's too — is refused with 429 and retry-after until the oldest of them is a window
 * old, so guessing a token of 64 bits or more takes longer than anyone waits. A missing token is
 * no guess and is not counted.
 */
export class ResetGuard {
  /** Times (wall ms, `now()`) of the last RESET_WRONG_TRIES wrong tokens, oldest first. */
  private readonly wrong: number[] = [];
  /** Wrong tokens refused, and resets refused while throttled, since start. */
  readonly refused = { wrong: 0, throttled: 0 };

  constructor(
    private readonly token: string | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Null when the reset may go ahead, else how to refuse it. */
  check(method: string | undefined, remoteAddress: string | undefined, given: string | string[] | undefined): Refusal | null {
    if (method !== 'POST') return { status: 405, message: `Use POST ${RESET_PATH}.`, type: 'invalid_request_error', headers: { allow: 'POST' } };
    if (!this.token) return { status: 404, message: 'Reset is off on this server.', type: 'invalid_request_error' };
    if (!isLoopback(remoteAddress)) return { status: 403, message: 'Reset is accepted from loopback only.', type: 'permission_error' };
    const now = this.now();
    while (this.wrong.length > 0 && now - this.wrong[0]! >= RESET_THROTTLE_WINDOW_MS) this.wrong.shift();
    if (this.wrong.length >= RESET_WRONG_TRIES) {
      this.refused.throttled++;
      const wait = Math.ceil((this.wrong[0]! + RESET_THROTTLE_WINDOW_MS - now) / 1000);
      return { status: 429, message: `Too many wrong reset tokens: at most ${RESET_WRONG_TRIES} a minute. Try again in ${wait} s.`, type: 'rate_limit_exceeded', headers: { 'retry-after': String(wait) } };
    }
    if (typeof given !== 'string' || given === '') return { status: 401, message: "Reset needs the server's token in x-gatesim-reset.", type: 'invalid_request_error' };
    if (!sameToken(given, this.token)) {
      this.wrong.push(now);
      this.refused.wrong++;
      return { status: 403, message: 'Wrong reset token.', type: 'permission_error' };
    }
    return null;
  }
}
