/** Outcome codes of one attempt, shared by balancers, the dispatcher and metrics. */
export const Outcome = {
  ok: 0,
  rateLimited: 1,
  serverError: 2,
  timeout: 3,
  connectFailed: 4,
  gaveUp: 5,
} as const;
export type OutcomeCode = (typeof Outcome)[keyof typeof Outcome];
export const outcomeNames = ['ok', 'rateLimited', 'serverError', 'timeout', 'connectFailed', 'gaveUp'] as const;

/** What a balancer sees of the request it routes. */
export interface Route {
  /** Client id carried by the request (for hashing). */
  client: number;
  /** Attempt number, 1-based. */
  attempt: number;
  /** Provider of the previous attempt, or -1. */
  previous: number;
}

/**
 * Picks a provider index. `peek` has no side effect; `pick` commits the choice.
 * `started`/`finished` keep whatever load or health state the algorithm needs.
 */
export interface Balancer {
  peek(route: Route, now: number): number;
  pick(route: Route, now: number): number;
  started(provider: number, now: number): void;
  finished(provider: number, outcome: OutcomeCode, latencyMs: number, now: number): void;
}

/** What every balancer factory receives: providers' weights and a seeded random source. */
export interface BalancerContext {
  weights: readonly number[];
  names: readonly string[];
  random: () => number;
}
