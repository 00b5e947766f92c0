import { NONE, type Balancer, type BalancerContext, type Route } from './balancer.js';

/** Options of `round-robin` (none). */
export type RoundRobinOptions = Record<string, never>;

/**
 * Healthy providers in list order, one after another: with all healthy, shares differ by at most
 * one over any prefix. An unhealthy provider is skipped, not counted.
 */
export class RoundRobin implements Balancer {
  private next = 0;
  private readonly n: number;
  constructor(private readonly ctx: BalancerContext) {
    this.n = ctx.weights.length;
  }
  peek(route?: Route): number {
    const healthy = this.ctx.healthy;
    const avoid = route ? route.avoid : -1;
    for (let i = 0, p = this.next; i < this.n; i++, p = p + 1 === this.n ? 0 : p + 1) if (healthy[p] && p !== avoid) return p;
    return NONE;
  }
  pick(route?: Route): number {
    const p = this.peek(route);
    if (p !== NONE) this.next = p + 1 === this.n ? 0 : p + 1;
    return p;
  }
  started(): void {}
  finished(): void {}
}

export function roundRobin(ctx: BalancerContext, _options: RoundRobinOptions): Balancer {
  return new RoundRobin(ctx);
}
