import { Outcome, type OutcomeCode } from '../../core/outcome.js';
import type { Rate } from '../../core/units.js';
import type { Window } from '../window.js';
import { MINUTE_MS, type Adaptive } from './adaptive.js';
import { gated } from './capped.js';
import { Pacer } from './pacer.js';

/** Options of `aimd` (names as Netflix concurrency-limits' AIMDLimit, plus the window TCP increases per). */
export interface AimdOptions {
  /** `rate`: requests per minute, paced; `concurrency`: requests in flight. */
  mode: 'rate' | 'concurrency';
  /** The limit it starts from (default: rate 60/min, concurrency 10; at most the ceiling's rate). */
  initialLimit?: number;
  /** It never goes below (default 1). */
  minLimit: number;
  /** It never goes above (default: the ceiling's rate in rate mode, else 1,000,000). */
  maxLimit?: number;
  /** Multiplied by on a 429 or 5xx (default 0.9, AIMDLimit's). */
  backoffRatio: number;
  /** Added after each window with successes and no 429 or 5xx, in the limit's unit (default 1). */
  increase: number;
  /** The success window, ms (default 1s): at most one increase and one decrease per window. */
  window: number;
  /** Rate mode: requests the pacer lets go at once after an idle spell (default 1: evenly spaced). */
  burst: number;
}

/**
 * Additive increase, multiplicative decrease (TCP's congestion window; Netflix AIMDLimit): after
 * each `window` that saw a success and no 429 or 5xx, the limit grows by `increase`; a 429 or 5xx
 * multiplies it by `backoffRatio`, at most once per window (the 429s of one overshoot arrive
 * together, as a lost flight of packets does, and count as one signal). An increase needs the key
 * to have used at least half of what the limit allowed in the window (AIMDLimit's "not app
 * limited"): a limit nobody tests is not raised. Rate mode paces admissions at the limit per
 * minute through a token bucket of `burst`; concurrency mode bounds the key's requests in flight.
 */
export class Aimd implements Adaptive {
  readonly window: Window | undefined;
  private limit: number;
  private readonly max: number;
  private readonly pacer: Pacer | undefined;
  private windowStart = -Infinity;
  private lastDecrease = -Infinity;
  private successes = 0;
  private drops = 0;
  private admissions = 0;
  private busiest = 0;
  /** Smoothed latency of successful answers (concurrency mode's believed rate), ms. */
  private latency = NaN;

  constructor(
    private readonly o: AimdOptions,
    ceiling: Window | undefined,
    ceilingRate: Rate | undefined,
  ) {
    const rate = o.mode === 'rate';
    const ceilingPerMin = ceilingRate ? (ceilingRate.count * MINUTE_MS) / ceilingRate.windowMs : Infinity;
    this.max = o.maxLimit ?? (rate && ceilingPerMin < Infinity ? ceilingPerMin : 1_000_000);
    const initial = o.initialLimit ?? (rate ? 60 : 10);
    this.limit = Math.max(o.minLimit, Math.min(this.max, initial));
    this.pacer = rate ? new Pacer(this.limit / MINUTE_MS, o.burst) : undefined;
    this.window = gated(ceiling, this.pacer);
  }

  get maxInFlight(): number {
    return this.o.mode === 'concurrency' ? Math.max(1, Math.floor(this.limit)) : Infinity;
  }

  admitted(): boolean {
    this.admissions++;
    return false;
  }

  observe(now: number, outcome: OutcomeCode, latencyMs: number, _retryAfterMs: number, _f: unknown, inFlight: number): boolean {
    if (this.windowStart === -Infinity) this.windowStart = now;
    if (inFlight > this.busiest) this.busiest = inFlight;
    const before = this.limit;
    if (outcome === Outcome.rateLimited || outcome === Outcome.serverError) {
      this.drops++;
      if (now - this.lastDecrease >= this.o.window) {
        this.limit = Math.max(this.o.minLimit, this.limit * this.o.backoffRatio);
        this.lastDecrease = now;
      }
    } else if (outcome === Outcome.ok) {
      this.successes++;
      this.latency = this.latency === this.latency ? this.latency + 0.1 * (latencyMs - this.latency) : latencyMs;
    }
    if (now - this.windowStart >= this.o.window) this.roll(now);
    if (this.limit === before) return false;
    this.pacer?.setRate(now, this.limit / MINUTE_MS, this.o.burst);
    return this.limit > before;
  }

  /** A window ended: raise the limit if it was tested and held. */
  private roll(now: number): void {
    const allowed = this.o.mode === 'rate' ? (this.limit * (now - this.windowStart)) / MINUTE_MS : this.limit;
    const used = this.o.mode === 'rate' ? this.admissions : this.busiest;
    if (this.successes > 0 && this.drops === 0 && used * 2 >= allowed) this.limit = Math.min(this.max, this.limit + this.o.increase);
    this.windowStart = now;
    this.successes = 0;
    this.drops = 0;
    this.admissions = 0;
    this.busiest = 0;
  }

  believed(): number {
    if (this.o.mode === 'rate') return this.limit;
    return this.latency === this.latency && this.latency > 0 ? (this.limit * MINUTE_MS) / this.latency : NaN;
  }
}

export function aimd(o: AimdOptions, ceiling: Window | undefined, ceilingRate: Rate | undefined): Aimd {
  return new Aimd(o, ceiling, ceilingRate);
}
