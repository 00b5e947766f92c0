import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Dimension, type DimensionCode } from '../core/outcome.js';
import { MAX_TOKENS } from '../sim/dist.js';
import type { Usage } from './port.js';
import { SERVE_HEADER } from './reset.js';
import type { Provider } from './spec.js';
import { countWords, DEFAULT_OUTPUT_TOKENS, formatDuration, OUTPUT_TOKENS_HEADER, TOO_LARGE, windowWords } from './wire.js';

/**
 * The OpenAI wire as `gatesim serve` speaks it: reading a chat completion request (its body up to
 * MAX_BODY_BYTES, its bearer token, its sizes) and writing every answer that is not a stream — the
 * JSON envelopes of errors, the 429s' wording and a completion's JSON around its words. No state:
 * what a request becomes is the endpoint's (endpoint.ts), how a stream is paced is stream.ts's.
 */

/** Largest request body: beyond it, 413. */
export const MAX_BODY_BYTES = 1 << 20;

/**
 * Longest `model` a request may name. Every answer repeats it — a non-streamed one in its head, a
 * stream in each of its events, up to 256 to a write — so a 1 MB name made each stream write
 * 256 MB (four such streams took serve from 98 MB to 2.16 GB). Real model names are tens of characters.
 */
export const MAX_MODEL_CHARS = 256;

/** A chat completion request as `gatesim serve` reads it: its sizes (a word is a token) and how to answer. */
export interface ChatRequest {
  model: string;
  /** Whitespace-separated words over every message's text. */
  promptTokens: number;
  /** `max_completion_tokens`, else `max_tokens`; undefined when neither is given. */
  maxTokens: number | undefined;
  /** The answer's length: `x-gatesim-output-tokens`, else max_tokens, else 16. */
  outputTokens: number;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk carries usage (as OpenAI sends it). */
  includeUsage: boolean;
}

/**
 * A request `gatesim serve` cannot take: `status` (400 by default) with this message, naming the
 * parameter, and `code` (`invalid_value` by default) in the OpenAI error.
 */
export class BadRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null,
    readonly status = 400,
    readonly code: string | null = 'invalid_value',
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(JSON.stringify(v) ?? v).slice(0, 40));
const wholeTokens = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS;

/**
 * Reads an OpenAI chat completion body (already parsed, at most 1 MiB) and the output header:
 * prompt tokens are the words of every message's `content` (a string, or `text` parts); the rest
 * is bounded by MAX_TOKENS. Throws BadRequest, OpenAI-style, naming what is wrong.
 */
export function readChat(body: unknown, outputHeader: string | string[] | undefined): ChatRequest {
  if (!isObject(body) || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
    throw new BadRequest('Expected a JSON object with "model" (string) and "messages" (array).', null);
  }
  if (body.model.length > MAX_MODEL_CHARS) throw new BadRequest(`model: expected at most ${MAX_MODEL_CHARS} characters, got ${body.model.length}`, 'model');
  let prompt = 0;
  body.messages.forEach((m: unknown, i: number) => {
    if (!isObject(m)) throw new BadRequest(`messages[${i}]: expected an object, got ${shown(m)}`, `messages[${i}]`);
    const content = m.content;
    if (typeof content === 'string') prompt += countWords(content);
    else if (Array.isArray(content)) {
      content.forEach((part: unknown, j: number) => {
        if (!isObject(part)) throw new BadRequest(`messages[${i}].content[${j}]: expected a content part object, got ${shown(part)}`, `messages[${i}].content[${j}]`);
        if (part.type !== 'text') return; // images, audio: no words
        if (typeof part.text !== 'string') throw new BadRequest(`messages[${i}].content[${j}].text: expected a string, got ${shown(part.text)}`, `messages[${i}].content[${j}].text`);
        prompt += countWords(part.text);
      });
    } else if (content !== undefined && content !== null) {
      throw new BadRequest(`messages[${i}].content: expected a string or an array of content parts, got ${shown(content)}`, `messages[${i}].content`);
    }
  });
  const max = (name: 'max_completion_tokens' | 'max_tokens'): number | undefined => {
    const v = body[name];
    if (v === undefined || v === null) return undefined;
    if (!wholeTokens(v)) throw new BadRequest(`${name}: expected a whole number from 0 to ${MAX_TOKENS}, got ${shown(v)}`, name);
    return v;
  };
  const completion = max('max_completion_tokens');
  const maxTokens = completion ?? max('max_tokens');
  let output = maxTokens ?? DEFAULT_OUTPUT_TOKENS;
  const header = Array.isArray(outputHeader) ? outputHeader[0] : outputHeader;
  if (header !== undefined) {
    const bound = maxTokens ?? MAX_TOKENS;
    const n = /^\s*\d{1,8}\s*$/.test(header) ? Number(header) : NaN;
    if (!(n <= bound)) {
      const what = maxTokens === undefined ? String(MAX_TOKENS) : `max_tokens (${maxTokens})`;
      throw new BadRequest(`${OUTPUT_TOKENS_HEADER}: expected a whole number from 0 to ${what}, got ${shown(header)}`, OUTPUT_TOKENS_HEADER);
    }
    output = n;
  }
  const stream = body.stream ?? false;
  if (stream !== null && typeof stream !== 'boolean') throw new BadRequest(`stream: expected true or false, got ${shown(stream)}`, 'stream');
  const options = body.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (stream !== true) throw new BadRequest('stream_options: only allowed when stream is true', 'stream_options');
    if (!isObject(options)) throw new BadRequest(`stream_options: expected an object, got ${shown(options)}`, 'stream_options');
    const inc = options.include_usage ?? false;
    if (typeof inc !== 'boolean') throw new BadRequest(`stream_options.include_usage: expected true or false, got ${shown(inc)}`, 'stream_options.include_usage');
    includeUsage = inc;
  }
  return { model: body.model, promptTokens: prompt, maxTokens, outputTokens: output, stream: stream === true, includeUsage };
}

/** A chat completion request that may go to a provider: who sent it (the Authorization header) and what it asks. */
export interface ChatCall {
  auth: string;
  chat: ChatRequest;
}

/**
 * The whole check of a chat completion request, in the order the server answers it: a bearer
 * token (else 401), a body that is JSON (else 400), then `readChat`. Throws BadRequest with the
 * status and error to answer.
 */
export function readChatCall(headers: IncomingHttpHeaders, body: string): ChatCall {
  const auth = headers.authorization;
  if (!auth || !/^Bearer\s+\S/.test(auth)) throw new BadRequest('Missing bearer token in the Authorization header.', null, 401, null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('The request body is not valid JSON.', null, 400, null);
  }
  return { auth, chat: readChat(parsed, headers[OUTPUT_TOKENS_HEADER]) };
}

/**
 * Reads a request's body, at most MAX_BODY_BYTES of it, and hands it on as text. Beyond that it
 * answers 413 and closes the connection once the answer is out: `tooLarge` is told, `done` never.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, done: (body: string) => void, tooLarge: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      over = true;
      tooLarge();
      sendError(res, 413, 'Request body over 1 MiB.', 'invalid_request_error', { connection: 'close' });
      res.once('finish', () => req.destroy());
    } else chunks.push(c);
  });
  req.on('end', () => {
    if (over) return;
    done(Buffer.concat(chunks).toString('utf8'));
  });
}

/** A JSON answer with its exact length and the serve header; nothing when an answer has begun or the client has gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), [SERVE_HEADER]: '1', ...headers });
  res.end(text);
}

/** An error as OpenAI writes one: `{ error: { message, type, param, code } }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  headers?: Record<string, string>,
  param: string | null = null,
  code: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code } }, headers);
}

/**
 * The whole HTTP answer to a request node could not parse (it never reaches a handler): 431 for a
 * head over the limit, 408 for one that took too long, else 400; the connection closes after it.
 */
export function clientErrorAnswer(code: string | undefined): string {
  const [status, reason] = code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = JSON.stringify({ error: { message: reason, type: 'invalid_request_error', code: null } });
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${SERVE_HEADER}: 1\r\nconnection: close\r\n\r\n${body}`;
}

/** A 429's message and `error.type` as OpenAI words them, for the quota of `spec` that said no (`u`: the key's quotas then; `wallMs`: the wait). */
export function limitMessage(spec: Provider, chat: ChatRequest, limitedBy: DimensionCode, u: Usage | undefined, wallMs: number): [string, string] {
  const again = `Please try again in ${formatDuration(wallMs)}.`;
  const used = (limit: number, remaining: number): string => (u && limit === limit ? `Limit ${limit}, Used ${Math.max(0, limit - Math.floor(remaining))}` : 'Limit reached');
  if (limitedBy === Dimension.requests) {
    return [`Rate limit reached for ${chat.model} on requests per ${windowWords(spec.limit!.windowMs, 'requests')}: ${used(u?.limitRequests ?? NaN, u?.remainingRequests ?? NaN)}, Requested 1. ${again}`, 'requests'];
  }
  if (limitedBy === Dimension.tokens) {
    const max = chat.maxTokens ?? chat.outputTokens;
    const requested = spec.charge === 'prompt' ? chat.promptTokens : spec.charge === 'actual' ? 1 : chat.promptTokens + max;
    return [`Rate limit reached for ${chat.model} on tokens per ${windowWords(spec.tokens!.windowMs, 'tokens')}: ${used(u?.limitTokens ?? NaN, u?.remainingTokens ?? NaN)}, Requested ${requested}. ${again}`, 'tokens'];
  }
  if (limitedBy === Dimension.concurrent) {
    return [`Rate limit reached for ${chat.model} on concurrent requests: Limit ${spec.concurrent}, In flight ${spec.concurrent}. Try again when one of this key's requests has ended.`, 'concurrent'];
  }
  return ['Rate limit reached for this key.', 'rate_limit_exceeded'];
}

/** OpenAI's 429 for a request above the whole capacity of `spec`'s token quota (`error.type` `tokens`): no wait cures it. */
export function tooLargeMessage(spec: Provider, chat: ChatRequest): string {
  const requested = spec.charge === 'prompt' ? chat.promptTokens : chat.promptTokens + (chat.maxTokens ?? chat.outputTokens);
  return `${TOO_LARGE} for ${chat.model} on tokens per ${windowWords(spec.tokens!.windowMs, 'tokens')}: Limit ${spec.tokens!.count}, Requested ${requested}. The input or output tokens must be reduced in order to run successfully.`;
}

/** A completion's `"usage":{…}` member, as OpenAI writes it (both answers end with it). */
export const usageJson = (prompt: number, output: number): string => `"usage":{"prompt_tokens":${prompt},"completion_tokens":${output},"total_tokens":${prompt + output}}`;

/** A non-streamed completion's JSON up to its content's opening quote: what JSON.stringify would write. */
export const completionHead = (id: string, created: number, model: string): string =>
  `{"id":"${id}","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"message":{"role":"assistant","content":"`;

/** A non-streamed completion's JSON from its content's closing quote. */
export const completionTail = (finish: string, prompt: number, output: number): string => `"},"finish_reason":"${finish}"}],${usageJson(prompt, output)}}`;
