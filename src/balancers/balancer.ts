import type { OutcomeCode } from '../core/outcome.js';

/** What a balancer sees of the request it routes. */
export interface Route {
  /** Client id carried by the request (for hashing). */
  client: number;
  /** Attempt number, 1-based. */
  attempt: number;
  /** Provider of the previous attempt, or -1. */
  previous: number;
}

/** No provider can take the request (all unhealthy). */
export const NONE = -1;

/**
 * Picks a provider index among the healthy ones, or NONE when none is healthy. `peek` has no
 * side effect; `pick` commits the choice. `started`/`finished` keep whatever load or latency
 * state the algorithm needs (in-flight counts are shared in the context and kept by the caller).
 */
export interface Balancer {
  peek(route: Route, now: number): number;
  pick(route: Route, now: number): number;
  started(provider: number, now: number): void;
  finished(provider: number, outcome: OutcomeCode, latencyMs: number, now: number): void;
}

/**
 * What every balancer factory receives. The arrays are shared and kept up to date by the caller:
 * `healthy[p]` is 1 while provider p may be picked, `inFlight[p]` counts its attempts in flight.
 */
export interface BalancerContext {
  weights: readonly number[];
  names: readonly string[];
  random: () => number;
  healthy: Uint8Array;
  inFlight: Float64Array;
}

/** Builds a context with every provider healthy and idle (for tests and benchmarks). */
export function context(weights: readonly number[], random: () => number, names?: readonly string[]): BalancerContext {
  return {
    weights,
    names: names ?? weights.map((_, i) => `p${i}`),
    random,
    healthy: new Uint8Array(weights.length).fill(1),
    inFlight: new Float64Array(weights.length),
  };
}
