import { StringDecoder } from 'node:string_decoder';
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

/** HTTP header names as undici hands them (raw, any case) into one record, lower-cased. */
function headerRecord(raw: Buffer[] | string[] | null): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  if (!raw) return h;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString().toLowerCase();
    const value = raw[i + 1]!.toString();
    const had = h[name];
    h[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return h;
}

/** What an answer's body is read for, decided by its status and content type. */
const enum Read {
  /** A 200 without streaming: scanned for its structure and usage (AnswerScan). */
  scan,
  /** A streamed 200: its events as they come (StreamRead). */
  stream,
  /** A 429 whose body says which quota: kept, up to MAX_ERROR_BYTES. */
  error,
  /** Anything else: read up to MAX_ERROR_BYTES and dropped. */
  drop,
}

/**
 * One attempt on the wire, as an undici dispatch handler: the callbacks undici calls as the
 * response arrives (status and raw headers, body chunks, the end, an error), with no promise, no
 * body stream and no AbortSignal in between — what `undici.request` would build for each request
 * and what cost real mode most of its CPU per request beside the socket writes.
 */
class Exchange implements Dispatcher.DispatchHandler {
  /** undici's abort for this request, once it is on a connection. */
  private abortFn: ((err?: Error) => void) | undefined;
  /** The attempt was abandoned (timeout, close): every later callback is ignored. */
  abandoned = false;
  /** The status arrived: an error from here on is an answer that broke off. */
  private answered = false;
  private outcome: OutcomeCode = Outcome.ok;
  private readAs: Read = Read.drop;
  private headers: Record<string, string | string[]> | undefined;
  private scan: AnswerScan | undefined;
  private stream: StreamRead | undefined;
  private decoder: StringDecoder | undefined;
  private parts: Buffer[] | undefined;
  private bytes = 0;

  constructor(
    private readonly http: HttpProvider,
    readonly token: number,
  ) {}

  /** Stops the request (the attempt was abandoned or the provider closes). */
  abort(): void {
    this.abandoned = true;
    this.abortFn?.(new Error('abandoned'));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.abandoned) abort(new Error('abandoned'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    if (this.abandoned) return false;
    this.answered = true;
    this.http.heard(this.token, statusCode, rawHeaders);
    this.outcome = classify(statusCode);
    const o = this.http.options;
    // Headers become a record only when something reads them: a 429's retry-after, the content
    // type and x-ratelimit with sizes, streaming or a learning limiter.
    if (this.outcome !== Outcome.ok || o.sized || o.stream || o.figures) this.headers = headerRecord(rawHeaders);
    if (this.outcome === Outcome.ok) {
      const type = this.headers?.['content-type'];
      if ((o.sized || o.stream) && typeof type === 'string' && type.startsWith('text/event-stream')) {
        this.readAs = Read.stream;
        this.stream = new StreamRead();
        this.decoder = new StringDecoder('utf8');
      } else {
        this.readAs = Read.scan;
        this.scan = new AnswerScan();
      }
    } else if (this.outcome === Outcome.rateLimited && (o.sized || o.stream || o.figures)) {
      this.readAs = Read.error;
      this.parts = [];
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.abandoned) return false;
    switch (this.readAs) {
      case Read.scan:
        this.scan!.feed(chunk);
        if (this.scan!.broken) this.finish(Outcome.serverError, undefined, true);
        break;
      case Read.stream:
        this.stream!.feed(this.decoder!.write(chunk), this.http.now(), this.gap);
        if (this.stream!.broken) this.finish(Outcome.serverError, undefined, true);
        break;
      default:
        this.bytes += chunk.length;
        // A body longer than the cap is not read on (as undici's dump); an error body then says nothing.
        if (this.bytes > MAX_ERROR_BYTES) this.finish(this.outcome, undefined, true);
        else this.parts?.push(chunk);
    }
    return true;
  }

  onComplete(): void {
    if (this.abandoned) return;
    if (this.readAs === Read.scan) this.finish(this.scan!.complete() ? Outcome.ok : Outcome.serverError, undefined, false);
    else if (this.readAs === Read.stream) {
      const s = this.stream!;
      s.feed(this.decoder!.end(), this.http.now(), this.gap);
      this.finish(s.done && !s.broken ? Outcome.ok : Outcome.serverError, undefined, false);
    } else this.finish(this.outcome, this.parts && Buffer.concat(this.parts).toString('utf8'), false);
  }

  onError(err: Error & { code?: string }): void {
    if (this.abandoned) return;
    this.abandoned = true;
    // Answered already: the answer broke off while it was read. Otherwise it never got one.
    if (this.answered) this.http.done(this.token, Outcome.serverError, 0, Dimension.none, false);
    else this.http.done(this.token, CONNECT_ERRORS.has(err?.code ?? '') ? Outcome.connectFailed : Outcome.serverError, 0, Dimension.none, false);
  }

  private readonly gap = (ms: number): void => this.http.gap(this.token, ms);

  /** The answer is read (or need not be read on: `stop` aborts the rest). */
  private finish(outcome: OutcomeCode, errorBody: string | undefined, stop: boolean): void {
    this.abandoned = true;
    if (stop) this.abortFn?.(new Error('read enough'));
    this.http.answer(this.token, outcome, this.headers, this.stream, this.scan, errorBody);
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
  private readonly inFlight = new Map<number, Exchange>();
  /** Per key: the request's headers as undici takes them (a flat list, built once). */
  private readonly headerLists: string[][];
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
  private readonly quotaHeard: Usage = blankUsage();

  constructor(
    private readonly spec: Provider,
    private readonly keys: readonly string[],
    private readonly pooled: boolean,
    template: RequestTemplate,
    private readonly clock: WallClock,
    private readonly sink: ReplySink,
    readonly sockets: SocketCounter,
    readonly options: HttpOptions = { sized: false, stream: false },
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
    this.headerLists = keys.map((k) => ['content-type', 'application/json', 'authorization', `Bearer ${k}`]);
    const { origin, pathname, search } = new URL(this.endpoint);
    this.origin = origin;
    this.path = `${pathname}${search}`;
  }

  private readonly origin: string;
  private readonly path: string;

  /** Scenario time now (the wall clock's). */
  now(): number {
    return this.clock.now();
  }

  /** A gap between two streamed tokens, to the sink. */
  gap(token: number, ms: number): void {
    if (this.inFlight.has(token)) this.sink.gap?.(token, ms);
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
    const x = new Exchange(this, token);
    this.inFlight.set(token, x);
    this.sink.started(token);
    const sized = this.options.sized;
    const headers = sized ? [...this.headerLists[key]!, OUTPUT_TOKENS_HEADER, String(output)] : this.headerLists[key]!;
    try {
      this.agents[this.pooled ? key : 0]!.dispatch(
        { origin: this.origin, path: this.path, method: 'POST', headers, body: sized ? this.sizedBody(prompt, maxTokens) : this.body, reset: !this.pooled },
        x,
      );
    } catch {
      // The agent is closed (the run is ending): the attempt never left.
      x.abandoned = true;
      this.done(token, Outcome.connectFailed, 0, Dimension.none, false);
    }
  }

  /**
   * An answer read to its end (or as far as needed): its outcome, headers when they were kept, the
   * stream or the scan it was read through, a 429's body. Hands the sink what the old `read` did.
   */
  answer(token: number, outcome: OutcomeCode, headers: Record<string, string | string[]> | undefined, s: StreamRead | undefined, scan: AnswerScan | undefined, errorBody: string | undefined): void {
    const retry = outcome === Outcome.rateLimited && headers ? retryAfterMs(headers, this.clock.scale) : 0;
    if (retry > 0) {
      const record = this.records.get(token);
      if (record) record.retryAfterMs = retry;
    }
    const { sized, stream, figures } = this.options;
    let limitedBy: DimensionCode = Dimension.none;
    if (outcome === Outcome.rateLimited && errorBody !== undefined) {
      const body = parse(errorBody);
      limitedBy = limitedByOf(body);
      // "Request too large": more than the quota ever admits; no retry-after helps.
      if ((sized || stream) && tooLargeOf(body)) outcome = Outcome.tooLarge;
    }
    if (!sized && !stream && !figures) return this.done(token, outcome, retry, Dimension.none, false);
    const u = blankUsage(this.usage);
    if (headers) readRateLimitHeaders(headers, this.clock.scale, u);
    if (outcome === Outcome.ok && (sized || stream)) {
      if (s) {
        u.promptTokens = s.promptTokens;
        u.outputTokens = s.outputTokens === s.outputTokens ? s.outputTokens : s.tokens;
        u.firstTokenAt = s.firstAt;
        u.tpotMs = s.tokens > 1 ? (s.lastAt - s.firstAt) / (s.tokens - 1) : NaN;
      } else if (scan) readUsage(scan.usage(), u);
    }
    this.done(token, outcome, retry, limitedBy, true);
  }

  /** The dispatcher gave up on the attempt (timeout): stop waiting for it. */
  abandon(token: number): void {
    const x = this.inFlight.get(token);
    if (!x) return;
    x.abort();
    this.done(token, -1, 0, Dimension.none, false);
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
    for (const x of [...this.inFlight.values()]) this.abandon(x.token);
    for (const a of this.checks) a.abort();
    this.checks.clear();
    await Promise.all(this.agents.map((a) => a.close().catch(() => undefined)));
  }

  /**
   * An answer's status and headers, into its record when attempts are logged: only the
   * x-ratelimit-* headers are read (the raw list is walked, no record of every header is built).
   */
  heard(token: number, status: number, raw: Buffer[] | string[] | null): void {
    const record = this.records.get(token);
    if (!record) return;
    record.status = status;
    if (!raw) return;
    let quota: Record<string, string> | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const n = raw[i]!;
      // Most names are not x-…: told by length and first byte before any string is made.
      if (n.length <= 12 || ((typeof n === 'string' ? n.charCodeAt(0) : n[0]!) | 0x20) !== 0x78) continue;
      const name = n.toString().toLowerCase();
      if (name.startsWith('x-ratelimit-')) (quota ??= {})[name] = raw[i + 1]!.toString();
    }
    if (!quota) return;
    readRateLimitHeaders(quota, this.clock.scale, blankUsage(this.quotaHeard));
    AttemptLog.quotas(record, this.quotaHeard);
  }

  /** How an attempt ended, into its record: its outcome, its time and (an answer that streamed) its tokens' timing. */
  private recordEnd(r: AttemptRecord, outcome: OutcomeCode | -1, withUsage: boolean): void {
    r.ms = this.clock.now() - r.at;
    r.end = outcome === -1 ? 'abandoned' : (ENDS[outcome] ?? 'serverError');
    if (outcome === -1) r.status = 0;
    if (!withUsage || outcome !== Outcome.ok) return;
    const u = this.usage;
    if (Number.isFinite(u.firstTokenAt)) r.ttftMs = u.firstTokenAt - r.at;
    if (Number.isFinite(u.tpotMs)) r.tpotMs = u.tpotMs;
    if (Number.isFinite(u.outputTokens)) r.outputTokens = u.outputTokens;
  }

  /** Hands the outcome to the sink, once per attempt; with `withUsage`, the Usage filled just before. */
  done(token: number, outcome: OutcomeCode | -1, retryAfter: number, limitedBy: DimensionCode, withUsage: boolean): void {
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
