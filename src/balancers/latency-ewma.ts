import type { ReadonlyNumbers } from '../core/typed.js';
import { argminUsable, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { type OutcomeCode } from '../core/outcome.js';
import { latencyEmaUpdate } from './ewma.js';

/** Options of `latency-ewma` (none). */
export type LatencyEwmaOptions = Record<string, never>;

/**
 * The `002_*` router's `selectByLatency`: the healthy provider with the lowest latency average,
 * where every finished attempt (success or not, as the Go router's `RecordResult`) updates the average with
 * `latencyEmaUpdate`: whole milliseconds, first sample taken as is, then `(L*7 + l) / 8` truncated.
 *
 * Ties go to the earlier provider in list order (strict `<`, as the Go router). The Go router iterates a Go map, whose
 * order is random, so its ties fall at random; list order keeps runs reproducible.
 * A provider never measured has an average of 0 and so wins every pick until its first attempt
 * finishes, as in the Go router (under concurrency a new provider takes every request until one returns).
 * O(n) per pick, no allocation.
 */
export class LatencyEwma implements Balancer {
  private readonly healthy: ReadonlyNumbers;
  /** the Go router's `LatencyMs`, whole ms, 0 until measured. */
  readonly latencyMs: Float64Array;

  constructor(ctx: BalancerContext) {
    this.healthy = ctx.healthy;
    this.latencyMs = new Float64Array(ctx.weights.length);
  }

  peek(route?: Route, _now?: number): number {
    return argminUsable(this.healthy, this.latencyMs, route ? route.avoid : -1);
  }

  pick(route?: Route, now?: number): number {
    return this.peek(route, now);
  }

  started(_provider: number, _now: number): void {}

  finished(provider: number, _outcome: OutcomeCode, latencyMs: number, _now: number): void {
    if (provider < 0) return;
    this.latencyMs[provider] = latencyEmaUpdate(this.latencyMs[provider]!, latencyMs);
  }
}

export function latencyEwma(ctx: BalancerContext, _options: LatencyEwmaOptions): Balancer {
  return new LatencyEwma(ctx);
}
