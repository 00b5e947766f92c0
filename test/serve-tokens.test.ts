import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serve, type Serving } from '../src/providers/server.js';
import type { Serving as ServingModel } from '../src/providers/spec.js';
import type { Provider } from '../src/scenario/types.js';
import { scenario } from './helpers/scenario.js';

/** A provider of the test scenario with these fields. */
const provider = (over: Partial<Provider>): Provider[] => scenario({}, over).providers;
const start = (over: Partial<Provider>, timeScale = 1): Promise<Serving> => serve(provider(over), { port: 0, host: '127.0.0.1', timeScale, seed: 1, log: () => {} });
const servingModel = (ttftMs: number, tpotMs: number): ServingModel => ({ ttft: { base: ttftMs, perPromptToken: 0, perSequence: 0 }, tpot: { base: tpotMs, perSequence: 0 }, maxSequences: 64 });

const post = (srv: Serving, body: unknown, headers: Record<string, string> = {}, auth = 'Bearer k1') =>
  request(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: auth, ...headers },
  });

interface Completion {
  choices: { message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** One server-sent event: when its bytes arrived (wall ms) and its data. */
interface Event {
  at: number;
  data: string;
}

/**
 * A small SSE reader, independent of real mode's: sends a request, notes when it was sent and when
 * the head came, and splits the body into events (blank-line separated, `data: ` lines) as they
 * arrive. `onEvent` sees each one; returning true leaves (the connection is destroyed).
 */
async function sse(srv: Serving, body: unknown, headers: Record<string, string> = {}, onEvent?: (e: Event) => boolean | void, auth = 'Bearer k1') {
  const sentAt = performance.now();
  const res = await post(srv, body, headers, auth);
  const headAt = performance.now();
  const events: Event[] = [];
  res.body.setEncoding('utf8');
  let buffer = '';
  let left = false;
  try {
    for await (const text of res.body as AsyncIterable<string>) {
      const at = performance.now();
      buffer += text;
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        const e = { at, data };
        events.push(e);
        if (onEvent?.(e) === true) {
          left = true;
          res.body.destroy();
          break;
        }
      }
      if (left) break;
    }
  } catch (e) {
    if (!left) throw e;
  }
  return { status: res.statusCode, headers: res.headers, sentAt, headAt, events, rest: buffer };
}

/** The content of a chunk event, or undefined for any other event. */
const contentOf = (e: Event): string | undefined => {
  if (e.data === '[DONE]') return undefined;
  const chunk = JSON.parse(e.data) as { choices?: { delta?: { content?: string } }[] };
  return chunk.choices?.[0]?.delta?.content;
};

const MESSAGES = [{ role: 'user', content: 'one two three' }];

describe('gatesim serve reads request sizes (a word is a token)', () => {
  let srv: Serving;
  beforeAll(async () => {
    srv = await start({ latency: { dist: 'constant', value: 1 } });
  });
  afterAll(() => srv.close());

  it("counts the prompt's words over every message, and answers the length the header asks for, with usage true to it", async () => {
    const messages = [
      { role: 'system', content: '  You are\tterse. ' },
      { role: 'user', content: [{ type: 'text', text: 'count\nthese words' }, { type: 'image_url', image_url: { url: 'http://x/y.png' } }, { type: 'text', text: 'and\u00a0these' }] },
      { role: 'assistant', content: null },
    ];
    const res = await post(srv, { model: 'm', messages, max_tokens: 50 }, { 'x-gatesim-output-tokens': '7' });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as Completion;
    // 3 + 3 + 2 words; 7 tokens asked for, under max_tokens: the answer stopped by itself.
    expect(body.usage).toEqual({ prompt_tokens: 8, completion_tokens: 7, total_tokens: 15 });
    expect(body.choices[0]!.message.content.split(' ')).toHaveLength(7);
    expect(body.choices[0]!.finish_reason).toBe('stop');
  });

  it('without the header the answer is max_completion_tokens, else max_tokens (cut off: finish_reason length), else 16 tokens', async () => {
    const ask = async (extra: object): Promise<Completion> => (await (await post(srv, { model: 'm', messages: MESSAGES, ...extra })).body.json()) as Completion;
    const completion = await ask({ max_completion_tokens: 5, max_tokens: 9 });
    expect([completion.usage.completion_tokens, completion.choices[0]!.finish_reason]).toEqual([5, 'length']);
    expect((await ask({ max_tokens: 9 })).usage).toEqual({ prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 });
    const none = await ask({});
    expect([none.usage.completion_tokens, none.choices[0]!.message.content.split(' ').length]).toEqual([16, 16]);
    const zero = await post(srv, { model: 'm', messages: [], max_tokens: 0 });
    expect(((await zero.body.json()) as Completion).usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('refuses what it cannot size with a 400 naming the parameter, OpenAI-style, and carries on', async () => {
    const cases: [object, Record<string, string>, string, string][] = [
      [{ max_tokens: -1 }, {}, 'max_tokens: expected a whole number from 0 to 10000000, got -1', 'max_tokens'],
      [{ max_tokens: 1.5 }, {}, 'max_tokens: expected a whole number from 0 to 10000000, got 1.5', 'max_tokens'],
      [{ max_tokens: '10' }, {}, 'max_tokens: expected a whole number from 0 to 10000000, got "10"', 'max_tokens'],
      [{ max_tokens: 10_000_001 }, {}, 'max_tokens: expected a whole number from 0 to 10000000, got 10000001', 'max_tokens'],
      [{ max_completion_tokens: true }, {}, 'max_completion_tokens: expected a whole number from 0 to 10000000, got true', 'max_completion_tokens'],
      [{ max_tokens: 7 }, { 'x-gatesim-output-tokens': '8' }, 'x-gatesim-output-tokens: expected a whole number from 0 to max_tokens (7), got "8"', 'x-gatesim-output-tokens'],
      [{}, { 'x-gatesim-output-tokens': '-1' }, 'x-gatesim-output-tokens: expected a whole number from 0 to 10000000, got "-1"', 'x-gatesim-output-tokens'],
      [{}, { 'x-gatesim-output-tokens': '20000000' }, 'x-gatesim-output-tokens: expected a whole number from 0 to 10000000, got "20000000"', 'x-gatesim-output-tokens'],
      [{}, { 'x-gatesim-output-tokens': 'lots' }, 'x-gatesim-output-tokens: expected a whole number from 0 to 10000000, got "lots"', 'x-gatesim-output-tokens'],
      [{ messages: ['hi'] }, {}, 'messages[0]: expected an object, got "hi"', 'messages[0]'],
      [{ messages: [{ role: 'user', content: 5 }] }, {}, 'messages[0].content: expected a string or an array of content parts, got 5', 'messages[0].content'],
      [{ messages: [{ role: 'user', content: [{ type: 'text', text: 3 }] }] }, {}, 'messages[0].content[0].text: expected a string, got 3', 'messages[0].content[0].text'],
      [{ messages: [{ role: 'user', content: ['x'] }] }, {}, 'messages[0].content[0]: expected a content part object, got "x"', 'messages[0].content[0]'],
      [{ stream: 'yes' }, {}, 'stream: expected true or false, got "yes"', 'stream'],
      [{ stream_options: { include_usage: true } }, {}, 'stream_options: only allowed when stream is true', 'stream_options'],
      [{ stream: true, stream_options: { include_usage: 1 } }, {}, 'stream_options.include_usage: expected true or false, got 1', 'stream_options.include_usage'],
    ];
    for (const [extra, headers, message, param] of cases) {
      const res = await post(srv, { model: 'm', messages: MESSAGES, ...extra }, headers);
      expect(res.statusCode, message).toBe(400);
      expect((await res.body.json()) as ErrorBody).toEqual({ error: { message, type: 'invalid_request_error', param, code: 'invalid_value' } });
    }
    // None of them reached the model; the next good request does.
    const before = srv.totals().providers.main!.requests;
    const ok = await post(srv, { model: 'm', messages: MESSAGES });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    expect(srv.totals().providers.main!.requests).toBe(before + 1);
  });
});

describe('gatesim serve: x-ratelimit-* on every answer, 429s that say which quota', () => {
  let srv: Serving;
  // Two requests and 100 tokens an hour per key (charged prompt + max_tokens, settled at the end):
  // at scale 0.01 the hour is 36 s of wall time, longer than this test however slow the machine.
  beforeAll(async () => {
    // Refusals cost nothing here (refused: free): each 429 below is the quota's word on what was admitted.
    srv = await start({ latency: { dist: 'constant', value: 100 }, limit: { count: 2, windowMs: 3_600_000 }, tokens: { count: 100, windowMs: 3_600_000 }, charge: 'reserve', refused: 'free' }, 0.01);
  });
  afterAll(() => srv.close());

  const reset = (v: string | string[] | undefined): number => {
    const m = /^(?:(\d+)m)?(\d+(?:\.\d+)?)s$|^(\d+)ms$/.exec(String(v));
    expect(m, `a duration as OpenAI writes it, got ${v}`).not.toBeNull();
    return m![3] !== undefined ? Number(m![3]) : Number(m![1] ?? 0) * 60_000 + Number(m![2]) * 1000;
  };

  it('a 200 says what is left of each dimension after the answer settled, and when each is whole again (wall time)', async () => {
    const sent = performance.now();
    const res = await post(srv, { model: 'm', messages: MESSAGES, max_tokens: 10 }, { 'x-gatesim-output-tokens': '4' });
    const elapsed = performance.now() - sent;
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(res.headers['x-ratelimit-limit-requests']).toBe('2');
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('1');
    expect(res.headers['x-ratelimit-limit-tokens']).toBe('100');
    // Reserved 3 + 10, settled to the 3 + 4 used.
    expect(res.headers['x-ratelimit-remaining-tokens']).toBe('93');
    for (const h of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
      const ms = reset(res.headers[h]);
      expect(ms, h).toBeLessThanOrEqual(36_000);
      expect(ms, h).toBeGreaterThanOrEqual(36_000 - elapsed - 1);
    }
  });

  it('a 429 from the tokens quota: error.type tokens, OpenAI\'s wording, retry-after, and the headers', async () => {
    const res = await post(srv, { model: 'gpt-x', messages: MESSAGES, max_tokens: 95 });
    expect(res.statusCode).toBe(429);
    const body = (await res.body.json()) as ErrorBody;
    expect(body.error.type).toBe('tokens');
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.message).toMatch(/^Rate limit reached for gpt-x on tokens per hour \(TPH\): Limit 100, Used 7, Requested 98\. Please try again in (\d+m)?[\d.]+s\.$/);
    expect(Number(res.headers['retry-after-ms'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBe(Math.ceil(Number(res.headers['retry-after-ms']) / 1000));
    expect([res.headers['x-ratelimit-remaining-tokens'], res.headers['x-ratelimit-remaining-requests']]).toEqual(['93', '1']);
  });

  it('a 429 from the requests quota: error.type requests', async () => {
    const ok = await post(srv, { model: 'm', messages: MESSAGES, max_tokens: 1 });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    expect(ok.headers['x-ratelimit-remaining-requests']).toBe('0');
    const res = await post(srv, { model: 'm', messages: MESSAGES, max_tokens: 1 });
    expect(res.statusCode).toBe(429);
    const body = (await res.body.json()) as ErrorBody;
    expect(body.error.type).toBe('requests');
    expect(body.error.message).toMatch(/^Rate limit reached for m on requests per hour \(RPH\): Limit 2, Used 2, Requested 1\. Please try again in /);
    expect(res.headers['retry-after-ms']).toBeDefined();
    // Another key has its own quotas.
    const other = await post(srv, { model: 'm', messages: MESSAGES, max_tokens: 1 }, {}, 'Bearer k2');
    expect(other.statusCode).toBe(200);
    await other.body.dump();
    expect(other.headers['x-ratelimit-remaining-requests']).toBe('1');
  });

  it('a 429 from a concurrency quota: error.type concurrent and no retry-after (room comes when an answer ends)', async () => {
    // One request in flight per key; the first is held for an hour of scenario time (36 s wall): the test ends it by closing.
    const held = await start({ latency: { dist: 'constant', value: 3_600_000 }, concurrent: 1 }, 0.01);
    try {
      const first = post(held, { model: 'm', messages: MESSAGES }).catch(() => undefined);
      // The second waits for the first to reach the model: its 429 can only come once the first is in flight.
      await vi.waitFor(() => expect(held.totals().providers.main!.requests).toBe(1), { timeout: 30_000, interval: 5 });
      const res = await post(held, { model: 'm', messages: MESSAGES });
      expect(res.statusCode).toBe(429);
      const body = (await res.body.json()) as ErrorBody;
      expect(body.error).toEqual({
        message: "Rate limit reached for m on concurrent requests: Limit 1, In flight 1. Try again when one of this key's requests has ended.",
        type: 'concurrent',
        param: null,
        code: 'rate_limit_exceeded',
      });
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.headers['retry-after-ms']).toBeUndefined();
      void first;
    } finally {
      await held.close();
    }
  });
});

describe('gatesim serve streams (stream: true)', () => {
  // 300 ms to the first token, then one every 40 ms (scale 1); a requests quota so the head has figures to carry.
  const TTFT = 300;
  const TPOT = 40;
  let srv: Serving;
  beforeAll(async () => {
    srv = await start({ serving: servingModel(TTFT, TPOT), capacity: 64, limit: { count: 1000, windowMs: 3_600_000 } });
  });
  afterAll(() => srv.close());

  it('head when serving starts, one event per token none before it is due, a finish chunk, usage, [DONE]', async () => {
    const N = 10;
    const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 20, stream: true, stream_options: { include_usage: true } }, { 'x-gatesim-output-tokens': String(N) });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['x-ratelimit-limit-requests']).toBe('1000');
    expect(r.headers['x-ratelimit-remaining-requests']).toBe('999');
    expect(r.rest).toBe('');
    const tokens = r.events.filter((e) => contentOf(e) !== undefined);
    expect(tokens.map(contentOf)).toEqual(['tok', ...Array<string>(N - 1).fill(' tok')]);
    const chunks = r.events.slice(0, -1).map((e) => JSON.parse(e.data) as { id: string; object: string; model: string; choices: { delta: { role?: string }; finish_reason: string | null }[]; usage?: unknown });
    expect(new Set(chunks.map((c) => `${c.id} ${c.object} ${c.model}`)).size).toBe(1);
    expect(chunks[0]!.object).toBe('chat.completion.chunk');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    // After the tokens: the finish chunk, the usage chunk (choices empty), [DONE].
    expect(r.events).toHaveLength(N + 3);
    expect(chunks[N]!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks[N + 1]!).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: N, total_tokens: N + 3 } });
    expect(r.events[N + 2]!.data).toBe('[DONE]');
    // The head came before the first token; no token came before its time (at most the 1 ms the
    // server coalesces early): a loaded machine only makes them later.
    expect(r.headAt).toBeLessThan(tokens[0]!.at);
    tokens.forEach((e, k) => expect(e.at - r.sentAt, `token ${k}`).toBeGreaterThanOrEqual(TTFT + k * TPOT - 1));
    // Arrival order is the order of the tokens.
    for (let k = 1; k < tokens.length; k++) expect(tokens[k]!.at).toBeGreaterThanOrEqual(tokens[k - 1]!.at);
  });

  it('without stream_options.include_usage, no usage chunk (as OpenAI)', async () => {
    const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 3, stream: true });
    expect(r.events.map((e) => (e.data === '[DONE]' ? 'done' : contentOf(e) ?? 'finish'))).toEqual(['tok', ' tok', ' tok', 'finish', 'done']);
    expect(r.events.some((e) => e.data.includes('"usage"'))).toBe(false);
  });

  it('paced, not sent at once: a short answer started beside a long one ends before the long one does', async () => {
    const order: string[] = [];
    const log = (name: string) => (e: Event) => void order.push(`${name}:${e.data === '[DONE]' ? 'done' : 'event'}`);
    await Promise.all([
      sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 30, stream: true }, { 'x-gatesim-output-tokens': '30' }, log('long'), 'Bearer long'),
      sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 30, stream: true }, { 'x-gatesim-output-tokens': '2' }, log('short'), 'Bearer short'),
    ]);
    // The long answer's last token is due 28 tpot (1.1 s) after the short one's end.
    expect(order.indexOf('short:done')).toBeLessThan(order.lastIndexOf('long:event'));
    // 30 tokens and the finish chunk.
    expect(order.filter((o) => o === 'long:event')).toHaveLength(31);
  });

  it('a client that leaves mid-stream stops its timer; the server carries on', async () => {
    expect(srv.streams()).toEqual({ open: 0, timers: 0 });
    let during: ReturnType<Serving['streams']> | undefined;
    // 1,000 tokens: 40 s of stream; the client leaves after the first.
    const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 1000, stream: true }, { 'x-gatesim-output-tokens': '1000' }, () => {
      during = srv.streams();
      return true;
    });
    expect(r.events.length).toBeGreaterThanOrEqual(1);
    expect(during).toEqual({ open: 1, timers: 1 });
    // The server hears the connection close: the stream and its timer are gone.
    await vi.waitFor(() => expect(srv.streams()).toEqual({ open: 0, timers: 0 }), { timeout: 30_000, interval: 10 });
    const next = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 2, stream: true });
    expect(next.events.at(-1)!.data).toBe('[DONE]');
  });
});

describe('gatesim serve: a reset mid-stream', () => {
  it('breaks the streams in progress off with an error event, and frees their timers', async () => {
    const srv = await start({ serving: servingModel(10, 50), capacity: 64 });
    try {
      const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 1000, stream: true }, {}, (e) => {
        if (contentOf(e) === 'tok') srv.reset();
      });
      const last = JSON.parse(r.events.at(-1)!.data) as ErrorBody;
      expect(last.error.type).toBe('server_error');
      expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
      expect(srv.streams()).toEqual({ open: 0, timers: 0 });
    } finally {
      await srv.close();
    }
  });
});

describe('gatesim serve streams without a serving model, and breaks a failed stream off', () => {
  it('without a serving model the whole answer streams when the model answers', async () => {
    const srv = await start({ latency: { dist: 'constant', value: 200 } });
    try {
      const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 5, stream: true, stream_options: { include_usage: true } });
      const tokens = r.events.filter((e) => contentOf(e) !== undefined);
      expect(tokens).toHaveLength(5);
      for (const e of tokens) expect(e.at - r.sentAt).toBeGreaterThanOrEqual(199);
      expect(r.events.at(-1)!.data).toBe('[DONE]');
    } finally {
      await srv.close();
    }
  });

  it('an answer of 10,000,000 tokens due at once goes out as the client reads it; a client that leaves ends it', async () => {
    // 10 M events of ~180 bytes would be 1.8 GB in one string: the server writes them in pieces as the socket drains.
    const srv = await start({ latency: { dist: 'constant', value: 1 } });
    try {
      let read = 0;
      const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 10_000_000, stream: true }, {}, () => ++read === 1000);
      expect(r.events).toHaveLength(1000);
      expect(r.events.every((e) => contentOf(e) !== undefined)).toBe(true);
      await vi.waitFor(() => expect(srv.streams()).toEqual({ open: 0, timers: 0 }), { timeout: 30_000, interval: 10 });
      const next = await post(srv, { model: 'm', messages: MESSAGES, max_tokens: 2 });
      expect(next.statusCode).toBe(200);
      await next.body.dump();
    } finally {
      await srv.close();
    }
  });

  it('a failure after the head is an error event and no [DONE]', async () => {
    const srv = await start({ serving: servingModel(20, 5), capacity: 64, failure: 1 });
    try {
      const r = await sse(srv, { model: 'm', messages: MESSAGES, max_tokens: 4, stream: true });
      expect(r.status).toBe(200);
      const last = JSON.parse(r.events.at(-1)!.data) as ErrorBody;
      expect(last.error.type).toBe('server_error');
      expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
      expect(srv.totals().providers.main!.serverError).toBe(1);
      expect(srv.streams()).toEqual({ open: 0, timers: 0 });
    } finally {
      await srv.close();
    }
  });
});
