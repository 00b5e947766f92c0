import type { AttemptEnd, KeyPoolSink, KeyPoolStats, Pool } from './key-pool.js';

/** A pool of one key group, as the grouped pool drives it. */
export type GroupPart = Pool & { readonly admitted: Float64Array; readonly stats: KeyPoolStats };

/**
 * Keys split into groups, each a pool of its own (its own waiting queue and key choice), so a
 * trace's tenants wait only for their own keys: a request names its group when it acquires
 * (`acquire`'s fourth argument) and gets a key of the whole pool's numbering back. Groups share
 * no key. Routing costs two array reads per call and no allocation.
 */
export class GroupedPool implements Pool {
  private readonly parts: GroupPart[];
  /** Per key of the whole pool: its group (-1: in none, never handed out) and its index there. */
  private readonly groupOf: Int32Array;
  private readonly localOf: Int32Array;

  /** `groups[g]`: the keys (0-based, of `count`) of group g; `part(g, sink)` builds its pool of `groups[g].length` keys. */
  constructor(
    private readonly groups: readonly (readonly number[])[],
    private readonly count: number,
    sink: KeyPoolSink,
    part: (group: number, sink: KeyPoolSink) => GroupPart,
  ) {
    this.groupOf = new Int32Array(count).fill(-1);
    this.localOf = new Int32Array(count);
    groups.forEach((keys, g) => keys.forEach((k, i) => {
      this.groupOf[k] = g;
      this.localOf[k] = i;
    }));
    // One sink per group, built once: it maps the group's key numbers to the whole pool's.
    this.parts = groups.map((keys, g) => part(g, { granted: (w, k) => sink.granted(w, keys[k]!), gaveUp: (w) => sink.gaveUp(w) }));
  }

  acquire(waiter: number, prompt = 0, maxTokens = 0, group = 0): number {
    const key = this.parts[group]!.acquire(waiter, prompt, maxTokens);
    return key >= 0 ? this.groups[group]![key]! : key;
  }

  ended(waiter: number, key: number, end: AttemptEnd): number {
    return this.parts[this.groupOf[key]!]!.ended(waiter, this.localOf[key]!, end);
  }

  rejects(key: number): boolean {
    return this.parts[this.groupOf[key]!]!.rejects?.(this.localOf[key]!) === true;
  }

  /** Admissions per key of the whole pool (built when asked: results only). */
  get admitted(): Float64Array {
    const out = new Float64Array(this.count);
    this.parts.forEach((p, g) => this.groups[g]!.forEach((k, i) => (out[k] = p.admitted[i]!)));
    return out;
  }

  /** The groups' figures added up (entriesPeak: the largest). */
  get stats(): KeyPoolStats {
    const out: KeyPoolStats = { checks: 0, wastedChecks: 0, wakeups: 0, entriesPeak: 0 };
    for (const p of this.parts) {
      out.checks += p.stats.checks;
      out.wastedChecks += p.stats.wastedChecks;
      out.wakeups += p.stats.wakeups;
      out.entriesPeak = Math.max(out.entriesPeak, p.stats.entriesPeak);
    }
    return out;
  }
}
