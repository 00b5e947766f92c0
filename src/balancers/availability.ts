import type { ReadonlyNumbers } from '../core/typed.js';
import { argminUsable, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { failureRateUpdate } from './ewma.js';

/** Options of `availability` (none). */
export type AvailabilityOptions = Record<string, never>;

/**
 * The `002_*` router's `selectByAvailability`: the healthy provider with the lowest failure-rate
 * average, where every finished attempt updates it with `failureRateUpdate` (success = outcome
 * `ok`; anything else, a 429 included, is a failure, as the Go router's `success bool`). the Go router's "unavailable
 * above 0.5" is passive health's rule, not this file's.
 *
 * Ties go to the earlier provider in list order (strict `<`, as the Go router; the Go router iterates a Go map, whose
 * order is random). With every rate at 0, as at the start, that is always the first healthy
 * provider. O(n) per pick, no allocation.
 */
export class Availability implements Balancer {
  private readonly healthy: ReadonlyNumbers;
  /** the Go router's `FailureRate` in [0, 1]. */
  readonly failureRate: Float64Array;

  constructor(ctx: BalancerContext) {
    this.healthy = ctx.healthy;
    this.failureRate = new Float64Array(ctx.weights.length);
  }

  peek(route?: Route, _now?: number): number {
    return argminUsable(this.healthy, this.failureRate, route ? route.avoid : -1);
  }

  pick(route?: Route, now?: number): number {
    return this.peek(route, now);
  }

  started(_provider: number, _now: number): void {}

  finished(provider: number, outcome: OutcomeCode, _latencyMs: number, _now: number): void {
    if (provider < 0) return;
    this.failureRate[provider] = failureRateUpdate(this.failureRate[provider]!, outcome === Outcome.ok);
  }
}

export function availability(ctx: BalancerContext, _options: AvailabilityOptions): Balancer {
  return new Availability(ctx);
}
