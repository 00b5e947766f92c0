import { Fifo } from '../core/fifo.js';
import { grown } from '../core/typed.js';
import type { Clock } from '../sim/clock.js';

/**
 * The iteration-level serving model (`serving.model: iteration`), as vLLM, SGLang and TensorRT-LLM
 * schedule: continuous batching in steps. Each step runs every decoding sequence (one token each)
 * and prefill chunks of the sequences still reading their prompt, in the order they were admitted,
 * up to `maxBatchedTokens` tokens in the step (decode tokens count first: chunked prefill). A step
 * lasts `base + perPrefillToken × prefill tokens + perDecodeSequence × decoding sequences +
 * perDecodeSequence2 × decoding sequences² + perKvToken × KV tokens held` (held at the step's start),
 * or `perBatchedToken × (prefill + decode tokens)` when that is longer (a compute roofline). New
 * sequences join at a step's start, first come first served, while fewer than `maxSequences` run,
 * the step has budget left, and the KV tokens they will hold at their full length (prompt + output)
 * fit under `maxKvTokens` with those of the sequences running (reserved at admission, so nothing is
 * ever preempted; a request larger than `maxKvTokens` runs only when it is alone). An optional
 * frontend (`frontend`) passes prompts in and tokens out, first come first served.
 */
export interface IterationServing {
  model: 'iteration';
  /**
   * Step duration coefficients (ms): c0, c_prefill per prefill token, c_decode per decoding sequence,
   * c_kv per KV token held, c_decode2 per decoding sequence squared (absent: 0); and c_batched per
   * token the step carries (prefill + decode), a compute roofline: a step lasts at least that
   * (absent or 0: none).
   */
  step: { base: number; perPrefillToken: number; perDecodeSequence: number; perKvToken: number; perBatchedToken?: number; perDecodeSequence2?: number };
  /** Tokens one step may carry, decode and prefill together (≥ maxSequences). */
  maxBatchedTokens: number;
  /** Sequences running at once. */
  maxSequences: number;
  /** KV tokens the running sequences may hold at their full length (Infinity: no limit). */
  maxKvTokens: number;
  /**
   * The server's frontend (API server, tokenizer, detokenizer, streaming): one first-come first-served
   * processor in front of the engine. A request's prompt passes it before the engine sees the request
   * (perRequest + perPromptToken × prompt tokens); each step's output tokens pass it after the step
   * (perOutputToken × tokens), and a token reaches the client when the frontend has passed it. Absent
   * or all 0: none.
   */
  frontend?: Frontend;
}

/** The frontend's costs (ms); see `IterationServing.frontend`. */
export interface Frontend {
  perRequest: number;
  perPromptToken: number;
  perOutputToken: number;
}

/** What the engine tells its owner about the jobs it was given (each a number the owner chose). */
export interface StepHost {
  /** `job` leaves the waiting queue to run; false drops it (its client left): it never runs. */
  admit(job: number): boolean;
  /** `job`'s first token came at the end of the step now ending. */
  first(job: number): void;
  /** `job`'s last token came at the end of the step now ending (its first, for an answer of one token or none). */
  finished(job: number): void;
  /** A step's duration as a fault in force now changes it (a slow fault). */
  stretch?(ms: number): number;
}

/** Counters of one engine, for tests and the bench. */
export interface StepStats {
  steps: number;
  /** Most tokens (prefill + decode) in one step. */
  batchedPeak: number;
  /** Output tokens produced. */
  tokens: number;
}

/**
 * One server's steps, shared by all its sequences: one scheduled event per step. A step's work is
 * proportional to the sequences it prefills and those that finish, not to all it runs: a decoding
 * sequence's last step is known when its prefill ends (one token a step), so decoders wait in a heap
 * keyed by that step, and the step counts them and the KV tokens they hold as running totals. The
 * sequences prefilling are a queue in admission order (a later one never finishes its prompt before
 * an earlier one: chunks go out in order). Typed arrays throughout, nothing allocated per step once
 * they have grown to the working size.
 */
export class IterationEngine {
  readonly stats: StepStats = { steps: 0, batchedPeak: 0, tokens: 0 };
  private readonly waiting = new Fifo(64);
  private readonly waitPrompt = new Fifo(64);
  private readonly waitOutput = new Fifo(64);
  // Sequences running, by slot (reused): the owner's job, prompt tokens, output tokens left, prefill
  // tokens left, this step's chunk, output tokens in all, and the admission number (heap ties).
  private job = new Int32Array(16);
  private prompt = new Int32Array(16);
  private outLeft = new Int32Array(16);
  private prefillLeft = new Int32Array(16);
  private chunk = new Int32Array(16);
  private output = new Int32Array(16);
  private admission = new Float64Array(16);
  private free = new Int32Array(16);
  private freeTop = 0;
  private slots = 0;
  private n = 0;
  // Slots prefilling, in admission order (a ring), and how many from its head have a chunk this step.
  private pre = new Int32Array(16);
  private preHead = 0;
  private preSize = 0;
  private preTouched = 0;
  // Decoding slots in a binary heap by (last step, admission number).
  private heapSlot = new Int32Array(16);
  private heapLast = new Float64Array(16);
  private heapOrder = new Float64Array(16);
  private heapSize = 0;
  private admitted = 0;
  private decoding = 0;
  private held = 0;
  private reserved = 0;
  private stepDecode = 0;
  private stepping = false;
  private readonly kStep: number;
  private readonly c0: number;
  private readonly cPrefill: number;
  private readonly cDecode: number;
  private readonly cKv: number;
  private readonly cBatched: number;
  private readonly cDecode2: number;
  // The frontend: its costs, the time it is busy until, requests passing it on their way in (job,
  // prompt, output), and the notifications of steps whose tokens it has yet to pass (job × 2 + 0 for a
  // first token, + 1 for a last), one delivery event per such step with the count as its argument.
  private readonly fRequest: number;
  private readonly fPrompt: number;
  private readonly fOutput: number;
  private readonly fPrompted: boolean;
  private frontendFree = 0;
  private readonly ingress = new Fifo(16);
  private readonly kIngress: number;
  private readonly pending = new Fifo(64);
  private readonly paces = new Fifo(16);
  private readonly kDeliver: number;
  private deferring = false;
  private stepMs = NaN;
  private deferred = 0;
  /**
   * What a stream is paced by until the answer ends (ms): the last step's duration; when a frontend
   * delivers a step's tokens, the longer of that step's duration and the frontend's time for them.
   */
  lastStepMs = NaN;

  constructor(
    private readonly cfg: IterationServing,
    private readonly clock: Clock,
    private readonly host: StepHost,
  ) {
    this.kStep = clock.on(() => this.endStep());
    this.c0 = cfg.step.base;
    this.cPrefill = cfg.step.perPrefillToken;
    this.cDecode = cfg.step.perDecodeSequence;
    this.cKv = cfg.step.perKvToken;
    this.cBatched = cfg.step.perBatchedToken ?? 0;
    this.cDecode2 = cfg.step.perDecodeSequence2 ?? 0;
    this.fRequest = cfg.frontend?.perRequest ?? 0;
    this.fPrompt = cfg.frontend?.perPromptToken ?? 0;
    this.fOutput = cfg.frontend?.perOutputToken ?? 0;
    this.fPrompted = this.fRequest > 0 || this.fPrompt > 0;
    this.kIngress = clock.on(() => this.admitIngress());
    this.kDeliver = clock.on((count) => this.deliver(count));
  }

  /** Sequences running now. */
  get running(): number {
    return this.n;
  }

  /** Requests waiting to be admitted (in the frontend or the engine's queue). */
  get queued(): number {
    return this.waiting.size + this.ingress.size / 3;
  }

  /**
   * A request of `prompt` prompt tokens (at least one is read) and `output` output tokens joins the
   * queue, through the frontend first when it has a cost for prompts or is still busy.
   */
  enqueue(job: number, prompt: number, output: number): void {
    const now = this.clock.now();
    if (this.fPrompted || this.frontendFree > now) {
      const start = this.frontendFree > now ? this.frontendFree : now;
      this.frontendFree = start + (this.fRequest + this.fPrompt * (prompt > 1 ? prompt : 1));
      this.ingress.push(job);
      this.ingress.push(prompt);
      this.ingress.push(output);
      this.clock.at(this.frontendFree, this.kIngress, 0);
      return;
    }
    this.join(job, prompt, output);
  }

  /** The request at the frontend's head has passed it. */
  private admitIngress(): void {
    const job = this.ingress.shift();
    const prompt = this.ingress.shift();
    this.join(job, prompt, this.ingress.shift());
  }

  private join(job: number, prompt: number, output: number): void {
    this.waiting.push(job);
    this.waitPrompt.push(prompt > 1 ? prompt : 1);
    this.waitOutput.push(output > 0 ? output : 0);
    if (!this.stepping) this.startStep();
  }

  private startStep(): void {
    // Set first: a request the owner sends from a callback during admission only joins the queue.
    this.stepping = true;
    const decode = this.decoding;
    let budget = this.cfg.maxBatchedTokens - decode;
    let prefill = 0;
    let touched = 0;
    const cap = this.pre.length;
    for (let k = 0; k < this.preSize && budget > 0; k++) {
      let at = this.preHead + k;
      if (at >= cap) at -= cap;
      const s = this.pre[at]!;
      const left = this.prefillLeft[s]!;
      const c = left < budget ? left : budget;
      this.chunk[s] = c;
      budget -= c;
      prefill += c;
      touched++;
    }
    while (budget > 0 && this.waiting.size > 0 && this.n < this.cfg.maxSequences) {
      const prompt = this.waitPrompt.peek();
      const output = this.waitOutput.peek();
      const need = prompt + output;
      if (this.n > 0 && this.reserved + need > this.cfg.maxKvTokens) break;
      const job = this.waiting.shift();
      this.waitPrompt.shift();
      this.waitOutput.shift();
      if (!this.host.admit(job)) continue;
      const s = this.slot();
      this.n++;
      this.reserved += need;
      this.job[s] = job;
      this.prompt[s] = prompt;
      this.outLeft[s] = output;
      this.prefillLeft[s] = prompt;
      this.output[s] = output;
      this.admission[s] = this.admitted++;
      const c = prompt < budget ? prompt : budget;
      this.chunk[s] = c;
      budget -= c;
      prefill += c;
      this.pushPrefill(s);
      touched++;
    }
    this.preTouched = touched;
    if (prefill + decode === 0) {
      this.stepping = false;
      return;
    }
    if (prefill + decode > this.stats.batchedPeak) this.stats.batchedPeak = prefill + decode;
    let ms = this.c0 + this.cPrefill * prefill + this.cDecode * decode + this.cDecode2 * decode * decode + this.cKv * this.held;
    const compute = this.cBatched * (prefill + decode);
    if (compute > ms) ms = compute;
    if (this.host.stretch) ms = this.host.stretch(ms);
    this.lastStepMs = ms;
    this.stepMs = ms;
    this.stepDecode = decode;
    this.stats.steps++;
    this.clock.after(ms, this.kStep, 0);
  }

  private endStep(): void {
    const step = this.stats.steps;
    const now = this.clock.now();
    const tokensBefore = this.stats.tokens;
    // The frontend passes this step's tokens after whatever it is busy with: its notifications wait for it.
    this.deferring = this.fOutput > 0 || this.frontendFree > now;
    this.deferred = 0;
    // Every decoder made a token; those whose last step this was finish, in admission order.
    this.held += this.stepDecode;
    this.stats.tokens += this.stepDecode;
    while (this.heapSize > 0 && this.heapLast[0]! <= step) {
      const s = this.heapSlot[0]!;
      this.heapPop();
      this.decoding--;
      this.finish(s);
    }
    // The prefilling sequences that had a chunk, from the queue's head: those done sample their first token.
    const touched = this.preTouched;
    for (let k = 0; k < touched; k++) {
      const s = this.pre[this.preHead]!;
      const c = this.chunk[s]!;
      this.prefillLeft[s] = this.prefillLeft[s]! - c;
      this.held += c;
      if (this.prefillLeft[s]! > 0) {
        // Its prompt goes on next step; nothing behind it had a chunk it did not finish.
        break;
      }
      this.preHead = this.preHead + 1 === this.pre.length ? 0 : this.preHead + 1;
      this.preSize--;
      if (this.outLeft[s]! > 0) {
        this.outLeft[s] = this.outLeft[s]! - 1;
        this.held++;
        this.stats.tokens++;
        this.notify(this.job[s]!, 0);
      }
      if (this.outLeft[s] === 0) this.finish(s);
      else {
        this.decoding++;
        this.heapPush(s, step + this.outLeft[s]!);
      }
    }
    if (this.deferring) {
      const start = this.frontendFree > now ? this.frontendFree : now;
      const pass = this.fOutput * (this.stats.tokens - tokensBefore);
      this.frontendFree = start + pass;
      if (this.deferred > 0) {
        this.paces.push(pass > this.stepMs ? pass : this.stepMs);
        this.clock.at(this.frontendFree, this.kDeliver, this.deferred);
      }
    }
    this.startStep();
  }

  /** Tells the owner of a first (kind 0) or last (1) token now, or when the frontend has passed it. */
  private notify(job: number, kind: number): void {
    if (this.deferring) {
      this.pending.push(job * 2 + kind);
      this.deferred++;
    } else if (kind === 0) this.host.first(job);
    else this.host.finished(job);
  }

  /** The frontend has passed a step's tokens: its `count` notifications, in the order the step made them. */
  private deliver(count: number): void {
    this.lastStepMs = this.paces.shift();
    for (let k = 0; k < count; k++) {
      const v = this.pending.shift();
      const job = Math.floor(v / 2);
      if (v - job * 2 === 0) this.host.first(job);
      else this.host.finished(job);
    }
  }

  /** Slot `s`'s last token came: its KV and reservation are given back, its owner told. */
  private finish(s: number): void {
    const total = this.prompt[s]! + this.output[s]!;
    this.held -= total;
    this.reserved -= total;
    this.n--;
    if (this.n === 0) this.held = this.reserved = 0;
    this.free[this.freeTop++] = s;
    this.notify(this.job[s]!, 1);
  }

  private slot(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop]!;
    const s = this.slots++;
    if (s === this.job.length) {
      const cap = s * 2;
      this.job = grown(this.job, cap);
      this.prompt = grown(this.prompt, cap);
      this.outLeft = grown(this.outLeft, cap);
      this.prefillLeft = grown(this.prefillLeft, cap);
      this.chunk = grown(this.chunk, cap);
      this.free = grown(this.free, cap);
      this.output = grown(this.output, cap);
      this.admission = grown(this.admission, cap);
    }
    return s;
  }

  private pushPrefill(s: number): void {
    if (this.preSize === this.pre.length) {
      // Unroll the ring into a larger one, head first.
      const next = new Int32Array(this.pre.length * 2);
      for (let k = 0; k < this.preSize; k++) next[k] = this.pre[(this.preHead + k) % this.pre.length]!;
      this.pre = next;
      this.preHead = 0;
    }
    let at = this.preHead + this.preSize;
    if (at >= this.pre.length) at -= this.pre.length;
    this.pre[at] = s;
    this.preSize++;
  }

  private before(i: number, j: number): boolean {
    const a = this.heapLast[i]!;
    const b = this.heapLast[j]!;
    return a < b || (a === b && this.heapOrder[i]! < this.heapOrder[j]!);
  }

  private swap(i: number, j: number): void {
    const s = this.heapSlot[i]!;
    const l = this.heapLast[i]!;
    const o = this.heapOrder[i]!;
    this.heapSlot[i] = this.heapSlot[j]!;
    this.heapLast[i] = this.heapLast[j]!;
    this.heapOrder[i] = this.heapOrder[j]!;
    this.heapSlot[j] = s;
    this.heapLast[j] = l;
    this.heapOrder[j] = o;
  }

  private heapPush(s: number, last: number): void {
    if (this.heapSize === this.heapSlot.length) {
      const cap = this.heapSize * 2;
      this.heapSlot = grown(this.heapSlot, cap);
      this.heapLast = grown(this.heapLast, cap);
      this.heapOrder = grown(this.heapOrder, cap);
    }
    let i = this.heapSize++;
    this.heapSlot[i] = s;
    this.heapLast[i] = last;
    this.heapOrder[i] = this.admission[s]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private heapPop(): void {
    const last = --this.heapSize;
    if (last > 0) {
      this.heapSlot[0] = this.heapSlot[last]!;
      this.heapLast[0] = this.heapLast[last]!;
      this.heapOrder[0] = this.heapOrder[last]!;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.heapSize) break;
      const r = l + 1;
      const m = r < this.heapSize && this.before(r, l) ? r : l;
      if (!this.before(m, i)) break;
      this.swap(i, m);
      i = m;
    }
  }
}
