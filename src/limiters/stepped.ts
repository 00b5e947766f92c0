import type { Rate } from '../core/units.js';
import type { Window } from './window.js';

/**
 * A quota that changes at given times (`limit: { requests: 600/min, steps: [{ at: 2m, requests:
 * 200/min }] }`): one window per period, each deciding alone while its period lasts. A new period's
 * window starts empty — the quota starts over at its step, as a plan change resets a provider's
 * counters — so the windows never share entries and a step costs nothing until it comes.
 * `capacity()` is the limit of the period last asked about (every call with a time moves to it),
 * which is what a provider's x-ratelimit-limit says at that moment. O(steps) per call at most;
 * steps are few (at most 100) and the cursor usually sits at the current period.
 */
export class Stepped implements Window {
  private i = 0;

  constructor(
    /** One window per period, in time order. */
    private readonly windows: readonly Window[],
    /** When each period starts; the first is -Infinity. */
    private readonly starts: readonly number[],
  ) {}

  get weighted(): boolean {
    return this.windows.every((w) => w.weighted);
  }

  /** The period `now` falls in (and the cursor moves there). */
  private at(now: number): Window {
    let i = this.i;
    while (i + 1 < this.starts.length && this.starts[i + 1]! <= now) i++;
    while (i > 0 && this.starts[i]! > now) i--;
    this.i = i;
    return this.windows[i]!;
  }

  admits(now: number, w?: number): boolean {
    return this.at(now).admits(now, w);
  }

  record(now: number, w?: number): void {
    this.at(now).record(now, w);
  }

  /** The first time ≥ now some period admits `w` within itself (a later period starts empty: at its start if it can hold w). */
  nextAdmitAt(now: number, w?: number): number {
    this.at(now);
    for (let j = this.i; j < this.windows.length; j++) {
      const from = j === this.i ? now : this.starts[j]!;
      const t = this.windows[j]!.nextAdmitAt(from, w);
      if (j + 1 === this.windows.length || t < this.starts[j + 1]!) return t;
    }
    return Infinity;
  }

  settle(at: number, reserved: number, actual: number, now: number): void {
    // A correction belongs to the period that admitted it; a period that ended has no say any more.
    if (this.at(now) === this.windowAt(at)) this.windows[this.i]!.settle(at, reserved, actual, now);
  }

  private windowAt(t: number): Window {
    let j = this.starts.length - 1;
    while (j > 0 && this.starts[j]! > t) j--;
    return this.windows[j]!;
  }

  remaining(now: number): number {
    return this.at(now).remaining(now);
  }

  /**
   * When the current period's window is whole again. A step to come is not announced: what a
   * provider's x-ratelimit-reset says is about the quota in force.
   */
  resetAt(now: number): number {
    return this.at(now).resetAt(now);
  }

  capacity(): number {
    return this.windows[this.i]!.capacity();
  }

  footprint(): number {
    return this.windows[this.i]!.footprint();
  }
}

/** From `atMs` on, the quota allows `requests` per window (until the next step). */
export interface QuotaStep {
  atMs: number;
  requests: Rate;
}

/** The window of a requests quota: `make(limit)` alone, or one per period when it steps. */
export function steppedWindow(limit: Rate, steps: readonly QuotaStep[] | undefined, make: (r: Rate) => Window): Window {
  if (!steps || steps.length === 0) return make(limit);
  return new Stepped([make(limit), ...steps.map((s) => make(s.requests))], [-Infinity, ...steps.map((s) => s.atMs)]);
}

/** The requests per window a stepping quota allows at `t`. */
export function rateAt(limit: Rate, steps: readonly QuotaStep[] | undefined, t: number): Rate {
  let r = limit;
  for (const s of steps ?? []) if (s.atMs <= t) r = s.requests;
  return r;
}
