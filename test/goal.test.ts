import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GOAL, GOAL_METRICS, GoalError, checkGoal, describeCheck, describeGoal, objectives, parseGoal, shortfall, type Goal,
} from '../src/metrics/goal.js';
import { variant } from './helpers/results.js';
import { parseScenario } from '../src/scenario/load.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { runPlan } from '../src/run.js';
import { validateResults } from '../src/metrics/validate.js';

describe('parseGoal', () => {
  it('reads an objective and constraints with units into canonical numbers', () => {
    expect(parseGoal('maximise goodput subject to 429s = 0, p99 TTFT <= 2s, success >= 99%')).toEqual({
      maximise: 'goodput',
      constraints: [
        { metric: 'rateLimited', op: '=', value: 0 },
        { metric: 'ttftP99', op: '<=', value: 2000 },
        { metric: 'successRate', op: '>=', value: 0.99 },
      ],
    });
  });

  it('accepts other spellings: maximize, ≤/≥, ";" and "and", names in any case or form, rates and shares', () => {
    expect(parseGoal('Maximize throughput: latencyP99 ≤ 1.5s; rate_limited <= 0.5% and throughput >= 120/min and gave up = 0')).toEqual({
      maximise: 'throughput',
      constraints: [
        { metric: 'latencyP99', op: '<=', value: 1500 },
        { metric: 'rateLimited', op: '<=', value: 0.005 },
        { metric: 'throughput', op: '>=', value: 2 },
        { metric: 'gaveUp', op: '=', value: 0 },
      ],
    });
    expect(parseGoal('maximise tokens/s')).toEqual({ maximise: 'tokensPerS', constraints: [] });
    expect(parseGoal('maximise success with quota violations < 1')).toEqual({ maximise: 'successRate', constraints: [{ metric: 'quotaViolations', op: '<', value: 1 }] });
    expect(parseGoal('request too large = 0').constraints).toEqual([{ metric: 'tooLarge', op: '=', value: 0 }]);
  });

  it('without "maximise" the objective is goodput and the text is the whole goal', () => {
    expect(parseGoal('p99 latency <= 500ms')).toEqual({ maximise: 'goodput', constraints: [{ metric: 'latencyP99', op: '<=', value: 500 }] });
    expect(parseGoal('')).toEqual({ maximise: 'goodput', constraints: [] });
  });

  it.each([
    ['maximise speed', /goal: expected an objective after maximise \(one of goodput \| throughput \| tokensPerS \| successRate\), got "speed"/],
    ['maximise p99 latency', /expected an objective after maximise/],
    ['maximise', /expected an objective after maximise/],
    ['429s = 0, p99 latnecy <= 2s', /goal: constraint 2: unknown metric "p99 latnecy"; expected one of goodput \| /],
    ['p99 latency <= 2', /goal: constraint 1 \(latencyP99\): expected a duration such as 2s or 500ms, got "2"/],
    ['429s <= 5', /goal: constraint 1 \(rateLimited\): expected a share such as 0, 1% or 0.01 \(at most 100%\), got "5"/],
    ['success >= 120%', /expected a share/],
    ['gave up <= 1.5', /expected a whole number/],
    ['throughput >= fast', /expected a rate such as 2\/s/],
    ['429s', /goal: constraint 1: expected METRIC OP VALUE/],
    ['429s =', /goal: constraint 1 \(rateLimited\): expected a value after =/],
    ['p99 latency <= 9000h', /expected a duration of at most 8760h/],
  ])('%j is refused in one line', (text, message) => {
    let error: unknown;
    try {
      parseGoal(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GoalError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('holds its bounds at the edge: 20 constraints and 1,000 characters load, one more is refused', () => {
    expect(parseGoal(Array.from({ length: 20 }, () => '429s = 0').join(', ')).constraints).toHaveLength(20);
    expect(() => parseGoal(Array.from({ length: 21 }, () => '429s = 0').join(', '))).toThrow(/at most 20 constraints, got 21/);
    const pad = (n: number): string => `maximise goodput subject to 429s = 0${' '.repeat(n - 36)}`;
    expect(pad(1000)).toHaveLength(1000);
    expect(parseGoal(pad(1000)).constraints).toHaveLength(1);
    expect(() => parseGoal(pad(1001))).toThrow(/^goal: expected at most 1000 characters, got 1001$/);
    expect(parseGoal('p99 latency <= 8760h').constraints[0]!.value).toBe(365 * 24 * 3_600_000);
    expect(parseGoal('throughput >= 1000000/s').constraints[0]!.value).toBe(1_000_000);
    expect(() => parseGoal('throughput >= 1000001/s')).toThrow(/at most 1000000\/s/);
  });

  it('reads back what describeGoal writes', () => {
    const ops = ['<=', '>=', '<', '>', '='] as const;
    const constraint = fc.constantFrom(...GOAL_METRICS).chain((m) =>
      fc.record({
        metric: fc.constant(m.key),
        op: fc.constantFrom(...ops),
        value:
          m.unit === 'fraction' ? fc.integer({ min: 0, max: 1000 }).map((v) => v / 1000)
          : m.unit === 'ms' ? fc.integer({ min: 0, max: 100_000 })
          : m.unit === 'perS' ? fc.integer({ min: 0, max: 100_000 }).map((v) => v / 100)
          : fc.integer({ min: 0, max: 1000 }),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...objectives), fc.array(constraint, { maxLength: 5 }), (maximise, constraints) => {
        const goal: Goal = { maximise, constraints };
        const back = parseGoal(describeGoal(goal));
        expect(back.maximise).toBe(maximise);
        expect(back.constraints.map((c) => [c.metric, c.op])).toEqual(constraints.map((c) => [c.metric, c.op]));
        back.constraints.forEach((c, i) => expect(c.value).toBeCloseTo(constraints[i]!.value, 9));
      }),
    );
  });
});

describe('describeGoal', () => {
  it('writes the default goal with units', () => {
    expect(describeGoal(DEFAULT_GOAL)).toBe('maximise goodput subject to 429s = 0%, quota violations = 0');
    expect(describeGoal(parseGoal('maximise throughput subject to p99 ttft <= 2000ms, keyWaitP99 < 250ms, throughput >= 0.5'))).toBe(
      'maximise throughput subject to p99 TTFT ≤ 2s, p99 key wait < 250ms, throughput ≥ 0.5/s',
    );
  });
});

describe('checkGoal', () => {
  it('meets a goal whose constraints all hold, with the objective as its value', () => {
    const v = variant('a', { ok: 4 }); // 4 attempts, none 429; throughput 2/s; p99 latency 2 s
    v.metrics.quotaViolations = 0;
    expect(checkGoal(DEFAULT_GOAL, v.metrics)).toEqual({ met: true, value: 2, failed: [] });
    expect(checkGoal(parseGoal('maximise success subject to p99 latency <= 2s'), v.metrics)).toEqual({ met: true, value: 1, failed: [] });
  });

  it('names each constraint missed and by how much, in its unit', () => {
    const v = variant('b', { ok: 3, rateLimited: 1 }); // 1 of 4 attempts 429: 25%
    v.metrics.quotaViolations = 2;
    const check = checkGoal(parseGoal('429s = 0, quota violations = 0, p99 latency < 2s, success >= 80%, latency p50 <= 1s'), v.metrics);
    expect(check.met).toBe(false);
    expect(check.failed).toEqual([
      { constraint: { metric: 'rateLimited', op: '=', value: 0 }, actual: 0.25, by: 0.25 },
      { constraint: { metric: 'quotaViolations', op: '=', value: 0 }, actual: 2, by: 2 },
      // p99 is exactly 2 s: a strict bound on it is missed (off by 0).
      { constraint: { metric: 'latencyP99', op: '<', value: 2000 }, actual: 2000, by: 0 },
      { constraint: { metric: 'successRate', op: '>=', value: 0.8 }, actual: 0.75, by: expect.closeTo(0.05, 9) },
    ]);
    expect(describeCheck(check)).toMatch(/^not met: 429s 25% \(goal = 0%, off by 25 pp\); quota violations 2 \(goal = 0, off by 2\); p99 latency 2s/);
  });

  it('a constraint on something not measured is not met', () => {
    const v = variant('c', { ok: 4 });
    delete v.metrics.quotaViolations; // results from before quota violations were measured
    const check = checkGoal(parseGoal('p99 ttft <= 2s, quota violations = 0'), v.metrics);
    expect(check.failed.map((f) => [f.constraint.metric, f.actual, f.by])).toEqual([['ttftP99', null, null], ['quotaViolations', null, null]]);
    expect(describeCheck(check)).toBe('not met: p99 TTFT not measured (goal ≤ 2s); quota violations not measured (goal = 0)');
    expect(checkGoal(parseGoal('maximise tokens/s'), v.metrics).value).toBeNull();
  });

  it('shortfall orders misses: a larger share of 429s is further from the goal', () => {
    const few = variant('few', { ok: 9, rateLimited: 1 });
    const many = variant('many', { ok: 5, rateLimited: 5 });
    for (const v of [few, many]) v.metrics.quotaViolations = 0;
    const sf = (v: typeof few) => shortfall(checkGoal(DEFAULT_GOAL, v.metrics), v.metrics);
    expect(sf(few)).toBeCloseTo(0.1, 9);
    expect(sf(many)).toBeCloseTo(0.5, 9);
  });
});

describe('goal: and slo: in a scenario', () => {
  const head = 'name: g\nproviders: [{ name: p, latency: { dist: constant, value: 100ms } }]\n';
  const errorsOf = (text: string): string[] => {
    try {
      parseScenario(text, 's.yaml');
    } catch (e) {
      if (e instanceof ScenarioError) return e.lines;
      throw e;
    }
    throw new Error('expected a ScenarioError');
  };

  it('reads the goal as text or as { maximise, constraints }, and the SLOs in ms', () => {
    const plan = parseScenario(`${head}goal: maximise throughput subject to p99 latency <= 2s\nslo: { latency: 1.5s, ttft: 300ms }\nworkload: { tokens: { prompt: 10, output: 5 } }\n`, 's.yaml');
    expect(plan.goal).toEqual({ maximise: 'throughput', constraints: [{ metric: 'latencyP99', op: '<=', value: 2000 }] });
    expect(plan.runs[0]!.variants[0]!.scenario.slo).toEqual({ latencyMs: 1500, ttftMs: 300 });
    const obj = parseScenario(`${head}goal:\n  maximise: success\n  constraints: ["429s = 0", "gave up = 0"]\n`, 's.yaml');
    expect(obj.goal).toEqual({ maximise: 'successRate', constraints: [{ metric: 'rateLimited', op: '=', value: 0 }, { metric: 'gaveUp', op: '=', value: 0 }] });
    // No goal: the plan carries none (the default applies when results are made).
    expect(parseScenario(head, 's.yaml').goal).toBeUndefined();
  });

  it('a bad goal or SLO is one line naming the file, line, column and field', () => {
    expect(errorsOf(`${head}goal: maximise goodput subject to p99 latency <= 2\n`)).toEqual([
      's.yaml:3:7: goal: constraint 1 (latencyP99): expected a duration such as 2s or 500ms, got "2"',
    ]);
    expect(errorsOf(`${head}goal:\n  maximise: speed\n`)).toEqual([
      's.yaml:4:13: goal.maximise: expected an objective (one of goodput | throughput | tokensPerS | successRate), got "speed"',
    ]);
    expect(errorsOf(`${head}goal:\n  constraints: ["429s = 0", "p99 latnecy <= 2s"]\n`)[0]).toMatch(/^s\.yaml:4:29: goal\.constraints\.1: unknown metric "p99 latnecy"; expected one of goodput/);
    expect(errorsOf(`${head}slo: { latency: 0 }\n`)).toEqual(['s.yaml:3:17: slo.latency: expected a positive duration such as 2s or 300ms, got 0']);
    expect(errorsOf(`${head}slo: { ttft: 2s }\n`)).toEqual(['s.yaml:3:14: slo.ttft: an SLO on time to first token needs workload.tokens or workload.dataset (requests have no size without them)']);
    expect(errorsOf(`${head}slo: { latency: 2s, p99: 1s }\n`)[0]).toMatch(/^s\.yaml:3:21: slo\.p99: unknown field "p99"/);
  });

  it('records the goal used and each variant\'s check in results.json, which validates', () => {
    const plan = parseScenario(`${head}goal: maximise goodput subject to p99 latency <= 150ms\nworkload: { requests: 20, concurrency: 2 }\nvariants:\n  - { name: fast }\n  - { name: slow, providers: [{ name: p, latency: { dist: constant, value: 200ms } }] }\n`, 's.yaml');
    const results = runPlan(plan);
    expect(results.goal).toEqual({ text: 'maximise goodput subject to p99 latency ≤ 150ms', maximise: 'goodput', constraints: [{ metric: 'latencyP99', op: '<=', value: 150 }] });
    const [fast, slow] = results.runs[0]!.variants;
    expect(fast!.goal).toEqual({ met: true, value: fast!.metrics.goodputPerS, failed: [] });
    expect(slow!.goal).toEqual({ met: false, value: slow!.metrics.goodputPerS, failed: [{ constraint: { metric: 'latencyP99', op: '<=', value: 150 }, actual: 200, by: 50 }] });
    expect(validateResults(JSON.parse(JSON.stringify(results)))).toBeNull();
    // The default goal when the file names none.
    expect(runPlan(parseScenario(head, 's.yaml')).goal?.text).toBe('maximise goodput subject to 429s = 0%, quota violations = 0');
  });
});
