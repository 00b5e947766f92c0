import { Fifo } from '../../src/core/fifo.js';
import { grown } from '../../src/core/typed.js';
import type { IterationServing, StepHost, StepStats } from '../../src/providers/iteration.js';
import type { Clock } from '../../src/sim/clock.js';

/**
 * The iteration model the plain way, for tests: every step walks every running sequence (in
 * admission order, compacted as they finish). src/providers/iteration.ts must time every token
 * as this does; it does the same work per step without touching the sequences that only decode.
 */
export class ReferenceEngine {
  readonly stats: StepStats = { steps: 0, batchedPeak: 0, tokens: 0 };
  private readonly waiting = new Fifo(64);
  private readonly waitPrompt = new Fifo(64);
  private readonly waitOutput = new Fifo(64);
  // Running sequences, in admission order.
  private n = 0;
  private job = new Int32Array(16);
  private prefillLeft = new Int32Array(16);
  private outLeft = new Int32Array(16);
  private kv = new Float64Array(16);
  private reserve = new Float64Array(16);
  private chunk = new Int32Array(16);
  private decoding = new Uint8Array(16);
  private reserved = 0;
  private stepping = false;
  private readonly kStep: number;
  private readonly c0: number;
  private readonly cPrefill: number;
  private readonly cDecode: number;
  private readonly cKv: number;
  private readonly cDecode2: number;
  private readonly cBatched: number;
  // The frontend, the plain way: the time it is free, and each passage a closure in a map by event number.
  private frontendFree = 0;
  private readonly passages = new Map<number, () => void>();
  private passage = 0;
  private readonly kPass: number;
  private stepMs = NaN;
  /** The last step's duration (ms): what a stream is paced by until the answer ends. */
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
    this.cDecode2 = cfg.step.perDecodeSequence2 ?? 0;
    this.cBatched = cfg.step.perBatchedToken ?? 0;
    this.kPass = clock.on((n) => {
      const f = this.passages.get(n)!;
      this.passages.delete(n);
      f();
    });
  }

  /** `then` runs when the frontend has spent `ms` after what it is busy with. */
  private pass(ms: number, then: () => void): void {
    const now = this.clock.now();
    this.frontendFree = Math.max(now, this.frontendFree) + ms;
    this.passages.set(++this.passage, then);
    this.clock.at(this.frontendFree, this.kPass, this.passage);
  }

  /** Sequences running now. */
  get running(): number {
    return this.n;
  }

  /** Requests waiting to be admitted. */
  get queued(): number {
    return this.waiting.size;
  }

  /** A request of `prompt` prompt tokens (at least one is read) and `output` output tokens joins the queue. */
  enqueue(job: number, prompt: number, output: number): void {
    const fe = this.cfg.frontend;
    const cost = fe ? fe.perRequest + fe.perPromptToken * Math.max(1, prompt) : 0;
    if (cost > 0 || this.frontendFree > this.clock.now()) this.pass(cost, () => this.join(job, prompt, output));
    else this.join(job, prompt, output);
  }

  private join(job: number, prompt: number, output: number): void {
    this.waiting.push(job);
    this.waitPrompt.push(prompt > 1 ? prompt : 1);
    this.waitOutput.push(output > 0 ? output : 0);
    if (!this.stepping) this.startStep();
  }

  private startStep(): void {
    const n = this.n;
    const decoding = this.decoding;
    const chunk = this.chunk;
    let decode = 0;
    let held = 0;
    for (let i = 0; i < n; i++) {
      held += this.kv[i]!;
      chunk[i] = 0;
      if (this.prefillLeft[i] === 0) {
        decoding[i] = 1;
        decode++;
      } else decoding[i] = 0;
    }
    let budget = this.cfg.maxBatchedTokens - decode;
    let prefill = 0;
    for (let i = 0; i < n && budget > 0; i++) {
      const left = this.prefillLeft[i]!;
      if (left === 0) continue;
      const c = left < budget ? left : budget;
      chunk[i] = c;
      budget -= c;
      prefill += c;
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
      const i = this.n++;
      if (i === this.job.length) this.grow(i * 2);
      this.job[i] = job;
      this.prefillLeft[i] = prompt;
      this.outLeft[i] = output;
      this.kv[i] = 0;
      this.reserve[i] = need;
      this.reserved += need;
      this.decoding[i] = 0;
      const c = prompt < budget ? prompt : budget;
      this.chunk[i] = c;
      budget -= c;
      prefill += c;
    }
    if (prefill + decode === 0) {
      this.stepping = false;
      return;
    }
    if (prefill + decode > this.stats.batchedPeak) this.stats.batchedPeak = prefill + decode;
    let ms = Math.max(this.c0 + this.cPrefill * prefill + this.cDecode * decode + this.cDecode2 * decode * decode + this.cKv * held, this.cBatched * (prefill + decode));
    if (this.host.stretch) ms = this.host.stretch(ms);
    this.lastStepMs = ms;
    this.stepMs = ms;
    this.stepping = true;
    this.stats.steps++;
    this.clock.after(ms, this.kStep, 0);
  }

  private endStep(): void {
    const n = this.n;
    let kept = 0;
    // What the owner hears of this step, told now or when the frontend has passed the step's tokens.
    const told: [number, 'first' | 'finished'][] = [];
    const tokensBefore = this.stats.tokens;
    for (let i = 0; i < n; i++) {
      let finished = false;
      if (this.decoding[i] === 1) {
        this.kv[i]!++;
        this.stats.tokens++;
        if (--this.outLeft[i]! === 0) finished = true;
      } else if (this.chunk[i]! > 0) {
        this.kv[i] = this.kv[i]! + this.chunk[i]!;
        this.prefillLeft[i] = this.prefillLeft[i]! - this.chunk[i]!;
        if (this.prefillLeft[i] === 0) {
          // The step that reads the prompt's last chunk samples the first token.
          if (this.outLeft[i]! > 0) {
            this.outLeft[i]!--;
            this.kv[i]!++;
            this.stats.tokens++;
            told.push([this.job[i]!, 'first']);
          }
          if (this.outLeft[i] === 0) finished = true;
        }
      }
      if (finished) {
        this.reserved -= this.reserve[i]!;
        told.push([this.job[i]!, 'finished']);
        continue;
      }
      if (kept !== i) {
        this.job[kept] = this.job[i]!;
        this.prefillLeft[kept] = this.prefillLeft[i]!;
        this.outLeft[kept] = this.outLeft[i]!;
        this.kv[kept] = this.kv[i]!;
        this.reserve[kept] = this.reserve[i]!;
      }
      kept++;
    }
    this.n = kept;
    if (kept === 0) this.reserved = 0;
    const perToken = this.cfg.frontend?.perOutputToken ?? 0;
    const tell = () => {
      for (const [job, what] of told) {
        if (what === 'first') this.host.first(job);
        else this.host.finished(job);
      }
    };
    if (perToken > 0 || this.frontendFree > this.clock.now()) {
      const ms = perToken * (this.stats.tokens - tokensBefore);
      const pace = Math.max(ms, this.stepMs);
      if (told.length > 0) {
        this.pass(ms, () => {
          this.lastStepMs = pace;
          tell();
        });
      } else this.frontendFree = Math.max(this.clock.now(), this.frontendFree) + ms;
    } else tell();
    this.startStep();
  }

  private grow(cap: number): void {
    this.job = grown(this.job, cap);
    this.prefillLeft = grown(this.prefillLeft, cap);
    this.outLeft = grown(this.outLeft, cap);
    this.kv = grown(this.kv, cap);
    this.reserve = grown(this.reserve, cap);
    this.chunk = grown(this.chunk, cap);
    this.decoding = grown(this.decoding, cap);
  }
}
