import { grown } from '../core/typed.js';

/**
 * Binary min-heap of events ordered by (time, seq) over parallel typed arrays.
 * `seq` grows with every push, so events at equal times pop in insertion order (FIFO) — the
 * determinism the simulator needs and flatqueue does not give. No objects per entry: the heap
 * holds a time, a sequence number and one 32-bit integer payload (`item`: the engine's event
 * slot, whose other columns say the rest), 20 bytes an entry for each sift step to move.
 */
export class EventHeap {
  private time: Float64Array;
  private seq: Float64Array;
  private item: Int32Array;
  private n = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity);
    this.time = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.item = new Int32Array(cap);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest entry; Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.time[0]! : Infinity;
  }

  /** Payload of the earliest entry; -1 when empty. */
  peekItem(): number {
    return this.n > 0 ? this.item[0]! : -1;
  }

  /** Sequence number of the earliest entry (Infinity when empty): its place among equal times. */
  peekSeq(): number {
    return this.n > 0 ? this.seq[0]! : Infinity;
  }

  /** Takes the next sequence number for an event kept outside the heap, so equal times still run in scheduling order. */
  takeSeq(): number {
    return this.nextSeq++;
  }

  /** Adds an entry; `item` is an integer in the int32 range. */
  push(t: number, item: number): void {
    if (this.n === this.time.length) this.grow();
    const time = this.time;
    const seq = this.seq;
    const it = this.item;
    const s = this.nextSeq++;
    let i = this.n++;
    // Sift up: move parents down until the new entry's slot is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = time[p]!;
      if (pt < t || (pt === t && seq[p]! < s)) break;
      time[i] = pt;
      seq[i] = seq[p]!;
      it[i] = it[p]!;
      i = p;
    }
    time[i] = t;
    seq[i] = s;
    it[i] = item;
  }

  /** Removes the earliest entry and returns its `item` (-1 when empty). */
  pop(): number {
    if (this.n === 0) return -1;
    const time = this.time;
    const seq = this.seq;
    const it = this.item;
    const top = it[0]!;
    const n = --this.n;
    if (n === 0) return top;
    const t = time[n]!;
    const s = seq[n]!;
    const x = it[n]!;
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      // Pick the smaller child without a data-dependent branch on the common path.
      if (r < n) {
        const ct = time[c]!;
        const rt = time[r]!;
        c += +(rt < ct || (rt === ct && seq[r]! < seq[c]!));
      }
      const ct = time[c]!;
      if (t < ct || (t === ct && s < seq[c]!)) break;
      time[i] = ct;
      seq[i] = seq[c]!;
      it[i] = it[c]!;
      i = c;
    }
    time[i] = t;
    seq[i] = s;
    it[i] = x;
    return top;
  }

  clear(): void {
    this.n = 0;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    this.time = grown(this.time, cap);
    this.seq = grown(this.seq, cap);
    this.item = grown(this.item, cap);
  }
}
