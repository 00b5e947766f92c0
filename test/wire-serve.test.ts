import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dimension } from '../src/core/outcome.js';
import { blankUsage } from '../src/providers/port.js';
import { BadRequest, clientErrorAnswer, limitMessage, MAX_MODEL_CHARS, readChatCall, tooLargeMessage, type ChatCall } from '../src/providers/serve-wire.js';
import { MAX_TOKENS } from '../src/sim/dist.js';
import { scenario } from './helpers/scenario.js';

const AUTH = { authorization: 'Bearer k' };

/** What readChatCall refuses `body` with (status, param, code, message), or the call it reads. */
function refusal(body: string, headers: Record<string, string> = AUTH): { status: number; param: string | null; code: string | null; message: string } | ChatCall {
  try {
    return readChatCall(headers, body);
  } catch (e) {
    if (!(e instanceof BadRequest)) throw e;
    return { status: e.status, param: e.param, code: e.code, message: e.message };
  }
}

describe('serve wire: a chat completion request is checked in process, in the order serve answers', () => {
  it('needs a bearer token first (401), then JSON (400), each with no param and no code', () => {
    const noToken: Record<string, string>[] = [{}, { authorization: '' }, { authorization: 'Basic abc' }, { authorization: 'Bearer ' }];
    for (const headers of noToken) {
      // The token is checked before the body: a bad body without a token is a 401.
      expect(refusal('{"model":', headers)).toEqual({ status: 401, param: null, code: null, message: 'Missing bearer token in the Authorization header.' });
    }
    for (const body of ['', '{"model":', 'nan', '{model: "m"}', '\u0000']) {
      expect(refusal(body)).toEqual({ status: 400, param: null, code: null, message: 'The request body is not valid JSON.' });
    }
  });

  it('names the parameter of each malformed body, with code invalid_value', () => {
    const cases: [unknown, string | null, string][] = [
      [[], null, 'Expected a JSON object with "model" (string) and "messages" (array).'],
      [{ model: 1, messages: [] }, null, 'Expected a JSON object with "model" (string) and "messages" (array).'],
      [{ model: 'm', messages: {} }, null, 'Expected a JSON object with "model" (string) and "messages" (array).'],
      [{ model: 'm'.repeat(MAX_MODEL_CHARS + 1), messages: [] }, 'model', `model: expected at most ${MAX_MODEL_CHARS} characters, got ${MAX_MODEL_CHARS + 1}`],
      [{ model: 'm', messages: [{ content: 'a' }, 'hi'] }, 'messages[1]', 'messages[1]: expected an object, got "hi"'],
      [{ model: 'm', messages: [{ content: 5 }] }, 'messages[0].content', 'messages[0].content: expected a string or an array of content parts, got 5'],
      [{ model: 'm', messages: [{ content: [null] }] }, 'messages[0].content[0]', 'messages[0].content[0]: expected a content part object, got null'],
      [{ model: 'm', messages: [{ content: [{ type: 'text', text: ['x'] }] }] }, 'messages[0].content[0].text', 'messages[0].content[0].text: expected a string, got ["x"]'],
      [{ model: 'm', messages: [], max_tokens: -1 }, 'max_tokens', `max_tokens: expected a whole number from 0 to ${MAX_TOKENS}, got -1`],
      [{ model: 'm', messages: [], max_completion_tokens: 2.5 }, 'max_completion_tokens', `max_completion_tokens: expected a whole number from 0 to ${MAX_TOKENS}, got 2.5`],
      [{ model: 'm', messages: [], max_tokens: MAX_TOKENS + 1 }, 'max_tokens', `max_tokens: expected a whole number from 0 to ${MAX_TOKENS}, got ${MAX_TOKENS + 1}`],
      [{ model: 'm', messages: [], stream: 'yes' }, 'stream', 'stream: expected true or false, got "yes"'],
      [{ model: 'm', messages: [], stream_options: {} }, 'stream_options', 'stream_options: only allowed when stream is true'],
      [{ model: 'm', messages: [], stream: true, stream_options: [] }, 'stream_options', 'stream_options: expected an object, got []'],
      [{ model: 'm', messages: [], stream: true, stream_options: { include_usage: 'no' } }, 'stream_options.include_usage', 'stream_options.include_usage: expected true or false, got "no"'],
    ];
    for (const [body, param, message] of cases) expect(refusal(JSON.stringify(body)), message).toEqual({ status: 400, param, code: 'invalid_value', message });
  });

  it('bounds the output header by max_tokens, else by MAX_TOKENS', () => {
    const body = (o: object): string => JSON.stringify({ model: 'm', messages: [], ...o });
    expect(refusal(body({ max_tokens: 5 }), { ...AUTH, 'x-gatesim-output-tokens': '6' })).toMatchObject({ status: 400, param: 'x-gatesim-output-tokens', message: 'x-gatesim-output-tokens: expected a whole number from 0 to max_tokens (5), got "6"' });
    expect(refusal(body({}), { ...AUTH, 'x-gatesim-output-tokens': '-1' })).toMatchObject({ status: 400, message: `x-gatesim-output-tokens: expected a whole number from 0 to ${MAX_TOKENS}, got "-1"` });
    expect(refusal(body({ max_tokens: 5 }), { ...AUTH, 'x-gatesim-output-tokens': ' 5 ' })).toMatchObject({ chat: { outputTokens: 5 } });
  });

  it('reads sizes: words of strings and text parts (not images), max_completion_tokens before max_tokens, 16 without either', () => {
    const call = refusal(
      JSON.stringify({
        model: 'gpt',
        messages: [{ content: 'one  two\tthree' }, { content: [{ type: 'text', text: 'four five' }, { type: 'image_url', image_url: 'x y z' }] }, { content: null }],
        max_tokens: 9,
        max_completion_tokens: 7,
        stream: true,
        stream_options: { include_usage: true },
      }),
      { authorization: 'Bearer  key-1' },
    );
    expect(call).toEqual({ auth: 'Bearer  key-1', chat: { model: 'gpt', promptTokens: 5, maxTokens: 7, outputTokens: 7, stream: true, includeUsage: true } });
    expect(refusal(JSON.stringify({ model: 'm', messages: [], stream: null }))).toEqual({
      auth: 'Bearer k',
      chat: { model: 'm', promptTokens: 0, maxTokens: undefined, outputTokens: 16, stream: false, includeUsage: false },
    });
  });

  it('any body is read or refused with a 4xx, never thrown past, and no refusal repeats more than 40 characters of it', () => {
    const SECRET = 'sk-0123456789abcdefghijklmnopqrstuvwxyzABCDEF'; // 45 characters
    const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(SECRET));
    const part = fc.oneof(anything, fc.record({ type: fc.constantFrom('text', 'image_url'), text: anything }, { requiredKeys: [] }));
    const body = fc.oneof(
      anything.map((v) => JSON.stringify(v) ?? ''),
      fc.string(),
      fc
        .record(
          {
            model: fc.oneof(fc.string(), anything),
            messages: fc.array(fc.oneof(anything, fc.record({ content: fc.oneof(fc.string(), fc.array(part, { maxLength: 3 }), anything) }, { requiredKeys: [] })), { maxLength: 3 }),
            max_tokens: anything,
            max_completion_tokens: fc.oneof(fc.integer({ min: -1, max: MAX_TOKENS + 1 }), anything),
            stream: fc.oneof(fc.boolean(), anything),
            stream_options: fc.oneof(fc.record({ include_usage: fc.oneof(fc.boolean(), anything) }, { requiredKeys: [] }), anything),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    );
    const header = fc.option(fc.oneof(fc.string(), fc.constant(SECRET), fc.nat().map(String)), { nil: undefined });
    fc.assert(
      fc.property(body, header, (b, out) => {
        const r = refusal(b, out === undefined ? AUTH : { ...AUTH, 'x-gatesim-output-tokens': out });
        if ('chat' in r) {
          expect(r.chat.outputTokens).toBeGreaterThanOrEqual(0);
          expect(r.chat.outputTokens).toBeLessThanOrEqual(r.chat.maxTokens ?? MAX_TOKENS);
          return;
        }
        expect(r.status).toBe(400);
        expect(r.message).not.toContain(SECRET.slice(0, 41));
      }),
      { numRuns: 2000, seed: 20 },
    );
  });
});

describe('serve wire: answers that are not a stream', () => {
  it('answers what node cannot parse with a whole HTTP response whose content-length is its body', () => {
    for (const [code, status] of [['HPE_HEADER_OVERFLOW', 431], ['ERR_HTTP_REQUEST_TIMEOUT', 408], ['HPE_INVALID_METHOD', 400], [undefined, 400]] as const) {
      const text = clientErrorAnswer(code);
      const [head, body] = text.split('\r\n\r\n') as [string, string];
      expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toContain('\r\nx-gatesim-serve: 1\r\n');
      expect(head).toContain('\r\nconnection: close');
      expect(Number(/content-length: (\d+)/.exec(head)![1])).toBe(Buffer.byteLength(body));
      expect((JSON.parse(body) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
  });

  it('words a 429 for the quota that said no, with what the request asked of it under each charge', () => {
    const spec = scenario({}, { limit: { count: 3, windowMs: 60_000 }, tokens: { count: 1000, windowMs: 86_400_000 }, concurrent: 2, charge: 'reserve' }).providers[0]!;
    const chat = { model: 'gpt', promptTokens: 10, maxTokens: 50, outputTokens: 20, stream: false, includeUsage: false };
    const u = blankUsage();
    u.limitRequests = 3;
    u.remainingRequests = 0.5;
    u.limitTokens = 1000;
    u.remainingTokens = 940;
    expect(limitMessage(spec, chat, Dimension.requests, u, 1500)).toEqual(['Rate limit reached for gpt on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1.5s.', 'requests']);
    expect(limitMessage(spec, chat, Dimension.tokens, u, 20)).toEqual(['Rate limit reached for gpt on tokens per day (TPD): Limit 1000, Used 60, Requested 60. Please try again in 20ms.', 'tokens']);
    expect(limitMessage({ ...spec, charge: 'prompt' }, chat, Dimension.tokens, undefined, 0)[0]).toBe('Rate limit reached for gpt on tokens per day (TPD): Limit reached, Requested 10. Please try again in 0s.');
    expect(limitMessage({ ...spec, charge: 'actual' }, chat, Dimension.tokens, u, 0)[0]).toContain('Requested 1.');
    expect(limitMessage(spec, chat, Dimension.concurrent, u, 0)).toEqual(["Rate limit reached for gpt on concurrent requests: Limit 2, In flight 2. Try again when one of this key's requests has ended.", 'concurrent']);
    expect(limitMessage(spec, chat, Dimension.none, u, 0)).toEqual(['Rate limit reached for this key.', 'rate_limit_exceeded']);
    expect(tooLargeMessage(spec, { ...chat, maxTokens: undefined })).toBe(
      'Request too large for gpt on tokens per day (TPD): Limit 1000, Requested 30. The input or output tokens must be reduced in order to run successfully.',
    );
  });
});
