import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { SlidingLog } from '../limiters/sliding-log.js';
import type { Clock } from '../sim/clock.js';
import { sampler, type Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import { faultKind, type Fault } from './faults.js';
import type { Provider } from './spec.js';
import { Fifo } from '../core/fifo.js';
import { grown } from '../core/typed.js';
import type { ProviderPort, ProviderStats, ReplySink } from './port.js';

/**
 * The provider model: `capacity` servers with a FIFO queue, service times from `latency`, a
 * `failure` probability of a 5xx, and its own exact per-key limit (a sliding log per key; a request
 * over it gets an immediate 429 with retry-after = when the window next admits). Queued work whose
 * client has gone (timed out) is dropped when it reaches a server. Faults (down, slow, errors,
 * throttle) change all of this while they last. Health checks queue and take capacity like requests.
 */

// Health checks ride the same queue and job slots as requests under this token.
const CHECK = -1;
export class MockProvider implements ProviderPort {
  readonly stats: ProviderStats = { requests: 0, ok: 0, failed: 0, rateLimited: 0, busyPeak: 0, queuePeak: 0 };
  private readonly latency: Sampler;
  private readonly limits: (SlidingLog | undefined)[];
  private busy = 0;
  // Queued work (attempt tokens, and CHECK for a health check), served in order.
  private readonly queue = new Fifo(64);
  // Answers on their way: slot → token, outcome, and a 429's retry-after.
  private jobToken = new Float64Array(64);
  private jobOutcome = new Uint8Array(64);
  private jobRetryAfter = new Float64Array(64);
  private jobFree: number[] = [];
  private jobSlots = 0;
  private readonly kDone: number;
  private readonly kReject: number;
  private readonly capacity: number;
  private readonly faults: readonly Fault[];
  private checkDone: ((ok: boolean) => void) | undefined;
  private checkCost = 0;

  constructor(
    private readonly spec: Provider,
    keys: number,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly sink: ReplySink,
  ) {
    this.latency = sampler(spec.latency, random);
    this.capacity = spec.capacity;
    this.faults = spec.faults;
    this.limits = [];
    for (let k = 0; k < keys; k++) this.limits.push(this.newLimit());
    this.kDone = clock.on((job) => this.done(job));
    this.kReject = clock.on((job) => this.rejected(job));
  }

  get name(): string {
    return this.spec.name;
  }

  /** Requests in service now. */
  get inService(): number {
    return this.busy;
  }

  /** Requests queued now. */
  get queued(): number {
    return this.queue.size;
  }

  /** Forgets a key's window (gatesim serve reuses the number of a key it evicted for a new one). */
  forget(key: number): void {
    if (key < this.limits.length) this.limits[key] = this.newLimit();
  }

  private newLimit(): SlidingLog | undefined {
    return this.spec.limit ? new SlidingLog(this.spec.limit.count, this.spec.limit.windowMs) : undefined;
  }

  /** The fault in force at `now`, if any (the first listed wins when they overlap). */
  private fault(now: number): Fault | undefined {
    for (const f of this.faults) if (now >= f.atMs && now < f.atMs + f.forMs) return f;
    return undefined;
  }

  send(token: number, key: number): void {
    const now = this.clock.now();
    this.stats.requests++;
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    const refused = fault ? (faultKind(fault).refuse?.(fault, this.random) ?? -1) : -1;
    if (refused >= 0) {
      // A 429 from a fault comes back when the fault ends.
      const retryAfter = refused === Outcome.rateLimited ? fault!.atMs + fault!.forMs - now : 0;
      this.clock.at(now, this.kReject, this.job(token, refused as OutcomeCode, retryAfter));
      return;
    }
    // A server meets new keys as they come (gatesim serve); the simulation knows them up front.
    while (key >= this.limits.length) this.limits.push(this.newLimit());
    const limit = this.limits[key];
    if (limit && !limit.admits(now)) {
      const job = this.job(token, Outcome.rateLimited, limit.nextAdmitAt(now) - now);
      this.clock.at(now, this.kReject, job);
      return;
    }
    limit?.record(now);
    if (this.busy < this.capacity) {
      this.start(token, now);
      return;
    }
    this.push(token);
  }

  /** A health check: queued and served like a request, costing `costMs` (× a slow fault). */
  check(costMs: number, done: (ok: boolean) => void): void {
    const now = this.clock.now();
    this.checkDone = done;
    this.checkCost = costMs;
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    if (fault && faultKind(fault).failsChecks) {
      done(false);
      return;
    }
    if (this.busy < this.capacity) this.start(CHECK, now);
    else this.push(CHECK);
  }

  private start(token: number, now: number): void {
    this.busy++;
    if (this.busy > this.stats.busyPeak) this.stats.busyPeak = this.busy;
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    let service = token === CHECK ? this.checkCost : this.latency.sample();
    let failure = this.spec.failure;
    const serve = fault ? faultKind(fault).serve : undefined;
    if (serve) ({ service, failure } = serve(fault!, service, failure));
    const outcome: OutcomeCode = failure > 0 && this.random() < failure ? Outcome.serverError : Outcome.ok;
    const job = this.job(token, outcome, 0);
    if (token !== CHECK) this.sink.started(token);
    this.clock.after(service, this.kDone, job);
  }

  private done(job: number): void {
    const token = this.jobToken[job]!;
    const outcome = this.jobOutcome[job]! as OutcomeCode;
    this.busy--;
    this.jobFree.push(job);
    if (token === CHECK) {
      this.checkDone?.(outcome === Outcome.ok);
    } else {
      if (outcome === Outcome.ok) this.stats.ok++;
      else this.stats.failed++;
      this.sink.reply(token, outcome, 0);
    }
    this.serveNext();
  }

  private rejected(job: number): void {
    const token = this.jobToken[job]!;
    const outcome = this.jobOutcome[job]! as OutcomeCode;
    if (outcome === Outcome.rateLimited) this.stats.rateLimited++;
    else this.stats.failed++;
    this.jobFree.push(job);
    this.sink.reply(token, outcome, this.jobRetryAfter[job]!);
  }

  private serveNext(): void {
    const now = this.clock.now();
    while (this.queue.size > 0 && this.busy < this.capacity) {
      const token = this.queue.shift();
      if (token !== CHECK && !this.sink.live(token)) continue;
      this.start(token, now);
    }
  }

  private push(token: number): void {
    this.queue.push(token);
    if (this.queue.size > this.stats.queuePeak) this.stats.queuePeak = this.queue.size;
  }

  /** A slot for an answer on its way (reused once delivered). */
  private job(token: number, outcome: OutcomeCode, retryAfterMs: number): number {
    let j = this.jobFree.pop();
    if (j === undefined) {
      j = this.jobSlots++;
      if (j === this.jobToken.length) {
        this.jobToken = grown(this.jobToken, j * 2);
        this.jobOutcome = grown(this.jobOutcome, j * 2);
        this.jobRetryAfter = grown(this.jobRetryAfter, j * 2);
      }
    }
    this.jobToken[j] = token;
    this.jobOutcome[j] = outcome;
    this.jobRetryAfter[j] = retryAfterMs;
    return j;
  }
}
