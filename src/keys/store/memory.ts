import type { Clock } from '../../sim/clock.js';
import type { Random } from '../../sim/random.js';
import type { Keys } from '../spec.js';
import type { Rate } from '../../core/units.js';
import { createWindow } from '../../limiters/index.js';
import { Quota } from '../../limiters/quota.js';
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
    this.quotas = Array.from({ length: spec.count }, () => new Quota(
      spec.limit ? createWindow(spec.limiter, guarded(spec.limit)) : undefined,
      tokens ? createWindow(spec.tokenLimiter ?? spec.limiter, tokens) : undefined,
      maxInFlight,
    ));
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
