import type { Clock } from '../../sim/clock.js';
import type { Random } from '../../sim/random.js';
import type { Keys } from '../spec.js';
import { createWindow } from '../../limiters/index.js';
import type { Window } from '../../limiters/window.js';
import type { Grants, PoolStore } from './store.js';
import { keyChoices, type Chooser, type KeyState } from '../choice.js';

/**
 * The pool's state in this process: one window per key, exclusive holds, lifetime use, the
 * round-robin cursor, and the one decision — choose an admissible key and record it. The
 * simulation's KeyPool calls it synchronously; `MemoryStore` puts it behind the store seam.
 * The Redis store's Lua script is the same decision on shared state.
 */
export class MemoryKeys implements KeyState {
  /** Admissions per key (lifetime use: what least-used compares). */
  readonly used: Float64Array;
  private readonly windows: (Window | undefined)[];
  private readonly busy: Uint8Array;
  private readonly choose: Chooser;

  constructor(
    private readonly spec: Keys,
    private readonly random: Random,
  ) {
    this.used = new Float64Array(spec.count);
    this.busy = new Uint8Array(spec.count);
    this.choose = keyChoices[spec.choice].create(random);
    this.windows = [];
    for (let k = 0; k < spec.count; k++) {
      const limit = spec.limit && { count: spec.limit.count, windowMs: spec.limit.windowMs + spec.guardMs };
      this.windows.push(limit ? createWindow(spec.limiter, limit) : undefined);
    }
  }

  get count(): number {
    return this.spec.count;
  }

  admissible(k: number, now: number): boolean {
    if (this.busy[k]) return false;
    const w = this.windows[k];
    return w === undefined || w.admits(now);
  }

  /** One check: choose an admissible key and record the admission (and the hold), or -1. */
  take(now: number): number {
    const key = this.choose(this, now);
    if (key < 0) return -1;
    this.windows[key]?.record(now);
    this.used[key]!++;
    if (this.spec.exclusive) this.busy[key] = 1;
    return key;
  }

  /** Ends the hold of an exclusive key; false when it was not held. */
  release(key: number): boolean {
    if (!this.spec.exclusive || !this.busy[key]) return false;
    this.busy[key] = 0;
    return true;
  }

  /** Earliest time a key can change from inadmissible to admissible (Infinity: only a release can). */
  nextChangeAt(now: number): number {
    let t = Infinity;
    for (let k = 0; k < this.spec.count; k++) {
      if (this.busy[k]) continue;
      const w = this.windows[k];
      const at = w ? w.nextAdmitAt(now) : now;
      if (at < t) t = at;
    }
    return t;
  }

  /** Window footprint of `key` now. */
  footprint(key: number): number {
    return this.windows[key]?.footprint() ?? 0;
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
