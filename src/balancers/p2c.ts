import type { ReadonlyNumbers } from '../core/typed.js';
import { NONE, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { type OutcomeCode } from '../core/outcome.js';

/** Options of `p2c`. */
export interface P2cOptions {
  /** Envoy's `choice_count`: how many providers are drawn (with replacement). Default 2. */
  choices?: number;
}

/**
 * Power of two choices, as Envoy's LEAST_REQUEST load balancer with equal weights: draw
 * `choices` (default 2) healthy providers uniformly at random WITH replacement and take the one
 * with the fewest attempts in flight; on a tie the one drawn first wins (Envoy replaces its
 * candidate only on strictly fewer active requests). So with two providers the busier one is
 * chosen only when both draws fall on it: 1/4 of the time. Weights are ignored (Envoy switches to
 * a weighted scheduler when weights differ; not modelled).
 *
 * The uniforms of the next pick are drawn when the previous pick commits (and at construction),
 * so `peek` sees the numbers `pick` will use and has no side effect. O(n) per pick (the healthy
 * list is rebuilt each time, since health may flip between picks), no allocation.
 */
export class P2c implements Balancer {
  private readonly healthy: ReadonlyNumbers;
  private readonly inFlight: ReadonlyNumbers;
  private readonly random: () => number;
  private readonly list: Int32Array;
  private readonly u: Float64Array;

  constructor(ctx: BalancerContext, choices: number) {
    this.healthy = ctx.healthy;
    this.inFlight = ctx.inFlight;
    this.random = ctx.random;
    this.list = new Int32Array(ctx.weights.length);
    this.u = new Float64Array(choices);
    for (let c = 0; c < choices; c++) this.u[c] = ctx.random();
  }

  peek(route?: Route, _now?: number): number {
    const { healthy, inFlight, list, u } = this;
    const avoid = route ? route.avoid : -1;
    const n = list.length;
    let k = 0;
    for (let i = 0; i < n; i++) if (healthy[i] && i !== avoid) list[k++] = i;
    if (k === 0) return NONE;
    let best = list[Math.floor(u[0]! * k)]!;
    for (let c = 1; c < u.length; c++) {
      const p = list[Math.floor(u[c]! * k)]!;
      if (inFlight[p]! < inFlight[best]!) best = p;
    }
    return best;
  }

  pick(route?: Route, now?: number): number {
    const p = this.peek(route, now);
    if (p !== NONE) for (let c = 0; c < this.u.length; c++) this.u[c] = this.random();
    return p;
  }

  started(_provider: number, _now: number): void {}
  finished(_provider: number, _outcome: OutcomeCode, _latencyMs: number, _now: number): void {}
}

export function p2c(ctx: BalancerContext, options: P2cOptions): Balancer {
  return new P2c(ctx, options.choices ?? 2);
}
