import type { ServerResponse } from 'node:http';

/**
 * Most bytes of a non-streamed answer's words in one write. An answer of 10,000,000 tokens is a
 * 40 MB body: built whole, each client that stops reading held all of it (60 of them took
 * `gatesim serve` to 2.45 GB). Written in pieces of this size, one more only once the socket has
 * drained, a client holds at most one piece beyond the socket's own buffer, however long the answer.
 */
export const ANSWER_PIECE_BYTES = 64 * 1024;

const WORD = ' tok';
// `tok tok …` is a slice of this run, whatever offset a piece starts at (the run repeats every 4 characters).
const RUN = WORD.repeat(ANSWER_PIECE_BYTES / WORD.length + 1);

/** A non-streamed answer being written: its head and tail (JSON around the words) and how far its words are. */
interface Answer {
  res: ServerResponse;
  head: string;
  tail: string;
  /** Characters of the words written, and their total (`tok` and then ` tok` per token after the first). */
  pos: number;
  length: number;
  waiting: boolean;
  drained: () => void;
  done: () => void;
}

/** What the answers being written hold now: `open` answers, `waiting` ones for a drain, `buffered` bytes queued in their responses and sockets. */
export interface AnswerStats {
  open: number;
  waiting: number;
  buffered: number;
}

/**
 * Writes `gatesim serve`'s non-streamed 200s: a chat completion of `tokens` words whose JSON
 * around the words (`head` up to the content's opening quote, `tail` from its closing quote) is
 * given, with an exact content-length, in pieces of ANSWER_PIECE_BYTES with back-pressure. An
 * answer is forgotten when its last byte reaches the socket or its client goes, whichever comes
 * first; nothing of it is kept after that.
 */
export class AnswerWriter {
  private readonly open = new Set<Answer>();
  private waitingCount = 0;

  write(res: ServerResponse, headers: Record<string, string>, head: string, tokens: number, tail: string): void {
    if (res.writableEnded || res.destroyed || res.headersSent) return;
    const length = tokens > 0 ? tokens * WORD.length - 1 : 0;
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(head) + length + Buffer.byteLength(tail) });
    if (length + head.length + tail.length <= ANSWER_PIECE_BYTES) {
      // Small answers (nearly all of them) go in one write, as before.
      res.end(head + RUN.slice(1, 1 + length) + tail);
      return;
    }
    const a: Answer = {
      res,
      head,
      tail,
      pos: 0,
      length,
      waiting: false,
      drained: () => {
        if (!a.waiting) return;
        a.waiting = false;
        this.waitingCount--;
        this.pump(a);
      },
      done: () => {
        if (!this.open.delete(a)) return;
        if (a.waiting) {
          a.waiting = false;
          this.waitingCount--;
        }
        res.off('drain', a.drained);
      },
    };
    this.open.add(a);
    res.once('finish', a.done);
    res.once('close', a.done);
    this.pump(a);
  }

  private pump(a: Answer): void {
    const res = a.res;
    while (!res.destroyed) {
      const take = Math.min(a.length - a.pos, ANSWER_PIECE_BYTES);
      // Word characters from `pos` on start at `pos + 1` of the run (the first word has no leading space).
      const start = (a.pos + 1) % WORD.length;
      let out = RUN.slice(start, start + take);
      if (a.pos === 0) out = a.head + out;
      a.pos += take;
      if (a.pos === a.length) {
        res.end(out + a.tail);
        return;
      }
      if (!res.write(out)) {
        a.waiting = true;
        this.waitingCount++;
        res.once('drain', a.drained);
        return;
      }
    }
  }

  /** What the answers being written hold now (serve's tests read it). */
  stats(): AnswerStats {
    let buffered = 0;
    for (const a of this.open) buffered += a.res.writableLength;
    return { open: this.open.size, waiting: this.waitingCount, buffered };
  }
}
