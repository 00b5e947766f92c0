import type { ReadonlyNumbers } from '../core/typed.js';
import { NONE, type Balancer, type Route } from '../balancers/balancer.js';
import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../core/outcome.js';
import { grown, low } from '../core/typed.js';
import { TOO_LARGE, type AttemptEnd, type KeyPoolSink, type Pool } from '../keys/key-pool.js';
import { Phase, type Recorder } from '../metrics/recorder.js';
import { type ProviderPort, type ReplySink, type Usage } from '../providers/port.js';
import type { Clock } from '../sim/clock.js';
import { Connect, type ConnectionLayer, type ConnectionSink } from './connections.js';
import type { HealthMonitor } from './health.js';
import type { RetryPolicy } from './retry.js';
import type { RequestSink, WorkloadSource } from './workload.js';

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

/**
 * The providers a trace's model may go to, as one balancer of their own sees them: its `health`
 * and `load` are views of the monitor's flags and the dispatcher's in-flight counts over the list,
 * written here before each pick (this dispatcher their one writer), so the balancer's rule and
 * state (a round robin's cursor, smooth weights) belong to the model's providers alone.
 */
export interface ProviderGroup {
  balancer: Balancer;
  /** Local index → provider. */
  providers: Int32Array;
  /** Provider → local index, or -1. */
  local: Int32Array;
  health: Uint8Array;
  load: Float64Array;
}

/**
 * What a dispatcher drives. The parts that report back to it (the key pool, the connections, the
 * providers, health checks through the providers) are given as factories of their sink: the
 * dispatcher builds them in that order, bound to itself, and exposes them.
 */
export interface DispatcherParts<P extends Pool, C extends ConnectionLayer, R extends ProviderPort> {
  clock: Clock;
  source: WorkloadSource;
  pool: (sink: KeyPoolSink) => P;
  balancer: Balancer;
  connections: (sink: ConnectionSink) => C;
  providers: (sink: ReplySink) => R[];
  health: (ports: ProviderPort[]) => HealthMonitor;
  retry: RetryPolicy;
  recorder: Recorder;
  /** Which providers are healthy: the health monitor's, read here. */
  healthy: ReadonlyNumbers;
  /** Attempts in flight per provider: the dispatcher's own (the only writer); the balancer reads it. */
  inFlight: Float64Array;
  /** Per provider: how long the client waits for an attempt (Infinity: no timeout). */
  timeoutsMs: readonly number[];
  /** A retry goes to another provider than the failed attempt's when a healthy one exists. */
  fallback: boolean;
  /** Called once, when the last request has its final outcome (real mode waits for it). */
  onDone?: () => void;
  /** A trace's models: the providers each may go to, each list with a balancer of its own. */
  providerGroups?: ProviderGroup[];
}

/**
 * The attempt state machine: key pool → balancer → connection → provider → outcome → retry →
 * record, for each request the workload source begins. Per-request state lives in typed columns
 * indexed by a reusable slot; every wait is an event on the clock with the slot or the attempt
 * token as its argument, so a request costs no closures or promises, and the same code runs on
 * the virtual and the wall clock.
 */
export class Dispatcher<P extends Pool = Pool, C extends ConnectionLayer = ConnectionLayer, R extends ProviderPort = ProviderPort>
  implements RequestSink, KeyPoolSink, ConnectionSink, ReplySink
{
  readonly pool: P;
  readonly connections: C;
  readonly ports: R[];
  readonly health: HealthMonitor;
  private readonly clock: Clock;
  private readonly source: WorkloadSource;
  private readonly balancer: Balancer;
  private readonly retry: RetryPolicy;
  private readonly healthy: ReadonlyNumbers;
  private readonly providerLoad: Float64Array;
  private readonly fallback: boolean;
  private readonly rec: Recorder;
  private readonly timeoutsMs: readonly number[];
  private readonly onDone: (() => void) | undefined;
  private readonly requests: number;
  private readonly route: Route = { client: 0, attempt: 1, previous: -1, avoid: -1 };
  private readonly groups: ProviderGroup[] | undefined;

  // Per slot.
  private id = new Int32Array(64);
  private state = new Uint8Array(64);
  private attempt = new Int32Array(64);
  private key = new Int32Array(64);
  private provider = new Int32Array(64);
  private client = new Int32Array(64);
  private worker = new Int32Array(64);
  private hasConn = new Uint8Array(64);
  private since = new Float64Array(64);
  private sentAt = new Float64Array(64);
  private token = new Float64Array(64);
  private timer = new Float64Array(64);
  // Request sizes (0 without workload.tokens), when the key admitted the attempt and what it reserved, when it reached the provider.
  private prompt = new Int32Array(64);
  private output = new Int32Array(64);
  private maxTokens = new Int32Array(64);
  private admittedAt = new Float64Array(64);
  /** The attempt's ordinal in the recorder's admission log. */
  private admissionNo = new Int32Array(64);
  private atProviderSince = new Float64Array(64);
  private streamedGaps = new Uint8Array(64);
  /** A trace's routes: the key group and the provider group the request may use (-1: any). */
  private keyGroup = new Int32Array(64);
  private providerGroup = new Int32Array(64);
  private freeSlots: number[] = [];
  private slots = 0;
  private attempts = 0;

  private readonly kRefused: number;
  private readonly kUnavailable: number;
  private readonly kRejected: number;
  private readonly kTimeout: number;
  private readonly kRetry: number;
  private readonly kTooLarge: number;
  /** What the key pool hears when an attempt ends (one object, filled per attempt). */
  private readonly ending: AttemptEnd = { outcome: Outcome.ok, sent: false, used: 0, latencyMs: 0, retryAfterMs: 0, usage: undefined, charged: 0 };

  constructor(parts: DispatcherParts<P, C, R>) {
    this.clock = parts.clock;
    this.source = parts.source;
    this.balancer = parts.balancer;
    this.retry = parts.retry;
    this.healthy = parts.healthy;
    this.providerLoad = parts.inFlight;
    this.fallback = parts.fallback;
    this.rec = parts.recorder;
    this.timeoutsMs = parts.timeoutsMs;
    this.onDone = parts.onDone;
    this.requests = parts.recorder.requests;
    this.groups = parts.providerGroups;
    // In dependency order: each part is built once, bound to this dispatcher.
    this.pool = parts.pool(this);
    this.connections = parts.connections(this);
    this.ports = parts.providers(this);
    this.health = parts.health(this.ports);
    this.kRefused = this.clock.on((token) => this.refused(token));
    this.kUnavailable = this.clock.on((token) => {
      if (this.live(token)) this.end(low(token, SLOTS), Outcome.unavailable, 0);
    });
    // A learning limiter's local rejection (sre-throttle): a 429 that never left the client.
    this.kRejected = this.clock.on((token) => {
      if (this.live(token)) this.end(token % SLOTS, Outcome.rateLimited, 0);
    });
    this.kTimeout = this.clock.on((token) => this.timedOut(token));
    this.kRetry = this.clock.on((slot) => this.retryNow(slot));
    // A request too large for a key's quota: refused before it waits or is sent, never retried.
    this.kTooLarge = this.clock.on((token) => {
      if (!this.live(token)) return;
      const slot = low(token, SLOTS);
      this.rec.spent(this.id[slot]!, Phase.KeyWait, this.clock.now() - this.since[slot]!);
      this.finish(slot, Outcome.tooLarge);
    });
  }

  /** Starts the health checks and the workload. */
  start(): void {
    this.health.start();
    this.source.start(this);
  }

  /** Requests started and not finished. */
  get running(): number {
    return this.source.running;
  }

  /** Every request of the workload has its final outcome. */
  get done(): boolean {
    return this.rec.finished >= this.requests;
  }

  /**
   * Real mode's interruption, after a grace period: no new request starts, and every request
   * still in flight ends as gaveUp, so the partial report covers exactly the requests started.
   */
  abortAll(): void {
    this.source.stopped = true;
    for (let slot = 0; slot < this.slots; slot++) {
      if (this.state[slot] === State.Free) continue;
      if (this.timer[slot]! >= 0) this.clock.cancel(this.timer[slot]!);
      if (this.atProvider(slot)) this.ports[this.provider[slot]!]!.abandon?.(this.token[slot]!);
      this.token[slot] = -1;
      this.finish(slot, Outcome.gaveUp);
    }
  }

  // ── a request ───────────────────────────────────────────────────────────────────────────────

  begin(id: number, worker: number, arrival: number, client: number, prompt = 0, output = 0, maxTokens = 0, keyGroup = -1, providerGroup = -1): void {
    const slot = this.alloc();
    this.keyGroup[slot] = keyGroup;
    this.providerGroup[slot] = providerGroup;
    this.id[slot] = id;
    this.worker[slot] = worker;
    this.attempt[slot] = 0;
    this.provider[slot] = -1;
    this.client[slot] = client;
    this.prompt[slot] = prompt;
    this.output[slot] = output;
    this.maxTokens[slot] = maxTokens;
    this.rec.sized(id, prompt, output);
    // Time at the client's concurrency gate counts as key wait: both are the gateway holding the request.
    this.rec.arrived(id, arrival, this.clock.now());
    this.startAttempt(slot);
  }

  private finish(slot: number, outcome: OutcomeCode): void {
    this.rec.finish(this.id[slot]!, this.clock.now(), outcome, this.attempt[slot]!);
    if (this.onDone && this.rec.finished === this.requests) this.onDone();
    this.state[slot] = State.Free;
    this.token[slot] = -1;
    this.freeSlots.push(slot);
    this.source.finished(this.worker[slot]!);
  }

  // ── one attempt ─────────────────────────────────────────────────────────────────────────────

  private startAttempt(slot: number): void {
    this.attempt[slot]!++;
    this.state[slot] = State.KeyWait;
    this.since[slot] = this.clock.now();
    this.token[slot] = ++this.attempts * SLOTS + slot;
    this.key[slot] = -1;
    // The pool charges its quotas from the request's sizes, and refuses at once one too large for them.
    const key = this.pool.acquire(slot, this.prompt[slot]!, this.maxTokens[slot]!, this.keyGroup[slot]!);
    if (key >= 0) this.granted(slot, key);
    else if (key === TOO_LARGE) this.clock.after(0, this.kTooLarge, this.token[slot]!);
  }

  granted(slot: number, key: number): void {
    const now = this.clock.now();
    this.rec.spent(this.id[slot]!, Phase.KeyWait, now - this.since[slot]!);
    this.admissionNo[slot] = this.rec.admission(key, now);
    this.admittedAt[slot] = now;
    const rejected = this.pool.rejects?.(key) === true;
    const p = rejected ? NONE : this.pick(slot, now);
    this.key[slot] = key;
    this.provider[slot] = p;
    const token = this.token[slot]!;
    this.sentAt[slot] = now;
    if (p === NONE) {
      // No healthy provider: the attempt ends at once (as an event, so nothing recurses).
      this.state[slot] = State.Handshake;
      this.hasConn[slot] = 0;
      this.timer[slot] = -1;
      this.clock.after(0, rejected ? this.kRejected : this.kUnavailable, token);
      return;
    }
    this.providerLoad[p]!++;
    this.health.admit(p);
    this.balancerOf(slot).started(this.localOf(slot, p), now);
    this.since[slot] = now;
    const timeout = this.timeoutsMs[p]!;
    this.timer[slot] = timeout < Infinity ? this.clock.after(timeout, this.kTimeout, token) : -1;
    switch (this.connections.connect(token, key, p)) {
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

  /**
   * The balancer's pick for this attempt. With `retry.fallback`, a retry passes over the provider
   * that failed its previous attempt while another is healthy (Route.avoid).
   */
  private pick(slot: number, now: number): number {
    const route = this.route;
    const prev = this.provider[slot]!;
    route.client = this.client[slot]!;
    route.attempt = this.attempt[slot]!;
    const g = this.groups ? this.providerGroup[slot]! : -1;
    if (g >= 0) return this.pickInGroup(this.groups![g]!, prev, now);
    route.previous = prev;
    route.avoid = this.fallback && route.attempt > 1 && prev >= 0 && this.healthy[prev] ? prev : -1;
    const p = this.balancer.pick(route, now);
    if (p !== NONE || route.avoid < 0) return p;
    route.avoid = -1;
    return this.balancer.pick(route, now);
  }

  /** A trace's model: its own balancer picks among its providers (fallback too stays among them). */
  private pickInGroup(grp: ProviderGroup, prev: number, now: number): number {
    const route = this.route;
    const list = grp.providers;
    for (let i = 0; i < list.length; i++) {
      grp.health[i] = this.healthy[list[i]!]!;
      grp.load[i] = this.providerLoad[list[i]!]!;
    }
    const local = prev >= 0 ? grp.local[prev]! : -1;
    route.previous = local;
    route.avoid = this.fallback && route.attempt > 1 && local >= 0 && grp.health[local] ? local : -1;
    let p = grp.balancer.pick(route, now);
    if (p === NONE && route.avoid >= 0) {
      route.avoid = -1;
      p = grp.balancer.pick(route, now);
    }
    return p === NONE ? NONE : list[p]!;
  }

  /** The balancer that chose `slot`'s provider, told of the attempt's start or end by local index. */
  private balancerOf(slot: number): Balancer {
    return this.groups && this.providerGroup[slot]! >= 0 ? this.groups[this.providerGroup[slot]!]!.balancer : this.balancer;
  }

  private localOf(slot: number, p: number): number {
    return this.groups && this.providerGroup[slot]! >= 0 ? this.groups[this.providerGroup[slot]!]!.local[p]! : p;
  }

  gaveUp(slot: number): void {
    this.rec.spent(this.id[slot]!, Phase.KeyWait, this.clock.now() - this.since[slot]!);
    this.finish(slot, Outcome.gaveUp);
  }

  live(token: number): boolean {
    return this.token[low(token, SLOTS)] === token;
  }

  opened(token: number): void {
    if (!this.live(token)) return;
    const slot = low(token, SLOTS);
    this.hasConn[slot] = 1;
    this.state[slot] = State.Handshake;
  }

  connected(token: number): void {
    if (!this.live(token)) return;
    const slot = low(token, SLOTS);
    this.hasConn[slot] = 1;
    this.send(slot);
  }

  private send(slot: number): void {
    const now = this.clock.now();
    this.rec.spent(this.id[slot]!, Phase.Connect, now - this.since[slot]!);
    this.since[slot] = now;
    this.atProviderSince[slot] = now;
    this.streamedGaps[slot] = 0;
    this.state[slot] = State.Queued;
    this.ports[this.provider[slot]!]!.send(this.token[slot]!, this.key[slot]!, this.prompt[slot]!, this.output[slot]!, this.maxTokens[slot]!);
  }

  started(token: number): void {
    if (!this.live(token)) return;
    const slot = low(token, SLOTS);
    const now = this.clock.now();
    this.rec.spent(this.id[slot]!, Phase.ProviderQueue, now - this.since[slot]!);
    this.since[slot] = now;
    this.state[slot] = State.Serving;
  }

  reply(token: number, outcome: OutcomeCode, retryAfterMs: number, limitedBy: DimensionCode = Dimension.none, usage?: Usage): void {
    if (!this.live(token)) return;
    const slot = low(token, SLOTS);
    if (outcome === Outcome.rateLimited) this.rec.limitedBy(limitedBy);
    if (usage) {
      const id = this.id[slot]!;
      // The provider's count of a request's tokens wins over the workload's (real mode reads the answer's usage).
      if (usage.promptTokens === usage.promptTokens) this.prompt[slot] = usage.promptTokens;
      if (usage.outputTokens === usage.outputTokens) this.output[slot] = usage.outputTokens;
      if (outcome === Outcome.ok) this.rec.answered(id, usage.firstTokenAt - this.atProviderSince[slot]!, usage.tpotMs, this.output[slot]!, this.streamedGaps[slot] === 1);
      this.rec.quota(this.key[slot]!, usage);
    }
    this.end(slot, outcome, retryAfterMs, usage);
  }

  /** Real mode: a gap between two tokens of a streamed answer. */
  gap(token: number, ms: number): void {
    if (!this.live(token)) return;
    this.streamedGaps[low(token, SLOTS)] = 1;
    this.rec.gap(ms);
  }

  refused(token: number): void {
    if (this.live(token)) this.end(low(token, SLOTS), Outcome.connectFailed, 0);
  }

  private timedOut(token: number): void {
    if (!this.live(token)) return;
    const slot = low(token, SLOTS);
    this.timer[slot] = -1;
    this.end(slot, Outcome.timeout, 0);
  }

  /** The attempt sits in the provider's queue or is being served (so abandoning it means something). */
  private atProvider(slot: number): boolean {
    return (this.state[slot] === State.Queued || this.state[slot] === State.Serving) && this.provider[slot]! >= 0;
  }

  /** Closes the attempt: phases, connection, key, balancer, record; then retry or finish. */
  private end(slot: number, outcome: OutcomeCode, retryAfterMs: number, usage?: Usage): void {
    const now = this.clock.now();
    const id = this.id[slot]!;
    const spent = now - this.since[slot]!;
    switch (this.state[slot]) {
      case State.Handshake:
      case State.ConnWait:
        this.rec.spent(id, Phase.Connect, spent);
        break;
      case State.Queued:
        this.rec.spent(id, Phase.ProviderQueue, spent);
        break;
      case State.Serving:
        this.rec.spent(id, Phase.Service, spent);
        break;
    }
    if (this.timer[slot]! >= 0) this.clock.cancel(this.timer[slot]!);
    this.timer[slot] = -1;
    if (outcome === Outcome.timeout && this.atProvider(slot)) this.ports[this.provider[slot]!]!.abandon?.(this.token[slot]!);
    this.token[slot] = -1;
    const key = this.key[slot]!;
    const p = this.provider[slot]!;
    // A timeout abandons the connection and a refused one (provider down) was reset: both close.
    if (this.hasConn[slot]) this.connections.release(key, p, outcome === Outcome.timeout || outcome === Outcome.connectFailed);
    this.hasConn[slot] = 0;
    // The key pool does what the outcome costs the key (tokens settled, a 429's cooldown, what a
    // learning limiter learns) and releases it, which may wake waiters.
    const e = this.ending;
    e.outcome = outcome;
    e.sent = p !== NONE;
    e.used = outcome === Outcome.ok ? this.prompt[slot]! + this.output[slot]! : 0;
    e.latencyMs = now - this.sentAt[slot]!;
    e.retryAfterMs = retryAfterMs;
    e.usage = usage;
    const back = this.pool.ended(slot, key, e);
    e.usage = undefined;
    if (back !== 0) this.rec.unused(back);
    // What the key's tokens quota stays charged with, at its admission (as a provider's window counts it).
    if (e.charged > 0 && this.rec.tokens) this.rec.used(key, this.admittedAt[slot]!, e.charged, this.admissionNo[slot]!);
    if (p !== NONE) {
      this.providerLoad[p]!--;
      this.balancerOf(slot).finished(this.localOf(slot, p), outcome, now - this.sentAt[slot]!, now);
      this.health.observe(p, outcome);
    }
    this.rec.attempt(this.sentAt[slot]!, now, key, p, outcome, this.id[slot]!);
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
    this.rec.spent(this.id[slot]!, Phase.RetryWait, this.clock.now() - this.since[slot]!);
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
    this.id = grown(this.id, cap);
    this.state = grown(this.state, cap);
    this.attempt = grown(this.attempt, cap);
    this.key = grown(this.key, cap);
    this.provider = grown(this.provider, cap);
    this.client = grown(this.client, cap);
    this.worker = grown(this.worker, cap);
    this.hasConn = grown(this.hasConn, cap);
    this.since = grown(this.since, cap);
    this.sentAt = grown(this.sentAt, cap);
    this.token = grown(this.token, cap);
    this.timer = grown(this.timer, cap);
    this.prompt = grown(this.prompt, cap);
    this.output = grown(this.output, cap);
    this.maxTokens = grown(this.maxTokens, cap);
    this.admittedAt = grown(this.admittedAt, cap);
    this.admissionNo = grown(this.admissionNo, cap);
    this.atProviderSince = grown(this.atProviderSince, cap);
    this.streamedGaps = grown(this.streamedGaps, cap);
    this.keyGroup = grown(this.keyGroup, cap);
    this.providerGroup = grown(this.providerGroup, cap);
  }
}
