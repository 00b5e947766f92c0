import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IterationServing } from '../src/providers/iteration.js';
import { serve, type Serving } from '../src/providers/server.js';
import { scenario } from './helpers/scenario.js';

// Steps of 300 ms whatever they carry: a request's first token comes at the end of its first step, then one a step.
const STEP = 300;
const model: IterationServing = { model: 'iteration', step: { base: STEP, perPrefillToken: 0, perDecodeSequence: 0, perKvToken: 0 }, maxBatchedTokens: 64, maxSequences: 8, maxKvTokens: Infinity };

/** Streams one answer of `tokens` tokens; `log` hears each event as it arrives (a token, or [DONE]). */
async function stream(srv: Serving, tokens: number, name: string, log: string[], sentAt: number, times: number[] = []): Promise<void> {
  const res = await request(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'one two three' }], max_tokens: 10, stream: true }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${name}`, 'x-gatesim-output-tokens': String(tokens) },
  });
  expect(res.statusCode).toBe(200);
  res.body.setEncoding('utf8');
  let buffer = '';
  for await (const text of res.body as AsyncIterable<string>) {
    buffer += text;
    for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
      const data = buffer.slice(6, i);
      buffer = buffer.slice(i + 2);
      if (data === '[DONE]') log.push(`${name}:done`);
      else if (data.includes('"content"')) {
        log.push(`${name}:token`);
        times.push(performance.now() - sentAt);
      }
    }
  }
}

describe('gatesim serve with the iteration serving model', () => {
  let srv: Serving;
  beforeAll(async () => {
    const providers = scenario({}, { serving: model, capacity: model.maxSequences }).providers;
    srv = await serve(providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {} });
  });
  afterAll(() => srv.close());

  it('paces a stream from its first token by the step time: a long answer\'s first token comes before a short one beside it ends', async () => {
    const log: string[] = [];
    const times: number[] = [];
    const sentAt = performance.now();
    // Both prefill in the first step; the short one (2 tokens) ends after step 2, the long one (5) after step 5.
    await Promise.all([stream(srv, 5, 'long', log, sentAt, times), stream(srv, 2, 'short', log, sentAt)]);
    expect(log.filter((e) => e === 'long:token')).toHaveLength(5);
    // Sent all at once when the answer ends (no pacing), the long answer's first token would follow the short one's [DONE].
    expect(log.indexOf('long:token')).toBeLessThan(log.indexOf('short:done'));
    // No token before it is due (the first at the end of step 1, then one a step; 1 ms of coalescing allowed).
    times.forEach((t, k) => expect(t, `token ${k}`).toBeGreaterThanOrEqual(STEP * (k + 1) - 1));
  });
});
