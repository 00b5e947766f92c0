import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLoopbackUrl, MIN_TOKEN_BITS, resetTokenProblem, tokenBits } from '../src/providers/reset.js';
import { RESET_THROTTLE_WINDOW_MS, RESET_WRONG_TRIES, ResetGuard } from '../src/providers/reset-guard.js';

const TOKEN = 'f0c1a9e27b3d48a6c5e9b2d7a4f8e1c3';

describe('reset guard: wrong tokens are throttled', () => {
  it(`takes ${RESET_WRONG_TRIES} wrong tokens a minute; past that every reset, the right token's too, is 429 until the window has passed`, () => {
    let now = 0;
    const guard = new ResetGuard(TOKEN, () => now);
    const statuses: number[] = [];
    for (let i = 0; i < 1000; i++) {
      statuses.push(guard.check('POST', '127.0.0.1', `guess-${i}-aaaaaaaaaaaaaaaa`)?.status ?? 200);
      now += 2.9; // 1,000 tries in 2.9 s, as the issue measured
    }
    expect(statuses.filter((s) => s === 403)).toHaveLength(RESET_WRONG_TRIES);
    expect(statuses.slice(RESET_WRONG_TRIES).every((s) => s === 429)).toBe(true);
    const refused = guard.check('POST', '127.0.0.1', TOKEN)!;
    expect(refused.status).toBe(429);
    expect(Number(refused.headers!['retry-after'])).toBe(Math.ceil((RESET_THROTTLE_WINDOW_MS - now) / 1000));
    // A missing token is no guess, and is not counted (but waits like the rest while throttled).
    expect(guard.check('POST', '127.0.0.1', undefined)!.status).toBe(429);
    now = RESET_THROTTLE_WINDOW_MS; // the first wrong try is a window old: one more may be tried
    expect(guard.check('POST', '127.0.0.1', TOKEN)).toBeNull();
    expect(guard.refused.wrong).toBe(RESET_WRONG_TRIES);
  });

  it('refuses before counting: no token (401), not POST (405), off (404), not loopback (403)', () => {
    const guard = new ResetGuard(TOKEN, () => 0);
    expect(guard.check('POST', '127.0.0.1', '')!.status).toBe(401);
    expect(guard.check('GET', '127.0.0.1', TOKEN)!.status).toBe(405);
    expect(guard.check('POST', '10.0.0.2', TOKEN)!.status).toBe(403);
    expect(new ResetGuard(undefined).check('POST', '127.0.0.1', TOKEN)!.status).toBe(404);
    expect(guard.refused.wrong).toBe(0);
    expect(guard.check('POST', '::1', TOKEN)).toBeNull();
  });
});

describe('reset token: real entropy', () => {
  it(`random tokens (32 hex digits, 22 base64url characters) always carry at least ${MIN_TOKEN_BITS} bits`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(resetTokenProblem(Buffer.from(bytes).toString('hex'))).toBeUndefined();
        expect(resetTokenProblem(Buffer.from(bytes).toString('base64url'))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    expect(tokenBits(randomBytes(16).toString('hex'))).toBeGreaterThan(90);
  });

  it('repeats, runs and short alphabets are refused, in one line that never shows the token', () => {
    for (const weak of ['aaaaaaaaaaaaaaaa', 'abababababababababab', 'abcdefghijklmnopqrstuvwxyz', '0123456789012345678901234567890123456789', 'password1234567890', '0000000000000000000000000000000000000001']) {
      const problem = resetTokenProblem(weak)!;
      expect(problem, weak).toMatch(/^too easy to guess: about \d+ bits of entropy, at least 64 needed/);
      expect(problem).not.toContain(weak);
    }
    expect(resetTokenProblem('short')).toBe('expected 16 to 256 letters, digits or . _ ~ -, got 5 characters');
    expect(resetTokenProblem('a b c d e f g h i j k')).toBe('expected 16 to 256 letters, digits or . _ ~ -, got 21 characters with others among them');
  });
});

describe('reset token: only to loopback', () => {
  it('tells loopback URLs from others', () => {
    for (const u of ['http://127.0.0.1:8400/v1', 'http://127.9.8.7/v1', 'http://[::1]:80/v1', 'http://localhost:1/v1', 'http://LOCALHOST/v1', 'http://[::ffff:127.0.0.1]:8/v1']) expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['http://0.0.0.0:8400/v1', 'http://10.0.0.1/v1', 'https://api.openai.com/v1', 'http://127.0.0.1.evil.example/v1', 'http://localhost.evil.example/v1', 'http://[::ffff:a00:1]/v1', 'not a url', 'http://[fe80::1]/v1']) {
      expect(isLoopbackUrl(u), u).toBe(false);
    }
  });
});
