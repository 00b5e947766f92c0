import type { ServerResponse } from 'node:http';
import type { WallClock } from '../sim/wall-clock.js';
import type { Usage } from './port.js';
import { SERVE_HEADER } from './reset.js';
import { usageJson } from './serve-wire.js';
import { rateLimitHeaders } from './wire.js';

/** Where one streamed answer of `gatesim serve` stands. */
export interface Stream {
  res: ServerResponse;
  /** The answer's tokens. */
  tokens: number;
  /** The head was written (so errors go in the stream, not as a status). */
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

// Chunks of a stream: the first token carries the role, as OpenAI's first chunk does; tokens after it a leading space.
const TOKEN_END = '"},"finish_reason":null}]}\n\n';
/** Most token events in one write: a long answer due at once goes out in pieces, as the socket drains. */
const WRITE_TOKENS = 256;

/** The event that breaks a stream off after its head: the server failed (or was reset), so no [DONE]. */
export const STREAM_FAILED = `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`;

/** What every chunk of a stream starts with, up to its `choices` array's opening bracket. */
export const chunkPrefix = (id: string, created: number, model: string): string =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[`;

/**
 * Paces the streamed answers of one provider on the wall clock. A stream's head goes out when the
 * model starts serving it, with the quotas as they stand then; its tokens go out as the model's
 * serving times say — the first at its time to first token, then one per tpot — each its own
 * `data:` event, those due within one wall millisecond in one write, on one timer per stream at a
 * time, and no more while the socket has not drained. Without a serving model the whole answer
 * streams when the model answers. Streams are told apart by the token the endpoint gives each
 * request; `find` turns a timer's token back into its stream.
 */
export class StreamPacer {
  /** Streams with a head written and no end yet. */
  private readonly open = new Set<Stream>();
  /** Timers the open streams hold. */
  private timerCount = 0;
  private readonly kTick: number;

  constructor(
    private readonly clock: WallClock,
    private readonly find: (token: number) => Stream | undefined,
  ) {
    this.kTick = clock.on((token) => this.tick(token));
  }

  /** Streams open now (head written, not ended). */
  get streams(): number {
    return this.open.size;
  }

  /** Timers the open streams hold. */
  get timers(): number {
    return this.timerCount;
  }

  /** The model starts serving: the head goes out now, with `quota`'s headers, and the first token is scheduled. */
  begin(s: Stream, token: number, quota: Usage, firstTokenAt: number, tpotMs: number): void {
    const headers = rateLimitHeaders(quota, this.clock.scale, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      [SERVE_HEADER]: '1',
    });
    s.res.writeHead(200, headers);
    s.res.flushHeaders();
    s.head = true;
    this.open.add(s);
    s.firstAt = firstTokenAt;
    s.tpot = tpotMs;
    if (firstTokenAt === firstTokenAt && s.tokens > 0) this.schedule(s, token, firstTokenAt);
  }

  /**
   * The iteration model: the first token came at `at` (not known when the stream began), then about
   * one every `tpotMs` (the step time then); any left when the answer comes are written then.
   */
  pace(s: Stream, token: number, at: number, tpotMs: number): void {
    if (s.timer >= 0 || s.ending !== undefined || s.tokens === 0) return;
    s.firstAt = at;
    s.tpot = tpotMs;
    this.schedule(s, token, at);
  }

  /** The answer came: every token is due now, then the finish chunk (and usage, when asked for) and [DONE]. */
  finish(s: Stream, finish: string, includeUsage: boolean, prompt: number, output: number): void {
    this.stopTimer(s);
    let last = `${s.prefix}{"index":0,"delta":{},"finish_reason":"${finish}"}]}\n\n`;
    if (includeUsage) last += `${s.prefix}],${usageJson(prompt, output)}}\n\n`;
    s.due = s.tokens;
    s.ending = `${last}data: [DONE]\n\n`;
    this.pump(s);
  }

  /** The last write of a stream (STREAM_FAILED, or nothing when its connection is to be reset), then its end. */
  end(s: Stream, last: string): void {
    this.stopTimer(s);
    this.open.delete(s);
    s.ending = undefined;
    if (!s.res.destroyed) s.res.end(last);
  }

  /** The connection closed: the stream's timer stops and it is forgotten. */
  left(s: Stream): void {
    this.stopTimer(s);
    this.open.delete(s);
  }

  /** The clock was stopped (a reset): none of its timers is left. */
  stopped(): void {
    this.timerCount = 0;
  }

  private schedule(s: Stream, token: number, at: number): void {
    s.timer = this.clock.at(at, this.kTick, token);
    this.timerCount++;
  }

  private stopTimer(s: Stream): void {
    if (s.timer < 0) return;
    this.clock.cancel(s.timer);
    s.timer = -1;
    this.timerCount--;
  }

  /** A stream's timer: every token due by now (and within a wall millisecond of it) is written, then it waits for the next. */
  private tick(token: number): void {
    const s = this.find(token);
    if (!s) return;
    s.timer = -1;
    this.timerCount--;
    const soon = this.clock.now() + 1 / this.clock.scale;
    while (s.due < s.tokens && s.firstAt + s.due * s.tpot <= soon) s.due++;
    this.pump(s);
    if (s.due < s.tokens) this.schedule(s, token, s.firstAt + s.due * s.tpot);
  }

  /**
   * Writes the tokens due, each its own event, at most WRITE_TOKENS to a write and no more while
   * the socket has not drained (a client reading slowly holds the rest here, not in memory); then
   * the stream's ending, once the answer has come.
   */
  private pump(s: Stream): void {
    if (s.waiting) return;
    while (s.sent < s.due) {
      if (s.res.destroyed) return;
      const upTo = Math.min(s.due, s.sent + WRITE_TOKENS);
      let out = '';
      for (let i = s.sent; i < upTo; i++) {
        out += i === 0 ? `${s.prefix}{"index":0,"delta":{"role":"assistant","content":"tok${TOKEN_END}` : `${s.prefix}{"index":0,"delta":{"content":" tok${TOKEN_END}`;
      }
      s.sent = upTo;
      if (!s.res.write(out)) {
        s.waiting = true;
        s.res.once('drain', () => {
          s.waiting = false;
          this.pump(s);
        });
        return;
      }
    }
    if (s.ending !== undefined) this.end(s, s.ending);
  }
}
