/**
 * `gatesim serve` answers a request larger than a tokens quota can ever admit as OpenAI does — a
 * 429 "Request too large … Limit …, Requested …" of type tokens, counting nothing — and real mode's
 * client reads that answer as tooLarge (never retried), not as a 429 to wait out.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Serving } from '../src/providers/server.js';
import { Dimension } from '../src/core/outcome.js';
import { limitedByOf, tooLargeOf } from '../src/providers/wire.js';
import { scenario } from './helpers/scenario.js';

let srv: Serving;
beforeAll(async () => {
  const providers = scenario({}, { tokens: { count: 1_000, windowMs: 60_000 }, charge: 'reserve' }).providers;
  srv = await serve(providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {} });
});
afterAll(() => srv.close());

const post = (content: string, maxTokens: number) =>
  request(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: maxTokens, messages: [{ role: 'user', content }] }),
    headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
  });

describe('serve: a request too large for the tokens quota', () => {
  it('is answered at once with OpenAI\'s wording, type tokens, and no retry-after', async () => {
    const res = await post('word '.repeat(2_000), 100);
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBeUndefined();
    const body = (await res.body.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.type).toBe('tokens');
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.message).toMatch(/^Request too large for gpt-4o-mini on tokens per min \(TPM\): Limit 1000, Requested \d{4}\. The input or output tokens must be reduced/);
    // What real mode's client reads from it: too large (never retried), on the tokens quota.
    expect(tooLargeOf(body)).toBe(true);
    expect(limitedByOf(body)).toBe(Dimension.tokens);
  });

  it('counts nothing: a request that fits is served right after it', async () => {
    const res = await post('hello there', 50);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('a refused request counts in the quota (refused: counts, the default): a small one after it is refused too', async () => {
    // 1,000 tokens: 8 words + 900 reserved (settled to use), then 950 more do not fit — and count.
    expect((await post('one two three four five six seven eight', 900)).statusCode).toBe(200);
    const refused = await post('one two three four five six seven eight', 950);
    expect(refused.statusCode).toBe(429);
    await refused.body.dump();
    // Free, 10 tokens would fit beside the first answer's use; counted, the refusal's 958 fill the window.
    const after = await post('tiny', 5);
    expect(after.statusCode).toBe(429);
    expect(after.headers['x-ratelimit-remaining-tokens']).toBe('0');
    await after.body.dump();
  });

  it('an ordinary 429 is not read as too large', () => {
    expect(tooLargeOf({ error: { message: 'Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 1000, Used 900, Requested 200.', type: 'tokens' } })).toBe(false);
    expect(tooLargeOf(null)).toBe(false);
  });
});
