import type { ReadonlyNumbers } from '../core/typed.js';
import { argminUsable, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { type OutcomeCode } from '../core/outcome.js';

/** Options of `least-connections` (none). */
export type LeastConnectionsOptions = Record<string, never>;

/**
 * The healthy provider with the fewest attempts in flight; ties go to the earlier one in list
 * order. That is Rust's `min_by_key`, which returns the FIRST minimum, as the Rust balancers (seeds 000 and 003)
 * use it. Weights are ignored (nginx's `least_conn` divides by weight; the Rust balancers do
 * not). The in-flight counts are the caller's shared `inFlight`. O(n) per pick, no state of its own.
 */
export class LeastConnections implements Balancer {
  private readonly healthy: ReadonlyNumbers;
  private readonly inFlight: ReadonlyNumbers;
  private readonly n: number;

  constructor(ctx: BalancerContext) {
    this.healthy = ctx.healthy;
    this.inFlight = ctx.inFlight;
    this.n = ctx.weights.length;
  }

  peek(route?: Route, _now?: number): number {
    return argminUsable(this.healthy, this.inFlight, route ? route.avoid : -1);
  }

  pick(route?: Route, now?: number): number {
    return this.peek(route, now);
  }

  started(_provider: number, _now: number): void {}
  finished(_provider: number, _outcome: OutcomeCode, _latencyMs: number, _now: number): void {}
}

export function leastConnections(ctx: BalancerContext, _options: LeastConnectionsOptions): Balancer {
  return new LeastConnections(ctx);
}
