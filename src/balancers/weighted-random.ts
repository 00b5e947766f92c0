import type { ReadonlyNumbers } from '../core/typed.js';
import { NONE, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { type OutcomeCode } from '../core/outcome.js';

/** Options of `weighted-random` (none: the weights are the providers' `weight`). */
export type WeightedRandomOptions = Record<string, never>;

/**
 * A healthy provider at random, in proportion to its weight: the `002_*` router's `selectByWeight`.
 * `r = random() * total` over the healthy weights, then the first provider, in list order, with
 * `r <= cumulative`; if rounding leaves none, the first healthy one (the Go router returns `candidates[0]`).
 * The Go router itself sets every weight to 1.0, so there it is a uniform choice. O(n) per pick.
 *
 * The uniform of the next pick is drawn when the previous pick commits (and one at construction),
 * so `peek` sees the same number `pick` will use and has no side effect, not even on the stream.
 */
export class WeightedRandom implements Balancer {
  private readonly weights: Float64Array;
  private readonly healthy: ReadonlyNumbers;
  private readonly random: () => number;
  private u: number;

  constructor(ctx: BalancerContext) {
    this.weights = Float64Array.from(ctx.weights);
    this.healthy = ctx.healthy;
    this.random = ctx.random;
    this.u = ctx.random();
  }

  peek(route?: Route, _now?: number): number {
    const w = this.weights;
    const healthy = this.healthy;
    const avoid = route ? route.avoid : -1;
    const n = w.length;
    let total = 0;
    let first = NONE;
    for (let i = 0; i < n; i++) {
      if (healthy[i] && i !== avoid) {
        total += w[i]!;
        if (first === NONE) first = i;
      }
    }
    if (first === NONE) return NONE;
    const r = this.u * total;
    let cumulative = 0;
    for (let i = first; i < n; i++) {
      if (healthy[i] && i !== avoid) {
        cumulative += w[i]!;
        if (r <= cumulative) return i;
      }
    }
    return first;
  }

  pick(route?: Route, now?: number): number {
    const p = this.peek(route, now);
    if (p !== NONE) this.u = this.random();
    return p;
  }

  started(_provider: number, _now: number): void {}
  finished(_provider: number, _outcome: OutcomeCode, _latencyMs: number, _now: number): void {}
}

export function weightedRandom(ctx: BalancerContext, _options: WeightedRandomOptions): Balancer {
  return new WeightedRandom(ctx);
}
