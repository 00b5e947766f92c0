import type { ArrivalStream } from '../sim/arrivals.js';
import type { Clock } from '../sim/clock.js';
import { sampler, type Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import type { TokenMix, Workload } from '../scenario/types.js';
import { Fifo } from '../core/fifo.js';
import type { TraceFeed } from './trace.js';

/** Where the workload hands a request: the dispatcher, which runs its attempts. */
export interface RequestSink {
  /**
   * Request number `id` arrived at `arrival` (its latency counts from then), from `client`; `worker`
   * is -1 in the open model. Its sizes in tokens (all 0 without `workload.tokens`).
   */
  begin(id: number, worker: number, arrival: number, client: number, prompt: number, output: number, maxTokens: number, keyGroup?: number, providerGroup?: number): void;
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
  /** sequential / shuffle: the next row's place, and shuffle's order of the rows (redrawn each pass). */
  private cursor = 0;
  private readonly order: Int32Array | undefined;

  constructor(
    private readonly mix: TokenMix,
    private readonly random: Random,
  ) {
    this.promptDraw = mix.prompt && sampler(mix.prompt, random);
    this.outputDraw = mix.output && sampler(mix.output, random);
    this.maxDraw = mix.maxTokens && sampler(mix.maxTokens, random);
    this.order = mix.rows?.order === 'shuffle' ? new Int32Array(mix.rows.prompt.length) : undefined;
  }

  /** The next row's index: drawn (sample), in file order (sequential), or along a permutation drawn afresh each pass (shuffle, Fisher–Yates). */
  private row(n: number): number {
    const order = this.mix.rows!.order;
    if (order === undefined) return Math.floor(this.random() * n);
    const i = this.cursor;
    this.cursor = i + 1 === n ? 0 : i + 1;
    if (order === 'sequential') return i;
    const p = this.order!;
    if (i === 0) {
      for (let k = 0; k < n; k++) p[k] = k;
      for (let k = n - 1; k > 0; k--) {
        const j = Math.floor(this.random() * (k + 1));
        const t = p[k]!;
        p[k] = p[j]!;
        p[j] = t;
      }
    }
    return p[i]!;
  }

  /** Draws the next request's sizes into `prompt`, `output`, `maxTokens`. */
  next(): void {
    const rows = this.mix.rows;
    if (rows) {
      const i = this.row(rows.prompt.length);
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
  /** When the next arrival is due (open model, trace; Infinity when none is left). */
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
  /** A trace's rows, when the workload replays one: arrivals at their times, sizes and routes from the rows. */
  private readonly feed: TraceFeed | undefined;
  /** When the run started (a trace's times count from it). */
  private traceStart = 0;
  /** Per gated trace request: its sizes and routes (it waits at the concurrency gate). */
  private readonly gateRows: Fifo[] | undefined;
  /** Arrival lateness (ms: when the arrival ran minus when it was due), per trace request, when asked (real mode). */
  private readonly drift: Float64Array | undefined;

  constructor(
    spec: Workload,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly think: Sampler,
    tokensRandom?: Random,
    feed?: TraceFeed,
    measureDrift = false,
  ) {
    this.feed = feed;
    this.gateRows = feed && spec.concurrency !== undefined ? [new Fifo(), new Fifo(), new Fifo(), new Fifo(), new Fifo()] : undefined;
    if (feed && measureDrift) this.drift = new Float64Array(spec.requests);
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
    if (this.feed) {
      this.traceStart = this.clock.now();
      if (this.requests > 0 && this.feed.next()) {
        this.nextArrivalAt = this.traceStart + this.feed.at;
        this.clock.follow(this);
      }
      return;
    }
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

  /** A trace's arrivals so far, each one's lateness against its row's time (ms), when measured. */
  get arrivalDrift(): Float64Array | undefined {
    return this.drift?.subarray(0, this.arrived);
  }

  /** Requests started and not finished. */
  get running(): number {
    return this.inFlight;
  }

  /** A request of `worker` ended: the worker thinks and sends its next, or a gated arrival goes in. */
  finished(worker: number): void {
    this.inFlight--;
    if (this.issued >= this.requests) return;
    if (!this.open && !this.feed) {
      this.clock.after(this.think.sample(), this.kStart, worker);
    } else if (this.gate.size > 0) {
      const g = this.gateRows;
      if (g) this.startRow(this.gate.shift(), g[0]!.shift(), g[1]!.shift(), g[2]!.shift(), g[3]!.shift(), g[4]!.shift());
      else this.startNext(-1, this.gate.shift());
    }
  }

  /** A trace's request is due: it goes in (or waits at the gate) with its row's sizes and routes, and the next row is read. */
  private fireRow(): void {
    const f = this.feed!;
    const due = this.nextArrivalAt;
    const n = this.arrived++;
    if (this.drift) this.drift[n] = this.clock.now() - due;
    const { prompt, output, maxTokens, keyGroup, providerGroup } = f;
    if (this.arrived < this.requests && !this.stopped && f.next()) this.nextArrivalAt = this.traceStart + f.at;
    else {
      this.nextArrivalAt = Infinity;
      f.close();
    }
    // Latency counts from when the row was due, not from when its timer ran (the same in virtual time).
    if (this.inFlight >= this.cap) {
      this.gate.push(due);
      const g = this.gateRows!;
      g[0]!.push(prompt);
      g[1]!.push(output);
      g[2]!.push(maxTokens);
      g[3]!.push(keyGroup);
      g[4]!.push(providerGroup);
    } else this.startRow(due, prompt, output, maxTokens, keyGroup, providerGroup);
  }

  private startRow(arrival: number, prompt: number, output: number, maxTokens: number, keyGroup: number, providerGroup: number): void {
    if (this.issued >= this.requests || this.stopped) return;
    const id = this.issued++;
    this.inFlight++;
    const client = Math.floor(this.random() * this.clients);
    this.sink.begin(id, -1, arrival, client, prompt, output, maxTokens, keyGroup, providerGroup);
  }

  /** The open model's next arrival (ArrivalStream: the clock runs `fire` then). */
  nextAt(): number {
    return this.nextArrivalAt;
  }

  /** An arrival of the open model: the next one is drawn, this one starts or waits at the gate. */
  fire(): void {
    if (this.feed) return this.fireRow();
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
