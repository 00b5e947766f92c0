import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../core/outcome.js';
import type { WallClock } from '../sim/wall-clock.js';
import type { Provider, RequestTemplate } from './spec.js';
import { blankUsage, type ProviderPort, type ProviderStats, type ReplySink, type Usage } from './port.js';
import { limitedByOf, tooLargeOf, OUTPUT_TOKENS_HEADER, readRateLimitHeaders, wordsOf } from './wire.js';

/** Sockets opened, counted where they are opened (undici's connector), not assumed. */
export interface SocketCounter {
  opened: number;
}

/** A connector that counts every socket it opens. */
function countingConnector(counter: SocketCounter): buildConnector.connector {
  const connect = buildConnector({});
  return (opts, callback) => {
    counter.opened++;
    return connect(opts, callback);
  };
}

/** 429's wait, in scenario ms: OpenAI's `retry-after-ms` if present, else `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, scale: number): number {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const ms = Number(one(headers['retry-after-ms']));
  if (Number.isFinite(ms) && ms >= 0) return ms / scale;
  const raw = one(headers['retry-after']);
  if (raw === undefined) return 0;
  const s = Number(raw);
  if (Number.isFinite(s) && s >= 0) return (s * 1000) / scale;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) / scale : 0;
}

/** An HTTP status as a gatesim outcome. */
export function classify(status: number): OutcomeCode {
  if (status >= 200 && status < 300) return Outcome.ok;
  if (status === 429) return Outcome.rateLimited;
  return Outcome.serverError;
}

/** Errors that mean the request never reached a server that answered. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** What real mode's requests carry besides the template. */
export interface HttpOptions {
  /** Requests have sizes (workload.tokens): a prompt of that many words, max_tokens, x-gatesim-output-tokens; answers' usage is read. */
  sized: boolean;
  /** Ask for server-sent events (request.stream), with stream_options.include_usage. */
  stream: boolean;
  /** Read the x-ratelimit headers and a 429's quota even without sizes (a client limiter learns from them). */
  figures?: boolean;
}

/** Largest answer body read whole (a non-streamed answer, for its usage): beyond it the rest is not read. */
const MAX_ANSWER_BYTES = 64 << 20;
/** Largest error body read (a 429's, for its dimension). */
const MAX_ERROR_BYTES = 64 << 10;
/** Longest line of a stream: an event longer than this breaks the stream. */
const MAX_EVENT_BYTES = 1 << 20;

type Body = Dispatcher.ResponseData['body'];

/** A body's text, or undefined when it is longer than `cap` bytes (the rest is not read). */
async function readText(body: Body, cap: number): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      body.destroy();
      return undefined;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The prompt and completion tokens of an answer's `usage`, into `u` (left NaN when absent). */
function readUsage(body: unknown, u: { promptTokens: number; outputTokens: number }): void {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null } | null)?.usage;
  if (!usage || typeof usage !== 'object') return;
  if (typeof usage.prompt_tokens === 'number' && Number.isFinite(usage.prompt_tokens)) u.promptTokens = usage.prompt_tokens;
  if (typeof usage.completion_tokens === 'number' && Number.isFinite(usage.completion_tokens)) u.outputTokens = usage.completion_tokens;
}

/**
 * One streamed answer as it arrives: its events' `data:` lines, the content tokens counted with
 * when the first and the last came (scenario ms), the usage chunk, `[DONE]`. An error event, a
 * line that is not JSON, or one longer than MAX_EVENT_BYTES breaks it.
 */
class StreamRead {
  tokens = 0;
  firstAt = NaN;
  lastAt = NaN;
  promptTokens = NaN;
  outputTokens = NaN;
  done = false;
  broken = false;
  private rest = '';

  /** Reads `text`, which arrived at `now`; calls `gap` for each token after the first. */
  feed(text: string, now: number, gap: (ms: number) => void): void {
    this.rest += text;
    let from = 0;
    for (let nl = this.rest.indexOf('\n'); nl >= 0; nl = this.rest.indexOf('\n', from)) {
      this.line(this.rest.slice(from, nl), now, gap);
      from = nl + 1;
    }
    this.rest = this.rest.slice(from);
    if (this.rest.length > MAX_EVENT_BYTES) this.broken = true;
  }

  private line(raw: string, now: number, gap: (ms: number) => void): void {
    if (!raw.startsWith('data:') || this.done) return; // blank lines end events; comments, event names and ids say nothing here
    const data = raw.slice(5).trim();
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    const event = parse(data) as { error?: unknown; choices?: { delta?: { content?: unknown } }[] } | undefined;
    if (!event || typeof event !== 'object' || event.error) {
      this.broken = true;
      return;
    }
    const content = event.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content.length > 0) {
      if (this.tokens === 0) this.firstAt = now;
      else gap(now - this.lastAt);
      this.lastAt = now;
      this.tokens++;
    }
    readUsage(event, this);
  }
}

/**
 * Real mode's provider port: OpenAI-compatible `POST {url}/chat/completions` over undici, each
 * request carrying its key as `Authorization: Bearer …`. `pooled`: one keep-alive agent per key
 * (the Python review client's client per (key, URL)); `fresh`: every request opens its own connection and
 * closes it. Replies are classified as in the simulation (2xx ok, 429 with retry-after, other
 * statuses 5xx-like, socket errors connectFailed). The dispatcher's own timer handles timeouts and
 * calls `abandon`, which aborts the request.
 *
 * With sizes, a request's prompt is that many words (a word is a token to `gatesim serve`) with its
 * max_tokens and `x-gatesim-output-tokens`, and the answer's usage, `x-ratelimit-*` headers and a
 * 429's dimension go to the sink in one reused Usage. Streamed, the answer is read as it comes:
 * when its first content token arrived, each gap after it, and a stream that breaks off (no
 * `[DONE]`, an error event) is a serverError.
 */
export class HttpProvider implements ProviderPort {
  readonly stats: ProviderStats = { requests: 0, ok: 0, failed: 0, rateLimited: 0, busyPeak: 0, queuePeak: 0 };
  private readonly agents: Dispatcher[];
  private readonly inFlight = new Map<number, AbortController>();
  private readonly endpoint: string;
  /** The whole body without sizes; with them, everything before max_tokens and the prompt. */
  private readonly body: string;
  private readonly usage: Usage = blankUsage();
  private busy = 0;

  constructor(
    private readonly spec: Provider,
    private readonly keys: readonly string[],
    private readonly pooled: boolean,
    template: RequestTemplate,
    private readonly clock: WallClock,
    private readonly sink: ReplySink,
    readonly sockets: SocketCounter,
    private readonly options: HttpOptions = { sized: false, stream: false },
  ) {
    if (!spec.url) throw new Error(`provider ${spec.name} has no url`);
    this.endpoint = `${spec.url}/chat/completions`;
    const base: Record<string, unknown> = template.body ?? { model: template.model, max_tokens: template.maxTokens, messages: [{ role: 'user', content: template.prompt }] };
    const streamed = options.stream ? { stream: true, stream_options: { include_usage: true } } : {};
    if (options.sized) {
      // max_tokens and the prompt go last, written per request.
      const { max_tokens: _m, max_completion_tokens: _c, messages: _p, ...rest } = base;
      const head = JSON.stringify({ ...rest, ...streamed });
      this.body = head === '{}' ? '{' : `${head.slice(0, -1)},`;
    } else this.body = options.stream ? JSON.stringify({ ...base, ...streamed }) : JSON.stringify(base);
    const connect = countingConnector(sockets);
    const make = (): Dispatcher =>
      new Agent({ connect, keepAliveTimeout: 60_000, connections: pooled ? null : undefined, pipelining: pooled ? 1 : 0 });
    // Pooled: an agent per key. Fresh: one agent whose requests each ask for their own connection.
    this.agents = pooled ? keys.map(make) : [make()];
  }

  /** A request's body with sizes: `prompt` words and its max_tokens (the words are a slice of one cached string). */
  private sizedBody(prompt: number, maxTokens: number): string {
    return `${this.body}"max_tokens":${maxTokens},"messages":[{"role":"user","content":"${wordsOf(prompt)}"}]}`;
  }

  send(token: number, key: number, prompt = 0, output = 0, maxTokens = 0): void {
    this.stats.requests++;
    if (++this.busy > this.stats.busyPeak) this.stats.busyPeak = this.busy;
    const abort = new AbortController();
    this.inFlight.set(token, abort);
    this.sink.started(token);
    const sized = this.options.sized;
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${this.keys[key]}` };
    if (sized) headers[OUTPUT_TOKENS_HEADER] = String(output);
    request(this.endpoint, {
      method: 'POST',
      dispatcher: this.agents[this.pooled ? key : 0],
      headers,
      body: sized ? this.sizedBody(prompt, maxTokens) : this.body,
      signal: abort.signal,
      reset: !this.pooled,
    }).then(
      (res) =>
        this.read(token, res).catch((e: unknown) => {
          // Answered already: the error is the sink's, not the wire's.
          if (!this.inFlight.has(token)) throw e;
          // The answer broke off while it was read (or the attempt was abandoned).
          this.done(token, abort.signal.aborted ? -1 : Outcome.serverError, 0, Dimension.none, false);
        }),
      (err: { code?: string; name?: string }) => {
        if (err?.name === 'AbortError' || abort.signal.aborted) return this.done(token, -1, 0, Dimension.none, false);
        this.done(token, CONNECT_ERRORS.has(err?.code ?? '') ? Outcome.connectFailed : Outcome.serverError, 0, Dimension.none, false);
      },
    );
  }

  /** Reads an answer: as today without sizes or streaming; otherwise its usage, quotas, dimension and stream. */
  private async read(token: number, res: Dispatcher.ResponseData): Promise<void> {
    let outcome: OutcomeCode = classify(res.statusCode);
    const retry = outcome === Outcome.rateLimited ? retryAfterMs(res.headers, this.clock.scale) : 0;
    const { sized, stream, figures } = this.options;
    if (!sized && !stream) {
      if (!figures) {
        await res.body.dump();
        return this.done(token, outcome, retry, Dimension.none, false);
      }
      // A learning limiter reads the provider's word on every answer: its quotas' figures, a 429's quota.
      const limitedBy = outcome === Outcome.rateLimited ? limitedByOf(parse(await readText(res.body, MAX_ERROR_BYTES))) : Dimension.none;
      if (outcome !== Outcome.rateLimited) await res.body.dump();
      readRateLimitHeaders(res.headers, this.clock.scale, blankUsage(this.usage));
      return this.done(token, outcome, retry, limitedBy, true);
    }
    let limitedBy: DimensionCode = Dimension.none;
    const got = { promptTokens: NaN, outputTokens: NaN, firstAt: NaN, tpot: NaN };
    const type = res.headers['content-type'];
    if (outcome === Outcome.ok && typeof type === 'string' && type.startsWith('text/event-stream')) {
      const s = new StreamRead();
      res.body.setEncoding('utf8');
      const gap = (ms: number): void => this.sink.gap?.(token, ms);
      for await (const text of res.body as AsyncIterable<string>) {
        s.feed(text, this.clock.now(), gap);
        if (s.broken) {
          res.body.destroy();
          break;
        }
      }
      if (!s.done || s.broken) outcome = Outcome.serverError;
      else {
        got.promptTokens = s.promptTokens;
        got.outputTokens = s.outputTokens === s.outputTokens ? s.outputTokens : s.tokens;
        got.firstAt = s.firstAt;
        got.tpot = s.tokens > 1 ? (s.lastAt - s.firstAt) / (s.tokens - 1) : NaN;
      }
    } else if (outcome === Outcome.ok) {
      readUsage(parse(await readText(res.body, MAX_ANSWER_BYTES)), got);
    } else if (outcome === Outcome.rateLimited) {
      const body = parse(await readText(res.body, MAX_ERROR_BYTES));
      limitedBy = limitedByOf(body);
      // "Request too large": more than the quota ever admits; no retry-after helps.
      if (tooLargeOf(body)) outcome = Outcome.tooLarge;
    } else await res.body.dump();
    const u = blankUsage(this.usage);
    readRateLimitHeaders(res.headers, this.clock.scale, u);
    if (outcome === Outcome.ok) {
      u.promptTokens = got.promptTokens;
      u.outputTokens = got.outputTokens;
      u.firstTokenAt = got.firstAt;
      u.tpotMs = got.tpot;
    }
    this.done(token, outcome, retry, limitedBy, sized || stream || figures === true);
  }

  /** The dispatcher gave up on the attempt (timeout): stop waiting for it. */
  abandon(token: number): void {
    this.inFlight.get(token)?.abort();
  }

  check(_costMs: number, done: (ok: boolean) => void): void {
    request(`${this.spec.url}/models`, { dispatcher: this.agents[0], headers: { authorization: `Bearer ${this.keys[0]}` } }).then(
      async (res) => {
        await res.body.dump();
        done(res.statusCode === 200);
      },
      () => done(false),
    );
  }

  async close(): Promise<void> {
    for (const a of this.inFlight.values()) a.abort();
    await Promise.all(this.agents.map((a) => a.close().catch(() => undefined)));
  }

  /** Hands the outcome to the sink, once per attempt; with `withUsage`, the Usage filled just before. */
  private done(token: number, outcome: OutcomeCode | -1, retryAfter: number, limitedBy: DimensionCode, withUsage: boolean): void {
    if (!this.inFlight.delete(token)) return;
    this.busy--;
    if (outcome === -1) return;
    if (outcome === Outcome.ok) this.stats.ok++;
    else if (outcome === Outcome.rateLimited) this.stats.rateLimited++;
    else this.stats.failed++;
    if (withUsage) this.sink.reply(token, outcome, retryAfter, limitedBy, this.usage);
    else this.sink.reply(token, outcome, retryAfter, limitedBy);
  }
}
