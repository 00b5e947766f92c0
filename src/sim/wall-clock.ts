import { LongTimer, MAX_TIMER_MS } from '../core/long-timer.js';
import type { ArrivalStream } from './arrivals.js';
import type { Clock, Handler, Timer } from './clock.js';

/**
 * The wall clock as a `Clock`, in scenario time: `now()` is wall milliseconds since start divided
 * by `scale` (0.01 runs a 60 s window in 0.6 s), and a delay of `ms` waits `ms · scale` of wall
 * time. The dispatcher, key pool, limiters and balancers run on it unchanged (SimPy's rt.py idea:
 * real time is another clock, not another engine). Timers are ordinary setTimeout handles, and a
 * wait longer than Node's timers hold (2^31 − 1 ms; a scenario's durations reach a year) a
 * LongTimer that re-arms towards its deadline: never early, never with a TimeoutOverflowWarning.
 */
export class WallClock implements Clock {
  private readonly handlers: Handler[] = [];
  private readonly timers = new Map<number, ReturnType<typeof setTimeout> | LongTimer>();
  /** Waits of zero (or less): Node's setTimeout would hold each for at least 1 ms. */
  private readonly immediates = new Map<number, ReturnType<typeof setImmediate>>();
  private nextId = 1;
  private readonly t0: number;
  /** A handler threw: real mode stops and reports it instead of losing it in a timer. */
  failure: unknown;

  constructor(readonly scale = 1) {
    if (!(scale > 0)) throw new Error(`time scale must be positive, got ${scale}`);
    this.t0 = performance.now();
  }

  now(): number {
    return (performance.now() - this.t0) / this.scale;
  }

  on(handler: Handler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  at(at: number, kind: number, arg: number): Timer {
    return this.after(at - this.now(), kind, arg);
  }

  after(ms: number, kind: number, arg: number): Timer {
    const id = this.nextId++;
    const wall = ms * this.scale;
    const fire = (): void => {
      this.timers.delete(id);
      try {
        this.handlers[kind]!(arg);
      } catch (e) {
        this.failure ??= e;
      }
    };
    // NaN, 0 and below: at once, after what is already due (setImmediate: a setTimeout of 0 waits
    // at least 1 ms, which in a closed loop with no think time was a millisecond on every request).
    // Infinity: never (a LongTimer that is never armed).
    if (!(wall > 0)) {
      this.immediates.set(
        id,
        setImmediate(() => {
          this.immediates.delete(id);
          fire();
        }),
      );
      return id;
    }
    this.timers.set(id, wall <= MAX_TIMER_MS ? setTimeout(fire, wall) : new LongTimer(fire, wall));
    return id;
  }

  /** One timer at a time, each set when the previous event ran (from when it was due: no drift). */
  follow(stream: ArrivalStream): void {
    const kind = this.on(() => {
      stream.fire();
      const next = stream.nextAt();
      if (next < Infinity) this.at(next, kind, 0);
    });
    const first = stream.nextAt();
    if (first < Infinity) this.at(first, kind, 0);
  }

  cancel(timer: Timer): void {
    const i = this.immediates.get(timer);
    if (i !== undefined) {
      clearImmediate(i);
      this.immediates.delete(timer);
      return;
    }
    const t = this.timers.get(timer);
    if (t === undefined) return;
    if (t instanceof LongTimer) t.cancel();
    else clearTimeout(t);
    this.timers.delete(timer);
  }

  /** Cancels every pending timer (end of a run or Ctrl-C). */
  stop(): void {
    for (const t of this.timers.values()) {
      if (t instanceof LongTimer) t.cancel();
      else clearTimeout(t);
    }
    this.timers.clear();
    for (const i of this.immediates.values()) clearImmediate(i);
    this.immediates.clear();
  }
}
