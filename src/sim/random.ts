import seedrandom from 'seedrandom';

/** A uniform source in [0, 1). */
export type Random = () => number;

/**
 * One independent stream per component, derived from the scenario seed and the component's name
 * (`workload`, `keys`, `provider:main`, …): adding a provider does not shift the arrivals.
 * Alea: seedrandom's fastest generator, good enough for simulation (not for secrets).
 */
export function stream(seed: number, component: string): Random {
  const rng = seedrandom.alea(`gatesim:${seed}:${component}`);
  return () => rng();
}

/** Uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}
