import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../src/scenario/errors.js';
import { parseScenario } from '../src/scenario/load.js';

const BASE = `name: r
workload: { requests: 50, arrivals: { rate: 10/s } }
keys: { count: 2, limit: 30/min }
providers: [{ name: p, latency: 100ms }]
`;

const scenarioWith = (sets: string[], text = BASE) => parseScenario(text, 'r.yaml', { sets }).runs[0]!.variants[0]!.scenario;

function problem(sets: string[]): string {
  try {
    scenarioWith(sets);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines.join('\n');
    throw e;
  }
  return '';
}

describe('a field that takes a rate takes one from --set', () => {
  it('accepts 2, 2/s and 120/min for an arrival rate, all the same rate', () => {
    for (const v of ['2', '2/s', '120/min', '2.0']) expect(scenarioWith([`workload.arrivals.rate=${v}`]).workload.arrivals!.perMs).toBeCloseTo(0.002, 12);
    expect(scenarioWith(['workload.arrivals.rate=0.25']).workload.arrivals!.perMs).toBeCloseTo(0.00025, 12);
  });

  it('a bare number is per second in a limit too, and in the file itself', () => {
    expect(scenarioWith(['keys.limit=5']).keys.limit).toEqual({ count: 5, windowMs: 1000 });
    const file = BASE.replace('rate: 10/s', 'rate: 4');
    expect(parseScenario(file, 'r.yaml').runs[0]!.variants[0]!.scenario.workload.arrivals!.perMs).toBeCloseTo(0.004, 12);
  });

  it('refuses what is not a rate with one line naming the --set', () => {
    expect(problem(['workload.arrivals.rate=0'])).toBe('--set workload.arrivals.rate=0: expected a rate such as 3/min, 10/s, 5/10s or 2 (per second), got 0');
    expect(problem(['workload.arrivals.rate=-2'])).toMatch(/^--set workload\.arrivals\.rate=-2: expected a rate/);
    expect(problem(['workload.arrivals.rate=1e-9'])).toMatch(/expected a rate from 1\/8760h/);
    expect(problem(['workload.arrivals.rate=1e30'])).toMatch(/^--set workload\.arrivals\.rate=1e30: expected a rate/);
    // A limit's count stays whole: 2.5 a second is not 5 every 2 seconds.
    expect(problem(['keys.limit=2.5'])).toMatch(/whole positive count/);
  });
});
