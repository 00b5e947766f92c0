/**
 * The contract every balancer satisfies, as fast-check properties (fast-check's own
 * `ArbitraryAssertions` pattern). Each `<name>.test.ts` calls `balancerContract(name)` and then adds
 * the algorithm's own properties and reference vectors.
 *
 * A run is a random provider set (weights, names, health mask) and a random sequence of operations
 * driven the way the dispatcher drives a balancer: pick (inFlight[p]++, then started), finish one
 * attempt in flight (inFlight[p]--, then finished with an outcome and a latency), flip a provider's
 * health, or change another caller's load on a provider.
 */
import fc from 'fast-check';
import { choose } from '../../src/core/registry.js';
import { describe, expect, it } from 'vitest';
import { NONE, type Balancer, type OwnedBalancerContext, type Route } from '../../src/balancers/balancer.js';
import { outcomeNames, type OutcomeCode } from '../../src/core/outcome.js';
import { balancers, createBalancer, type BalancerName } from '../../src/balancers/index.js';
import { stream } from '../../src/sim/random.js';

export type Op =
  | { kind: 'pick'; client: number; attempt: number }
  | { kind: 'finish'; which: number; outcome: OutcomeCode; latencyMs: number }
  | { kind: 'health'; provider: number; healthy: boolean }
  | { kind: 'load'; provider: number; delta: number };

export interface Setup {
  weights: number[];
  healthy: boolean[];
  inFlight: number[];
  seed: number;
  ops: Op[];
}

const weight = fc.oneof(fc.integer({ min: 1, max: 10 }), fc.double({ min: 0.1, max: 10, noNaN: true }));

/** A provider set of 1–8 with random weights, health and load, a seed and 0–200 operations. */
export const setup: fc.Arbitrary<Setup> = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    weights: fc.array(weight, { minLength: n, maxLength: n }),
    healthy: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    inFlight: fc.array(fc.nat(20), { minLength: n, maxLength: n }),
    seed: fc.nat(),
    ops: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.record({ kind: fc.constant('pick' as const), client: fc.nat(1000), attempt: fc.integer({ min: 1, max: 3 }) }) },
        {
          weight: 4,
          arbitrary: fc.record({
            kind: fc.constant('finish' as const),
            which: fc.nat(),
            outcome: fc.nat(outcomeNames.length - 1) as fc.Arbitrary<OutcomeCode>,
            latencyMs: fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.nat(5000)),
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), provider: fc.nat(n - 1), healthy: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('load' as const), provider: fc.nat(n - 1), delta: fc.integer({ min: -3, max: 3 }) }) },
      ),
      { maxLength: 200 },
    ),
  }),
);

export function makeContext(s: Setup): OwnedBalancerContext {
  return {
    weights: s.weights,
    names: s.weights.map((_, i) => `backend-${i}.svc:8080`),
    random: stream(s.seed, 'balancer'),
    healthy: Uint8Array.from(s.healthy, (h) => (h ? 1 : 0)),
    inFlight: Float64Array.from(s.inFlight),
  };
}

export function make(name: BalancerName, ctx: OwnedBalancerContext, options: Record<string, unknown> = {}): Balancer {
  return createBalancer(choose(balancers, name, options), ctx);
}

interface Step {
  /** The pick's result, or undefined for other operations. */
  picked: number | undefined;
  /** What the balancer was allowed to return. */
  anyHealthy: boolean;
  healthyPicked: boolean;
}

/**
 * Drives `b` through `s.ops` the way the dispatcher does; `peekFirst` peeks (twice) before every
 * pick and checks both peeks against the pick; `check` sees each pick before the caller counts it.
 * Returns one step per operation.
 */
export function drive(
  b: Balancer,
  ctx: OwnedBalancerContext,
  s: Setup,
  peekFirst: boolean,
  check?: (picked: number, ctx: OwnedBalancerContext) => void,
): Step[] {
  const steps: Step[] = [];
  const open: number[] = [];
  const route: Route = { client: 0, attempt: 1, previous: -1, avoid: -1 };
  let now = 0;
  for (const op of s.ops) {
    now += 10;
    switch (op.kind) {
      case 'pick': {
        route.client = op.client;
        route.attempt = op.attempt;
        route.previous = op.attempt > 1 && open.length > 0 ? open[open.length - 1]! : -1;
        if (peekFirst) {
          const a = b.peek(route, now);
          const c = b.peek(route, now);
          expect(c, 'peek twice').toBe(a);
          const p = b.pick(route, now);
          expect(p, 'peek then pick').toBe(a);
          steps.push(record(ctx, p));
          check?.(p, ctx);
          if (p !== NONE) started(b, ctx, open, p, now);
        } else {
          const p = b.pick(route, now);
          steps.push(record(ctx, p));
          check?.(p, ctx);
          if (p !== NONE) started(b, ctx, open, p, now);
        }
        break;
      }
      case 'finish': {
        if (open.length === 0) break;
        const p = open.splice(op.which % open.length, 1)[0]!;
        ctx.inFlight[p] = Math.max(0, ctx.inFlight[p]! - 1);
        b.finished(p, op.outcome, op.latencyMs, now);
        break;
      }
      case 'health':
        ctx.healthy[op.provider] = op.healthy ? 1 : 0;
        break;
      case 'load':
        ctx.inFlight[op.provider] = Math.max(0, ctx.inFlight[op.provider]! + op.delta);
        break;
    }
  }
  return steps;
}

function started(b: Balancer, ctx: OwnedBalancerContext, open: number[], p: number, now: number): void {
  ctx.inFlight[p]!++;
  open.push(p);
  b.started(p, now);
}

function record(ctx: OwnedBalancerContext, p: number): Step {
  const anyHealthy = ctx.healthy.some((h) => h === 1);
  return { picked: p, anyHealthy, healthyPicked: p >= 0 && p < ctx.healthy.length && ctx.healthy[p] === 1 };
}

/** The shared suite: call it once per balancer (with its scenario options, if any). */
export function balancerContract(name: BalancerName, options: Record<string, unknown> = {}): void {
  describe(`${name}: balancer contract`, () => {
    it('returns NONE iff no provider is healthy, and otherwise a healthy provider', () => {
      fc.assert(
        fc.property(setup, (s) => {
          const ctx = makeContext(s);
          for (const step of drive(make(name, ctx, options), ctx, s, false)) {
            if (step.anyHealthy) expect(step.healthyPicked, `picked ${step.picked}`).toBe(true);
            else expect(step.picked).toBe(NONE);
          }
        }),
      );
    });

    it('peek has no side effect: peek twice agrees, peek then pick agrees, peeking changes no later pick', () => {
      fc.assert(
        fc.property(setup, (s) => {
          const ca = makeContext(s);
          const cb = makeContext(s);
          const peeked = drive(make(name, ca, options), ca, s, true).map((x) => x.picked);
          const plain = drive(make(name, cb, options), cb, s, false).map((x) => x.picked);
          expect(peeked).toEqual(plain);
        }),
      );
    });

    it('is deterministic given the same random stream', () => {
      fc.assert(
        fc.property(setup, (s) => {
          const ca = makeContext(s);
          const cb = makeContext(s);
          const a = drive(make(name, ca, options), ca, s, false).map((x) => x.picked);
          const b = drive(make(name, cb, options), cb, s, false).map((x) => x.picked);
          expect(a).toEqual(b);
        }),
      );
    });

    it('every provider can be picked when it alone is healthy', () => {
      fc.assert(
        fc.property(setup, fc.nat(), (s, k) => {
          const ctx = makeContext(s);
          const only = k % s.weights.length;
          ctx.healthy.fill(0);
          ctx.healthy[only] = 1;
          const b = make(name, ctx, options);
          for (let client = 0; client < 5; client++) expect(b.pick({ client, attempt: 1, previous: -1, avoid: -1 }, 0)).toBe(only);
        }),
      );
    });
  });
}
