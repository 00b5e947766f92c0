/**
 * zod schemas of the scenario units: durations, rates, probabilities, counts and distributions.
 * Each accepts the human form (`250ms`, `3/min`, `1%`) and outputs the engine form (ms, Rate, number).
 * Leaf messages are `expected …`; the loader appends `, got <source value>`.
 */
import { z } from 'zod';
import type { Dist, Named, Rate } from './types.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const NUM = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const DURATION_RE = new RegExp(`^(${NUM})(ms|s|min|m|h)$|^0$`);
const RATE_RE = new RegExp(`^(${NUM})/(${NUM})?(ms|s|min|m|h)$`);
const PERCENT_RE = new RegExp(`^(${NUM})%$`);

/** `1.5s` → 1500, `0` → 0; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return m[1] === undefined ? 0 : Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** `5/10s` → { count: 5, windowMs: 10000 }; `3/min` → { count: 3, windowMs: 60000 }. */
export function parseRate(text: string): Rate | undefined {
  const m = RATE_RE.exec(text.trim());
  if (!m) return undefined;
  return { count: Number(m[1]), windowMs: Number(m[2] ?? 1) * UNIT_MS[m[3]!]! };
}

const msg = (error: string) => ({ error });

const DURATION = 'expected a duration such as 250ms, 3s or 2m';
/** A duration: a number of ms, or `250ms`, `3s`, `2m`, `1h`, `1.5s`, `0`. Output: ms. */
export const duration = z
  .union([
    z.number(msg(DURATION)).nonnegative(msg(DURATION)),
    z.string(msg(DURATION)).regex(DURATION_RE, msg(DURATION)),
  ], msg(DURATION))
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)!))
  .meta({ id: 'duration', description: 'Milliseconds, or a string such as 250ms, 1.5s, 2m, 1h' });

const RATE = 'expected a rate such as 3/min, 10/s or 5/10s';
const rateText = z.string(msg(RATE)).regex(RATE_RE, msg(RATE));
/** A limit: `3/min`, `10/s`, `5/10s` with a whole positive count. Output: Rate. */
export const rate = rateText
  .refine((s) => valid(s, (r) => Number.isInteger(r.count) && r.count > 0 && r.windowMs > 0),
    msg('expected a rate with a whole positive count and a non-zero window, such as 3/min'))
  .transform((s) => parseRate(s)!)
  .meta({ id: 'rate', description: 'A whole count per window, such as 3/min, 10/s or 5/10s' });

/** An arrival rate: like `rate` but the count may be fractional (`0.9/s`). Output: requests per ms. */
export const arrivalRate = rateText
  .refine((s) => valid(s, (r) => r.count > 0 && r.windowMs > 0),
    msg('expected a positive rate with a non-zero window, such as 20/s'))
  .transform((s) => { const r = parseRate(s)!; return r.count / r.windowMs; });

/** Refinements also run after a failed regex; a malformed rate has already been reported there. */
function valid(s: string, ok: (r: Rate) => boolean): boolean {
  const r = parseRate(s);
  return r === undefined || ok(r);
}

const PROBABILITY = 'expected a probability such as 1% or 0.01';
/** `1%` or `0.01`. Output: a number in [0, 1]. */
export const probability = z
  .union([
    z.number(msg(PROBABILITY)).min(0, msg(PROBABILITY)).max(1, msg(PROBABILITY)),
    z.string(msg(PROBABILITY)).regex(PERCENT_RE, msg(PROBABILITY))
      .refine((s) => !PERCENT_RE.test(s) || parseFloat(s) <= 100, msg(PROBABILITY)),
  ], msg(PROBABILITY))
  .transform((v) => (typeof v === 'number' ? v : parseFloat(v) / 100))
  .meta({ id: 'probability', description: 'A percentage such as 1%, or a number in [0, 1]' });

const POSITIVE_INT = 'expected a positive integer';
export const positiveInt = z.number(msg(POSITIVE_INT)).int(msg(POSITIVE_INT)).positive(msg(POSITIVE_INT));
const NON_NEGATIVE_INT = 'expected a non-negative integer';
export const nonNegativeInt = z.number(msg(NON_NEGATIVE_INT)).int(msg(NON_NEGATIVE_INT)).nonnegative(msg(NON_NEGATIVE_INT));
const POSITIVE = 'expected a positive number';
export const positiveNumber = z.number(msg(POSITIVE)).positive(msg(POSITIVE));

// ---- distributions ----

export const distKinds = ['constant', 'uniform', 'exponential', 'normal', 'lognormal', 'empirical'] as const;
/** z-score of the 99th percentile of the standard normal. */
export const Z99 = 2.3263478740408408;

const num = (n: unknown): n is number => typeof n === 'number';

const lognormal = z
  .strictObject({
    dist: z.literal('lognormal'),
    median: duration.optional().describe('Median (50th percentile) duration; give with p99'),
    p99: duration.optional().describe('99th percentile duration; must exceed median'),
    mu: z.number(msg('expected a number')).optional().describe('Mean of ln(ms); give with sigma instead of median/p99'),
    sigma: positiveNumber.optional().describe('Standard deviation of ln(ms)'),
  })
  .superRefine((v, ctx) => {
    const byQuantiles = v.median !== undefined || v.p99 !== undefined;
    const byParams = v.mu !== undefined || v.sigma !== undefined;
    const missing = (k: string) => ctx.addIssue({ code: 'custom', path: [k], message: 'required field missing' });
    if (byQuantiles && byParams) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected either median and p99, or mu and sigma, not both' });
    } else if (byParams) {
      if (v.mu === undefined) missing('mu');
      if (v.sigma === undefined) missing('sigma');
    } else if (!byQuantiles) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected median and p99 (or mu and sigma)' });
    } else if (v.median === undefined) missing('median');
    else if (v.p99 === undefined) missing('p99');
    else if (num(v.median) && v.median <= 0) {
      ctx.addIssue({ code: 'custom', path: ['median'], message: 'expected a duration greater than 0' });
    } else if (num(v.median) && num(v.p99) && v.p99 <= v.median) {
      ctx.addIssue({ code: 'custom', path: ['p99'], message: 'expected a duration greater than median' });
    }
  });

const distObject = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('constant'), value: duration }),
  z.strictObject({ dist: z.literal('uniform'), min: duration, max: duration }).superRefine((v, ctx) => {
    if (num(v.min) && num(v.max) && v.min > v.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'expected a duration no less than min' });
    }
  }),
  z.strictObject({ dist: z.literal('exponential'), mean: duration }),
  z.strictObject({ dist: z.literal('normal'), mean: duration, sd: duration }),
  lognormal,
  z.strictObject({
    dist: z.literal('empirical'),
    samples: z.array(duration, msg('expected a list of durations')).min(1, msg('expected a non-empty list of durations')),
  }),
]);

type DistInput = number | z.output<typeof distObject>;

function toDist(v: DistInput): Dist {
  if (typeof v === 'number') return { dist: 'constant', value: v };
  if (v.dist !== 'lognormal') return v;
  if (v.mu !== undefined && v.sigma !== undefined) return { dist: 'lognormal', mu: v.mu, sigma: v.sigma };
  return { dist: 'lognormal', mu: Math.log(v.median!), sigma: Math.log(v.p99! / v.median!) / Z99 };
}

/**
 * A distribution of durations: a plain duration (constant) or `{ dist: kind, … }`.
 * Lognormal takes `median`/`p99` (→ mu = ln median, sigma = ln(p99/median)/z99) or `mu`/`sigma` as is.
 */
export const distribution = z
  .union([duration, distObject], msg('expected a duration or a distribution such as { dist: lognormal, median: 3s, p99: 9s }'))
  .transform(toDist)
  .meta({ id: 'distribution', description: 'A duration (constant), or { dist: constant | uniform | exponential | normal | lognormal | empirical, … }' });

// ---- registry choices (limiters, balancers) ----

interface Entry {
  options: z.ZodObject;
}

/**
 * A registry entry chosen by name (`sliding-log`) or as `{ type: name, …options }`, the options
 * checked by that entry's own schema. Output: Named.
 */
export function named(registry: Record<string, Entry>, what: string) {
  const names = Object.keys(registry) as [string, ...string[]];
  const forms = Object.entries(registry).map(([name, e]) => e.options.extend({ type: z.literal(name) }));
  return z
    .union([
      z.enum(names),
      z.discriminatedUnion('type', forms as unknown as [z.ZodObject, ...z.ZodObject[]]),
    ], msg(`expected a ${what} name or { type: name, …options }`))
    .transform((v): Named => {
      if (typeof v === 'string') return { type: v, options: {} };
      const { type, ...options } = v as { type: string } & Record<string, unknown>;
      return { type, options };
    });
}
