import type { Clock } from '../sim/clock.js';
import type { Random } from '../sim/random.js';
import type { Keys } from './spec.js';
import type { StoreReport } from './store/store.js';
import { MemoryKeys } from './store/memory.js';
import { Waiters } from './waiters.js';
import { grown } from '../core/typed.js';
import type { OutcomeCode } from '../core/outcome.js';
import type { Figures } from '../limiters/adaptive/adaptive.js';

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
  /** Admissions a learning limiter rejected locally (sre-throttle); absent with a fixed limiter. */
  localRejects?: number;
  /** Real mode on a shared store: which, and how it behaved (absent: this process's memory). */
  store?: StoreReport;
}

/**
 * A key pool as the dispatcher drives it: `acquire` returns a key or -1 (then `granted` or `gaveUp`
 * follows). `tokens` is what the request charges its key's tokens quota when admitted (0: nothing then).
 */
export interface Pool {
  acquire(waiter: number, tokens?: number): number;
  release(key: number): void;
  /** A reservation of `reserved` tokens admitted at `at` used `actual` (charge: reserve). */
  settle?(key: number, at: number, reserved: number, actual: number): void;
  /** Tokens used, counted when the answer ends (charge: actual). */
  charge?(key: number, tokens: number): void;
  /**
   * What a provider answered an attempt with `key`: outcome, latency (sent → answer), a 429's
   * retry-after, and its usage and x-ratelimit figures (read during the call only). A learning
   * limiter learns from it; a fixed one ignores it.
   */
  observe?(key: number, outcome: OutcomeCode, latencyMs: number, retryAfterMs: number, usage: Figures | undefined): void;
  /** Right after `key` was granted: true when its learning limiter rejects the request locally (it is not sent). */
  rejects?(key: number): boolean;
}

/**
 * The pool of API keys: one window per key (the limiter), which key to use (least-used,
 * round-robin, random), exclusivity, and waiting. Waiting is either `notify` — one FIFO queue,
 * woken exactly when a key can next be admitted or is released (a condition variable with a
 * deadline) — or `poll`, where each waiter re-checks on its own timer (the Python review client's sleep(0.5)).
 */
export class KeyPool implements Pool {
  readonly stats: KeyPoolStats = { checks: 0, wastedChecks: 0, wakeups: 0, entriesPeak: 0 };
  private readonly keys: MemoryKeys;
  private readonly waiters: Waiters;
  /** What each waiting request charges (by waiter id): a waiter is admitted only with room for it. */
  private weights = new Float64Array(64);
  private wakeTimer = -1;
  private wakeAt = Infinity;
  private readonly kWake: number;
  /** A learning limiter runs the keys: answers are observed (false: observe and rejects return at once). */
  private readonly learning: boolean;

  constructor(
    private readonly spec: Keys,
    private readonly clock: Clock,
    random: Random,
    private readonly sink: KeyPoolSink,
  ) {
    this.keys = new MemoryKeys(spec, random);
    this.learning = this.keys.adaptive !== undefined;
    if (this.learning) this.stats.localRejects = 0;
    this.kWake = clock.on(() => this.onWake());
    this.waiters = new Waiters(clock, spec.acquireTimeoutMs, spec.wait, {
      timedOut: (w) => {
        // Notify: with nobody left to wake, the wake-up is cancelled.
        if (this.waiters.head < 0 && this.wakeTimer >= 0) {
          this.clock.cancel(this.wakeTimer);
          this.wakeTimer = -1;
          this.wakeAt = Infinity;
        }
        this.sink.gaveUp(w);
      },
      poll: (w) => this.onPoll(w),
    });
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
    return this.waiters.count;
  }

  /** Takes a key for `waiter` now (returns it) or queues the waiter (returns -1; `granted` follows). */
  acquire(waiter: number, tokens = 0): number {
    const now = this.clock.now();
    // Notify mode is FIFO: a newcomer does not overtake requests already waiting.
    if (this.spec.wait.mode === 'poll' || this.waiters.count === 0) {
      const key = this.take(now, tokens);
      if (key >= 0) return key;
    }
    if (waiter >= this.weights.length) this.weights = grown(this.weights, Math.max(waiter + 1, this.weights.length * 2));
    this.weights[waiter] = tokens;
    this.waiters.enter(waiter);
    if (this.spec.wait.mode === 'notify') this.schedule(now);
    return -1;
  }

  settle(key: number, at: number, reserved: number, actual: number): void {
    this.keys.settle(key, at, reserved, actual, this.clock.now());
    // A reservation corrected down frees room: a waiter may fit now.
    if (actual < reserved && this.spec.wait.mode === 'notify' && this.waiters.count > 0) this.schedule(this.clock.now());
  }

  charge(key: number, tokens: number): void {
    this.keys.charge(key, this.clock.now(), tokens);
  }

  observe(key: number, outcome: OutcomeCode, latencyMs: number, retryAfterMs: number, usage: Figures | undefined): void {
    if (!this.learning) return;
    const now = this.clock.now();
    // A limit that rose, or a gate that opens sooner: the wake-up moves to the new earliest time.
    if (this.keys.observe(key, now, outcome, latencyMs, retryAfterMs, usage) && this.spec.wait.mode === 'notify' && this.waiters.count > 0) this.schedule(now);
  }

  rejects(key: number): boolean {
    if (!this.learning || !this.keys.admitted(key, this.clock.now())) return false;
    this.stats.localRejects!++;
    return true;
  }

  /** What the learning limiters believed, change by change (undefined with a fixed limiter). */
  get beliefs(): { at: Float64Array; key: Int32Array; perMin: Float64Array } | undefined {
    if (!this.learning) return undefined;
    return { at: this.keys.believedAt.view(), key: this.keys.believedKey.view(), perMin: this.keys.believedPerMin.view() };
  }

  /** The request using `key` is done with it (matters for exclusive keys). */
  release(key: number): void {
    if (!this.keys.release(key)) return;
    if (this.spec.wait.mode === 'notify' && this.waiters.count > 0) this.drain();
  }

  /** Earliest time a key can change from inadmissible to admissible for the first waiter (Infinity: only a release can). */
  nextChangeAt(now: number): number {
    const head = this.waiters.head;
    return this.keys.nextChangeAt(now, head >= 0 ? this.weights[head]! : 0);
  }

  /** Window footprint of `key` now. */
  footprint(key: number): number {
    return this.keys.footprint(key);
  }

  /** One check: choose an admissible key and record the admission, or -1. */
  private take(now: number, tokens: number): number {
    this.stats.checks++;
    const key = this.keys.take(now, tokens);
    if (key < 0) {
      this.stats.wastedChecks++;
      return -1;
    }
    const f = this.keys.footprint(key);
    if (f > this.stats.entriesPeak) this.stats.entriesPeak = f;
    return key;
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
    if (this.waiters.count > 0) this.drain();
  }

  /** Serve waiters in order while keys are admissible, then sleep until the next change. */
  private drain(): void {
    const now = this.clock.now();
    this.stats.wakeups++;
    while (this.waiters.head >= 0) {
      const w = this.waiters.head;
      const key = this.take(now, this.weights[w]!);
      if (key < 0) break;
      this.waiters.leave(w);
      this.sink.granted(w, key);
    }
    if (this.waiters.head < 0) return;
    // A window whose nextAdmitAt says "now" while admits says no would spin here forever.
    if (this.nextChangeAt(now) <= now) throw new Error(`limiter ${this.spec.limiter.type}: nextAdmitAt(${now}) is now but no key admits`);
    this.schedule(now);
  }

  private onPoll(waiter: number): void {
    this.stats.wakeups++;
    const key = this.take(this.clock.now(), this.weights[waiter]!);
    if (key < 0) {
      this.waiters.pollAgain(waiter);
      return;
    }
    this.waiters.leave(waiter);
    this.sink.granted(waiter, key);
  }
}
