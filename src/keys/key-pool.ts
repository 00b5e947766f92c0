import type { Clock } from '../sim/clock.js';
import type { Random } from '../sim/random.js';
import type { Keys } from './spec.js';
import type { StoreReport } from './store/store.js';
import { MemoryKeys } from './store/memory.js';

/** What the key pool tells its owner. `waiter` is the owner's id for a waiting request. */
export interface KeyPoolSink {
  granted(waiter: number, key: number): void;
  gaveUp(waiter: number): void;
}

/** What the key pool did (results report it as `limiter`): checks and wake-ups are the CPU proxy, entries the memory figure. */
export interface KeyPoolStats {
  /** Times the pool looked for an admissible key. */
  checks: number;
  /** Checks that found none. */
  wastedChecks: number;
  /** Times a waiter (poll) or the pool (notify) woke up to look again. */
  wakeups: number;
  /** Most entries any one key's window held at once. */
  entriesPeak: number;
  /** Real mode on a shared store: which, and how it behaved (absent: this process's memory). */
  store?: StoreReport;
}

/** A key pool as the dispatcher drives it: `acquire` returns a key or -1 (then `granted` or `gaveUp` follows). */
export interface Pool {
  acquire(waiter: number): number;
  release(key: number): void;
}

/**
 * The pool of API keys: one window per key (the limiter), which key to use (least-used,
 * round-robin, random), exclusivity, and waiting. Waiting is either `notify` — one FIFO queue,
 * woken exactly when a key can next be admitted or is released (a condition variable with a
 * deadline) — or `poll`, where each waiter re-checks on its own timer (the document's sleep(0.5)).
 */
export class KeyPool implements Pool {
  readonly stats: KeyPoolStats = { checks: 0, wastedChecks: 0, wakeups: 0, entriesPeak: 0 };
  private readonly keys: MemoryKeys;
  // Waiters: a doubly linked FIFO over waiter ids (notify), and per-waiter timers.
  private next = new Int32Array(64).fill(-1);
  private prev = new Int32Array(64).fill(-1);
  private timeoutTimer = new Float64Array(64).fill(-1);
  private pollTimer = new Float64Array(64).fill(-1);
  private head = -1;
  private tail = -1;
  private waiting = 0;
  private wakeTimer = -1;
  private wakeAt = Infinity;
  private readonly kWake: number;
  private readonly kPoll: number;
  private readonly kTimeout: number;

  constructor(
    private readonly spec: Keys,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly sink: KeyPoolSink,
  ) {
    this.keys = new MemoryKeys(spec, random);
    this.kWake = clock.on(() => this.onWake());
    this.kPoll = clock.on((w) => this.onPoll(w));
    this.kTimeout = clock.on((w) => this.onTimeout(w));
  }

  /** Admissions per key. */
  get admitted(): Float64Array {
    return this.keys.used;
  }

  get size(): number {
    return this.spec.count;
  }

  /** Requests waiting for a key. */
  get queued(): number {
    return this.waiting;
  }

  /** Takes a key for `waiter` now (returns it) or queues the waiter (returns -1; `granted` follows). */
  acquire(waiter: number): number {
    const now = this.clock.now();
    // Notify mode is FIFO: a newcomer does not overtake requests already waiting.
    if (this.spec.wait.mode === 'poll' || this.waiting === 0) {
      const key = this.take(now);
      if (key >= 0) return key;
    }
    this.enqueue(waiter, now);
    return -1;
  }

  /** The request using `key` is done with it (matters for exclusive keys). */
  release(key: number): void {
    if (!this.keys.release(key)) return;
    if (this.spec.wait.mode === 'notify' && this.waiting > 0) this.drain();
  }

  /** Earliest time a key can change from inadmissible to admissible (Infinity: only a release can). */
  nextChangeAt(now: number): number {
    return this.keys.nextChangeAt(now);
  }

  /** Window footprint of `key` now. */
  footprint(key: number): number {
    return this.keys.footprint(key);
  }

  /** One check: choose an admissible key and record the admission, or -1. */
  private take(now: number): number {
    this.stats.checks++;
    const key = this.keys.take(now);
    if (key < 0) {
      this.stats.wastedChecks++;
      return -1;
    }
    const f = this.keys.footprint(key);
    if (f > this.stats.entriesPeak) this.stats.entriesPeak = f;
    return key;
  }

  private enqueue(waiter: number, now: number): void {
    this.ensure(waiter);
    this.waiting++;
    if (Number.isFinite(this.spec.acquireTimeoutMs)) {
      this.timeoutTimer[waiter] = this.clock.after(this.spec.acquireTimeoutMs, this.kTimeout, waiter);
    }
    if (this.spec.wait.mode === 'poll') {
      this.pollTimer[waiter] = this.clock.after(this.spec.wait.intervalMs, this.kPoll, waiter);
      return;
    }
    this.prev[waiter] = this.tail;
    this.next[waiter] = -1;
    if (this.tail >= 0) this.next[this.tail] = waiter;
    else this.head = waiter;
    this.tail = waiter;
    this.schedule(now);
  }

  private unlink(waiter: number): void {
    const p = this.prev[waiter]!;
    const n = this.next[waiter]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.prev[waiter] = -1;
    this.next[waiter] = -1;
  }

  /** Keep one wake-up timer at the earliest time a key can be admitted. */
  private schedule(now: number): void {
    const at = this.nextChangeAt(now);
    if (at === this.wakeAt && this.wakeTimer >= 0) return;
    if (this.wakeTimer >= 0) this.clock.cancel(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = Number.isFinite(at) ? this.clock.at(at, this.kWake, 0) : -1;
  }

  private onWake(): void {
    this.wakeTimer = -1;
    this.wakeAt = Infinity;
    if (this.waiting > 0) this.drain();
  }

  /** Serve waiters in order while keys are admissible, then sleep until the next change. */
  private drain(): void {
    const now = this.clock.now();
    this.stats.wakeups++;
    while (this.head >= 0) {
      const key = this.take(now);
      if (key < 0) break;
      const w = this.head;
      this.unlink(w);
      this.waiting--;
      this.clearTimeout(w);
      this.sink.granted(w, key);
    }
    if (this.head < 0) return;
    // A window whose nextAdmitAt says "now" while admits says no would spin here forever.
    if (this.nextChangeAt(now) <= now) throw new Error(`limiter ${this.spec.limiter.type}: nextAdmitAt(${now}) is now but no key admits`);
    this.schedule(now);
  }

  private onPoll(waiter: number): void {
    this.pollTimer[waiter] = -1;
    this.stats.wakeups++;
    const key = this.take(this.clock.now());
    if (key < 0) {
      this.pollTimer[waiter] = this.clock.after((this.spec.wait as { intervalMs: number }).intervalMs, this.kPoll, waiter);
      return;
    }
    this.waiting--;
    this.clearTimeout(waiter);
    this.sink.granted(waiter, key);
  }

  private onTimeout(waiter: number): void {
    this.timeoutTimer[waiter] = -1;
    this.waiting--;
    if (this.spec.wait.mode === 'poll') {
      this.clock.cancel(this.pollTimer[waiter]!);
      this.pollTimer[waiter] = -1;
    } else {
      this.unlink(waiter);
      if (this.head < 0 && this.wakeTimer >= 0) {
        this.clock.cancel(this.wakeTimer);
        this.wakeTimer = -1;
        this.wakeAt = Infinity;
      }
    }
    this.sink.gaveUp(waiter);
  }

  private clearTimeout(waiter: number): void {
    const t = this.timeoutTimer[waiter]!;
    if (t >= 0) this.clock.cancel(t);
    this.timeoutTimer[waiter] = -1;
  }

  private ensure(waiter: number): void {
    if (waiter < this.next.length) return;
    let cap = this.next.length;
    while (cap <= waiter) cap *= 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap).fill(-1) as T;
      b.set(a);
      return b;
    };
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.prev = grow(this.prev, (n) => new Int32Array(n));
    this.timeoutTimer = grow(this.timeoutTimer, (n) => new Float64Array(n));
    this.pollTimer = grow(this.pollTimer, (n) => new Float64Array(n));
  }
}
