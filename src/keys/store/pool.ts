import type { Clock } from '../../sim/clock.js';
import type { Keys } from '../spec.js';
import { WAIT, type AttemptEnd, type KeyPoolSink, type KeyPoolStats, type Pool } from '../key-pool.js';
import type { Grants, PoolStore, StoreReport } from './store.js';
import { Waiters } from '../waiters.js';

/** Options of a StorePool. */
export interface StorePoolOptions {
  /** `failOpen`: decide on this store (this process's windows) while the shared one fails. */
  fallback?: PoolStore;
  /** Scenario ms between looks when nothing else wakes a waiter (no notification, store failing). */
  recheckMs: number;
  /** Told once per outage (and once when it ends), for one line on stderr. */
  onOutage?: (message: string | undefined) => void;
  /**
   * Fail closed: scenario ms the store may stay down before every waiter gives up (outcome gaveUp)
   * and so does every request that asks while it stays down; the run is then reported degraded.
   * Default: never (waiters wait out their acquire timeout).
   */
  giveUpAfterMs?: number;
}

/**
 * A key pool whose state lives in a store outside the process (Redis): the same contract as the
 * synchronous KeyPool — `acquire` queues the waiter and `granted` follows — with every decision a
 * round trip to the store. Waiters wait as in the simulation:
 * - notify: one FIFO queue per process. A decision asks for as many keys as there are waiters
 *   (one script call serves them all); when it comes short the pool sleeps until the store's next
 *   admit time or until a release anywhere is published on the pool's channel, whichever is first.
 *   Without the channel it re-checks every `recheckMs` (polling as the fallback).
 * - poll: each waiter asks on its own timer, as the Python review client's sleep(0.5).
 * Every wake-up counts in `stats.wakeups`, as in the simulation.
 *
 * The store failing is fail-closed: no key is granted without a recorded admission, waiters keep
 * waiting (re-checking every `recheckMs`) until the store answers — or, once it has been down for
 * `giveUpAfterMs`, give up, as does every request that asks while it stays down: a dead store
 * ends the run in seconds instead of one acquire timeout per wave of waiters. With a `fallback`
 * store (failOpen) they are served from it instead, and counted.
 */
export class StorePool implements Pool {
  readonly stats: KeyPoolStats & { store: StoreReport };
  /** Admissions per key made by this process. */
  readonly admitted: Float64Array;
  /** A sink callback threw: real mode reports it after the run. */
  failure: unknown;
  private readonly held: string[];
  private readonly heldLocal: Uint8Array;
  private readonly waiters: Waiters;
  private inFlight = false;
  private dirty = false;
  private wakeTimer = -1;
  private watching = false;
  private down = false;
  /** When the current outage began (scenario ms), and the outages before it in all. */
  private downSince = 0;
  private downMs = 0;
  private closed = false;
  private readonly kWake: number;

  constructor(
    private readonly spec: Keys,
    private readonly clock: Clock,
    private readonly store: PoolStore,
    private readonly sink: KeyPoolSink,
    private readonly opts: StorePoolOptions,
  ) {
    this.admitted = new Float64Array(spec.count);
    this.held = new Array<string>(spec.count).fill('');
    this.heldLocal = new Uint8Array(spec.count);
    this.stats = {
      checks: 0,
      wastedChecks: 0,
      wakeups: 0,
      entriesPeak: 0,
      store: { kind: store.kind, failOpen: opts.fallback !== undefined, errors: 0, localDecisions: 0, notify: 'poll' },
    };
    this.kWake = clock.on(() => this.onWake());
    this.waiters = new Waiters(clock, spec.acquireTimeoutMs, spec.wait, {
      timedOut: (w) => this.sink.gaveUp(w),
      poll: (w) => this.onPoll(w),
    });
  }

  /** Subscribes to releases from other processes (notify mode); polling stays the fallback. */
  async start(): Promise<void> {
    if (this.spec.wait.mode !== 'notify') return;
    this.watching = await this.store.watch(() => this.onReleased());
    this.stats.store.notify = this.watching ? 'pubsub' : 'poll';
  }

  /** Requests waiting for a key. */
  get queued(): number {
    return this.waiters.count;
  }

  acquire(waiter: number): number {
    // Every decision is a round trip: the waiter waits from the start and looks at once.
    this.waiters.enter(waiter, false);
    if (this.spec.wait.mode === 'poll') this.ask(waiter);
    else this.decide();
    return WAIT;
  }

  /**
   * The attempt with `key` ended: the key is released. A shared store holds request limits only
   * (never tokens), whose admissions stand whatever the answer; a 429's cooldown is not shared
   * across processes (each process's requests keep to the shared window).
   */
  ended(_waiter: number, key: number, _end: AttemptEnd): number {
    this.release(key);
    return 0;
  }

  release(key: number): void {
    if (!this.spec.exclusive || this.held[key] === '') return;
    const token = this.held[key]!;
    const local = this.heldLocal[key] === 1;
    this.held[key] = '';
    const store = local ? this.opts.fallback! : this.store;
    store.release(key, token).then(
      () => {
        // Our own release comes back on the channel too; without it, look now.
        if (!this.watching || local) this.onReleased();
      },
      (e: unknown) => this.failed(e), // the hold ends with its lease
    );
  }

  /** Stops granting; keys that arrive after this are given back. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.down && this.stats.store.degraded) this.stats.store.outageMs = this.downMs + this.clock.now() - this.downSince;
    if (this.wakeTimer >= 0) this.clock.cancel(this.wakeTimer);
    await this.store.close();
    await this.opts.fallback?.close();
  }

  // ── notify ──────────────────────────────────────────────────────────────────────────────────

  /** One decision for every waiter in the queue, unless one is already on its way. */
  private decide(): void {
    if (this.closed || this.waiters.count === 0) return;
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    this.inFlight = true;
    this.dirty = false;
    if (this.wakeTimer >= 0) {
      this.clock.cancel(this.wakeTimer);
      this.wakeTimer = -1;
    }
    const want = this.waiters.count;
    this.take(want).then(
      ({ g, local }) => {
        this.inFlight = false;
        this.count(g, want);
        for (let i = 0; i < g.keys.length; i++) this.grant(this.waiters.head, g.keys[i]!, g.tokens[i]!, local);
        this.afterDecision(g, want);
      },
      (e: unknown) => {
        this.inFlight = false;
        this.failed(e);
        this.sleep(this.opts.recheckMs);
      },
    );
  }

  private afterDecision(g: Grants, want: number): void {
    if (this.waiters.count === 0) return;
    // Full: newcomers arrived meanwhile. Short: sleep, unless a release came in while deciding.
    if (g.keys.length === want || this.dirty) this.decide();
    else this.sleep(this.watching ? g.waitMs : Math.min(g.waitMs, this.opts.recheckMs));
  }

  private sleep(ms: number): void {
    if (this.closed) return;
    if (this.wakeTimer >= 0) this.clock.cancel(this.wakeTimer);
    // A release elsewhere wakes us through the channel; the timer is the fallback if a message is lost.
    const wait = Number.isFinite(ms) ? ms : this.opts.recheckMs * 10;
    // Wall timers can fire a fraction of a millisecond early; waking before the server's admit
    // time would find nothing and cost a second wake-up, so aim 1 ms (wall) past it.
    const margin = 'scale' in this.clock ? 1 / (this.clock as { scale: number }).scale : 1;
    this.wakeTimer = this.clock.after(Math.max(wait, 0) + margin, this.kWake, 0);
  }

  private onWake(): void {
    this.wakeTimer = -1;
    if (this.waiters.count === 0) return;
    this.stats.wakeups++;
    this.decide();
  }

  private onReleased(): void {
    if (this.closed || this.waiters.count === 0) return;
    if (this.spec.wait.mode === 'poll') return; // pollers look on their own timers
    this.stats.wakeups++;
    this.decide();
  }

  // ── poll ────────────────────────────────────────────────────────────────────────────────────

  private ask(waiter: number): void {
    this.take(1).then(
      ({ g, local }) => {
        this.count(g, 1);
        if (g.keys.length > 0) this.grant(this.waiters.isWaiting(waiter) ? waiter : -1, g.keys[0]!, g.tokens[0]!, local);
        else if (!this.closed) this.waiters.pollAgain(waiter);
      },
      (e: unknown) => {
        this.failed(e);
        if (!this.closed) this.waiters.pollAgain(waiter);
      },
    );
  }

  private onPoll(waiter: number): void {
    this.stats.wakeups++;
    this.ask(waiter);
  }

  // ── both ────────────────────────────────────────────────────────────────────────────────────

  /** A decision on the shared store, or on the fallback while it fails (failOpen). */
  private async take(want: number): Promise<{ g: Grants; local: boolean }> {
    try {
      const g = await this.store.take(want);
      this.recovered();
      return { g, local: false };
    } catch (e) {
      if (!this.opts.fallback) throw e;
      this.failed(e);
      const g = await this.opts.fallback.take(want);
      this.stats.store.localDecisions += g.keys.length;
      return { g, local: true };
    }
  }

  private count(g: Grants, want: number): void {
    this.stats.checks += g.keys.length + (g.keys.length < want ? 1 : 0);
    if (g.keys.length < want) this.stats.wastedChecks++;
    if (g.entries > this.stats.entriesPeak) this.stats.entriesPeak = g.entries;
  }

  private grant(waiter: number, key: number, token: string, local: boolean): void {
    if (waiter < 0 || this.closed) {
      // The waiter left (timed out) while the store decided: its admission stays recorded, its hold ends.
      if (this.spec.exclusive) void (local ? this.opts.fallback! : this.store).release(key, token).catch(() => {});
      return;
    }
    this.waiters.leave(waiter);
    this.admitted[key]!++;
    if (this.spec.exclusive) {
      this.held[key] = token;
      this.heldLocal[key] = local ? 1 : 0;
    }
    try {
      this.sink.granted(waiter, key);
    } catch (e) {
      this.failure ??= e;
    }
  }

  private failed(e: unknown): void {
    this.stats.store.errors++;
    if (!this.down) {
      this.down = true;
      this.downSince = this.clock.now();
      const how = this.opts.fallback ? "deciding on this process's own windows (failOpen)" : 'failing closed: nothing is sent until it answers';
      this.opts.onOutage?.(`keys.store: ${(e as Error).message.split('\n')[0]}; ${how}`);
    }
    if (!this.opts.fallback && this.opts.giveUpAfterMs !== undefined && this.clock.now() - this.downSince >= this.opts.giveUpAfterMs) this.giveUpAll();
  }

  /** The store has been down too long: every waiter gives up now (fail closed, never granted). */
  private giveUpAll(): void {
    const report = this.stats.store;
    if (!report.degraded) {
      report.degraded = true;
      report.outageGaveUp = 0;
      this.opts.onOutage?.('keys.store: still down after giveUpAfter; requests waiting for a key give up while it stays down');
    }
    // A waiter that gives up may start the next request at once, and that one waits in a freed
    // slot: the sweep can meet it, which is right (the store is down for it too).
    for (const w of this.waiters.all()) {
      if (!this.waiters.isWaiting(w)) continue;
      report.outageGaveUp!++;
      this.waiters.leave(w);
      this.sink.gaveUp(w);
    }
  }

  private recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.downMs += this.clock.now() - this.downSince;
    if (this.stats.store.degraded) this.stats.store.outageMs = this.downMs;
    this.opts.onOutage?.(undefined);
  }
}
