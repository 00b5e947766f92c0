import { z } from 'zod';
import { MAX_FACTOR } from '../core/limits.js';
import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { positiveUpTo, probability } from '../core/units.js';

/**
 * The fault table: what each kind of injected fault does to a provider while it lasts. A kind
 * declares its options (beside `at`, `for` and `kind`) and acts at the points the provider model
 * offers:
 * - `refuse`: an attempt arriving now is answered at once (an outcome), or -1 to go on;
 * - `serve`: the service time and failure probability of an attempt starting now;
 * - `failsChecks`: health checks fail outright.
 * Adding a kind is a line here; the scenario schema, results and reports follow.
 */
interface FaultKind<O extends z.ZodObject> {
  options: O;
  /** What the kind does, in one line (the schema's description). */
  means: string;
  refuse?(o: z.output<O>, random: () => number): OutcomeCode | -1;
  serve?(o: z.output<O>, service: number, failure: number): { service: number; failure: number };
  failsChecks?: boolean;
}
const kind = <O extends z.ZodObject>(k: FaultKind<O>): FaultKind<O> => k;

const factor = positiveUpTo(MAX_FACTOR).default(10).describe(`Latency multiplier (default 10, at most ${MAX_FACTOR})`);
const rate = probability.default(1).describe('Probability per request (default 100%)');

export const faultKinds = {
  down: kind({
    options: z.strictObject({}),
    means: 'connections are refused (connectFailed); health checks fail',
    refuse: () => Outcome.connectFailed,
    failsChecks: true,
  }),
  slow: kind({
    options: z.strictObject({ factor }),
    means: 'service takes `factor` times as long (health checks too)',
    serve: (o, service, failure) => ({ service: service * o.factor, failure }),
  }),
  errors: kind({
    options: z.strictObject({ rate }),
    means: 'each request fails with a 5xx with probability `rate`',
    serve: (o, service, failure) => ({ service, failure: o.rate > failure ? o.rate : failure }),
  }),
  throttle: kind({
    options: z.strictObject({ rate }),
    means: 'each request gets a 429 with probability `rate`, retry-after = the rest of the fault',
    refuse: (o, random) => (random() < o.rate ? Outcome.rateLimited : -1),
  }),
};

export type FaultKindName = keyof typeof faultKinds;
export const faultKindNames = Object.keys(faultKinds) as FaultKindName[];

/** A fault injected into one provider for a while, resolved (times in ms). */
export type Fault = {
  [K in FaultKindName]: { kind: K; atMs: number; forMs: number } & z.output<(typeof faultKinds)[K]['options']>;
}[FaultKindName];

/** The behaviour of a resolved fault's kind. */
export const faultKind = (f: Fault): FaultKind<z.ZodObject> => faultKinds[f.kind] as FaultKind<z.ZodObject>;
