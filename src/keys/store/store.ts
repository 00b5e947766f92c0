/** What one decision of a store hands back. */
export interface Grants {
  /** When the store decided, on its own clock (Redis: the server's TIME, wall ms since the epoch). */
  at: number;
  /** The keys chosen, in order, each with its admission recorded (and its hold, for exclusive keys). */
  keys: number[];
  /** Per key: the token that releases its hold. */
  tokens: string[];
  /** When fewer keys than asked: scenario ms until one can next be admitted (Infinity: only a release can). */
  waitMs: number;
  /** Most entries a chosen key's window held (the memory figure). */
  entries: number;
}

/**
 * The store seam under a key pool that may live outside this process. A decision is one atomic
 * step on the store: check, choose (least-used, round-robin, random), record — no read-then-write
 * race between processes sharing it.
 */
export interface PoolStore {
  readonly kind: 'memory' | 'redis';
  /** Chooses up to `want` admissible keys and records their admissions. */
  take(want: number): Promise<Grants>;
  /** Ends the hold of an exclusive key taken with `token`; false when that hold is gone (lease over). */
  release(key: number, token: string): Promise<boolean>;
  /** Calls `onRelease` whenever a key is released by any process; false when the store cannot notify. */
  watch(onRelease: () => void): Promise<boolean>;
  close(): Promise<void>;
}

/** What a shared store reports in results: metrics.limiter.store. */
export interface StoreReport {
  kind: 'memory' | 'redis';
  /** The Redis key prefix and the hash tag of the limiter configuration (processes share a pool when both agree). */
  namespace?: string;
  failOpen: boolean;
  /** Decisions or releases the store failed (unreachable, timed out). */
  errors: number;
  /** Admissions decided on this process's own windows because the store failed (failOpen only). */
  localDecisions: number;
  /** How waiters learnt of releases in other processes: pub/sub, or polling when it was unavailable. */
  notify: 'pubsub' | 'poll';
  /**
   * Fail closed only: the store stayed down past `giveUpAfter`, so the requests waiting for a key
   * then (and those arriving while it stayed down) gave up instead of waiting out their acquire
   * timeout. Absent when it never happened.
   */
  degraded?: true;
  /** Requests that gave up because the store was down (with `degraded`). */
  outageGaveUp?: number;
  /** Scenario ms the store was failing in all (with `degraded`). */
  outageMs?: number;
}
