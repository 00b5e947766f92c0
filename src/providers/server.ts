import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { longTimeout } from '../core/long-timer.js';
import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../core/outcome.js';
import { MAX_TOKENS } from '../sim/dist.js';
import { stream } from '../sim/random.js';
import { WallClock } from '../sim/wall-clock.js';
import type { Provider } from './spec.js';
import { MockProvider } from './mock.js';
import { blankUsage, type ReplySink, type Usage } from './port.js';
import { countWords, DEFAULT_OUTPUT_TOKENS, formatDuration, OUTPUT_TOKENS_HEADER, rateLimitHeaders, TOO_LARGE, windowWords } from './wire.js';
import { RESET_HEADER, RESET_PATH, resetTokenProblem, SERVE_HEADER } from './reset.js';
import { AnswerWriter, type AnswerStats } from './answer.js';
import { isLoopback, ResetGuard } from './reset-guard.js';

export { isLoopback };

/** Options of `gatesim serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  /** Scenario time per wall time: 0.01 serves a 60 s window in 0.6 s. */
  timeScale: number;
  seed: number;
  /** Where the per-minute totals go (stderr by default; tests pass a no-op). */
  log: (line: string) => void;
  /**
   * Distinct keys (Authorization headers) each provider remembers, with their windows; beyond it
   * the least recently used one is forgotten and counted as evicted. Default 10,000.
   */
  maxKeys?: number;
  /** The token `POST /gatesim/reset` requires in `x-gatesim-reset`; without one, reset is off (404). */
  resetToken?: string;
}

/** Default and bounds of `maxKeys` (`--max-keys`). */
export const MAX_KEYS = { default: 10_000, min: 1, max: 1_000_000 } as const;

/** Largest request head (request line and headers) the server reads: beyond it, 431. Node's default, stated. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Largest request body: beyond it, 413. */
const MAX_BODY_BYTES = 1 << 20;

/** Totals per provider: since the last reset, or (`ServeTotals`) since start. */
export interface Totals {
  requests: number;
  ok: number;
  rateLimited: number;
  serverError: number;
  refused: number;
  /** Keys remembered now. */
  keys: number;
  /** Keys forgotten to stay within `maxKeys` (their windows with them). */
  evicted: number;
}

/** What `gatesim serve` has done since it started: per provider, and resets. */
export interface ServeTotals {
  providers: Record<string, Totals>;
  /** Resets done through `POST /gatesim/reset`. */
  resets: number;
  /** Requests the server could not parse or route (4xx before any provider saw them), and internal errors (500). */
  rejected: number;
}

const zero = (): Totals => ({ requests: 0, ok: 0, rateLimited: 0, serverError: 0, refused: 0, keys: 0, evicted: 0 });

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

/** A request `gatesim serve` cannot take: 400 with this message, naming the parameter. */
export class BadRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(JSON.stringify(v) ?? v).slice(0, 40));
const wholeTokens = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS;

/**
 * Longest `model` a request may name. Every answer repeats it — a non-streamed one in its head, a
 * stream in each of its events, up to 256 to a write — so a 1 MB name made each stream write
 * 256 MB (four such streams took serve from 98 MB to 2.16 GB). Real model names are tens of characters.
 */
export const MAX_MODEL_CHARS = 256;

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

/** One request from its arrival to its answer; a streamed one also holds where its stream stands. */
interface Pending {
  res: ServerResponse;
  key: number;
  chat: ChatRequest;
  id: string;
  created: number;
  /** Streams: the head was written (so errors go in the stream, not as a status). */
  head: boolean;
  /** When the first token is due and the time per token after it (scenario ms; NaN without a serving model: all at the end). */
  firstAt: number;
  tpot: number;
  /** Tokens written so far, and tokens due (written as the socket takes them). */
  sent: number;
  due: number;
  /** Waiting for the socket to drain before writing more. */
  waiting: boolean;
  /** What ends the stream once every due token is written (the answer came). */
  ending: string | undefined;
  /** The wall clock's timer for the next write, or -1. */
  timer: number;
  /** What every chunk of this stream starts with (id, created, model). */
  prefix: string;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.writableEnded || res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), [SERVE_HEADER]: '1', ...headers });
  res.end(text);
};

const error = (res: ServerResponse, status: number, message: string, type: string, headers?: Record<string, string>, param: string | null = null, code: string | null = null): void =>
  json(res, status, { error: { message, type, param, code } }, headers);

// Chunks of a stream: the first token carries the role, as OpenAI's first chunk does; tokens after it a leading space.
const TOKEN_END = '"},"finish_reason":null}]}\n\n';
/** Most token events in one write: a long answer due at once goes out in pieces, as the socket drains. */
const WRITE_TOKENS = 256;
const FAILED = `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`;

/**
 * One provider of the scenario behind HTTP: the same MockProvider model as the simulation, on the
 * wall clock, told each request's sizes. Keys are told apart by their Authorization header,
 * numbered in order of first sight. The header itself is not kept (a client could send thousands
 * of 8 KB ones): its SHA-256 is, and at most `maxKeys` of them, least recently used first out — an
 * evicted key's number and a fresh window go to the next new key.
 *
 * A streamed answer's head goes out when the model starts serving it, with the quotas as they
 * stand then; its tokens go out as the model's serving times say — the first at its time to first
 * token, then one per tpot — each its own `data:` event, those due within one wall millisecond in
 * one write, on one timer per stream at a time. Without a serving model the whole answer streams
 * when the model answers.
 */
class Endpoint implements ReplySink {
  readonly totals: Totals = zero();
  readonly model: MockProvider;
  /** SHA-256 of the Authorization header → key number; Map order is recency (oldest first). */
  private readonly keys = new Map<string, number>();
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;
  /** Streams with a head written and no end yet, and the timers they hold. */
  private readonly open = new Set<Pending>();
  timers = 0;
  private readonly kTick: number;
  /** The quotas a stream's head reports (reused). */
  private readonly headUsage: Usage = blankUsage();

  constructor(
    readonly spec: Provider,
    private readonly clock: WallClock,
    seed: number,
    private readonly maxKeys: number,
    private readonly answers: AnswerWriter,
  ) {
    this.model = new MockProvider(spec, 0, clock, stream(seed, `provider:${spec.name}`), this, { sized: true, stream: true });
    this.kTick = clock.on((token) => this.tick(token));
  }

  /** The key number of an Authorization header, remembering it as the most recently used. */
  private keyOf(auth: string): number {
    const digest = createHash('sha256').update(auth).digest('base64');
    let key = this.keys.get(digest);
    if (key !== undefined) {
      this.keys.delete(digest);
    } else if (this.keys.size < this.maxKeys) {
      // Numbers are only ever reused on eviction, so below the cap they are 0 … size-1.
      key = this.keys.size;
    } else {
      const [oldest, number] = this.keys.entries().next().value!;
      this.keys.delete(oldest);
      this.model.forget(number);
      this.totals.evicted++;
      key = number;
    }
    this.keys.set(digest, key);
    this.totals.keys = this.keys.size;
    return key;
  }

  /** Ends every request still waiting for this endpoint (a reset replaced it; its clock's timers are gone). */
  drop(): void {
    for (const p of this.pending.values()) {
      if (p.head) this.endStream(p, FAILED);
      else error(p.res, 503, 'The server was reset while this request waited.', 'server_error');
    }
    this.pending.clear();
    this.timers = 0;
  }

  chat(req: IncomingMessage, res: ServerResponse, body: string): void {
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S/.test(auth)) {
      error(res, 401, 'Missing bearer token in the Authorization header.', 'invalid_request_error');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      error(res, 400, 'The request body is not valid JSON.', 'invalid_request_error');
      return;
    }
    let chat: ChatRequest;
    try {
      chat = readChat(parsed, req.headers[OUTPUT_TOKENS_HEADER]);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      error(res, 400, e.message, 'invalid_request_error', undefined, e.param, 'invalid_value');
      return;
    }
    if (res.destroyed) return; // the client left during the handshake wait
    const key = this.keyOf(auth);
    const token = this.nextToken++;
    const id = `chatcmpl-gatesim-${token}`;
    const created = Math.floor(Date.now() / 1000);
    const p: Pending = { res, key, chat, id, created, head: false, firstAt: NaN, tpot: NaN, sent: 0, due: 0, waiting: false, ending: undefined, timer: -1, prefix: '' };
    if (chat.stream) p.prefix = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(chat.model)},"choices":[`;
    this.pending.set(token, p);
    res.on('close', () => this.left(token, p));
    this.totals.requests++;
    // Without max_tokens nothing is reserved beyond the answer itself.
    this.model.send(token, key, chat.promptTokens, chat.outputTokens, chat.maxTokens ?? chat.outputTokens);
  }

  /** The connection closed: a request still pending is forgotten, and its stream's timer stopped. */
  private left(token: number, p: Pending): void {
    this.pending.delete(token);
    this.stopTimer(p);
    this.open.delete(p);
  }

  live(token: number): boolean {
    return this.pending.has(token);
  }

  /** The model starts serving: a stream's head goes out now, and its first token is scheduled. */
  started(token: number, firstTokenAt = NaN, tpotMs = NaN): void {
    const p = this.pending.get(token);
    if (!p || !p.chat.stream || p.res.destroyed) return;
    const headers = rateLimitHeaders(this.model.quotaOf(p.key, blankUsage(this.headUsage)), this.clock.scale, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      [SERVE_HEADER]: '1',
    });
    p.res.writeHead(200, headers);
    p.res.flushHeaders();
    p.head = true;
    this.open.add(p);
    p.firstAt = firstTokenAt;
    p.tpot = tpotMs;
    if (firstTokenAt === firstTokenAt && p.chat.outputTokens > 0) this.schedule(p, token, firstTokenAt);
  }

  private schedule(p: Pending, token: number, at: number): void {
    p.timer = this.clock.at(at, this.kTick, token);
    this.timers++;
  }

  private stopTimer(p: Pending): void {
    if (p.timer < 0) return;
    this.clock.cancel(p.timer);
    p.timer = -1;
    this.timers--;
  }

  /** Streams open now. */
  get streams(): number {
    return this.open.size;
  }

  /** A stream's timer: every token due by now (and within a wall millisecond of it) is written, then it waits for the next. */
  private tick(token: number): void {
    const p = this.pending.get(token);
    if (!p) return;
    p.timer = -1;
    this.timers--;
    const soon = this.clock.now() + 1 / this.clock.scale;
    while (p.due < p.chat.outputTokens && p.firstAt + p.due * p.tpot <= soon) p.due++;
    this.pump(p);
    if (p.due < p.chat.outputTokens) this.schedule(p, token, p.firstAt + p.due * p.tpot);
  }

  /**
   * Writes the tokens due, each its own event, at most WRITE_TOKENS to a write and no more while
   * the socket has not drained (a client reading slowly holds the rest here, not in memory); then
   * the stream's ending, once the answer has come.
   */
  private pump(p: Pending): void {
    if (p.waiting) return;
    while (p.sent < p.due) {
      if (p.res.destroyed) return;
      const upTo = Math.min(p.due, p.sent + WRITE_TOKENS);
      let out = '';
      for (let i = p.sent; i < upTo; i++) {
        out += i === 0 ? `${p.prefix}{"index":0,"delta":{"role":"assistant","content":"tok${TOKEN_END}` : `${p.prefix}{"index":0,"delta":{"content":" tok${TOKEN_END}`;
      }
      p.sent = upTo;
      if (!p.res.write(out)) {
        p.waiting = true;
        p.res.once('drain', () => {
          p.waiting = false;
          this.pump(p);
        });
        return;
      }
    }
    if (p.ending !== undefined) this.endStream(p, p.ending);
  }

  /** The last write of a stream, then its end. */
  private endStream(p: Pending, last: string): void {
    this.stopTimer(p);
    this.open.delete(p);
    p.ending = undefined;
    if (!p.res.destroyed) p.res.end(last);
  }

  reply(token: number, outcome: OutcomeCode, retryAfterMs: number, limitedBy: DimensionCode = Dimension.none, usage?: Usage): void {
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    const res = p.res;
    const chat = p.chat;
    const prompt = usage && usage.promptTokens === usage.promptTokens ? usage.promptTokens : chat.promptTokens;
    const output = usage && usage.outputTokens === usage.outputTokens ? usage.outputTokens : chat.outputTokens;
    const finish = chat.maxTokens !== undefined && output >= chat.maxTokens ? 'length' : 'stop';
    if (p.head) {
      // A stream: its tokens all due now; a failure after the head breaks it off without [DONE].
      if (outcome === Outcome.ok) {
        this.totals.ok++;
        this.stopTimer(p);
        let last = `${p.prefix}{"index":0,"delta":{},"finish_reason":"${finish}"}]}\n\n`;
        if (chat.includeUsage) last += `${p.prefix}],"usage":{"prompt_tokens":${prompt},"completion_tokens":${output},"total_tokens":${prompt + output}}}\n\n`;
        p.due = chat.outputTokens;
        p.ending = `${last}data: [DONE]\n\n`;
        this.pump(p);
      } else if (outcome === Outcome.connectFailed) {
        this.totals.refused++;
        this.endStream(p, '');
        res.socket?.destroy();
      } else {
        this.totals.serverError++;
        this.endStream(p, FAILED);
      }
      return;
    }
    const headers = usage ? rateLimitHeaders(usage, this.clock.scale, {}) : {};
    switch (outcome) {
      case Outcome.ok:
        this.totals.ok++;
        // The JSON that JSON.stringify would write, the words in pieces as the socket takes them (answer.ts).
        this.answers.write(
          res,
          { 'content-type': 'application/json', [SERVE_HEADER]: '1', ...headers },
          `{"id":"${p.id}","object":"chat.completion","created":${p.created},"model":${JSON.stringify(chat.model)},"choices":[{"index":0,"message":{"role":"assistant","content":"`,
          output,
          `"},"finish_reason":"${finish}"}],"usage":{"prompt_tokens":${prompt},"completion_tokens":${output},"total_tokens":${prompt + output}}}`,
        );
        return;
      case Outcome.rateLimited: {
        this.totals.rateLimited++;
        const wallMs = Math.max(0, retryAfterMs * this.clock.scale);
        // Retry-after in wall time: whole seconds as HTTP says, and milliseconds as OpenAI sends.
        // A concurrency 429 has none: room comes when one of the key's answers ends, which no clock says.
        if (limitedBy !== Dimension.concurrent) {
          headers['retry-after'] = String(Math.ceil(wallMs / 1000));
          headers['retry-after-ms'] = String(Math.ceil(wallMs));
        }
        const [message, type] = this.limitMessage(chat, limitedBy, usage, wallMs);
        error(res, 429, message, type, headers, null, 'rate_limit_exceeded');
        return;
      }
      case Outcome.tooLarge: {
        // As OpenAI answers a request above a quota's whole capacity: a 429 that no wait can cure.
        this.totals.rateLimited++;
        const s = this.spec;
        const requested = s.charge === 'prompt' ? chat.promptTokens : chat.promptTokens + (chat.maxTokens ?? chat.outputTokens);
        const message = `${TOO_LARGE} for ${chat.model} on tokens per ${windowWords(s.tokens!.windowMs, 'tokens')}: Limit ${s.tokens!.count}, Requested ${requested}. The input or output tokens must be reduced in order to run successfully.`;
        error(res, 429, message, 'tokens', headers, null, 'rate_limit_exceeded');
        return;
      }
      case Outcome.connectFailed:
        // A provider that is down: the connection is reset, as a dead upstream would.
        this.totals.refused++;
        res.socket?.destroy();
        return;
      default:
        this.totals.serverError++;
        error(res, 500, 'The server had an error while processing your request.', 'server_error', headers);
    }
  }

  /** A 429's message and `error.type` as OpenAI words them, for the quota that said no. */
  private limitMessage(chat: ChatRequest, limitedBy: DimensionCode, u: Usage | undefined, wallMs: number): [string, string] {
    const again = `Please try again in ${formatDuration(wallMs)}.`;
    const used = (limit: number, remaining: number): string => (u && limit === limit ? `Limit ${limit}, Used ${Math.max(0, limit - Math.floor(remaining))}` : 'Limit reached');
    const s = this.spec;
    if (limitedBy === Dimension.requests) {
      return [`Rate limit reached for ${chat.model} on requests per ${windowWords(s.limit!.windowMs, 'requests')}: ${used(u?.limitRequests ?? NaN, u?.remainingRequests ?? NaN)}, Requested 1. ${again}`, 'requests'];
    }
    if (limitedBy === Dimension.tokens) {
      const max = chat.maxTokens ?? chat.outputTokens;
      const requested = s.charge === 'prompt' ? chat.promptTokens : s.charge === 'actual' ? 1 : chat.promptTokens + max;
      return [`Rate limit reached for ${chat.model} on tokens per ${windowWords(s.tokens!.windowMs, 'tokens')}: ${used(u?.limitTokens ?? NaN, u?.remainingTokens ?? NaN)}, Requested ${requested}. ${again}`, 'tokens'];
    }
    if (limitedBy === Dimension.concurrent) {
      return [`Rate limit reached for ${chat.model} on concurrent requests: Limit ${s.concurrent}, In flight ${s.concurrent}. Try again when one of this key's requests has ended.`, 'concurrent'];
    }
    return ['Rate limit reached for this key.', 'rate_limit_exceeded'];
  }
}

/** One line of totals per provider: what the per-minute log and the last line on stopping say. */
export function formatTotals(t: ServeTotals): string {
  const parts = Object.entries(t.providers).map(
    ([name, p]) =>
      `${name}: ${p.requests} requests, ${p.ok} ok, ${p.rateLimited} 429, ${p.serverError} 5xx, ${p.keys} keys${p.evicted ? ` (${p.evicted} evicted)` : ''}`,
  );
  const extra = [t.rejected ? `${t.rejected} rejected` : '', t.resets ? `${t.resets} resets` : ''].filter(Boolean);
  return [...parts, ...extra].join(' · ');
}

/** A running `gatesim serve`. */
export interface Serving {
  url: string;
  server: Server;
  /** Totals since start (keys: remembered now). */
  totals(): ServeTotals;
  /** What `POST /gatesim/reset` does: every window, queue and counter starts afresh, the clock at 0. */
  reset(): void;
  /** Streams open now (head written, not ended) and the timers they hold: both 0 once every client has gone. */
  streams(): { open: number; timers: number };
  /** Non-streamed answers being written now and the bytes they hold (bounded per answer; all 0 once their clients have gone). */
  answers(): AnswerStats;
  close(): Promise<void>;
}

/** The providers as they stand since the last reset. */
interface State {
  clock: WallClock;
  endpoints: Map<string, Endpoint>;
  /** With one provider, `/v1/…` reaches it too. */
  only: Endpoint | undefined;
}

/**
 * `gatesim serve`: the scenario's providers as an OpenAI-compatible HTTP server on loopback —
 * `/v1/chat/completions` and `/v1/models`, under `/<provider>/v1/…` each (and `/v1/…` too when
 * there is one). Latency, failures, capacity, per-key limits (429 + retry-after), faults, the
 * connection cap and the handshake cost are the scenario's, scaled by `timeScale`.
 *
 * No request can stop it: a path it cannot decode, a head over MAX_HEADER_BYTES, a body over
 * 1 MiB, a bad method or JSON each get a 4xx and the server carries on; memory per distinct key is
 * bounded by `maxKeys`. `POST /gatesim/reset` (loopback only, with the token) starts every
 * provider afresh, so a study of several variants needs no wait between them.
 */
export async function serve(providers: readonly Provider[], opts: ServeOptions): Promise<Serving> {
  const weak = opts.resetToken === undefined ? undefined : resetTokenProblem(opts.resetToken);
  if (weak) throw new RangeError(`resetToken: ${weak}`);
  const maxKeys = opts.maxKeys ?? MAX_KEYS.default;
  if (!Number.isInteger(maxKeys) || maxKeys < MAX_KEYS.min || maxKeys > MAX_KEYS.max) {
    throw new RangeError(`maxKeys must be an integer from ${MAX_KEYS.min} to ${MAX_KEYS.max}, got ${maxKeys}`);
  }
  // Outlives resets: an answer being written when one comes is finished (its model already answered).
  const answers = new AnswerWriter();
  const build = (): State => {
    const clock = new WallClock(opts.timeScale);
    const endpoints = new Map<string, Endpoint>();
    for (const p of providers) endpoints.set(p.name, new Endpoint(p, clock, opts.seed, maxKeys, answers));
    return { clock, endpoints, only: providers.length === 1 ? endpoints.get(providers[0]!.name)! : undefined };
  };
  let state = build();
  // Totals of the endpoints that resets replaced, so the log still counts since start.
  const before = new Map<string, Totals>(providers.map((p) => [p.name, zero()]));
  let resets = 0;
  let rejected = 0;

  const totals = (): ServeTotals => {
    const out: Record<string, Totals> = {};
    for (const [name, e] of state.endpoints) {
      const b = before.get(name)!;
      const t = e.totals;
      out[name] = {
        requests: b.requests + t.requests,
        ok: b.ok + t.ok,
        rateLimited: b.rateLimited + t.rateLimited,
        serverError: b.serverError + t.serverError,
        refused: b.refused + t.refused,
        keys: t.keys,
        evicted: b.evicted + t.evicted,
      };
    }
    return { providers: out, resets, rejected };
  };

  const reset = (): void => {
    const old = state;
    for (const [name, t] of Object.entries(totals().providers)) before.set(name, { ...t, keys: 0 });
    state = build();
    old.clock.stop();
    for (const e of old.endpoints.values()) e.drop();
    resets++;
  };

  // A new connection is usable only after the scenario's handshake (scaled): fresh connections pay it.
  const handshakeMs = Math.max(...providers.map((p) => p.connect.handshakeMs)) * opts.timeScale;
  const readyAt = new WeakMap<Socket, number>();

  /** The provider a path names and the rest of the path; throws URIError on a malformed escape. */
  const route = (url: string): { endpoint: Endpoint | undefined; path: string } => {
    const m = /^\/([^/]+)(\/v1\/.*)$/.exec(url);
    if (m) {
      const named = state.endpoints.get(decodeURIComponent(m[1]!));
      if (named) return { endpoint: named, path: m[2]! };
    }
    return { endpoint: state.only, path: url };
  };

  const guard = new ResetGuard(opts.resetToken);
  const resetRoute = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    const refused = guard.check(req.method, req.socket.remoteAddress, req.headers[RESET_HEADER]);
    if (refused) return error(res, refused.status, refused.message, refused.type, refused.headers);
    reset();
    json(res, 200, { reset: true, resets });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === RESET_PATH) return resetRoute(req, res);
    let endpoint: Endpoint | undefined;
    let path: string;
    try {
      ({ endpoint, path } = route(url));
    } catch {
      rejected++;
      req.resume();
      return error(res, 400, 'Malformed percent-escape in the path.', 'invalid_request_error');
    }
    if (!endpoint) {
      rejected++;
      req.resume();
      return error(res, 404, `No provider here; known: ${[...state.endpoints.keys()].map((n) => `/${n}/v1`).join(', ')}`, 'invalid_request_error');
    }
    if (req.method === 'GET' && path === '/v1/models') {
      req.resume();
      return json(res, 200, { object: 'list', data: [{ id: 'gatesim-mock', object: 'model', owned_by: endpoint.spec.name }] });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      rejected++;
      req.resume();
      return error(res, 404, `Unknown route ${req.method} ${path}`, 'invalid_request_error');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        rejected++;
        error(res, 413, 'Request body over 1 MiB.', 'invalid_request_error', { connection: 'close' });
        res.once('finish', () => req.destroy());
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return;
      const body = Buffer.concat(chunks).toString('utf8');
      const wait = (readyAt.get(req.socket) ?? 0) - performance.now();
      if (wait > 0) longTimeout(() => endpoint.chat(req, res, body), wait);
      else endpoint.chat(req, res, body);
    });
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    // A client that goes away mid-request is not an error of the server's.
    req.on('error', () => {});
    res.on('error', () => {});
    try {
      handle(req, res);
    } catch {
      rejected++;
      error(res, 500, 'The server failed on this request.', 'server_error');
    }
  });
  server.on('connection', (socket: Socket) => readyAt.set(socket, performance.now() + handshakeMs));
  // A request node could not parse never reaches the handler: answer it here, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    rejected++;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    const body = JSON.stringify({ error: { message: reason, type: 'invalid_request_error', code: null } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${SERVE_HEADER}: 1\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  const cap = providers.reduce((a, p) => a + p.connect.max, 0);
  if (Number.isFinite(cap)) server.maxConnections = cap;
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const started = Date.now();
  const minute = setInterval(() => opts.log(`[${Math.round((Date.now() - started) / 60_000)} min] ${formatTotals(totals())}`), 60_000);
  minute.unref();
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    server,
    totals,
    reset,
    streams: () => {
      let open = 0;
      let timers = 0;
      for (const e of state.endpoints.values()) {
        open += e.streams;
        timers += e.timers;
      }
      return { open, timers };
    },
    answers: () => answers.stats(),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(minute);
        state.clock.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
