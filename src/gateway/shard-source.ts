import type { Clock } from '../sim/clock.js';
import type { Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import type { Workload } from '../workload/spec.js';
import { Fifo } from '../core/fifo.js';
import { TokenDraws, WorkloadSource, type RequestSink } from './workload.js';

/**
 * One seeded schedule of a workload, drawn in full by every shard of a run split over processes:
 * each request's arrival (open model, scenario ms from the start), client id and sizes. The draws
 * come from the same streams, in the same order, as WorkloadSource makes them when no arrival waits
 * at the concurrency gate (open model: a gap, then the client of the arrival before it; closed
 * model: a client per request in id order), so one shard of one is the single-process schedule.
 */
export interface Schedule {
  /** Open model: when request `id` is due (scenario ms); undefined in the closed model. */
  arrival: Float64Array | undefined;
  client: Int32Array;
  prompt: Int32Array;
  output: Int32Array;
  maxTokens: Int32Array;
}

export function buildSchedule(spec: Workload, random: Random, tokensRandom: Random): Schedule {
  const n = spec.requests;
  const client = new Int32Array(n);
  const prompt = new Int32Array(n);
  const output = new Int32Array(n);
  const maxTokens = new Int32Array(n);
  const sizes = spec.tokens ? new TokenDraws(spec.tokens, tokensRandom) : undefined;
  const a = spec.arrivals;
  const arrival = a ? new Float64Array(n) : undefined;
  let at = 0;
  for (let id = 0; id < n; id++) {
    if (arrival) {
      arrival[id] = at;
      if (id + 1 < n) at += a!.process === 'poisson' ? -Math.log(1 - random()) / a!.perMs : 1 / a!.perMs;
    }
    client[id] = Math.floor(random() * spec.clients);
    if (sizes) {
      sizes.next();
      prompt[id] = sizes.prompt;
      output[id] = sizes.output;
      maxTokens[id] = sizes.maxTokens;
    }
  }
  return { arrival, client, prompt, output, maxTokens };
}

/** Which shard of how many (`index` from 0). */
export interface ShardOf {
  index: number;
  count: number;
}

/** How many of `total` things (requests, workers, an in-flight cap) fall to shard `index` by round robin: those numbered index, index + count, … */
export const shareOf = (total: number, s: ShardOf): number => (total > s.index ? Math.floor((total - 1 - s.index) / s.count) + 1 : 0);

/** The request id of shard `s`'s `local`-th request. */
export const globalId = (local: number, s: ShardOf): number => s.index + local * s.count;

/**
 * Why a workload cannot be split into `count` shards, or undefined: every shard needs a request and,
 * in the closed model, a worker (and in the open model with a cap, a slot of it).
 */
export function shardProblem(spec: Workload, count: number): string | undefined {
  // A trace is read row by row as it is replayed; its rows are not split over processes yet.
  if (spec.trace && count > 1) return 'workload.trace: a trace replays in one process (--shard splits arrivals drawn from a rate, not a trace\'s rows)';
  if (spec.requests < count) return `workload.requests: ${spec.requests} requests cannot be split into ${count} shards (expected at least one request per shard)`;
  const cap = spec.concurrency;
  if (!spec.arrivals && Math.min(cap ?? Infinity, spec.requests) < count) {
    return `workload.concurrency: ${cap} workers cannot be split into ${count} shards (expected at least one worker per shard)`;
  }
  if (spec.arrivals && cap !== undefined && cap < count) return `workload.concurrency: an in-flight cap of ${cap} cannot be split into ${count} shards (expected at least one per shard)`;
  return undefined;
}

/**
 * The workload source of one shard: the requests of the shared schedule whose ids are
 * index, index + count, … (round robin), numbered locally 0, 1, … in that order. Open model: each
 * arrives at its scheduled time after the shared start, under this shard's share of the in-flight
 * cap. Closed model: this shard's share of the workers, each sending its next request `think` after
 * its last ended. `lateness[local]` is how late, in wall ms, its arrival (or its worker's start)
 * fired against when it was due; the first ones include how late the shard started.
 */
export class ShardSource extends WorkloadSource {
  /** Wall ms each request's arrival fired after it was due (by local id). */
  readonly lateness: Float64Array;
  /** Requests of this shard. */
  readonly size: number;
  private begun = 0;
  private arrivedCount = 0;
  private live = 0;
  /** The clock's time of the shared start (set when the shard starts): records count from it. */
  origin = 0;
  private readonly waiting = new Fifo();
  private readonly slots: number;
  private readonly due: Float64Array;
  private out!: RequestSink;
  private readonly kWorker: number;
  private readonly kDue: number;

  constructor(
    spec: Workload,
    private readonly at: Clock,
    private readonly schedule: Schedule,
    private readonly shard: ShardOf,
    private readonly pause: Sampler,
    /** Wall ms from the shared start instant to now, when the shard starts (the clock's time of that instant is now − this). */
    private readonly sinceStart: () => number,
    private readonly scale: number,
    unused: Random,
  ) {
    super(spec, at, unused, pause);
    this.size = shareOf(spec.requests, shard);
    this.lateness = new Float64Array(this.size);
    const cap = spec.concurrency ?? Infinity;
    this.slots = spec.arrivals ? (cap === Infinity ? Infinity : shareOf(cap, shard)) : shareOf(Math.min(cap, spec.requests), shard);
    this.due = new Float64Array(spec.arrivals ? 0 : this.slots);
    this.kWorker = at.on((w) => this.workerDue(w));
    this.kDue = at.on(() => this.arrivalDue());
  }

  override start(sink: RequestSink): void {
    this.out = sink;
    // The clock's time of the shared start: arrivals are placed from it, so a late start shows as lateness.
    this.origin = this.at.now() - this.sinceStart() / this.scale;
    if (this.size === 0) return;
    if (this.schedule.arrival) {
      this.at.at(this.dueOf(0), this.kDue, 0);
      return;
    }
    for (let w = 0; w < this.slots; w++) {
      this.due[w] = this.origin;
      this.at.at(this.origin, this.kWorker, w);
    }
  }

  /** Entries of `lateness` measured so far (arrivals fired, or requests begun in the closed model). */
  get measured(): number {
    return this.schedule.arrival ? this.arrivedCount : this.begun;
  }

  override get running(): number {
    return this.live;
  }

  override finished(worker: number): void {
    this.live--;
    if (this.begun >= this.size) return;
    if (!this.schedule.arrival) {
      const think = this.pause.sample();
      this.due[worker] = this.at.now() + think;
      this.at.after(think, this.kWorker, worker);
    } else if (this.waiting.size > 0) this.begin(-1, this.waiting.shift());
  }

  private dueOf(local: number): number {
    return this.origin + this.schedule.arrival![globalId(local, this.shard)]!;
  }

  private arrivalDue(): void {
    if (this.stopped) return;
    const now = this.at.now();
    const local = this.arrivedCount++;
    this.lateness[local] = (now - this.dueOf(local)) * this.scale;
    if (this.arrivedCount < this.size) this.at.at(this.dueOf(this.arrivedCount), this.kDue, 0);
    if (this.live >= this.slots) this.waiting.push(now);
    else this.begin(-1, now);
  }

  private workerDue(w: number): void {
    const now = this.at.now();
    if (this.begun < this.size && !this.stopped) this.lateness[this.begun] = (now - this.due[w]!) * this.scale;
    this.begin(w, now);
  }

  private begin(worker: number, arrival: number): void {
    if (this.begun >= this.size || this.stopped) return;
    const local = this.begun++;
    this.live++;
    const g = globalId(local, this.shard);
    const s = this.schedule;
    this.out.begin(local, worker, arrival, s.client[g]!, s.prompt[g]!, s.output[g]!, s.maxTokens[g]!);
  }
}
