import type { ReadonlyNumbers } from '../core/typed.js';
import type { OutcomeCode } from '../core/outcome.js';

/** What a balancer sees of the request it routes. */
export interface Route {
  /** Client id carried by the request (for hashing). */
  client: number;
  /** Attempt number, 1-based. */
  attempt: number;
  /** Provider of the previous attempt, or -1. */
  previous: number;
  /**
   * A provider to pass over as if it were unhealthy (a retry's fallback away from the provider
   * that just failed it), or -1. The caller asks again without it when it leaves none.
   */
  avoid: number;
}

/** May provider `p` take this attempt: healthy, and not the one to avoid? */
export const usable = (healthy: ReadonlyNumbers, p: number, avoid: number): boolean => healthy[p] === 1 && p !== avoid;

/**
 * The usable provider with the lowest `value` (ties: the earlier in list order), or NONE: the
 * rule of least-connections, latency-ewma and availability, which differ only in what they count.
 */
export function argminUsable(healthy: ReadonlyNumbers, value: ReadonlyNumbers, avoid: number): number {
  let best = NONE;
  let least = Infinity;
  for (let i = 0; i < value.length; i++) {
    if (healthy[i] && i !== avoid && value[i]! < least) {
      best = i;
      least = value[i]!;
    }
  }
  return best;
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
 * What every balancer factory receives. The two arrays are read-only views of state others own and
 * keep up to date: `healthy[p]` is 1 while provider p may be picked (the health monitor writes it),
 * `inFlight[p]` counts its attempts in flight (the dispatcher writes it). A balancer only reads them.
 */
export interface BalancerContext {
  weights: readonly number[];
  names: readonly string[];
  random: () => number;
  healthy: ReadonlyNumbers;
  inFlight: ReadonlyNumbers;
}

/** A context whose arrays the holder owns and writes (tests and benchmarks play the health monitor and dispatcher). */
export type OwnedBalancerContext = BalancerContext & { healthy: Uint8Array; inFlight: Float64Array };

/** Builds a context with every provider healthy and idle (for tests and benchmarks, which own and write its arrays). */
export function context(weights: readonly number[], random: () => number, names?: readonly string[]): OwnedBalancerContext {
  return {
    weights,
    names: names ?? weights.map((_, i) => `p${i}`),
    random,
    healthy: new Uint8Array(weights.length).fill(1),
    inFlight: new Float64Array(weights.length),
  };
}
