import type { ArrivalStream } from '../sim/arrivals.js';
import type { Clock } from '../sim/clock.js';
import { sampler, type Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import type { TokenMix, Workload } from '../scenario/types.js';
import { Fifo } from '../core/fifo.js';

/** Where the workload hands a request: the dispatcher, which runs its attempts. */
export interface RequestSink {
  /**
   * Request number `id` arrived at `arrival` (its latency counts from then), from `client`; `worker`
   * is -1 in the open model. Its sizes in tokens (all 0 without `workload.tokens`).
   */
  begin(id: number, worker: number, arrival: number, client: number, prompt: number, output: number, maxTokens: number): void;
}

/**
 * Each request's prompt, output and max_tokens, from the token mix: distributions drawn (and
 * rounded to whole tokens) or a dataset's row, from the workload's own `tokens` stream, so adding
 * sizes moves no other draw. The output never exceeds max_tokens; without max_tokens it is the output.
 */
export class TokenDraws {
  prompt = 0;
  output = 0;
  maxTokens = 0;
  private readonly promptDraw: Sampler | undefined;
  private readonly outputDraw: Sampler | undefined;
  private readonly maxDraw: Sampler | undefined;

  constructor(
    private readonly mix: TokenMix,
    private readonly random: Random,
  ) {
    this.promptDraw = mix.prompt && sampler(mix.prompt, random);
    this.outputDraw = mix.output && sampler(mix.output, random);
    this.maxDraw = mix.maxTokens && sampler(mix.maxTokens, random);
  }

  /** Draws the next request's sizes into `prompt`, `output`, `maxTokens`. */
  next(): void {
    const rows = this.mix.rows;
    if (rows) {
      const i = Math.floor(this.random() * rows.prompt.length);
      this.prompt = rows.prompt[i]!;
      this.output = rows.output[i]!;
    } else {
      this.prompt = Math.max(0, Math.round(this.promptDraw!.sample()));
      this.output = Math.max(0, Math.round(this.outputDraw!.sample()));
    }
    if (this.maxDraw) {
      this.maxTokens = Math.max(1, Math.round(this.maxDraw.sample()));
      if (this.output > this.maxTokens) this.output = this.maxTokens;
    } else this.maxTokens = this.output;
  }
}

/**
 * Who sends requests and when. The closed model: `concurrency` workers, each sending its next
 * request `think` after its last one ended. The open model: arrivals at a rate (Poisson or
 * constant), optionally capped at `concurrency` in flight — arrivals beyond it wait at the gate, and
 * that wait counts in their latency. Each request carries a client id (for hashing balancers).
 * Every draw comes from the workload's own stream (gaps, client ids) and the think stream.
 */
export class WorkloadSource implements ArrivalStream {
  /** No new request starts (real mode's interruption or duration cap). */
  stopped = false;
  private issued = 0;
  private arrived = 0;
  /** When the next arrival is due (open model; Infinity when none is left). */
  private nextArrivalAt = Infinity;
  private inFlight = 0;
  private readonly gate = new Fifo();
  private readonly requests: number;
  private readonly cap: number;
  private readonly clients: number;
  private readonly open: Workload['arrivals'];
  private sink!: RequestSink;
  private readonly kStart: number;

  /** Request sizes, when the workload has them. */
  private readonly sizes: TokenDraws | undefined;

  constructor(
    spec: Workload,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly think: Sampler,
    tokensRandom?: Random,
  ) {
    this.sizes = spec.tokens && tokensRandom ? new TokenDraws(spec.tokens, tokensRandom) : undefined;
    this.requests = spec.requests;
    this.cap = spec.concurrency ?? Infinity;
    this.clients = spec.clients;
    this.open = spec.arrivals;
    this.kStart = clock.on((worker) => this.startNext(worker, this.clock.now()));
  }

  /** Schedules the first requests; `sink` receives every request from then on (bound once). */
  start(sink: RequestSink): void {
    this.sink = sink;
    if (this.open) {
      if (this.requests > 0) {
        this.nextArrivalAt = this.clock.now();
        this.clock.follow(this);
      }
      return;
    }
    const workers = Math.min(this.cap, this.requests);
    for (let w = 0; w < workers; w++) this.clock.after(0, this.kStart, w);
  }

  /** Requests started and not finished. */
  get running(): number {
    return this.inFlight;
  }

  /** A request of `worker` ended: the worker thinks and sends its next, or a gated arrival goes in. */
  finished(worker: number): void {
    this.inFlight--;
    if (this.issued >= this.requests) return;
    if (!this.open) {
      this.clock.after(this.think.sample(), this.kStart, worker);
    } else if (this.gate.size > 0) {
      this.startNext(-1, this.gate.shift());
    }
  }

  /** The open model's next arrival (ArrivalStream: the clock runs `fire` then). */
  nextAt(): number {
    return this.nextArrivalAt;
  }

  /** An arrival of the open model: the next one is drawn, this one starts or waits at the gate. */
  fire(): void {
    const now = this.clock.now();
    if (++this.arrived < this.requests) {
      const a = this.open!;
      const gap = a.process === 'poisson' ? -Math.log(1 - this.random()) / a.perMs : 1 / a.perMs;
      // From when this arrival was due, not from when its timer fired: on the wall clock a late
      // timer would otherwise push every later arrival back, and the rate would drift below the
      // scenario's (in virtual time the two are the same instant).
      this.nextArrivalAt += gap;
    } else this.nextArrivalAt = Infinity;
    if (this.inFlight >= this.cap) this.gate.push(now);
    else this.startNext(-1, now);
  }

  private startNext(worker: number, arrival: number): void {
    if (this.issued >= this.requests || this.stopped) return;
    const id = this.issued++;
    this.inFlight++;
    const client = Math.floor(this.random() * this.clients);
    const s = this.sizes;
    if (s) {
      s.next();
      this.sink.begin(id, worker, arrival, client, s.prompt, s.output, s.maxTokens);
    } else this.sink.begin(id, worker, arrival, client, 0, 0, 0);
  }
}
