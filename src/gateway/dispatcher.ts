import { NONE, type Balancer, type Route } from '../balancers/balancer.js';
import { Outcome, type OutcomeCode } from '../core/outcome.js';
import type { HealthMonitor } from './health.js';
import type { KeyPoolSink, Pool } from '../keys/key-pool.js';
import type { Recorder } from '../metrics/recorder.js';
import type { ProviderPort, ReplySink } from '../providers/port.js';
import type { Clock } from '../sim/clock.js';
import type { Random } from '../sim/random.js';
import type { Sampler } from '../sim/dist.js';
import type { Scenario } from '../scenario/types.js';
import { Connect, type ConnectionLayer, type ConnectionSink } from './connections.js';
import type { RetryPolicy } from './retry.js';

// Where an in-flight request stands.
const enum State {
  Free = 0,
  KeyWait = 1,
  Handshake = 2,
  ConnWait = 3,
  Queued = 4,
  Serving = 5,
  Backoff = 6,
}

// An attempt token packs the request slot (low bits) and a global attempt number, so replies,
// handshakes and timeouts that outlive their attempt are recognised and ignored.
const SLOTS = 2 ** 24;

/** Everything a dispatcher drives. */
export interface DispatcherParts {
  clock: Clock;
  pool: Pool;
  balancer: Balancer;
  connections: (sink: ConnectionSink) => ConnectionLayer;
  providers: (sink: ReplySink) => ProviderPort[];
  retry: RetryPolicy;
  /** Health of the providers, built once the ports exist (active checks go through them). */
  health: (ports: ProviderPort[]) => HealthMonitor;
  /** Shared with the balancer: healthy flags and attempts in flight per provider. */
  healthy: Uint8Array;
  inFlight: Float64Array;
  think: Sampler;
  workloadRandom: Random;
  /** Called once, when the last request has its final outcome (real mode waits for it). */
  onDone?: () => void;
  recorder: Recorder;
}

/**
 * The request lifecycle: concurrency gate → key pool → balancer → connection → provider → outcome
 * → retry → record. Per-request state lives in typed columns indexed by a reusable slot; every
 * wait is an event on the clock with the slot or the attempt token as its argument, so a request
 * costs no closures or promises, and the same code runs on the virtual and the wall clock.
 */
export class Dispatcher implements KeyPoolSink, ConnectionSink, ReplySink {
  private readonly clock: Clock;
  private readonly pool: Pool;
  private readonly balancer: Balancer;
  private readonly conns: ConnectionLayer;
  private readonly ports: ProviderPort[];
  private readonly retry: RetryPolicy;
  private readonly health: HealthMonitor;
  private readonly healthy: Uint8Array;
  private readonly providerLoad: Float64Array;
  private readonly fallback: boolean;
  private readonly rec: Recorder;
  private readonly think: Sampler;
  private readonly rng: Random;
  private readonly onDone: (() => void) | undefined;
  /** Real mode's Ctrl-C: no new request starts. */
  stopped = false;
  private readonly route: Route = { client: 0, attempt: 1, previous: -1 };

  // Per slot.
  private id = new Int32Array(0);
  private state = new Uint8Array(0);
  private attempt = new Int32Array(0);
  private key = new Int32Array(0);
  private provider = new Int32Array(0);
  private client = new Int32Array(0);
  private worker = new Int32Array(0);
  private hasConn = new Uint8Array(0);
  private since = new Float64Array(0);
  private sentAt = new Float64Array(0);
  private token = new Float64Array(0);
  private timer = new Float64Array(0);
  private freeSlots: number[] = [];
  private slots = 0;
  private attempts = 0;

  private issued = 0;
  private arrived = 0;
  private inFlight = 0;
  private gate: number[] = [];
  private gateHead = 0;
  private readonly requests: number;
  private readonly cap: number;
  private readonly timeoutMs: number[];
  private readonly open: Scenario['workload']['arrivals'];

  private readonly kStart: number;
  private readonly kArrival: number;
  private readonly kRefused: number;
  private readonly kUnavailable: number;
  private readonly kTimeout: number;
  private readonly kRetry: number;

  constructor(
    private readonly scenario: Scenario,
    parts: DispatcherParts,
  ) {
    this.clock = parts.clock;
    this.pool = parts.pool;
    this.balancer = parts.balancer;
    this.retry = parts.retry;

    this.healthy = parts.healthy;
    this.providerLoad = parts.inFlight;
    this.fallback = scenario.retry.fallback;
    this.rec = parts.recorder;
    this.think = parts.think;
    this.rng = parts.workloadRandom;
    this.onDone = parts.onDone;
    this.conns = parts.connections(this);
    this.ports = parts.providers(this);
    this.health = parts.health(this.ports);
    const w = scenario.workload;
    this.requests = w.requests;
    this.open = w.arrivals;
    this.cap = w.concurrency ?? Infinity;
    this.timeoutMs = scenario.providers.map((p) => p.timeoutMs);
    this.grow(64);
    this.kStart = this.clock.on((worker) => this.begin(worker, this.clock.now()));
    this.kArrival = this.clock.on(() => this.arrive());
    this.kRefused = this.clock.on((token) => this.refused(token));
    this.kUnavailable = this.clock.on((token) => {
      if (this.live(token)) this.end(token % SLOTS, Outcome.unavailable, 0);
    });
    this.kTimeout = this.clock.on((token) => this.timedOut(token));
    this.kRetry = this.clock.on((slot) => this.retryNow(slot));
  }

  /** Schedules the workload's first requests (and the health checks). */
  start(): void {
    this.health.start();
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

  /**
   * Real mode's Ctrl-C, after a grace period: every request still in flight ends as gaveUp, so the
   * partial report covers exactly the requests that were started.
   */
  abortAll(): void {
    this.stopped = true;
    for (let slot = 0; slot < this.slots; slot++) {
      if (this.state[slot] === State.Free) continue;
      if (this.timer[slot]! >= 0) this.clock.cancel(this.timer[slot]!);
      if ((this.state[slot] === State.Queued || this.state[slot] === State.Serving) && this.provider[slot]! >= 0) this.ports[this.provider[slot]!]!.abandon?.(this.token[slot]!);
      this.token[slot] = -1;
      this.finish(slot, Outcome.gaveUp);
    }
  }

  /** Every request of the workload has its final outcome. */
  get done(): boolean {
    return this.rec.finished >= this.requests;
  }

  // ── workload ────────────────────────────────────────────────────────────────────────────────

  private arrive(): void {
    const now = this.clock.now();
    if (++this.arrived < this.requests) {
      const a = this.open!;
      const gap = a.process === 'poisson' ? -Math.log(1 - this.rng()) / a.perMs : 1 / a.perMs;
      this.clock.after(gap, this.kArrival, 0);
    }
    if (this.inFlight >= this.cap) this.gate.push(now);
    else this.begin(-1, now);
  }

  private begin(worker: number, arrival: number): void {
    if (this.issued >= this.requests || this.stopped) return;
    const slot = this.alloc();
    const id = this.issued++;
    this.inFlight++;
    this.id[slot] = id;
    this.worker[slot] = worker;
    this.attempt[slot] = 0;
    this.provider[slot] = -1;
    this.client[slot] = Math.floor(this.rng() * this.scenario.workload.clients);
    this.rec.arrival[id] = arrival;
    // Time spent at the client's concurrency gate counts as key wait: both are the gateway holding the request.
    this.rec.keyWait[id] = this.clock.now() - arrival;
    this.startAttempt(slot);
  }

  private finish(slot: number, outcome: OutcomeCode): void {
    const now = this.clock.now();
    this.rec.finish(this.id[slot]!, now, outcome, this.attempt[slot]!);
    if (this.onDone && this.rec.finished === this.requests) this.onDone();
    const worker = this.worker[slot]!;
    this.state[slot] = State.Free;
    this.token[slot] = -1;
    this.freeSlots.push(slot);
    this.inFlight--;
    if (this.issued >= this.requests) return;
    if (!this.open) {
      this.clock.after(this.think.sample(), this.kStart, worker);
    } else if (this.gateHead < this.gate.length) {
      const arrival = this.gate[this.gateHead++]!;
      if (this.gateHead > 1024 && this.gateHead * 2 > this.gate.length) {
        this.gate = this.gate.slice(this.gateHead);
        this.gateHead = 0;
      }
      this.begin(-1, arrival);
    }
  }

  // ── one attempt ─────────────────────────────────────────────────────────────────────────────

  private startAttempt(slot: number): void {
    this.attempt[slot]!++;
    this.state[slot] = State.KeyWait;
    this.since[slot] = this.clock.now();
    this.token[slot] = ++this.attempts * SLOTS + slot;
    this.key[slot] = -1;
    const key = this.pool.acquire(slot);
    if (key >= 0) this.granted(slot, key);
  }

  granted(slot: number, key: number): void {
    const now = this.clock.now();
    const id = this.id[slot]!;
    this.rec.keyWait[id]! += now - this.since[slot]!;
    this.rec.admission(key, now);
    const route = this.route;
    route.client = this.client[slot]!;
    route.attempt = this.attempt[slot]!;
    route.previous = this.provider[slot]!;
    const p = this.route_(route, now);
    this.key[slot] = key;
    this.provider[slot] = p;
    const token = this.token[slot]!;
    if (p === NONE) {
      // No healthy provider: the attempt ends at once (as an event, so nothing recurses).
      this.state[slot] = State.Handshake;
      this.hasConn[slot] = 0;
      this.sentAt[slot] = now;
      this.timer[slot] = -1;
      this.clock.after(0, this.kUnavailable, token);
      return;
    }
    this.providerLoad[p]!++;
    this.health.admit(p);
    this.balancer.started(p, now);
    this.sentAt[slot] = now;
    this.since[slot] = now;
    const timeout = this.timeoutMs[p]!;
    this.timer[slot] = timeout < Infinity ? this.clock.after(timeout, this.kTimeout, token) : -1;
    switch (this.conns.connect(token, key, p)) {
      case Connect.Ready:
        this.hasConn[slot] = 1;
        this.send(slot);
        break;
      case Connect.Handshake:
        this.hasConn[slot] = 1;
        this.state[slot] = State.Handshake;
        break;
      case Connect.Queued:
        this.hasConn[slot] = 0;
        this.state[slot] = State.ConnWait;
        break;
      case Connect.Refused:
        this.hasConn[slot] = 0;
        this.state[slot] = State.Handshake;
        // Reported as an event so a refused request never recurses into the next one.
        this.clock.after(0, this.kRefused, token);
        break;
    }
  }

  /** The balancer's pick; with `retry.fallback`, a retry avoids the provider that just failed it. */
  private route_(route: Route, now: number): number {
    const prev = route.previous;
    if (!this.fallback || route.attempt < 2 || prev < 0 || !this.healthy[prev]) return this.balancer.pick(route, now);
    this.healthy[prev] = 0;
    const p = this.balancer.pick(route, now);
    this.healthy[prev] = 1;
    return p === NONE ? this.balancer.pick(route, now) : p;
  }

  gaveUp(slot: number): void {
    this.rec.keyWait[this.id[slot]!]! += this.clock.now() - this.since[slot]!;
    this.finish(slot, Outcome.gaveUp);
  }

  live(token: number): boolean {
    return this.token[token % SLOTS] === token;
  }

  opened(token: number): void {
    if (!this.live(token)) return;
    const slot = token % SLOTS;
    this.hasConn[slot] = 1;
    this.state[slot] = State.Handshake;
  }

  connected(token: number): void {
    if (!this.live(token)) return;
    const slot = token % SLOTS;
    this.hasConn[slot] = 1;
    this.send(slot);
  }

  private send(slot: number): void {
    const now = this.clock.now();
    this.rec.connect[this.id[slot]!]! += now - this.since[slot]!;
    this.since[slot] = now;
    this.state[slot] = State.Queued;
    this.ports[this.provider[slot]!]!.send(this.token[slot]!, this.key[slot]!);
  }

  started(token: number): void {
    if (!this.live(token)) return;
    const slot = token % SLOTS;
    const now = this.clock.now();
    this.rec.providerQueue[this.id[slot]!]! += now - this.since[slot]!;
    this.since[slot] = now;
    this.state[slot] = State.Serving;
  }

  reply(token: number, outcome: OutcomeCode, retryAfterMs: number): void {
    if (!this.live(token)) return;
    this.end(token % SLOTS, outcome, retryAfterMs);
  }

  refused(token: number): void {
    if (this.live(token)) this.end(token % SLOTS, Outcome.connectFailed, 0);
  }

  private timedOut(token: number): void {
    if (!this.live(token)) return;
    const slot = token % SLOTS;
    this.timer[slot] = -1;
    this.end(slot, Outcome.timeout, 0);
  }

  /** Closes the attempt: phases, connection, key, balancer, record; then retry or finish. */
  private end(slot: number, outcome: OutcomeCode, retryAfterMs: number): void {
    const now = this.clock.now();
    const id = this.id[slot]!;
    const spent = now - this.since[slot]!;
    switch (this.state[slot]) {
      case State.Handshake:
      case State.ConnWait:
        this.rec.connect[id]! += spent;
        break;
      case State.Queued:
        this.rec.providerQueue[id]! += spent;
        break;
      case State.Serving:
        this.rec.service[id]! += spent;
        break;
    }
    if (this.timer[slot]! >= 0) this.clock.cancel(this.timer[slot]!);
    this.timer[slot] = -1;
    if (outcome === Outcome.timeout && (this.state[slot] === State.Queued || this.state[slot] === State.Serving)) this.ports[this.provider[slot]!]!.abandon?.(this.token[slot]!);
    this.token[slot] = -1;
    const key = this.key[slot]!;
    const p = this.provider[slot]!;
    // A timeout abandons the connection and a refused one (provider down) was reset: both close.
    if (this.hasConn[slot]) this.conns.release(key, p, outcome === Outcome.timeout || outcome === Outcome.connectFailed);
    this.hasConn[slot] = 0;
    this.pool.release(key);
    if (p !== NONE) {
      this.providerLoad[p]!--;
      this.balancer.finished(p, outcome, now - this.sentAt[slot]!, now);
      this.health.observe(p, outcome);
    }
    this.rec.attempt(this.sentAt[slot]!, now, key, p, outcome);
    if (outcome !== Outcome.ok && this.retry.retries(outcome, this.attempt[slot]!)) {
      this.state[slot] = State.Backoff;
      this.since[slot] = now;
      this.clock.after(this.retry.delay(this.attempt[slot]!, retryAfterMs), this.kRetry, slot);
      return;
    }
    this.finish(slot, outcome);
  }

  private retryNow(slot: number): void {
    if (this.state[slot] !== State.Backoff) return;
    this.rec.retryWait[this.id[slot]!]! += this.clock.now() - this.since[slot]!;
    this.startAttempt(slot);
  }

  // ── slots ───────────────────────────────────────────────────────────────────────────────────

  private alloc(): number {
    const s = this.freeSlots.pop();
    if (s !== undefined) return s;
    if (this.slots === this.id.length) this.grow(this.id.length * 2);
    return this.slots++;
  }

  private grow(cap: number): void {
    if (cap > SLOTS) throw new Error(`more than ${SLOTS} requests in flight`);
    const g = <T extends Int32Array | Uint8Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.id = g(this.id, new Int32Array(cap));
    this.state = g(this.state, new Uint8Array(cap));
    this.attempt = g(this.attempt, new Int32Array(cap));
    this.key = g(this.key, new Int32Array(cap));
    this.provider = g(this.provider, new Int32Array(cap));
    this.client = g(this.client, new Int32Array(cap));
    this.worker = g(this.worker, new Int32Array(cap));
    this.hasConn = g(this.hasConn, new Uint8Array(cap));
    this.since = g(this.since, new Float64Array(cap));
    this.sentAt = g(this.sentAt, new Float64Array(cap));
    this.token = g(this.token, new Float64Array(cap));
    this.timer = g(this.timer, new Float64Array(cap));
  }
}
