import { Outcome, type OutcomeCode } from '../../core/outcome.js';
import type { Window } from '../window.js';
import { MINUTE_MS, type Adaptive } from './adaptive.js';
import { gated } from './capped.js';

/** Options of `gradient` (names as Netflix concurrency-limits' Gradient2Limit). */
export interface GradientOptions {
  /** The concurrency it starts from (default 20). */
  initialLimit: number;
  /** It never goes below (default 1). */
  minLimit: number;
  /** It never goes above (Gradient2's maxConcurrency; default 200). */
  maxConcurrency: number;
  /** How much of each new estimate the limit takes (default 0.2). */
  smoothing: number;
  /** Requests allowed to queue beyond the estimate while latency holds (default 4). */
  queueSize: number;
  /** Samples the long-term latency averages over (default 600; the first 10 are a plain mean). */
  longWindow: number;
  /** Multiplied by on a 429 or 5xx, at most once per long-term latency (Vegas's drop rule; default 0.9). */
  backoffRatio: number;
}

/**
 * Gradient2's shape (Netflix concurrency-limits): the concurrency limit follows the ratio of the
 * long-term latency — the latency without load, kept as an exponential average over `longWindow`
 * samples because, as Gradient2's notes say, a minimum biases towards an impractically low base —
 * to the latest one, clamped to [0.5, 1]:
 *   limit ← limit·(1 − smoothing) + (limit·gradient + queueSize)·smoothing.
 * A key using less than half its limit leaves it alone (application limited), and a long-term
 * latency more than twice the latest is pulled down by 10% (recovery after a long spell of load).
 * Latency only moves when a provider queues: a quota answers 429 at once, so, as Vegas does with a
 * drop, a 429 or 5xx multiplies the limit by `backoffRatio`, at most once per long-term latency.
 */
export class Gradient implements Adaptive {
  readonly window: Window | undefined;
  private limit: number;
  private longRtt = NaN;
  private samples = 0;
  private lastDecrease = -Infinity;

  constructor(
    private readonly o: GradientOptions,
    ceiling: Window | undefined,
  ) {
    this.limit = Math.max(o.minLimit, Math.min(o.maxConcurrency, o.initialLimit));
    this.window = gated(ceiling, undefined);
  }

  get maxInFlight(): number {
    return Math.max(1, Math.floor(this.limit));
  }

  admitted(): boolean {
    return false;
  }

  observe(now: number, outcome: OutcomeCode, latencyMs: number, _retryAfterMs: number, _f: unknown, inFlight: number): boolean {
    const before = this.maxInFlight;
    if (outcome === Outcome.rateLimited || outcome === Outcome.serverError) {
      const rtt = this.longRtt === this.longRtt ? this.longRtt : 0;
      if (now - this.lastDecrease >= rtt) {
        this.limit = Math.max(this.o.minLimit, this.limit * this.o.backoffRatio);
        this.lastDecrease = now;
      }
      return false;
    }
    if (outcome !== Outcome.ok || !(latencyMs > 0)) return false;
    const short = latencyMs;
    this.samples++;
    if (this.samples <= 10) this.longRtt = this.samples === 1 ? short : this.longRtt + (short - this.longRtt) / this.samples;
    else this.longRtt += (short - this.longRtt) * (2 / (this.o.longWindow + 1));
    if (this.longRtt / short > 2) this.longRtt *= 0.9;
    if (inFlight < this.limit / 2) return false;
    const gradient = Math.max(0.5, Math.min(1, this.longRtt / short));
    const estimate = this.limit * gradient + this.o.queueSize;
    const next = this.limit * (1 - this.o.smoothing) + estimate * this.o.smoothing;
    this.limit = Math.max(this.o.minLimit, Math.min(this.o.maxConcurrency, next));
    return this.maxInFlight > before;
  }

  believed(): number {
    return this.longRtt > 0 ? (this.limit * MINUTE_MS) / this.longRtt : NaN;
  }
}

export function gradient(o: GradientOptions, ceiling: Window | undefined): Gradient {
  return new Gradient(o, ceiling);
}
