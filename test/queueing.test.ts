import { describe, expect, it } from 'vitest';
import { simulate } from '../src/modes/simulate.js';
import { scenario } from './helpers/scenario.js';

/** Open Poisson arrivals into one provider with capacity 1 and exponential service: an M/M/1 queue. */
function mm1(lambdaPerS: number, requests: number, seed: number): number {
  const s = scenario(
    {
      seed,
      workload: { requests, concurrency: undefined, think: { dist: 'constant', value: 0 }, arrivals: { process: 'poisson', perMs: lambdaPerS / 1000 }, clients: 1 },
    },
    { latency: { dist: 'exponential', mean: 1000 }, capacity: 1 },
  );
  return simulate(s, 'mm1').result.metrics.phasesMs.providerQueue.mean!;
}

// Queueing theory: for M/M/1 the mean wait in queue is Wq = ρ / (μ − λ), with ρ = λ/μ.
describe('M/M/1 against queueing theory', () => {
  it('λ = 0.9/s, mean service 1 s: Wq = 9.0 s within 6%', () => {
    for (const seed of [1, 2]) expect(Math.abs(mm1(0.9, 1_000_000, seed) / 9000 - 1)).toBeLessThan(0.06);
  });

  it('λ = 0.5/s, mean service 1 s: Wq = 1.0 s within 3%', () => {
    for (const seed of [1, 2]) expect(Math.abs(mm1(0.5, 200_000, seed) / 1000 - 1)).toBeLessThan(0.03);
  });
});
