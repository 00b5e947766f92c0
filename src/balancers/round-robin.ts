import type { Balancer, BalancerContext } from './balancer.js';

/** Options of `round-robin` (none). */
export type RoundRobinOptions = Record<string, never>;

/** Providers in list order, one after another; shares differ by at most one over any prefix. */
export class RoundRobin implements Balancer {
  private next = 0;
  constructor(private readonly n: number) {}
  peek(): number {
    return this.next;
  }
  pick(): number {
    const p = this.next;
    this.next = p + 1 === this.n ? 0 : p + 1;
    return p;
  }
  started(): void {}
  finished(): void {}
}

export function roundRobin(ctx: BalancerContext, _options: RoundRobinOptions): Balancer {
  return new RoundRobin(ctx.weights.length);
}
