import type { Clock, Handler, Timer } from './clock.js';
import { EventHeap } from './heap.js';

// A timer handle packs the event slot (low bits) and that slot's generation (high bits), so a
// handle that outlived its event can never cancel the event that reuses the slot.
const SLOT_BITS = 2 ** 26;

/**
 * The discrete-event kernel: a virtual clock over one event heap. Events at equal times run in
 * the order they were scheduled; cancelling marks the slot dead and the pop skips it.
 */
export class Engine implements Clock {
  private t = 0;
  private readonly heap: EventHeap;
  private readonly handlers: Handler[] = [];
  private kind: Int32Array;
  private arg: Float64Array;
  private gen: Uint32Array;
  private free: Int32Array;
  private freeTop = 0;
  private slots = 0;
  /** Events executed so far. */
  processed = 0;

  constructor(initialCapacity = 1024) {
    this.heap = new EventHeap(initialCapacity);
    this.kind = new Int32Array(initialCapacity);
    this.arg = new Float64Array(initialCapacity);
    this.gen = new Uint32Array(initialCapacity);
    this.free = new Int32Array(initialCapacity);
  }

  now(): number {
    return this.t;
  }

  /** Events scheduled and not yet run or cancelled (cancelled ones count until popped). */
  get pending(): number {
    return this.heap.size;
  }

  on(handler: Handler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  at(at: number, kind: number, arg: number): Timer {
    const slot = this.alloc();
    this.kind[slot] = kind;
    this.arg[slot] = arg;
    this.heap.push(at > this.t ? at : this.t, slot);
    return this.gen[slot]! * SLOT_BITS + slot;
  }

  after(ms: number, kind: number, arg: number): Timer {
    return this.at(this.t + (ms > 0 ? ms : 0), kind, arg);
  }

  cancel(timer: Timer): void {
    if (timer < 0) return;
    const slot = timer % SLOT_BITS;
    if (slot < this.slots && this.gen[slot]! === (timer - slot) / SLOT_BITS) this.kind[slot] = -1;
  }

  /** Runs the next event; false when none is left or the next is after `until`. */
  step(until = Infinity): boolean {
    const heap = this.heap;
    for (;;) {
      if (heap.size === 0 || heap.peekTime() > until) return false;
      const time = heap.peekTime();
      const slot = heap.pop();
      const kind = this.kind[slot]!;
      const arg = this.arg[slot]!;
      this.release(slot);
      if (kind < 0) continue;
      this.t = time;
      this.processed++;
      this.handlers[kind]!(arg);
      return true;
    }
  }

  /** Runs events until none is left (or until virtual time `until`, which then becomes now). */
  run(until = Infinity): void {
    while (this.step(until));
    if (until !== Infinity && until > this.t) this.t = until;
  }

  private alloc(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop]!;
    if (this.slots === this.kind.length) this.grow();
    return this.slots++;
  }

  private release(slot: number): void {
    this.gen[slot] = (this.gen[slot]! + 1) % 0x8000000;
    this.free[this.freeTop++] = slot;
  }

  private grow(): void {
    const cap = this.kind.length * 2;
    if (cap > SLOT_BITS) throw new Error(`more than ${SLOT_BITS} events pending`);
    const kind = new Int32Array(cap);
    const arg = new Float64Array(cap);
    const gen = new Uint32Array(cap);
    const free = new Int32Array(cap);
    kind.set(this.kind);
    arg.set(this.arg);
    gen.set(this.gen);
    free.set(this.free);
    this.kind = kind;
    this.arg = arg;
    this.gen = gen;
    this.free = free;
  }
}
