import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ANSWER_PIECE_BYTES } from '../src/providers/answer.js';
import { MAX_MODEL_CHARS, serve, type Serving } from '../src/providers/server.js';
import { scenario } from './helpers/scenario.js';

const MESSAGES = [{ role: 'user', content: 'one two three' }];

const post = (srv: Serving, body: unknown, headers: Record<string, string> = {}) =>
  request(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: 'Bearer k1', ...headers },
  });

/** A client that sends one request for a huge non-streamed answer and never reads a byte of it. */
function stalled(srv: Serving, key: string, maxTokens: number): Promise<Socket> {
  const { hostname, port } = new URL(srv.url);
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: maxTokens });
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => {
      s.pause();
      s.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        () => resolve(s),
      );
    });
    s.once('error', reject);
  });
}

describe('gatesim serve: non-streamed answers', () => {
  let srv: Serving;
  beforeAll(async () => {
    srv = await serve(scenario({}, { latency: { dist: 'constant', value: 1 } }).providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {} });
  });
  afterAll(() => srv.close());

  it('are the JSON a whole body would be, byte for byte, at every length around the piece size', async () => {
    const piece = ANSWER_PIECE_BYTES / 4; // tokens of one piece: `tok` is 3 bytes and each one after it 4
    const lengths = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: piece - 40, max: 3 * piece + 40 }), fc.constantFrom(piece - 1, piece, piece + 1, 2 * piece));
    await fc.assert(
      fc.asyncProperty(lengths, fc.constantFrom('gpt-4o-mini', 'modèle «ü» 🚀', 'a"b\\c'), fc.boolean(), async (tokens, model, capped) => {
        const maxTokens = capped ? tokens : tokens + 5;
        const res = await post(srv, { model, messages: MESSAGES, max_tokens: maxTokens }, { 'x-gatesim-output-tokens': String(tokens) });
        const raw = Buffer.from(await res.body.arrayBuffer());
        expect(res.statusCode).toBe(200);
        expect(Number(res.headers['content-length'])).toBe(raw.length);
        const body = JSON.parse(raw.toString('utf8')) as { id: string; created: number };
        const whole = JSON.stringify({
          id: body.id,
          object: 'chat.completion',
          created: body.created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: Array(tokens).fill('tok').join(' ') }, finish_reason: capped ? 'length' : 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: tokens, total_tokens: 3 + tokens },
        });
        expect(raw.toString('utf8')).toBe(whole);
      }),
      { numRuns: 40 },
    );
    expect(srv.answers()).toEqual({ open: 0, waiting: 0, buffered: 0 });
  });

  it('hold at most a piece and a socket buffer each for clients that stop reading, answer others meanwhile, and free it all when they go', async () => {
    // 10,000,000 tokens: a 40 MB body each, more than loopback's socket buffers take.
    const clients = await Promise.all([1, 2, 3, 4].map((i) => stalled(srv, `slow-${i}`, 10_000_000)));
    try {
      // Every answer has filled what the kernel takes and waits for a drain that will not come.
      await vi.waitFor(() => expect(srv.answers()).toMatchObject({ open: 4, waiting: 4 }), { timeout: 30_000, interval: 10 });
      const held = srv.answers().buffered;
      // One piece plus the socket's buffer (16 KiB in Node 20, 64 KiB in 22) and the small head, per answer.
      expect(held).toBeLessThanOrEqual(4 * 2 * ANSWER_PIECE_BYTES);
      const small = await post(srv, { model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: 3 });
      expect(small.statusCode).toBe(200);
      expect(((await small.body.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('tok tok tok');
      expect(srv.answers()).toMatchObject({ open: 4, waiting: 4 });
    } finally {
      for (const c of clients) c.destroy();
    }
    await vi.waitFor(() => expect(srv.answers()).toEqual({ open: 0, waiting: 0, buffered: 0 }), { timeout: 30_000, interval: 10 });
    expect(srv.totals().providers.main!.ok).toBeGreaterThanOrEqual(5);
  });

  it(`refuse a model name over ${MAX_MODEL_CHARS} characters (every answer repeats it, a stream in each event), streamed or not`, async () => {
    for (const stream of [false, true]) {
      const long = await post(srv, { model: 'm'.repeat(MAX_MODEL_CHARS + 1), messages: MESSAGES, max_tokens: 256, stream });
      expect(long.statusCode).toBe(400);
      expect(await long.body.json()).toEqual({ error: { message: `model: expected at most ${MAX_MODEL_CHARS} characters, got ${MAX_MODEL_CHARS + 1}`, type: 'invalid_request_error', param: 'model', code: 'invalid_value' } });
      const fits = await post(srv, { model: 'm'.repeat(MAX_MODEL_CHARS), messages: MESSAGES, max_tokens: 2, stream });
      expect(fits.statusCode).toBe(200);
      expect(await fits.body.text()).toContain(`"model":"${'m'.repeat(MAX_MODEL_CHARS)}"`);
    }
  });

  it('a client that reads slowly gets the whole answer', async () => {
    const res = await post(srv, { model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: 1_000_000 });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      // Reading in turns with the server: it writes a piece only after the socket drains.
      await new Promise<void>((r) => setImmediate(r));
    }
    const raw = Buffer.concat(chunks);
    expect(raw.length).toBe(Number(res.headers['content-length']));
    const content = (JSON.parse(raw.toString('utf8')) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    expect(content.split(' ')).toHaveLength(1_000_000);
    expect(new Set(content.split(' '))).toEqual(new Set(['tok']));
    await vi.waitFor(() => expect(srv.answers()).toEqual({ open: 0, waiting: 0, buffered: 0 }), { timeout: 30_000, interval: 10 });
  });
});
