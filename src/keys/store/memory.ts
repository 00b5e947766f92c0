import type { Clock } from '../../sim/clock.js';
import type { Random } from '../../sim/random.js';
import type { Keys } from '../spec.js';
import type { Rate } from '../../core/units.js';
import { createAdaptive, createWindow, learns } from '../../limiters/index.js';
import type { Adaptive, Figures } from '../../limiters/adaptive/adaptive.js';
import { Dimension, type OutcomeCode } from '../../core/outcome.js';
import { F64Column, I32Column } from '../../core/typed.js';
import { Quota, quantumRate } from '../../limiters/quota.js';
import { steppedWindow } from '../../limiters/stepped.js';
import type { Grants, PoolStore } from './store.js';
import { keyChoices, type Chooser, type KeyState } from '../choice.js';

/**
 * The pool's state in this process: per key a window for each quota dimension (requests, and
 * tokens weighed by what each request charges), the requests in flight (exclusive keys hold one,
 * `concurrent` bounds them), lifetime use, and the one decision — choose a key every dimension
 * admits and record it. The simulation's KeyPool calls it synchronously; `MemoryStore` puts it
 * behind the store seam. The Redis store's Lua script is the same decision on shared state
 * (requests only).
 */
export class MemoryKeys implements KeyState {
  /** Admissions per key (lifetime use: what least-used compares). */
  readonly used: Float64Array;
  readonly count: number;
  private readonly quotas: Quota[];
  private readonly choose: Chooser;
  /** The tokens the decision in progress charges (0: the tokens window only has to have room). */
  private weight = 0;
  /** Per key, its learning limiter (`keys.limiter` that learns); undefined for a fixed limiter. */
  readonly adaptive: Adaptive[] | undefined;
  /** The bound on requests in flight the spec sets (exclusive, concurrent), under any learnt one. */
  private readonly baseInFlight: number;
  /** Each change of a key's believed rate: when, which key, requests per minute (the results' series). */
  readonly believedAt = new F64Column(64);
  readonly believedKey = new I32Column(64);
  readonly believedPerMin = new F64Column(64);
  private lastBelieved: Float64Array;

  constructor(
    private readonly spec: Keys,
    private readonly random: Random,
  ) {
    this.count = spec.count;
    this.used = new Float64Array(spec.count);
    // Exclusive keys hold one request each; `concurrent` bounds them otherwise.
    const maxInFlight = Math.min(spec.exclusive ? 1 : Infinity, spec.concurrent ?? Infinity);
    this.choose = keyChoices[spec.choice].create(random);
    const guarded = (r: Rate): Rate => ({ count: r.count, windowMs: r.windowMs + spec.guardMs });
    const tokens = spec.tokens ? guarded(spec.tokens) : undefined;
    this.baseInFlight = maxInFlight;
    this.lastBelieved = new Float64Array(spec.count).fill(NaN);
    const tokenWindow = () => (tokens ? createWindow(spec.tokenLimiter ?? spec.limiter, tokens) : undefined);
    // limit.quantum: the same limits over the shorter period, scaled, each by the limiter of its dimension.
    const q = spec.quantumMs;
    const requestsQuantum = () => (q !== undefined && spec.limit && !learns(spec.limiter) ? createWindow(spec.limiter, quantumRate(spec.limit, q)) : undefined);
    const tokensQuantum = () => (q !== undefined && spec.tokens ? createWindow(spec.tokenLimiter ?? spec.limiter, quantumRate(spec.tokens, q)) : undefined);
    if (learns(spec.limiter)) {
      // keys.limit, when given, is the ceiling it learns under: an exact sliding log of it.
      const ceiling = spec.limit ? guarded(spec.limit) : undefined;
      const log = (r: Rate) => createWindow({ type: 'sliding-log', options: {} }, guarded(r));
      this.adaptive = Array.from({ length: spec.count }, () => createAdaptive(spec.limiter, {
        ceiling: spec.limit && steppedWindow(spec.limit, spec.steps, log),
        ceilingRate: ceiling,
        random,
      })!);
      this.quotas = this.adaptive.map((a) => new Quota(a.window, tokenWindow(), Math.min(maxInFlight, a.maxInFlight), undefined, tokensQuantum()));
      return;
    }
    this.quotas = Array.from({ length: spec.count }, () => new Quota(
      spec.limit ? steppedWindow(spec.limit, spec.steps, (r) => createWindow(spec.limiter, guarded(r))) : undefined,
      tokenWindow(),
      maxInFlight,
      requestsQuantum(),
      tokensQuantum(),
    ));
  }

  /** Would a request charging `tokens` exceed what a key's quota can ever admit? (Every key has the same limits.) */
  tooLarge(tokens: number): boolean {
    return this.quotas[0]!.tooLarge(tokens) !== Dimension.none;
  }

  /** `key` got a 429 saying when its quota admits again: nothing is handed out with it before `until`. */
  cool(key: number, until: number): void {
    const q = this.quotas[key]!;
    if (until > q.coolUntil) q.coolUntil = until;
  }

  /**
   * An answer of `key` (an attempt that reached a provider ended): its learning limiter learns from
   * it, the key's bound on requests in flight follows, and a changed belief is logged. True when
   * the key may admit more or sooner than before (waiters should look again).
   */
  observe(key: number, now: number, outcome: OutcomeCode, latencyMs: number, retryAfterMs: number, figures: Figures | undefined): boolean {
    const a = this.adaptive![key]!;
    const q = this.quotas[key]!;
    const more = a.observe(now, outcome, latencyMs, retryAfterMs, figures, q.inFlight);
    const bound = a.maxInFlight < this.baseInFlight ? a.maxInFlight : this.baseInFlight;
    if (bound !== q.maxInFlight) q.maxInFlight = bound;
    this.logBelief(key, now, a.believed(now));
    return more;
  }

  /** The admission of `key` just recorded: true when its learning limiter rejects it locally. */
  admitted(key: number, now: number): boolean {
    const rejected = this.adaptive![key]!.admitted(now);
    // sre-throttle's belief moves with its counts, as requests go out.
    this.logBelief(key, now, this.adaptive![key]!.believed(now));
    return rejected;
  }

  private logBelief(key: number, now: number, perMin: number): void {
    const last = this.lastBelieved[key]!;
    if (perMin === last || (perMin !== perMin && last !== last)) return;
    this.lastBelieved[key] = perMin;
    this.believedAt.push(now);
    this.believedKey.push(key);
    this.believedPerMin.push(perMin);
  }

  admissible(k: number, now: number): boolean {
    return this.quotas[k]!.admits(now, this.weight);
  }

  /**
   * One check: choose a key every dimension admits and record the admission (and the hold), or -1.
   * `tokens`: what the request charges its key's tokens window now (0: nothing now).
   */
  take(now: number, tokens = 0): number {
    this.weight = tokens;
    const key = this.choose(this, now);
    if (key < 0) return -1;
    this.quotas[key]!.record(now, tokens);
    this.used[key]!++;
    return key;
  }

  /** A request using `key` ended; true when that frees room (a key in flight at its bound). */
  release(key: number): boolean {
    return this.quotas[key]!.release();
  }

  /** A reservation of `reserved` tokens made at `at` used `actual` (charge: reserve). */
  settle(key: number, at: number, reserved: number, actual: number, now: number): void {
    this.quotas[key]!.settle(at, reserved, actual, now);
  }

  /** Tokens used, counted when the answer ends (charge: actual). */
  charge(key: number, now: number, tokens: number): void {
    this.quotas[key]!.charge(now, tokens);
  }

  /** Earliest time a key can change from inadmissible to admissible for a request charging `tokens` (Infinity: only a release can). */
  nextChangeAt(now: number, tokens = 0): number {
    let t = Infinity;
    for (let k = 0; k < this.count; k++) {
      const at = this.quotas[k]!.nextAdmitAt(now, tokens);
      if (at < t) t = at;
    }
    return t;
  }

  /** Window footprint of `key` now (every dimension). */
  footprint(key: number): number {
    return this.quotas[key]!.footprint();
  }
}

/**
 * `keys.store: memory` behind the store seam: this process's MemoryKeys on its clock. Real mode's
 * memory store keeps the synchronous KeyPool; this one is what a Redis-backed pool falls back to
 * when `failOpen` is set, and the reference the Redis store is tested against.
 */
export class MemoryStore implements PoolStore {
  readonly kind = 'memory';
  readonly keys: MemoryKeys;
  private tokens: number[];
  private seq = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(
    spec: Keys,
    private readonly clock: Pick<Clock, 'now'>,
    random: Random,
  ) {
    this.keys = new MemoryKeys(spec, random);
    this.tokens = new Array<number>(spec.count).fill(0);
  }

  take(want: number): Promise<Grants> {
    const now = this.clock.now();
    const g: Grants = { at: now, keys: [], tokens: [], waitMs: 0, entries: 0 };
    while (g.keys.length < want) {
      const k = this.keys.take(now);
      if (k < 0) break;
      g.keys.push(k);
      this.tokens[k] = ++this.seq;
      g.tokens.push(String(this.seq));
      g.entries = Math.max(g.entries, this.keys.footprint(k));
    }
    if (g.keys.length < want) g.waitMs = this.keys.nextChangeAt(now) - now;
    return Promise.resolve(g);
  }

  release(key: number, token: string): Promise<boolean> {
    if (String(this.tokens[key]) !== token || !this.keys.release(key)) return Promise.resolve(false);
    for (const l of this.listeners) l();
    return Promise.resolve(true);
  }

  watch(onRelease: () => void): Promise<boolean> {
    this.listeners.push(onRelease);
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
