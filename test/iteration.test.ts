import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IterationEngine, type IterationServing, type StepHost, type StepStats } from '../src/providers/iteration.js';
import { ReferenceEngine } from './helpers/iteration-reference.js';
import { Engine } from '../src/sim/engine.js';
import { parseScenario } from '../src/scenario/load.js';
import { simulate } from '../src/modes/simulate.js';

interface Req {
  at: number;
  prompt: number;
  output: number;
}

type EngineClass = new (cfg: IterationServing, clock: Engine, host: StepHost) => { stats: StepStats; running: number; queued: number; enqueue(job: number, prompt: number, output: number): void };

/** Runs `reqs` (arrivals at `at`) through one engine; what the host heard, in order. */
function run(cfg: IterationServing, reqs: Req[], dead: (job: number) => boolean = () => false, Kind: EngineClass = IterationEngine) {
  const clock = new Engine();
  const admitted: number[] = [];
  const firsts: number[] = [];
  const firstAt = new Map<number, number>();
  const finishedAt = new Map<number, number>();
  const finishCount = new Map<number, number>();
  let reserved = 0;
  let running = 0;
  let kvOver = 0;
  // eslint-disable-next-line prefer-const
  let engine: InstanceType<EngineClass>;
  const host: StepHost = {
    admit: (j) => {
      if (dead(j)) return false;
      admitted.push(j);
      reserved += reqs[j]!.prompt + reqs[j]!.output;
      running++;
      // The host hears of an end when the frontend has passed the last token, after the engine freed
      // its slot: with a frontend, the engine's own count is what the limits bind.
      if (!cfg.frontend && running > 1 && reserved > cfg.maxKvTokens) kvOver++;
      if (engine.running >= cfg.maxSequences) kvOver++;
      return true;
    },
    first: (j) => {
      firsts.push(j);
      firstAt.set(j, clock.now());
    },
    finished: (j) => {
      finishedAt.set(j, clock.now());
      finishCount.set(j, (finishCount.get(j) ?? 0) + 1);
      reserved -= reqs[j]!.prompt + reqs[j]!.output;
      running--;
    },
  };
  engine = new Kind(cfg, clock, host);
  const kArrive = clock.on((j) => engine.enqueue(j, reqs[j]!.prompt, reqs[j]!.output));
  reqs.forEach((r, j) => clock.at(r.at, kArrive, j));
  clock.run();
  return { engine, admitted, firsts, firstAt, finishedAt, finishCount, kvOver };
}

/** One request alone: the time to its first token and the mean gap between its tokens (ms). */
function alone(cfg: IterationServing, prompt: number, output: number): { first: number; gap: number } {
  const { firstAt, finishedAt } = run(cfg, [{ at: 0, prompt, output }]);
  return { first: firstAt.get(0)!, gap: (finishedAt.get(0)! - firstAt.get(0)!) / (output - 1) };
}

const config = fc.record({
  base: fc.double({ min: 0.5, max: 50, noNaN: true }),
  perPrefillToken: fc.double({ min: 0, max: 0.1, noNaN: true }),
  perDecodeSequence: fc.double({ min: 0, max: 2, noNaN: true }),
  perKvToken: fc.double({ min: 0, max: 0.001, noNaN: true }),
  maxSequences: fc.integer({ min: 1, max: 16 }),
  extra: fc.integer({ min: 0, max: 600 }),
  maxKvTokens: fc.option(fc.integer({ min: 50, max: 3000 }), { nil: undefined }),
  // The newer terms, each absent about half the time (a scenario without them must run as before).
  perDecodeSequence2: fc.option(fc.double({ min: 0, max: 0.5, noNaN: true }), { nil: undefined }),
  perBatchedToken: fc.option(fc.double({ min: 0, max: 0.2, noNaN: true }), { nil: undefined }),
  frontend: fc.option(fc.record({
    perRequest: fc.double({ min: 0, max: 20, noNaN: true }),
    perPromptToken: fc.double({ min: 0, max: 0.05, noNaN: true }),
    perOutputToken: fc.double({ min: 0, max: 3, noNaN: true }),
  }), { nil: undefined }),
}).map((c): IterationServing => ({
  model: 'iteration',
  step: {
    base: c.base, perPrefillToken: c.perPrefillToken, perDecodeSequence: c.perDecodeSequence, perKvToken: c.perKvToken,
    ...(c.perDecodeSequence2 !== undefined ? { perDecodeSequence2: c.perDecodeSequence2 } : {}),
    ...(c.perBatchedToken !== undefined ? { perBatchedToken: c.perBatchedToken } : {}),
  },
  maxSequences: c.maxSequences,
  maxBatchedTokens: c.maxSequences + c.extra,
  maxKvTokens: c.maxKvTokens ?? Infinity,
  ...(c.frontend ? { frontend: c.frontend } : {}),
}));
const requests = fc.array(fc.record({ at: fc.integer({ min: 0, max: 2_000 }), prompt: fc.integer({ min: 0, max: 700 }), output: fc.integer({ min: 0, max: 60 }) }), { minLength: 1, maxLength: 40 })
  .map((rs) => rs.sort((a, b) => a.at - b.at));

describe('the iteration serving model', () => {
  it('never puts more than maxBatchedTokens in a step, nor runs more than maxSequences or (with company) past maxKvTokens', () => {
    fc.assert(
      fc.property(config, requests, (cfg, reqs) => {
        const { engine, kvOver } = run(cfg, reqs);
        expect(engine.stats.batchedPeak).toBeLessThanOrEqual(cfg.maxBatchedTokens);
        expect(kvOver).toBe(0);
      }),
    );
  });

  it('times every first and last token as the plain model does (every sequence walked every step)', () => {
    fc.assert(
      fc.property(config, requests, (cfg, reqs) => {
        const fast = run(cfg, reqs);
        const plain = run(cfg, reqs, () => false, ReferenceEngine);
        expect(fast.engine.stats).toEqual(plain.engine.stats);
        expect(fast.admitted).toEqual(plain.admitted);
        expect(fast.firsts).toEqual(plain.firsts);
        expect([...fast.firstAt]).toEqual([...plain.firstAt]);
        expect(new Map(fast.finishedAt)).toEqual(new Map(plain.finishedAt));
      }),
      { numRuns: 200 },
    );
  });

  it('admits and gives first tokens first come, first served', () => {
    fc.assert(
      fc.property(config, requests, (cfg, reqs) => {
        const { admitted, firsts, firstAt } = run(cfg, reqs);
        const order = reqs.map((_, j) => j);
        expect(admitted).toEqual(order);
        const withOutput = order.filter((j) => reqs[j]!.output > 0);
        expect(firsts).toEqual(withOutput);
        for (let k = 1; k < firsts.length; k++) expect(firstAt.get(firsts[k]!)!).toBeGreaterThanOrEqual(firstAt.get(firsts[k - 1]!)!);
      }),
    );
  });

  it('conserves tokens: every admitted request ends once, with exactly its output tokens; a request whose client left is dropped', () => {
    fc.assert(
      fc.property(config, requests, fc.integer({ min: 0, max: 5 }), (cfg, reqs, every) => {
        const dead = (j: number) => every > 0 && j % every === 0 && j > 0;
        const { engine, admitted, finishCount } = run(cfg, reqs, dead);
        const live = reqs.map((_, j) => j).filter((j) => !dead(j));
        expect(admitted).toEqual(live);
        expect([...finishCount.keys()].sort((a, b) => a - b)).toEqual(live);
        for (const n of finishCount.values()) expect(n).toBe(1);
        expect(engine.stats.tokens).toBe(live.reduce((s, j) => s + reqs[j]!.output, 0));
        expect(engine.running).toBe(0);
        expect(engine.queued).toBe(0);
      }),
    );
  });

  it('with c_prefill = c_kv = 0 and one sequence, each token after the first takes c0 + c_decode, and the first ⌈prompt ÷ budget⌉ steps of c0', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 2, max: 300 }),
        fc.integer({ min: 1, max: 4_096 }),
        (c0, cd, prompt, output, budget) => {
          const cfg: IterationServing = { model: 'iteration', step: { base: c0, perPrefillToken: 0, perDecodeSequence: cd, perKvToken: 0 }, maxSequences: 1, maxBatchedTokens: budget, maxKvTokens: Infinity };
          const { first, gap } = alone(cfg, prompt, output);
          expect(first).toBeCloseTo(Math.ceil(prompt / budget) * c0, 6);
          expect(gap).toBeCloseTo(c0 + cd, 6);
        },
      ),
    );
  });

  it('a compute roofline and a quadratic decode term: one sequence alone steps at max(c0 + c_decode + c_decode2, c_batched)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 2, max: 100 }),
        (c0, cd, cd2, cb, prompt, output) => {
          const cfg: IterationServing = { model: 'iteration', step: { base: c0, perPrefillToken: 0, perDecodeSequence: cd, perKvToken: 0, perDecodeSequence2: cd2, perBatchedToken: cb }, maxSequences: 1, maxBatchedTokens: 4_096, maxKvTokens: Infinity };
          const { first, gap } = alone(cfg, prompt, output);
          // The prefill step carries the prompt (no decoder): max(c0, c_batched × prompt).
          expect(first).toBeCloseTo(Math.max(c0, cb * prompt), 6);
          expect(gap).toBeCloseTo(Math.max(c0 + cd + cd2, cb), 6);
        },
      ),
    );
  });

  it('a frontend: a prompt passes it before the engine, each token after its step; one sequence alone gets a token every max(step, perOutputToken)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.double({ min: 0, max: 40, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 2, max: 60 }),
        (c0, perRequest, perPromptToken, perOutputToken, prompt, output) => {
          const cfg: IterationServing = { model: 'iteration', step: { base: c0, perPrefillToken: 0, perDecodeSequence: 0, perKvToken: 0 }, maxSequences: 1, maxBatchedTokens: 1_000, maxKvTokens: Infinity, frontend: { perRequest, perPromptToken, perOutputToken } };
          const { first, gap } = alone(cfg, prompt, output);
          expect(first).toBeCloseTo(perRequest + perPromptToken * prompt + c0 + perOutputToken, 6);
          expect(gap).toBeCloseTo(Math.max(c0, perOutputToken), 6);
        },
      ),
    );
  });

  it('a frontend caps the output rate: the last token of a run comes no sooner than perOutputToken × all output tokens', () => {
    fc.assert(
      fc.property(config, requests, fc.double({ min: 1, max: 3, noNaN: true }), (cfg0, reqs, perOutputToken) => {
        // Steps of 0.5 ms: the frontend, not the engine, sets the pace.
        const step = { base: 0.5, perPrefillToken: 0, perDecodeSequence: 0, perKvToken: 0 };
        const cfg: IterationServing = { ...cfg0, step, frontend: { perRequest: 0, perPromptToken: 0, perOutputToken } };
        const { engine, finishedAt } = run(cfg, reqs);
        const last = Math.max(...finishedAt.values());
        const start = reqs[0]!.at;
        expect(last - start).toBeGreaterThanOrEqual(perOutputToken * engine.stats.tokens * (1 - 1e-9));
      }),
      { numRuns: 50 },
    );
  });

  it('chunks a long prompt behind the decode tokens: the step time counts both', () => {
    // Two requests: the first decodes while the second's 300-token prompt is read 100 − 1 tokens a step.
    const cfg: IterationServing = { model: 'iteration', step: { base: 10, perPrefillToken: 0.1, perDecodeSequence: 1, perKvToken: 0 }, maxSequences: 2, maxBatchedTokens: 100, maxKvTokens: Infinity };
    const { firstAt } = run(cfg, [{ at: 0, prompt: 50, output: 100 }, { at: 1, prompt: 300, output: 5 }]);
    // Step 1 (0–15): the first's 50-token prompt. Then each step: 1 decode + 99 prefill = 10 + 9.9 + 1 = 20.9 ms;
    // 300 tokens take ⌈300 ÷ 99⌉ = 4 steps (the last 3 tokens: 10 + 0.3 + 1 = 11.3 ms).
    expect(firstAt.get(0)).toBeCloseTo(15, 9);
    expect(firstAt.get(1)).toBeCloseTo(15 + 3 * 20.9 + 11.3, 9);
  });
});

describe('serving.model: iteration in a scenario', () => {
  it('runs a sized, streamed scenario: TTFT, ITL and tokens come from the steps', () => {
    const s = parseScenario(`
name: it
seed: 1
workload: { concurrency: 1, requests: 3, tokens: { prompt: 200, output: 11 } }
request: { stream: true }
providers:
  - name: p
    serving: { model: iteration, step: { base: 10ms, perPrefillToken: 0.05ms, perDecodeSequence: 2ms }, maxBatchedTokens: 512, maxSequences: 8 }
`, 'it.yaml').runs[0]!.variants[0]!.scenario;
    const { metrics } = simulate(s, 'x').result;
    // One at a time: prefill is one step of 10 + 0.05 × 200 = 20 ms, then ten decode steps of 12 ms.
    expect(metrics.ttftMs?.mean).toBeCloseTo(20, 9);
    expect(metrics.itlMs?.mean).toBeCloseTo(12, 9);
    expect(metrics.tokens?.output).toBe(33);
  });

  it('a slow fault stretches each step that starts while it lasts; failures are drawn when a request is admitted', () => {
    const text = (extra: string) => `
name: it
seed: 1
workload: { concurrency: 1, requests: 4, tokens: { prompt: 200, output: 11 } }
request: { stream: true }
providers:
  - name: p
    serving: { model: iteration, step: { base: 10ms, perPrefillToken: 0.05ms, perDecodeSequence: 2ms }, maxBatchedTokens: 512, maxSequences: 8 }
${extra}`;
    const plain = simulate(parseScenario(text(''), 'it.yaml').runs[0]!.variants[0]!.scenario, 'x').result.metrics;
    // The whole run under a fault 3× as slow: every step, so TTFT and ITL, three times as long.
    const slow = simulate(parseScenario(text('    faults: [{ at: 0s, for: 1h, kind: slow, factor: 3 }]'), 'it.yaml').runs[0]!.variants[0]!.scenario, 'x').result.metrics;
    expect(slow.ttftMs?.mean).toBeCloseTo(3 * plain.ttftMs!.mean!, 9);
    expect(slow.itlMs?.mean).toBeCloseTo(3 * plain.itlMs!.mean!, 9);
    const failing = simulate(parseScenario(text('    failure: 100%'), 'it.yaml').runs[0]!.variants[0]!.scenario, 'x').result.metrics;
    expect(failing.outcomes.serverError).toBe(4);
    expect(failing.outcomes.ok).toBe(0);
  });

  it('paces a stream through the frontend: ITL is the frontend\'s time per token when that is longer than a step', () => {
    const s = parseScenario(`
name: it
seed: 1
workload: { concurrency: 1, requests: 3, tokens: { prompt: 200, output: 11 } }
request: { stream: true }
providers:
  - name: p
    serving: { model: iteration, step: { base: 10ms, perPrefillToken: 0.05ms, perDecodeSequence: 2ms }, maxBatchedTokens: 512, maxSequences: 8, frontend: { perRequest: 3ms, perOutputToken: 30ms } }
`, 'it.yaml').runs[0]!.variants[0]!.scenario;
    const { metrics } = simulate(s, 'x').result;
    // The prompt passes the frontend (3 ms), one prefill step (20 ms), then the first token passes it (30 ms);
    // the engine makes a token every 12 ms, the frontend passes one every 30.
    expect(metrics.ttftMs?.mean).toBeCloseTo(53, 9);
    expect(metrics.itlMs?.mean).toBeCloseTo(30, 9);
    expect(metrics.tokens?.output).toBe(33);
  });

  it('reads a scenario without the newer terms exactly as before (no frontend, no roofline keys)', () => {
    const s = parseScenario(`
name: it
workload: { concurrency: 1, requests: 3, tokens: { prompt: 200, output: 11 } }
providers:
  - name: p
    serving: { model: iteration, step: { base: 10ms }, maxBatchedTokens: 8, maxSequences: 8 }
`, 'it.yaml').runs[0]!.variants[0]!.scenario;
    expect(s.providers[0]!.serving).toEqual({ model: 'iteration', step: { base: 10, perPrefillToken: 0, perDecodeSequence: 0, perKvToken: 0 }, maxBatchedTokens: 8, maxSequences: 8, maxKvTokens: Infinity });
  });

  it('says which field is wrong: maxBatchedTokens below maxSequences', () => {
    expect(() => parseScenario(`
name: it
workload: { concurrency: 1, requests: 3, tokens: { prompt: 200, output: 11 } }
providers:
  - name: p
    serving: { model: iteration, step: { base: 10ms }, maxBatchedTokens: 4, maxSequences: 8 }
`, 'it.yaml')).toThrow(/it\.yaml:6:\d+: providers\.0\.serving\.maxBatchedTokens: expected at least maxSequences/);
  });

  it('a step takes some time: base below 0.001 ms is refused, naming the field', () => {
    expect(() => parseScenario(`
name: it
workload: { concurrency: 1, requests: 3, tokens: { prompt: 200, output: 11 } }
providers:
  - name: p
    serving: { model: iteration, step: { base: 0ms }, maxBatchedTokens: 8, maxSequences: 8 }
`, 'it.yaml')).toThrow(/it\.yaml:6:\d+: providers\.0\.serving\.step\.base: expected at least 0\.001ms \(a step takes some time\), got 0ms/);
  });
});
