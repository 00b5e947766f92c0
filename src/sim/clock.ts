/**
 * The clock every component runs on. Handlers are registered once and events carry a handler id
 * and one integer argument, so scheduling allocates nothing: the same dispatcher, key pool and
 * balancers run under the virtual clock (simulation) and the wall clock (real mode).
 */
import type { ArrivalStream } from './arrivals.js';

export type Handler = (arg: number) => void;

/** A scheduled event; pass to `cancel`. Stale handles (already fired or cancelled) are ignored. */
export type Timer = number;

export interface Clock {
  now(): number;
  /** Register a handler once; returns the id events refer to. */
  on(handler: Handler): number;
  /** Run handler `kind` with `arg` at absolute time `at` (clamped to now: time never goes back). */
  at(at: number, kind: number, arg: number): Timer;
  /** Run handler `kind` with `arg` after `ms`. */
  after(ms: number, kind: number, arg: number): Timer;
  cancel(timer: Timer): void;
  /**
   * Runs `stream`'s events from now on, each at its `nextAt()`, until that is Infinity (one stream
   * per clock). The engine merges it with its heap; the wall clock sets one timer at a time.
   */
  follow(stream: ArrivalStream): void;
}
