/**
 * Real mode reads a non-streamed answer for one thing, its `usage`, which OpenAI puts after the
 * content: so the body is scanned as it arrives and only that field is kept. Memory per answer is
 * the field's text (at most MAX_USAGE_BYTES) and a few counters, whatever the answer's length;
 * reading stops at MAX_ANSWER_BYTES.
 */

/** Most bytes of a non-streamed answer real mode reads; a longer one is no chat completion (gatesim serve's longest, 10,000,000 tokens, is 40 MB). */
export const MAX_ANSWER_BYTES = 64 << 20;
/** Most bytes of the top-level `usage` (and `object`) value real mode holds while reading an answer. */
export const MAX_USAGE_BYTES = 64 << 10;
/** Deepest nesting of an answer's JSON (OpenAI's answers nest 4 or 5 deep). */
const MAX_NESTING = 64;
/** Longest top-level key looked at: longer ones are none of the fields read. */
const MAX_KEY_BYTES = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Top-level fields read: none, `usage`, `choices` (only that it is an array), `object`. */
const enum Field {
  none,
  usage,
  choices,
  object,
}

/** Where the scan stands inside the top-level object. */
const enum Phase {
  key,
  colon,
  value,
}

/**
 * A chat completion as it arrives, in chunks: its structure checked (one top-level object, strings
 * closed, brackets matched, nothing after it), the top-level `usage` and `object` values kept as
 * text, and whether `choices` is an array. Values are not checked one by one: what is not a JSON
 * object with a `choices` list is not what the API returns.
 */
export class AnswerScan {
  /** Bytes fed so far. */
  bytes = 0;
  /** Most bytes held at once (the kept fields' text): the memory the answer cost beyond a chunk. */
  peakHeld = 0;
  /** Not a chat completion, or over a bound: the rest need not be read. */
  broken = false;
  /** `choices` was seen with an array as its value. */
  hasChoices = false;
  private started = false;
  private ended = false;
  private depth = 0;
  /** The opening byte at each depth, to match its closing one. */
  private readonly opened = new Uint8Array(MAX_NESTING + 1);
  private inString = false;
  /** A backslash ended the last chunk: the next byte is escaped. */
  private escape = false;
  private phase = Phase.key;
  private field = Field.none;
  /** The top-level key being read (bytes), or the value being kept. */
  private readonly key: Buffer[] = [];
  private keyLength = 0;
  private readingKey = false;
  private readonly kept: Buffer[] = [];
  private keptLength = 0;
  private keeping = false;
  private usageText: string | undefined;
  private objectText: string | undefined;

  /** Reads the next chunk. */
  feed(chunk: Buffer): void {
    if (this.broken) return;
    this.bytes += chunk.length;
    if (this.bytes > MAX_ANSWER_BYTES) return this.break();
    const n = chunk.length;
    let keyFrom = this.readingKey ? 0 : -1;
    let keepFrom = this.keeping ? 0 : -1;
    let backslashAt = -2;
    let i = 0;
    while (i < n && !this.broken) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          i++;
          continue;
        }
        // Jump to the string's next quote or backslash: the content is most of an answer.
        const q = chunk.indexOf(QUOTE, i);
        if (backslashAt !== -1 && backslashAt < i) backslashAt = chunk.indexOf(BACKSLASH, i);
        if (backslashAt >= 0 && (q < 0 || backslashAt < q)) {
          if (backslashAt + 1 >= n) this.escape = true;
          i = backslashAt + 2;
          continue;
        }
        if (q < 0) {
          i = n;
          continue;
        }
        this.inString = false;
        if (this.readingKey) {
          // A key within one chunk (nearly always) is read where it lies, without a copy.
          if (keyFrom >= 0 && this.key.length === 0 && this.keyLength === 0) this.keyDone(q - keyFrom <= MAX_KEY_BYTES ? chunk.toString('latin1', keyFrom, q) : '');
          else {
            if (keyFrom >= 0) this.hold(this.key, chunk.subarray(keyFrom, q), 'key');
            this.keyDone();
          }
          keyFrom = -1;
          this.readingKey = false;
        }
        i = q + 1;
        continue;
      }
      const b = chunk[i]!;
      if (isSpace(b)) {
        i++;
        continue;
      }
      if (!this.started) {
        if (b !== 0x7b) return this.break();
        this.started = true;
        this.depth = 1;
        this.opened[1] = 0x7b;
        this.phase = Phase.key;
        i++;
        continue;
      }
      if (this.ended) return this.break();
      if (this.depth === 1 && this.phase === Phase.key) {
        if (b === 0x7d) {
          this.close(b);
        } else if (b === QUOTE) {
          this.inString = true;
          this.readingKey = true;
          this.key.length = 0;
          this.keyLength = 0;
          keyFrom = i + 1;
        } else return this.break();
        i++;
        continue;
      }
      if (this.depth === 1 && this.phase === Phase.colon) {
        if (b !== 0x3a) return this.break();
        this.phase = Phase.value;
        i++;
        continue;
      }
      if (this.depth === 1 && this.phase === Phase.value && (b === 0x2c || b === 0x7d)) {
        // The value ended (a value never starts with either).
        if (this.keeping) {
          if (keepFrom >= 0) this.hold(this.kept, chunk.subarray(keepFrom, i), 'value');
          keepFrom = -1;
          this.valueDone();
        }
        this.field = Field.none;
        if (b === 0x7d) this.close(b);
        else this.phase = Phase.key;
        i++;
        continue;
      }
      if (this.depth === 1 && this.phase === Phase.value && !this.keeping && (this.field === Field.usage || this.field === Field.object)) {
        this.keeping = true;
        this.kept.length = 0;
        this.keptLength = 0;
        keepFrom = i;
      }
      if (this.depth === 1 && this.phase === Phase.value && this.field === Field.choices) {
        this.hasChoices = b === 0x5b;
        this.field = Field.none;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === 0x7b || b === 0x5b) {
        if (this.depth >= MAX_NESTING) return this.break();
        this.opened[++this.depth] = b;
      } else if (b === 0x7d || b === 0x5d) this.close(b);
      i++;
    }
    if (this.broken) return;
    if (keyFrom >= 0 && keyFrom < n) this.hold(this.key, chunk.subarray(keyFrom), 'key');
    if (keepFrom >= 0 && keepFrom < n) this.hold(this.kept, chunk.subarray(keepFrom), 'value');
  }

  /** The body ended: true when it was a whole chat completion (a JSON object with a `choices` list). */
  complete(): boolean {
    return !this.broken && this.ended && this.hasChoices && (this.objectText === undefined || this.parsedObject() === 'chat.completion');
  }

  /** The top-level `usage` value, parsed; undefined when there was none or it is not JSON. */
  usage(): unknown {
    if (this.usageText === undefined) return undefined;
    try {
      return JSON.parse(this.usageText);
    } catch {
      return undefined;
    }
  }

  private parsedObject(): unknown {
    try {
      return JSON.parse(this.objectText!);
    } catch {
      return undefined;
    }
  }

  private break(): void {
    this.broken = true;
    this.key.length = 0;
    this.kept.length = 0;
  }

  /** A closing bracket at the current depth: it must match the opening one. */
  private close(b: number): void {
    const open = this.opened[this.depth];
    if ((b === 0x7d && open !== 0x7b) || (b === 0x5d && open !== 0x5b)) return this.break();
    this.depth--;
    if (this.depth === 0) this.ended = true;
  }

  /** Keeps a copy of `part` (never a view: the chunk it came from can go). */
  private hold(into: Buffer[], part: Buffer, what: 'key' | 'value'): void {
    if (what === 'key') {
      if (this.keyLength + part.length > MAX_KEY_BYTES) {
        this.keyLength = MAX_KEY_BYTES + 1; // too long to be a field read: remembered as none
        return;
      }
      this.keyLength += part.length;
    } else {
      this.keptLength += part.length;
      if (this.keptLength > MAX_USAGE_BYTES) return this.break();
    }
    into.push(Buffer.from(part));
    this.peakHeld = Math.max(this.peakHeld, this.keyLength + this.keptLength);
  }

  /** The top-level key ended: `whole` when it was read in one piece, else the pieces held. */
  private keyDone(whole?: string): void {
    this.phase = Phase.colon;
    const name = whole ?? (this.keyLength <= MAX_KEY_BYTES ? Buffer.concat(this.key).toString('latin1') : '');
    this.field = name === 'usage' ? Field.usage : name === 'choices' ? Field.choices : name === 'object' ? Field.object : Field.none;
    this.key.length = 0;
    this.keyLength = 0;
  }

  private valueDone(): void {
    const text = Buffer.concat(this.kept).toString('utf8');
    if (this.field === Field.usage) this.usageText = text;
    else if (this.field === Field.object) this.objectText = text;
    this.kept.length = 0;
    this.keptLength = 0;
    this.keeping = false;
  }
}
