import { describe, expect, it } from 'vitest';
import { Dimension } from '../src/core/outcome.js';
import { blankUsage } from '../src/providers/port.js';
import { countWords, formatDuration, limitedByOf, parseDuration, rateLimitHeaders, readRateLimitHeaders, windowWords, wordsOf } from '../src/providers/wire.js';

describe('the OpenAI wire format both sides speak', () => {
  it('a word is a token: whitespace-separated words, any whitespace, any run of it', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('   \n\t ')).toBe(0);
    expect(countWords('ok')).toBe(1);
    expect(countWords('  Reply with\tthe\n\nword ok.  ')).toBe(5);
    // Unicode spaces separate too (no-break space, ideographic space); punctuation does not.
    expect(countWords('a\u00a0b\u3000c-d,e')).toBe(3);
  });

  it('wordsOf(n) is n words, single-spaced, whatever order the lengths are asked in', () => {
    expect(wordsOf(0)).toBe('');
    expect(wordsOf(1)).toBe('tok');
    expect(wordsOf(3)).toBe('tok tok tok');
    for (const n of [1000, 7, 4096, 1, 250_001]) {
      const w = wordsOf(n);
      expect(countWords(w)).toBe(n);
      expect(w.length).toBe(4 * n - 1);
    }
  });

  it("formats resets as OpenAI does (Go's durations) and reads them back", () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [-5, '0s'],
      [19.2, '20ms'],
      [999, '999ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [8_640, '8.64s'],
      [60_000, '1m0s'],
      [360_000, '6m0s'],
      [90_500, '1m30.5s'],
      [3_600_000, '1h0m0s'],
      [3_723_250, '1h2m3.25s'],
    ];
    for (const [ms, text] of cases) expect(formatDuration(ms), `${ms} ms`).toBe(text);
    for (const [ms, text] of cases.filter(([ms]) => ms > 0)) expect(parseDuration(text), text).toBeCloseTo(Math.ceil(ms), 6);
    // What other providers send: a bare number of seconds, microseconds, hours alone.
    expect(parseDuration('60')).toBe(60_000);
    expect(parseDuration('0.25')).toBe(250);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1500us')).toBeCloseTo(1.5, 9);
    for (const bad of [undefined, '', 'soon', '1d', '5 s', 's', '1m-2s', '2025-01-01T00:00:00Z']) expect(parseDuration(bad), String(bad)).toBeNaN();
  });

  it('writes x-ratelimit-* for the dimensions a quota has, resets in wall time, and reads them back in scenario time', () => {
    const u = blankUsage();
    expect(rateLimitHeaders(u, 0.5, {})).toEqual({});
    u.limitTokens = 30_000;
    u.remainingTokens = 29_000.6;
    u.resetTokensMs = 2_000;
    expect(rateLimitHeaders(u, 0.5, {})).toEqual({
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '29000',
      'x-ratelimit-reset-tokens': '1s',
    });
    u.limitRequests = 500;
    u.remainingRequests = 499;
    u.resetRequestsMs = 120;
    const h = rateLimitHeaders(u, 0.5, {});
    expect(h['x-ratelimit-reset-requests']).toBe('60ms');
    const back = blankUsage();
    readRateLimitHeaders(h, 0.5, back);
    expect(back).toEqual({ ...blankUsage(), limitRequests: 500, remainingRequests: 499, resetRequestsMs: 120, limitTokens: 30_000, remainingTokens: 29_000, resetTokensMs: 2_000 });
    // OpenAI's own headers, at scale 1.
    const openai = blankUsage();
    readRateLimitHeaders({ 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '6ms', 'x-ratelimit-reset-tokens': '6m0s', 'x-ratelimit-remaining-tokens': 'lots' }, 1, openai);
    expect([openai.limitRequests, openai.remainingRequests, openai.resetRequestsMs, openai.resetTokensMs]).toEqual([10_000, 9_999, 6, 360_000]);
    expect(openai.remainingTokens).toBeNaN();
    expect(openai.limitTokens).toBeNaN();
  });

  it("tells a 429's quota by error.type, else by OpenAI's wording", () => {
    expect(limitedByOf({ error: { type: 'tokens', message: '' } })).toBe(Dimension.tokens);
    expect(limitedByOf({ error: { type: 'requests' } })).toBe(Dimension.requests);
    expect(limitedByOf({ error: { type: 'concurrent' } })).toBe(Dimension.concurrent);
    // Real OpenAI 429 messages (type rate_limit_exceeded or absent in some gateways).
    const tpm =
      'Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): Limit 200000, Used 199800, Requested 1004. Please try again in 241ms. Visit https://platform.openai.com/account/rate-limits to learn more.';
    const rpd = 'Rate limit reached for gpt-3.5-turbo in organization org-abc on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s.';
    expect(limitedByOf({ error: { type: 'rate_limit_exceeded', message: tpm } })).toBe(Dimension.tokens);
    expect(limitedByOf({ error: { message: rpd, code: 'rate_limit_exceeded' } })).toBe(Dimension.requests);
    expect(limitedByOf({ error: { message: 'Too many concurrent requests for this key.' } })).toBe(Dimension.concurrent);
    for (const none of [undefined, null, 'text', {}, { error: 'x' }, { error: { type: 'rate_limit_exceeded', message: 'Rate limit reached for this key.' } }]) {
      expect(limitedByOf(none), JSON.stringify(none)).toBe(Dimension.none);
    }
  });

  it("names a quota's window as OpenAI does", () => {
    expect(windowWords(60_000, 'tokens')).toBe('min (TPM)');
    expect(windowWords(86_400_000, 'requests')).toBe('day (RPD)');
    expect(windowWords(10_000, 'requests')).toBe('10s');
  });
});
