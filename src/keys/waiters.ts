import { grown } from '../core/typed.js';
import type { Clock } from '../sim/clock.js';
import type { WaitMode } from './spec.js';

/** What a pool does when a waiter's timers fire. */
export interface WaiterEvents {
  /** `acquireTimeout` ran out: the waiter has already left; the pool tells its sink it gave up. */
  timedOut(waiter: number): void;
  /** Poll mode: the waiter's re-check timer fired (it is still waiting). */
  poll(waiter: number): void;
}

/**
 * The requests waiting for a key, as both key pools keep them (in memory, and on a shared store):
 * who waits, in arrival order (a doubly linked list over waiter ids, so leaving is O(1)), each
 * waiter's acquire timeout, and in poll mode its re-check timer. The pools decide what a wake-up
 * does; this keeps the bookkeeping in one place. Timers are events on the pool's clock.
 */
export class Waiters {
  /** Requests waiting now. */
  count = 0;
  private next = new Int32Array(64).fill(-1);
  private prev = new Int32Array(64).fill(-1);
  private flag = new Uint8Array(64);
  private timeoutTimer = new Float64Array(64).fill(-1);
  private pollTimer = new Float64Array(64).fill(-1);
  private first = -1;
  private last = -1;
  private readonly kTimeout: number;
  private readonly kPoll: number;

  constructor(
    private readonly clock: Clock,
    private readonly acquireTimeoutMs: number,
    private readonly wait: WaitMode,
    private readonly events: WaiterEvents,
  ) {
    this.kTimeout = clock.on((w) => this.timeout(w));
    this.kPoll = clock.on((w) => {
      this.pollTimer[w] = -1;
      if (this.flag[w]) this.events.poll(w);
    });
  }

  /** The oldest waiter (notify mode), or -1. */
  get head(): number {
    return this.first;
  }

  isWaiting(waiter: number): boolean {
    return waiter < this.flag.length && this.flag[waiter] === 1;
  }

  /**
   * `waiter` starts waiting: its timeout starts; in poll mode its re-check timer (unless `poll` is
   * false: the pool looks at once and calls `pollAgain` if that finds nothing), else it joins the queue.
   */
  enter(waiter: number, poll = true): void {
    this.ensure(waiter);
    this.flag[waiter] = 1;
    this.count++;
    if (Number.isFinite(this.acquireTimeoutMs)) this.timeoutTimer[waiter] = this.clock.after(this.acquireTimeoutMs, this.kTimeout, waiter);
    if (this.wait.mode === 'poll') {
      if (poll) this.pollTimer[waiter] = this.clock.after(this.wait.intervalMs, this.kPoll, waiter);
      return;
    }
    this.prev[waiter] = this.last;
    this.next[waiter] = -1;
    if (this.last >= 0) this.next[this.last] = waiter;
    else this.first = waiter;
    this.last = waiter;
  }

  /** Poll mode: look again one interval from now. */
  pollAgain(waiter: number): void {
    if (this.wait.mode === 'poll' && this.flag[waiter]) this.pollTimer[waiter] = this.clock.after(this.wait.intervalMs, this.kPoll, waiter);
  }

  /** `waiter` got a key (or gave up): it leaves the queue and its timers are cancelled. */
  leave(waiter: number): void {
    if (!this.flag[waiter]) return;
    this.flag[waiter] = 0;
    this.count--;
    const t = this.timeoutTimer[waiter]!;
    if (t >= 0) this.clock.cancel(t);
    this.timeoutTimer[waiter] = -1;
    const p = this.pollTimer[waiter]!;
    if (p >= 0) this.clock.cancel(p);
    this.pollTimer[waiter] = -1;
    if (this.wait.mode === 'poll') return;
    const before = this.prev[waiter]!;
    const after = this.next[waiter]!;
    if (before >= 0) this.next[before] = after;
    else this.first = after;
    if (after >= 0) this.prev[after] = before;
    else this.last = before;
    this.prev[waiter] = -1;
    this.next[waiter] = -1;
  }

  /** Every waiter, by id (a copy: leaving during the walk is safe). */
  all(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.flag.length; w++) if (this.flag[w]) out.push(w);
    return out;
  }

  private timeout(waiter: number): void {
    this.timeoutTimer[waiter] = -1;
    if (!this.flag[waiter]) return;
    this.leave(waiter);
    this.events.timedOut(waiter);
  }

  private ensure(waiter: number): void {
    if (waiter < this.next.length) return;
    let cap = this.next.length;
    while (cap <= waiter) cap *= 2;
    this.next = grown(this.next, cap, -1);
    this.prev = grown(this.prev, cap, -1);
    this.flag = grown(this.flag, cap);
    this.timeoutTimer = grown(this.timeoutTimer, cap, -1);
    this.pollTimer = grown(this.pollTimer, cap, -1);
  }
}
