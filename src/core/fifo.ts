/**
 * A first-in first-out queue of numbers over a growable ring buffer (Float64Array: times and
 * integer tokens both fit exactly): O(1) push and shift, no object per entry, no allocation once
 * it has grown to its working size. The gateway's queues — requests at the concurrency gate,
 * attempts waiting for a connection, work queued at a provider, waiters for a shared key store —
 * are all this.
 */
const EMPTY = new Float64Array(0);

export class Fifo {
  // Allocated on the first push: a gateway keeps one per (key, provider) and most stay empty.
  private items = EMPTY;
  private head = 0;
  private n = 0;

  constructor(private readonly initialCapacity = 16) {}

  get size(): number {
    return this.n;
  }

  push(v: number): void {
    if (this.n === this.items.length) this.grow();
    let tail = this.head + this.n;
    if (tail >= this.items.length) tail -= this.items.length;
    this.items[tail] = v;
    this.n++;
  }

  /** The oldest entry, removed (undefined behaviour when empty: check `size`). */
  shift(): number {
    const v = this.items[this.head]!;
    this.head = this.head + 1 === this.items.length ? 0 : this.head + 1;
    this.n--;
    return v;
  }

  /** The oldest entry, left in place. */
  peek(): number {
    return this.items[this.head]!;
  }

  clear(): void {
    this.head = 0;
    this.n = 0;
  }

  private grow(): void {
    const next = new Float64Array(this.items.length === 0 ? Math.max(4, this.initialCapacity) : this.items.length * 2);
    for (let i = 0; i < this.n; i++) {
      let j = this.head + i;
      if (j >= this.items.length) j -= this.items.length;
      next[i] = this.items[j]!;
    }
    this.items = next;
    this.head = 0;
  }
}
