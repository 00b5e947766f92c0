import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { MAX_DURATION_MS } from '../core/limits.js';
import { deadline } from '../core/long-timer.js';
import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../core/outcome.js';
import { MAX_TOKENS } from '../sim/dist.js';
import type { WallClock } from '../sim/wall-clock.js';
import { AnswerScan } from './answer-scan.js';
import type { Provider, RequestTemplate } from './spec.js';
import { AttemptLog, type AttemptEnd, type AttemptRecord } from './attempt-log.js';
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

/**
 * 429's wait, in scenario ms: OpenAI's `retry-after-ms` if present, else `retry-after` (seconds or a
 * date). A wait beyond a year of wall time (the longest duration a scenario may give) is a year:
 * the retry still waits it out (or the run's --max-duration ends first), never fires at once.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, scale: number): number {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const wall = (ms: number): number => Math.min(ms, MAX_DURATION_MS) / scale;
  const ms = Number(one(headers['retry-after-ms']));
  if (Number.isFinite(ms) && ms >= 0) return wall(ms);
  const raw = one(headers['retry-after']);
  if (raw === undefined) return 0;
  const s = Number(raw);
  if (Number.isFinite(s) && s >= 0) return wall(s * 1000);
  const at = Date.parse(raw);
  return Number.isFinite(at) ? wall(Math.max(0, at - Date.now())) : 0;
}

/** An HTTP status as a gatesim outcome. */
export function classify(status: number): OutcomeCode {
  if (status >= 200 && status < 300) return Outcome.ok;
  if (status === 429) return Outcome.rateLimited;
  return Outcome.serverError;
}

/** An outcome as the attempt log names it. */
const ENDS: Partial<Record<OutcomeCode, AttemptEnd>> = {
  [Outcome.ok]: 'ok',
  [Outcome.rateLimited]: 'rateLimited',
  [Outcome.serverError]: 'serverError',
  [Outcome.connectFailed]: 'connectFailed',
  [Outcome.tooLarge]: 'tooLarge',
};

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

/** Largest error body read (a 429's, for its dimension). */
const MAX_ERROR_BYTES = 64 << 10;
/** Longest a health check's exchange may take, wall ms (`GET {url}/models`). */
const CHECK_DEADLINE_MS = 30_000;
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

/**
 * Reads a non-streamed answer through an AnswerScan, holding only its `usage`: the scan when the
 * body is a whole chat completion, undefined when it is not (then the rest is not read).
 */
async function scanAnswer(body: Body): Promise<AnswerScan | undefined> {
  const scan = new AnswerScan();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    scan.feed(chunk);
    if (scan.broken) {
      body.destroy();
      return undefined;
    }
  }
  return scan.complete() ? scan : undefined;
}

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** A token count as `usage` may give it: a whole number from 0 to MAX_TOKENS (anything else is no count). */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS;

/**
 * The prompt and completion tokens of a `usage` object, into `u` (left NaN when absent or not a
 * whole number from 0 to MAX_TOKENS: a stream then counts its content events instead).
 */
function readUsage(usage: unknown, u: { promptTokens: number; outputTokens: number }): void {
  if (!usage || typeof usage !== 'object') return;
  const { prompt_tokens: prompt, completion_tokens: completion } = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  if (isCount(prompt)) u.promptTokens = prompt;
  if (isCount(completion)) u.outputTokens = completion;
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
    const event = parse(data) as { error?: unknown; usage?: unknown; choices?: { delta?: { content?: unknown } }[] } | undefined;
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
    readUsage(event.usage, this);
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
  /** Health checks in flight. */
  private readonly checks = new Set<AbortController>();
  private readonly endpoint: string;
  /** The whole body without sizes; with them, everything before max_tokens and the prompt. */
  private readonly body: string;
  private readonly usage: Usage = blankUsage();
  private busy = 0;
  /** Attempts being recorded (with a log), by token. */
  private readonly records = new Map<number, AttemptRecord>();
  /** The x-ratelimit headers of the answer being read, for the log. */
  private readonly heard: Usage = blankUsage();

  constructor(
    private readonly spec: Provider,
    private readonly keys: readonly string[],
    private readonly pooled: boolean,
    template: RequestTemplate,
    private readonly clock: WallClock,
    private readonly sink: ReplySink,
    readonly sockets: SocketCounter,
    private readonly options: HttpOptions = { sized: false, stream: false },
    /** Where each attempt is recorded (results' attemptLog), and this provider's index in it. */
    private readonly log?: { log: AttemptLog; index: number },
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
      // undici's own 300 s head and body timeouts off: an attempt's deadline is ours (providers[].timeout,
      // the run's cap), exact at any length the bounds allow, where undici would cut a slow answer at 5 min.
      new Agent({ connect, keepAliveTimeout: 60_000, connections: pooled ? null : undefined, pipelining: pooled ? 1 : 0, headersTimeout: 0, bodyTimeout: 0 });
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
    const record = this.log?.log.open(this.clock.now(), this.log.index, key, this.busy);
    if (record) this.records.set(token, record);
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
    const record = this.records.get(token);
    if (record) {
      record.status = res.statusCode;
      readRateLimitHeaders(res.headers, this.clock.scale, blankUsage(this.heard));
      AttemptLog.quotas(record, this.heard);
      if (outcome === Outcome.rateLimited) record.retryAfterMs = retry;
    }
    const { sized, stream, figures } = this.options;
    if (!sized && !stream) {
      // A 200 is read for what it is (a chat completion or a serverError); an error body only for a 429's quota.
      let limitedBy: DimensionCode = Dimension.none;
      if (outcome === Outcome.ok) {
        if ((await scanAnswer(res.body)) === undefined) outcome = Outcome.serverError;
      } else if (figures && outcome === Outcome.rateLimited) limitedBy = limitedByOf(parse(await readText(res.body, MAX_ERROR_BYTES)));
      else await res.body.dump();
      if (!figures) return this.done(token, outcome, retry, Dimension.none, false);
      // A learning limiter reads the provider's word on every answer: its quotas' figures, a 429's quota.
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
      const scan = await scanAnswer(res.body);
      if (scan === undefined) outcome = Outcome.serverError;
      else readUsage(scan.usage(), got);
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

  /**
   * An active health check: `GET {url}/models`, the whole exchange within CHECK_DEADLINE_MS (the
   * health rule's own timeout decides sooner; this only keeps a check that never ends from holding
   * a connection), and ended at once by `close`.
   */
  check(_costMs: number, done: (ok: boolean) => void): void {
    const abort = new AbortController();
    this.checks.add(abort);
    const limit = deadline(CHECK_DEADLINE_MS, abort.signal);
    const signal = limit.signal;
    const end = (ok: boolean): void => {
      limit.done();
      if (this.checks.delete(abort)) done(ok);
    };
    request(`${this.spec.url}/models`, { dispatcher: this.agents[0], headers: { authorization: `Bearer ${this.keys[0]}` }, signal }).then(
      async (res) => {
        await res.body.dump({ limit: MAX_ERROR_BYTES, signal });
        end(res.statusCode === 200);
      },
      () => end(false),
    ).catch(() => end(false));
  }

  async close(): Promise<void> {
    for (const a of this.inFlight.values()) a.abort();
    for (const a of this.checks) a.abort();
    this.checks.clear();
    await Promise.all(this.agents.map((a) => a.close().catch(() => undefined)));
  }

  /** How an attempt ended, into its record: its outcome, its time and (an answer that streamed) its tokens' timing. */
  private recordEnd(r: AttemptRecord, outcome: OutcomeCode | -1, withUsage: boolean): void {
    const now = this.clock.now();
    r.ms = now - r.at;
    r.end = outcome === -1 ? 'abandoned' : (ENDS[outcome] ?? 'serverError');
    if (outcome === -1) r.status = 0;
    if (!withUsage || outcome !== Outcome.ok) return;
    const u = this.usage;
    if (Number.isFinite(u.firstTokenAt)) r.ttftMs = u.firstTokenAt - r.at;
    if (Number.isFinite(u.tpotMs)) r.tpotMs = u.tpotMs;
    if (Number.isFinite(u.outputTokens)) r.outputTokens = u.outputTokens;
  }

  /** Hands the outcome to the sink, once per attempt; with `withUsage`, the Usage filled just before. */
  private done(token: number, outcome: OutcomeCode | -1, retryAfter: number, limitedBy: DimensionCode, withUsage: boolean): void {
    if (!this.inFlight.delete(token)) return;
    this.busy--;
    const record = this.records.get(token);
    if (record) {
      this.records.delete(token);
      this.recordEnd(record, outcome, withUsage);
    }
    if (outcome === -1) return;
    if (outcome === Outcome.ok) this.stats.ok++;
    else if (outcome === Outcome.rateLimited) this.stats.rateLimited++;
    else this.stats.failed++;
    if (withUsage) this.sink.reply(token, outcome, retryAfter, limitedBy, this.usage);
    else this.sink.reply(token, outcome, retryAfter, limitedBy);
  }
}
