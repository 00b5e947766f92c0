/**
 * scenarios/trace-keys.yaml (issue 21): the same requests, at the trace's own timestamps and at its
 * mean rate, through 1…16 keys. The answers docs/studies/trace-keys.md states, computed from the
 * results, so a change that moves them fails here.
 */
import { describe, expect, it } from 'vitest';
import { checkGoal } from '../src/metrics/goal.js';
import { goalOf } from '../src/report/answer.js';
import { runPlan } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';

const results = runPlan(loadScenario('scenarios/trace-keys.yaml'));
const goal = goalOf(results);
const keysMeeting = (variant: string): number[] =>
  results.runs.filter((r) => checkGoal(goal, r.variants.find((v) => v.name === variant)!.metrics).met).map((r) => r.point!['keys.count'] as number);
const p99Wait = (keys: number, variant: string): number =>
  results.runs.find((r) => r.point!['keys.count'] === keys)!.variants.find((v) => v.name === variant)!.metrics.phasesMs.keyWait.p99!;

describe('trace-keys.yaml', () => {
  it('the two variants are the same requests with the same sizes', () => {
    const [trace, mean] = results.runs[0]!.variants.map((v) => v.metrics.offered!);
    expect(trace!.requests).toBe(5660);
    expect(mean!.requests).toBe(5660);
    expect(mean!.sizes).toEqual(trace!.sizes);
  });

  it('the trace needs 8 keys for a p99 key wait under 10 s; its mean rate would say 3', () => {
    expect(keysMeeting('trace')).toEqual([8, 10, 12, 16]);
    expect(keysMeeting('mean rate')).toEqual([3, 4, 6, 8, 10, 12, 16]);
  });

  it('what the mean hides: at 3 keys the mean rate waits for nothing at p99, the trace over 8 minutes', () => {
    expect(p99Wait(3, 'mean rate')).toBe(0);
    expect(p99Wait(3, 'trace')).toBeGreaterThan(8 * 60_000);
  });

  it('no 429s anywhere: the client paces each key to the provider\'s quota, so a burst becomes a wait', () => {
    for (const r of results.runs) for (const v of r.variants) expect(v.metrics.attemptOutcomes.rateLimited).toBe(0);
  });
});
