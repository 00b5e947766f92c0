import type { ReadonlyNumbers } from '../core/typed.js';
import { NONE, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { Outcome, type OutcomeCode } from '../core/outcome.js';

/** Options of `smooth-weighted`. */
export interface SmoothWeightedOptions {
  /**
   * nginx's `max_fails`: each failed attempt lowers the provider's effective weight by
   * `weight / maxFails` (integer division, as nginx). 0 turns the lowering off. Default 1.
   */
  maxFails?: number;
}

/**
 * nginx's smooth weighted round robin (`ngx_http_upstream_get_peer` and
 * `ngx_http_upstream_free_round_robin_peer` in `ngx_http_upstream_round_robin.c`).
 *
 * Each pick, for every healthy provider in list order: `current += effective`,
 * `total += effective`, then `effective += 1` if it is below `weight` (the recovery happens after
 * the weight was counted, as in nginx); the best is the highest `current`, the EARLIER provider on
 * ties (nginx's strict `>`). Then `best.current -= total`. Unhealthy providers are skipped and keep
 * their `current`. With weights a=5, b=1, c=1 this gives a a b a c a a and repeats; over every
 * cycle of sum(weights) picks each provider is picked exactly its weight times, spread out.
 *
 * The Rust balancer notes (seed 003) pick with `max_by_key`, which returns the LAST maximum on ties
 * (Rust's `Iterator::max_by_key` documentation), so its sequence differs from nginx's: with a=1,
 * b=1 it starts b, a where nginx starts a, b.
 *
 * Failure: an attempt that ends in `serverError`, `timeout` or `connectFailed` lowers `effective`
 * by `trunc(weight / maxFails)`, floored at 0; so with weight 1 and maxFails 3 it never drops,
 * exactly as nginx. nginx counts connection errors and timeouts, and 5xx answers when
 * `proxy_next_upstream` lists them; a gateway that retries 5xx is that configured case.
 * `rateLimited` is not a provider failure: a 429 is the key's quota and the provider did answer
 * (nginx counts `http_429` only when listed too). nginx's other failure rule, skipping a peer for
 * `fail_timeout` after `max_fails` failures, is passive health's job, not this file's. The Rust
 * notes' Rust never changes `effective_weight`. Weights may be fractional (nginx's are
 * integers); recovery then stops at the weight instead of passing it.
 *
 * O(n) per pick, no allocation.
 */
export class SmoothWeighted implements Balancer {
  private readonly weight: Float64Array;
  private readonly effective: Float64Array;
  private readonly current: Float64Array;
  private readonly drop: Float64Array;
  private readonly healthy: ReadonlyNumbers;
  private readonly n: number;

  constructor(ctx: BalancerContext, maxFails: number) {
    this.n = ctx.weights.length;
    this.weight = Float64Array.from(ctx.weights);
    this.effective = Float64Array.from(ctx.weights);
    this.current = new Float64Array(this.n);
    this.drop = this.weight.map((w) => (maxFails > 0 ? Math.trunc(w / maxFails) : 0));
    this.healthy = ctx.healthy;
  }

  /** The provider `pick` would choose: the highest `current + effective`, earlier on ties. */
  peek(route?: Route, _now?: number): number {
    const { current, effective, healthy, n } = this;
    const avoid = route ? route.avoid : -1;
    let best = NONE;
    let bestWeight = -Infinity;
    for (let i = 0; i < n; i++) {
      if (!healthy[i] || i === avoid) continue;
      const c = current[i]! + effective[i]!;
      if (c > bestWeight) {
        best = i;
        bestWeight = c;
      }
    }
    return best;
  }

  pick(route?: Route, _now?: number): number {
    const { current, effective, weight, healthy, n } = this;
    const avoid = route ? route.avoid : -1;
    let best = NONE;
    let bestWeight = -Infinity;
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!healthy[i] || i === avoid) continue;
      const e = effective[i]!;
      const c = current[i]! + e;
      current[i] = c;
      total += e;
      if (e < weight[i]!) effective[i] = Math.min(e + 1, weight[i]!);
      if (c > bestWeight) {
        best = i;
        bestWeight = c;
      }
    }
    if (best !== NONE) current[best] = bestWeight - total;
    return best;
  }

  started(_provider: number, _now: number): void {}

  finished(provider: number, outcome: OutcomeCode, _latencyMs: number, _now: number): void {
    if (provider < 0) return;
    if (outcome === Outcome.serverError || outcome === Outcome.timeout || outcome === Outcome.connectFailed) {
      const e = this.effective[provider]! - this.drop[provider]!;
      this.effective[provider] = e < 0 ? 0 : e;
    }
  }

  /** Current and effective weights (for tests and reports). */
  state(provider: number): { current: number; effective: number } {
    return { current: this.current[provider]!, effective: this.effective[provider]! };
  }
}

export function smoothWeighted(ctx: BalancerContext, options: SmoothWeightedOptions): Balancer {
  return new SmoothWeighted(ctx, options.maxFails ?? 1);
}
