import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSchedule, globalId, shardProblem, shareOf, ShardSource } from '../src/gateway/shard-source.js';
import { WorkloadSource } from '../src/gateway/workload.js';
import { assemble } from '../src/gateway/assemble.js';
import { Connections } from '../src/gateway/connections.js';
import { KeyPool } from '../src/keys/key-pool.js';
import { encodeFacts, mergeFacts, type ShardFacts } from '../src/metrics/shard-facts.js';
import { variantResult } from '../src/metrics/variant.js';
import { keyName } from '../src/modes/simulate.js';
import { MockProvider } from '../src/providers/mock.js';
import type { Scenario } from '../src/scenario/types.js';
import { scenario } from './helpers/scenario.js';
import { Engine } from '../src/sim/engine.js';
import { sampler } from '../src/sim/dist.js';
import { stream } from '../src/sim/random.js';
import type { Workload } from '../src/workload/spec.js';

/** What a source handed out, by the id it gave: client and arrival (-1: never begun). */
function drive(n: number, make: (e: Engine) => WorkloadSource, toGlobal: (local: number) => number = (j) => j) {
  const e = new Engine();
  const client = new Int32Array(n).fill(-1);
  const arrival = new Float64Array(n).fill(NaN);
  const src = make(e);
  const kEnd = e.on((w) => src.finished(w));
  src.start({
    begin(id, worker, at, c) {
      const g = toGlobal(id);
      expect(client[g], `request ${g} begun twice`).toBe(-1);
      client[g] = c;
      arrival[g] = at;
      e.after(1, kEnd, worker);
    },
  });
  e.run();
  return { client, arrival, lateness: src instanceof ShardSource ? src.lateness : undefined };
}

const workloads = fc.oneof(
  fc.record({
    requests: fc.integer({ min: 1, max: 300 }),
    concurrency: fc.integer({ min: 1, max: 40 }),
    think: fc.constant({ dist: 'constant' as const, value: 2 }),
    arrivals: fc.constant(undefined),
    clients: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({
    requests: fc.integer({ min: 1, max: 300 }),
    concurrency: fc.constant(undefined),
    think: fc.constant({ dist: 'constant' as const, value: 0 }),
    arrivals: fc.record({ process: fc.constantFrom('poisson' as const, 'constant' as const), perMs: fc.double({ min: 0.001, max: 2, noNaN: true }) }),
    clients: fc.integer({ min: 1, max: 50 }),
  }),
) as fc.Arbitrary<Workload>;

describe('shards of one seeded schedule', () => {
  it('the schedule is what the single-process source draws, and N shards send every request of it exactly once', () => {
    fc.assert(
      fc.property(workloads, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 8 }), (w, seed, count) => {
        fc.pre(shardProblem(w, count) === undefined);
        const think = () => sampler(w.think, stream(seed, 'think'));
        const whole = drive(w.requests, (e) => new WorkloadSource(w, e, stream(seed, 'workload'), think(), stream(seed, 'tokens')));
        const schedule = buildSchedule(w, stream(seed, 'workload'), stream(seed, 'tokens'));
        expect(Array.from(schedule.client)).toEqual(Array.from(whole.client));
        if (w.arrivals) expect(Array.from(schedule.arrival!)).toEqual(Array.from(whole.arrival));
        const client = new Int32Array(w.requests).fill(-1);
        let sizes = 0;
        for (let index = 0; index < count; index++) {
          const sh = { index, count };
          sizes += shareOf(w.requests, sh);
          expect(Math.abs(shareOf(w.requests, sh) - w.requests / count)).toBeLessThan(1);
          const part = drive(w.requests, (e) => new ShardSource(w, e, schedule, sh, think(), () => 0, 1, stream(seed, 'workload')), (j) => globalId(j, sh));
          for (let g = index; g < w.requests; g += count) {
            client[g] = part.client[g]!;
            // On the virtual clock every arrival fires when due: at its scheduled time, and 0 late.
            if (w.arrivals) expect(part.arrival[g]).toBe(schedule.arrival![g]);
          }
          expect(Array.from(part.lateness!)).toEqual(new Array(shareOf(w.requests, sh)).fill(0));
        }
        expect(sizes).toBe(w.requests);
        expect(Array.from(client)).toEqual(Array.from(schedule.client));
      }),
      { numRuns: 150 },
    );
  });

  it('a workload that cannot give every shard a request or a worker is refused in one line', () => {
    const closed: Workload = { requests: 10, concurrency: 2, think: { dist: 'constant', value: 0 }, arrivals: undefined, clients: 1 };
    expect(shardProblem(closed, 3)).toBe('workload.concurrency: 2 workers cannot be split into 3 shards (expected at least one worker per shard)');
    expect(shardProblem({ ...closed, requests: 2, concurrency: 5 }, 3)).toBe('workload.requests: 2 requests cannot be split into 3 shards (expected at least one request per shard)');
    expect(shardProblem(closed, 2)).toBeUndefined();
  });
});

/** The shards of `s` simulated side by side on one engine (each with its own key pool), as shard facts through JSON, and each gateway's own result. */
function simulateShards(s: Scenario, count: number) {
  const engine = new Engine(1024);
  const schedule = buildSchedule(s.workload, stream(s.seed, 'workload'), stream(s.seed, 'tokens'));
  const parts = Array.from({ length: count }, (_, index) => {
    const sh = { index, count };
    let src!: ShardSource;
    const mine = { ...s, workload: { ...s.workload, requests: shareOf(s.workload.requests, sh), concurrency: shareOf(s.workload.concurrency!, sh) } };
    const g = assemble(mine, {
      clock: engine,
      keyNames: Array.from({ length: s.keys.count }, (_, k) => keyName(k)),
      pool: (sink) => new KeyPool(s.keys, engine, stream(s.seed, 'keys'), sink),
      connections: (sink) => new Connections(s.connections === 'pooled', s.providers.map((p) => p.connect), s.keys.count, engine, sink),
      providers: (sink) => s.providers.map((p) => new MockProvider(p, s.keys.count, engine, stream(s.seed, `provider:${p.name}`), sink, { sized: false, stream: false, figures: false })),
      trackRemaps: false,
      source: () => (src = new ShardSource(s.workload, engine, schedule, sh, sampler(s.workload.think, stream(s.seed, 'think')), () => 0, 1, stream(s.seed, 'workload'))),
    });
    return { g, sh, src: () => src };
  });
  for (const p of parts) p.g.start();
  engine.runUntil(() => parts.every((p) => p.g.dispatcher.done));
  const end = engine.now();
  const facts = parts.map((p) => JSON.parse(JSON.stringify(encodeFacts(p.g.facts(end), p.src().size, (j) => globalId(j, p.sh), p.src().origin))) as ShardFacts);
  return { facts, results: parts.map((p) => p.g.result('x', end)) };
}

describe('shard facts: what a shard file carries, merged', () => {
  // Whole-millisecond times (constant latency, no think), so the microsecond rounding of the file changes nothing.
  const s = scenario({ workload: { requests: 60, concurrency: 6, think: { dist: 'constant', value: 0 }, arrivals: undefined, clients: 10 }, keys: { ...scenario().keys, count: 3, limit: { count: 10, windowMs: 1000 } } });

  it('one shard through its file gives the very results its process built', () => {
    const { facts, results } = simulateShards(s, 1);
    expect(variantResult('x', mergeFacts(facts, 60, [0]))).toEqual(results[0]);
  });

  it('an interrupted shard: only the requests it started count, wherever their ids fall', () => {
    const { facts } = simulateShards(s, 2);
    // Shard 1 stopped after its first 10 requests: the rest are as a real run leaves them, never begun (all zeros).
    const cut = facts[0]!;
    cut.finished = 10;
    for (let j = 10; j < cut.id.length; j++) {
      cut.arrival[j] = 0;
      cut.end[j] = 0;
      cut.outcome[j] = 0;
      cut.attempts[j] = 0;
      for (const ph of cut.phases) ph[j] = 0;
    }
    const m = variantResult('x', mergeFacts(facts, 60, [0, 0])).metrics;
    const ok = (f: ShardFacts): number => f.outcome.slice(0, f.finished).filter((o) => o === 0).length;
    expect(m.requests).toBe(10 + facts[1]!.finished);
    expect(m.outcomes.ok).toBe(ok(facts[0]!) + ok(facts[1]!));
    // No never-begun record counts as a success of latency 0.
    expect(m.latencyMs.min).toBeGreaterThan(0);
  });

  it('two shards merge into one run: every request once, the counts of both', () => {
    const { facts, results } = simulateShards(s, 2);
    const merged = variantResult('x', mergeFacts(facts, 60, [0, 0])).metrics;
    const [a, b] = results.map((r) => r.metrics);
    expect(merged.requests).toBe(60);
    expect(merged.ok).toBe(a!.ok + b!.ok);
    expect(merged.attempts).toBe(a!.attempts + b!.attempts);
    for (const k of ['key-1', 'key-2', 'key-3']) expect(merged.keys[k]!.admitted).toBe(a!.keys[k]!.admitted + b!.keys[k]!.admitted);
    expect(merged.providers.main!.requests).toBe(a!.providers.main!.requests + b!.providers.main!.requests);
    // The records are the shards' own: the merged percentiles are those of their latencies together.
    const lat = facts.flatMap((f) => f.end.map((e, j) => (f.outcome[j] === 0 ? e - f.arrival[j]! : NaN))).filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
    expect(merged.latencyMs.max).toBe(lat.at(-1));
    expect(merged.latencyMs.p50).toBe(lat[Math.ceil(0.5 * lat.length) - 1]);
    expect(merged.latencyMs.p99).toBe(lat[Math.ceil(0.99 * lat.length) - 1]);
  });
});
