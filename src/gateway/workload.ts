import type { Clock } from '../sim/clock.js';
import type { Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import type { Workload } from '../scenario/types.js';
import { Fifo } from '../core/fifo.js';

/** Where the workload hands a request: the dispatcher, which runs its attempts. */
export interface RequestSink {
  /** Request number `id` arrived at `arrival` (its latency counts from then), from `client`; `worker` is -1 in the open model. */
  begin(id: number, worker: number, arrival: number, client: number): void;
}

/**
 * Who sends requests and when. The closed model: `concurrency` workers, each sending its next
 * request `think` after its last one ended. The open model: arrivals at a rate (Poisson or
 * constant), optionally capped at `concurrency` in flight — arrivals beyond it wait at the gate, and
 * that wait counts in their latency. Each request carries a client id (for hashing balancers).
 * Every draw comes from the workload's own stream (gaps, client ids) and the think stream.
 */
export class WorkloadSource {
  /** No new request starts (real mode's interruption or duration cap). */
  stopped = false;
  private issued = 0;
  private arrived = 0;
  private inFlight = 0;
  private readonly gate = new Fifo();
  private readonly requests: number;
  private readonly cap: number;
  private readonly clients: number;
  private readonly open: Workload['arrivals'];
  private sink!: RequestSink;
  private readonly kStart: number;
  private readonly kArrival: number;

  constructor(
    spec: Workload,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly think: Sampler,
  ) {
    this.requests = spec.requests;
    this.cap = spec.concurrency ?? Infinity;
    this.clients = spec.clients;
    this.open = spec.arrivals;
    this.kStart = clock.on((worker) => this.startNext(worker, this.clock.now()));
    this.kArrival = clock.on(() => this.arrive());
  }

  /** Schedules the first requests; `sink` receives every request from then on (bound once). */
  start(sink: RequestSink): void {
    this.sink = sink;
    if (this.open) {
      if (this.requests > 0) this.clock.after(0, this.kArrival, 0);
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

  private arrive(): void {
    const now = this.clock.now();
    if (++this.arrived < this.requests) {
      const a = this.open!;
      const gap = a.process === 'poisson' ? -Math.log(1 - this.random()) / a.perMs : 1 / a.perMs;
      this.clock.after(gap, this.kArrival, 0);
    }
    if (this.inFlight >= this.cap) this.gate.push(now);
    else this.startNext(-1, now);
  }

  private startNext(worker: number, arrival: number): void {
    if (this.issued >= this.requests || this.stopped) return;
    const id = this.issued++;
    this.inFlight++;
    this.sink.begin(id, worker, arrival, Math.floor(this.random() * this.clients));
  }
}
