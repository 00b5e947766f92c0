import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../core/outcome.js';
import { stream } from '../sim/random.js';
import type { WallClock } from '../sim/wall-clock.js';
import type { AnswerWriter } from './answer.js';
import { MockProvider } from './mock.js';
import { blankUsage, type ReplySink, type Usage } from './port.js';
import { SERVE_HEADER } from './reset.js';
import { BadRequest, completionHead, completionTail, limitMessage, readChatCall, sendError, tooLargeMessage, type ChatCall, type ChatRequest } from './serve-wire.js';
import type { Provider } from './spec.js';
import { chunkPrefix, STREAM_FAILED, StreamPacer, type Stream } from './stream.js';
import { rateLimitHeaders } from './wire.js';

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

export const zeroTotals = (): Totals => ({ requests: 0, ok: 0, rateLimited: 0, serverError: 0, refused: 0, keys: 0, evicted: 0 });

/** One request from its arrival to its answer; a streamed one also holds where its stream stands. */
interface Pending extends Stream {
  key: number;
  chat: ChatRequest;
  id: string;
  created: number;
}

/**
 * One provider of the scenario behind HTTP: the same MockProvider model as the simulation, on the
 * wall clock, told each request's sizes, and its replies turned into answers — a completion
 * (written by answer.ts), a stream (paced by stream.ts), a 429 worded as OpenAI words it, a 500,
 * or a reset connection. Keys are told apart by their Authorization header, numbered in order of
 * first sight. The header itself is not kept (a client could send thousands of 8 KB ones): its
 * SHA-256 is, and at most `maxKeys` of them, least recently used first out — an evicted key's
 * number and a fresh window go to the next new key.
 */
export class Endpoint implements ReplySink {
  readonly totals: Totals = zeroTotals();
  readonly model: MockProvider;
  /** SHA-256 of the Authorization header → key number; Map order is recency (oldest first). */
  private readonly keys = new Map<string, number>();
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;
  private readonly streamer: StreamPacer;
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
    this.streamer = new StreamPacer(clock, (token) => this.pending.get(token));
  }

  /** Streams open now (head written, not ended). */
  get streams(): number {
    return this.streamer.streams;
  }

  /** Timers the open streams hold. */
  get timers(): number {
    return this.streamer.timers;
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
      if (p.head) this.streamer.end(p, STREAM_FAILED);
      else sendError(p.res, 503, 'The server was reset while this request waited.', 'server_error');
    }
    this.pending.clear();
    this.streamer.stopped();
  }

  /** A chat completion request whose body has been read: checked (serve-wire.ts), then sent to the model. */
  chat(req: IncomingMessage, res: ServerResponse, body: string): void {
    let call: ChatCall;
    try {
      call = readChatCall(req.headers, body);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      sendError(res, e.status, e.message, 'invalid_request_error', undefined, e.param, e.code);
      return;
    }
    if (res.destroyed) return; // the client left during the handshake wait
    const chat = call.chat;
    const key = this.keyOf(call.auth);
    const token = this.nextToken++;
    const id = `chatcmpl-gatesim-${token}`;
    const created = Math.floor(Date.now() / 1000);
    const p: Pending = {
      res,
      tokens: chat.outputTokens,
      key,
      chat,
      id,
      created,
      head: false,
      firstAt: NaN,
      tpot: NaN,
      sent: 0,
      due: 0,
      waiting: false,
      ending: undefined,
      timer: -1,
      prefix: '',
    };
    if (chat.stream) p.prefix = chunkPrefix(id, created, chat.model);
    this.pending.set(token, p);
    res.on('close', () => this.left(token, p));
    this.totals.requests++;
    // Without max_tokens nothing is reserved beyond the answer itself.
    this.model.send(token, key, chat.promptTokens, chat.outputTokens, chat.maxTokens ?? chat.outputTokens);
  }

  /** The connection closed: a request still pending is forgotten, and its stream's timer stopped. */
  private left(token: number, p: Pending): void {
    this.pending.delete(token);
    this.streamer.left(p);
  }

  live(token: number): boolean {
    return this.pending.has(token);
  }

  /** The model starts serving: a stream's head goes out now, and its first token is scheduled. */
  started(token: number, firstTokenAt = NaN, tpotMs = NaN): void {
    const p = this.pending.get(token);
    if (!p || !p.chat.stream || p.res.destroyed) return;
    this.streamer.begin(p, token, this.model.quotaOf(p.key, blankUsage(this.headUsage)), firstTokenAt, tpotMs);
  }

  /** The iteration model: a stream's first token came, and the rest are paced by the step time. */
  firstToken(token: number, at: number, tpotMs: number): void {
    const p = this.pending.get(token);
    if (!p || !p.head || p.res.destroyed) return;
    this.streamer.pace(p, token, at, tpotMs);
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
        this.streamer.finish(p, finish, chat.includeUsage, prompt, output);
      } else if (outcome === Outcome.connectFailed) {
        this.totals.refused++;
        this.streamer.end(p, '');
        res.socket?.destroy();
      } else {
        this.totals.serverError++;
        this.streamer.end(p, STREAM_FAILED);
      }
      return;
    }
    const headers = usage ? rateLimitHeaders(usage, this.clock.scale, {}) : {};
    switch (outcome) {
      case Outcome.ok:
        this.totals.ok++;
        // The JSON that JSON.stringify would write, the words in pieces as the socket takes them (answer.ts).
        this.answers.write(res, { 'content-type': 'application/json', [SERVE_HEADER]: '1', ...headers }, completionHead(p.id, p.created, chat.model), output, completionTail(finish, prompt, output));
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
        const [message, type] = limitMessage(this.spec, chat, limitedBy, usage, wallMs);
        sendError(res, 429, message, type, headers, null, 'rate_limit_exceeded');
        return;
      }
      case Outcome.tooLarge:
        // As OpenAI answers a request above a quota's whole capacity: a 429 that no wait can cure.
        this.totals.rateLimited++;
        sendError(res, 429, tooLargeMessage(this.spec, chat), 'tokens', headers, null, 'rate_limit_exceeded');
        return;
      case Outcome.connectFailed:
        // A provider that is down: the connection is reset, as a dead upstream would.
        this.totals.refused++;
        res.socket?.destroy();
        return;
      default:
        this.totals.serverError++;
        sendError(res, 500, 'The server had an error while processing your request.', 'server_error', headers);
    }
  }
}
