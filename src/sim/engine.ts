import type { ArrivalStream } from './arrivals.js';
import type { Clock, Handler, Timer } from './clock.js';
import { grown, low } from '../core/typed.js';
import { EventHeap } from './heap.js';

// Heap entries carry the event's slot alone; the slot's columns hold its handler (`kind`) and its
// argument, so the heap's sift moves 20 bytes an entry and a pop needs no packed handle split.
// A slot also lets a timer be cancelled: its `dead` flag is checked on pop, and its generation
// makes a handle that outlived its event unable to cancel the event that reuses the slot. Slots
// are reused LIFO, so the slot freed by a pop is the one the handler's next schedule takes, still
// in cache.
const KINDS = 4096;
const SLOT_BITS = 2 ** 26;

/**
 * The discrete-event kernel: a virtual clock over one event heap. Events at equal times run in
 * the order they were scheduled; cancelling marks the slot dead and the pop skips it.
 */
export class Engine implements Clock {
  private t = 0;
  private readonly heap: EventHeap;
  private readonly handlers: Handler[] = [];
  private dead: Uint8Array;
  private kind: Uint16Array;
  private arg: Float64Array;
  private gen: Uint32Array;
  private free: Int32Array;
  private freeTop = 0;
  private slots = 0;
  /** Events executed so far (the arrival stream's included). */
  processed = 0;
  /** The arrival stream merged with the heap, its next time and its place in the heap's sequence. */
  private stream: ArrivalStream | undefined;
  private streamAt = Infinity;
  private streamSeq = 0;

  constructor(initialCapacity = 1024) {
    this.heap = new EventHeap(initialCapacity);
    this.dead = new Uint8Array(initialCapacity);
    this.kind = new Uint16Array(initialCapacity);
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
    if (this.handlers.length === KINDS) throw new Error(`more than ${KINDS} handlers`);
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  at(at: number, kind: number, arg: number): Timer {
    const slot = this.freeTop > 0 ? this.free[--this.freeTop]! : this.newSlot();
    const g = (this.gen[slot] = (this.gen[slot]! + 1) % 0x8000000);
    this.kind[slot] = kind;
    this.arg[slot] = arg;
    this.heap.push(at > this.t ? at : this.t, slot);
    return g * SLOT_BITS + slot;
  }

  after(ms: number, kind: number, arg: number): Timer {
    return this.at(this.t + (ms > 0 ? ms : 0), kind, arg);
  }

  cancel(timer: Timer): void {
    if (timer < 0) return;
    const slot = low(timer, SLOT_BITS);
    if (slot < this.slots && this.gen[slot]! === (timer - slot) / SLOT_BITS && this.live(slot)) this.dead[slot] = 1;
  }

  follow(stream: ArrivalStream): void {
    if (this.stream) throw new Error('one arrival stream per engine');
    this.stream = stream;
    this.streamSeq = this.heap.takeSeq();
    this.streamAt = Math.max(this.t, stream.nextAt());
  }

  /** Runs the next event; false when none is left or the next is after `until`. */
  step(until = Infinity): boolean {
    const heap = this.heap;
    for (;;) {
      const time = heap.peekTime();
      const s = this.streamAt;
      if (s < time || (s === time && s !== Infinity && this.streamSeq < heap.peekSeq())) {
        if (s > until) return false;
        this.t = s;
        this.processed++;
        // The next arrival's place in the sequence is taken before this one schedules anything,
        // where the heap event it replaces was pushed.
        this.streamSeq = heap.takeSeq();
        this.stream!.fire();
        const next = this.stream!.nextAt();
        this.streamAt = next > s ? next : next === Infinity ? Infinity : s;
        return true;
      }
      if (heap.size === 0 || time > until) return false;
      const slot = heap.pop();
      this.free[this.freeTop++] = slot;
      // Bump the generation now so a handle to this event is stale from here on.
      this.gen[slot] = (this.gen[slot]! + 1) % 0x8000000;
      if (this.dead[slot]) {
        this.dead[slot] = 0;
        continue;
      }
      this.t = time;
      this.processed++;
      this.handlers[this.kind[slot]!]!(this.arg[slot]!);
      return true;
    }
  }

  /** Runs events until `stop()` holds (checked before each event) or none is left. */
  runUntil(stop: () => boolean): void {
    while (!stop() && this.step());
  }

  /** Runs events until none is left (or until virtual time `until`, which then becomes now). */
  run(until = Infinity): void {
    while (this.step(until));
    if (until !== Infinity && until > this.t) this.t = until;
  }

  /** A slot is live while its event waits in the heap (odd generation: see `at`/`step`). */
  private live(slot: number): boolean {
    return (this.gen[slot]! & 1) === 1;
  }

  private newSlot(): number {
    if (this.slots === this.dead.length) this.grow();
    return this.slots++;
  }

  private grow(): void {
    const cap = this.dead.length * 2;
    if (cap > SLOT_BITS) throw new Error(`more than ${SLOT_BITS} events pending`);
    this.dead = grown(this.dead, cap);
    this.kind = grown(this.kind, cap);
    this.arg = grown(this.arg, cap);
    this.gen = grown(this.gen, cap);
    this.free = grown(this.free, cap);
  }
}
