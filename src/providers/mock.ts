import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { SlidingLog } from '../limiters/sliding-log.js';
import type { Clock } from '../sim/clock.js';
import { sampler, type Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import { faultKind, type Fault } from './faults.js';
import type { Provider } from './spec.js';
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
  // FIFO of queued tokens (ring buffer) and when each was queued.
  private qToken = new Float64Array(64);
  private qAt = new Float64Array(64);
  private qHead = 0;
  private qSize = 0;
  // In-service jobs: slot → token, outcome, queue wait, service time.
  private jobToken = new Float64Array(64);
  private jobOutcome = new Uint8Array(64);
  private jobQueue = new Float64Array(64);
  private jobService = new Float64Array(64);
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
    return this.qSize;
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
      this.clock.at(now, this.kReject, this.job(token, refused as OutcomeCode, 0, retryAfter));
      return;
    }
    // A server meets new keys as they come (gatesim serve); the simulation knows them up front.
    while (key >= this.limits.length) this.limits.push(this.newLimit());
    const limit = this.limits[key];
    if (limit && !limit.admits(now)) {
      const job = this.job(token, Outcome.rateLimited, 0, limit.nextAdmitAt(now) - now);
      this.clock.at(now, this.kReject, job);
      return;
    }
    limit?.record(now);
    if (this.busy < this.capacity) {
      this.start(token, now, 0);
      return;
    }
    this.push(token, now);
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
    if (this.busy < this.capacity) this.start(CHECK, now, 0);
    else this.push(CHECK, now);
  }

  private start(token: number, now: number, queueMs: number): void {
    this.busy++;
    if (this.busy > this.stats.busyPeak) this.stats.busyPeak = this.busy;
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    let service = token === CHECK ? this.checkCost : this.latency.sample();
    let failure = this.spec.failure;
    const serve = fault ? faultKind(fault).serve : undefined;
    if (serve) ({ service, failure } = serve(fault!, service, failure));
    const outcome: OutcomeCode = failure > 0 && this.random() < failure ? Outcome.serverError : Outcome.ok;
    const job = this.job(token, outcome, queueMs, service);
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
      this.sink.reply(token, outcome, 0, this.jobQueue[job]!, this.jobService[job]!);
    }
    this.serveNext();
  }

  private rejected(job: number): void {
    const token = this.jobToken[job]!;
    const outcome = this.jobOutcome[job]! as OutcomeCode;
    if (outcome === Outcome.rateLimited) this.stats.rateLimited++;
    else this.stats.failed++;
    this.jobFree.push(job);
    this.sink.reply(token, outcome, this.jobService[job]!, 0, 0);
  }

  private serveNext(): void {
    const now = this.clock.now();
    while (this.qSize > 0 && this.busy < this.capacity) {
      const token = this.qToken[this.qHead]!;
      const at = this.qAt[this.qHead]!;
      this.qHead = (this.qHead + 1) % this.qToken.length;
      this.qSize--;
      if (token !== CHECK && !this.sink.live(token)) continue;
      this.start(token, now, now - at);
    }
  }

  private push(token: number, now: number): void {
    if (this.qSize === this.qToken.length) {
      const cap = this.qToken.length * 2;
      const t = new Float64Array(cap);
      const a = new Float64Array(cap);
      for (let i = 0; i < this.qSize; i++) {
        const j = (this.qHead + i) % this.qToken.length;
        t[i] = this.qToken[j]!;
        a[i] = this.qAt[j]!;
      }
      this.qToken = t;
      this.qAt = a;
      this.qHead = 0;
    }
    const tail = (this.qHead + this.qSize) % this.qToken.length;
    this.qToken[tail] = token;
    this.qAt[tail] = now;
    this.qSize++;
    if (this.qSize > this.stats.queuePeak) this.stats.queuePeak = this.qSize;
  }

  private job(token: number, outcome: OutcomeCode, queueMs: number, serviceMs: number): number {
    let j = this.jobFree.pop();
    if (j === undefined) {
      j = this.jobSlots++;
      if (j === this.jobToken.length) {
        const cap = j * 2;
        const grow = <T extends Float64Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
        this.jobToken = grow(this.jobToken, new Float64Array(cap));
        this.jobOutcome = grow(this.jobOutcome, new Uint8Array(cap));
        this.jobQueue = grow(this.jobQueue, new Float64Array(cap));
        this.jobService = grow(this.jobService, new Float64Array(cap));
      }
    }
    this.jobToken[j] = token;
    this.jobOutcome[j] = outcome;
    this.jobQueue[j] = queueMs;
    this.jobService[j] = serviceMs;
    return j;
  }
}
