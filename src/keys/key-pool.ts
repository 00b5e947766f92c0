import type { Clock } from '../sim/clock.js';
import type { Random } from '../sim/random.js';
import type { Keys } from './spec.js';
import type { StoreReport } from './store/store.js';
import { MemoryKeys } from './store/memory.js';
import { Waiters } from './waiters.js';
import { grown } from '../core/typed.js';
import { Outcome, type OutcomeCode } from '../core/outcome.js';
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

/** `acquire`: no key now; `granted` or `gaveUp` follows. */
export const WAIT = -1;
/** `acquire`: the request charges more than a key's quota can ever admit; refused at once (outcome tooLarge). */
export const TOO_LARGE = -2;

/**
 * How an attempt ended, as the key pool needs it: one object the dispatcher fills and reuses (no
 * allocation per attempt). A learning limiter reads the answer's figures during the call only.
 */
export interface AttemptEnd {
  outcome: OutcomeCode;
  /** The attempt went to a provider (false: rejected locally, or no provider was healthy). */
  sent: boolean;
  /** Tokens the request used (prompt + output) when it succeeded; 0 otherwise. */
  used: number;
  /** Sent → answer (ms). */
  latencyMs: number;
  /** A 429's retry-after (ms; 0: none said). */
  retryAfterMs: number;
  /** The answer's usage and x-ratelimit figures (undefined: none). */
  usage: Figures | undefined;
  /**
   * Set by the pool: the tokens the key's tokens quota stays charged with for this admission, once
   * settled (reserve: what it used, or its whole reservation after a 429; prompt: its prompt;
   * actual: what it used, counted now); 0 without a tokens quota.
   */
  charged: number;
}

/**
 * A key pool as the dispatcher drives it. `acquire` returns a key, WAIT (then `granted` or
 * `gaveUp` follows) or TOO_LARGE; `ended` hands back the key with the attempt's outcome, and the
 * pool does what that costs — tokens settled as its charge mode says, a 429's cooldown, what a
 * learning limiter learns, the release. The dispatcher does no quota arithmetic.
 */
export interface Pool {
  /**
   * `prompt` and `maxTokens`: the request's sizes (0 without): the pool charges its tokens quota from them.
   * `group`: the key group a trace's tenant picks (grouped-pool.ts); pools without groups ignore it.
   */
  acquire(waiter: number, prompt?: number, maxTokens?: number, group?: number): number;
  /** `waiter`'s attempt with `key` ended as `end` says; returns the tokens its reservation was corrected down by. */
  ended(waiter: number, key: number, end: AttemptEnd): number;
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
  /** What each request charges its key's tokens quota (by waiter id): a waiter is admitted only with room for it. */
  private weights = new Float64Array(64);
  /** When each waiter's key admitted it (by waiter id): its reservation is corrected at that time. */
  private admittedAt = new Float64Array(64);
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

  /**
   * Takes a key for `waiter` now (returns it), queues the waiter (returns WAIT; `granted` follows),
   * or refuses a request too large for a key's quota (TOO_LARGE: it would wait at the head for ever).
   */
  acquire(waiter: number, prompt = 0, maxTokens = 0): number {
    const now = this.clock.now();
    const charge = this.spec.tokens === undefined ? undefined : (this.spec.charge ?? 'reserve');
    const tokens = charge === 'reserve' ? prompt + maxTokens : charge === 'prompt' ? prompt : 0;
    if (tokens > 0 && this.keys.tooLarge(tokens)) return TOO_LARGE;
    if (waiter >= this.weights.length) {
      const size = Math.max(waiter + 1, this.weights.length * 2);
      this.weights = grown(this.weights, size);
      this.admittedAt = grown(this.admittedAt, size);
    }
    this.weights[waiter] = tokens;
    // Notify mode is FIFO: a newcomer does not overtake requests already waiting.
    if (this.spec.wait.mode === 'poll' || this.waiters.count === 0) {
      const key = this.take(now, tokens);
      if (key >= 0) {
        this.admittedAt[waiter] = now;
        return key;
      }
    }
    this.waiters.enter(waiter);
    if (this.spec.wait.mode === 'notify') this.schedule(now);
    return WAIT;
  }

  /**
   * What an attempt's end costs its key. Tokens: a reservation is corrected to what the request
   * used — except a 429 from a provider, which keeps it (the provider counted the request: OpenAI's
   * "unsuccessful requests contribute to your per-minute limit"); a request that never reached a
   * provider, or failed otherwise, gives it back. `charge: actual` counts what was used now. A 429
   * cools the key: it is not handed out before the 429's retry-after. A learning limiter learns
   * from the answer. Then the key is released.
   */
  ended(waiter: number, key: number, end: AttemptEnd): number {
    const now = this.clock.now();
    const spec = this.spec;
    let back = 0;
    let freed = false;
    end.charged = 0;
    const refused = end.sent && end.outcome === Outcome.rateLimited;
    if (spec.tokens !== undefined) {
      const charge = spec.charge ?? 'reserve';
      const used = end.outcome === Outcome.ok ? end.used : 0;
      if (charge === 'reserve') {
        const reserved = this.weights[waiter]!;
        const actual = refused ? reserved : used;
        if (actual !== reserved) this.keys.settle(key, this.admittedAt[waiter]!, reserved, actual, now);
        back = reserved - actual;
        freed = actual < reserved;
        end.charged = actual;
      } else if (charge === 'actual') {
        this.keys.charge(key, now, used);
        end.charged = used;
      } else end.charged = this.weights[waiter]!;
    }
    if (refused && end.retryAfterMs > 0 && spec.cooldown !== 'none') this.keys.cool(key, now + end.retryAfterMs);
    // A limit that rose, or a gate that opens sooner: the wake-up moves to the new earliest time.
    const sooner = this.learning && end.sent && this.keys.observe(key, now, end.outcome, end.latencyMs, end.retryAfterMs, end.usage);
    if (this.keys.release(key)) freed = true;
    if (this.spec.wait.mode === 'notify' && this.waiters.count > 0) {
      if (freed) this.drain();
      else if (sooner || refused) this.schedule(now);
    }
    return back;
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
      this.admittedAt[w] = now;
      this.sink.granted(w, key);
    }
    if (this.waiters.head < 0) return;
    // A window whose nextAdmitAt says "now" while admits says no would spin here forever.
    if (this.nextChangeAt(now) <= now) throw new Error(`limiter ${this.spec.limiter.type}: nextAdmitAt(${now}) is now but no key admits`);
    this.schedule(now);
  }

  private onPoll(waiter: number): void {
    this.stats.wakeups++;
    const now = this.clock.now();
    const key = this.take(now, this.weights[waiter]!);
    if (key < 0) {
      this.waiters.pollAgain(waiter);
      return;
    }
    this.waiters.leave(waiter);
    this.admittedAt[waiter] = now;
    this.sink.granted(waiter, key);
  }
}
