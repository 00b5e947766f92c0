/**
 * zod schemas of the scenario units: durations, rates, probabilities, counts and distributions.
 * Each accepts the human form (`250ms`, `3/min`, `1%`) and outputs the engine form (ms, Rate, number).
 * Leaf messages are `expected …`; the loader appends `, got <source value>`.
 */
import { z } from 'zod';
import type { Dist } from '../scenario/types.js';
import {
  MAX_ARRIVALS_PER_MS, MAX_DURATION_MS, MAX_DURATION_TEXT, MAX_LIMIT_COUNT, MIN_ARRIVALS_PER_MS, MIN_TIMER_MS,
} from './limits.js';

/** `3/min` → { count: 3, windowMs: 60000 }. */
export interface Rate {
  count: number;
  windowMs: number;
}

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
const DURATION_MAX = `expected a duration of at most ${MAX_DURATION_TEXT}`;
/** A duration: a number of ms, or `250ms`, `3s`, `2m`, `1h`, `1.5s`, `0`; at most a year. Output: ms. */
export const duration = z
  .union([
    z.number(msg(DURATION)).nonnegative(msg(DURATION)).max(MAX_DURATION_MS, msg(DURATION_MAX)),
    z.string(msg(DURATION)).regex(DURATION_RE, msg(DURATION)),
  ], msg(DURATION))
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)!))
  // A string of 400 nines parses to Infinity: a year is the bound for both forms.
  .refine((ms) => ms <= MAX_DURATION_MS, msg(DURATION_MAX))
  .meta({ id: 'duration', description: `Milliseconds, or a string such as 250ms, 1.5s, 2m, 1h; at most ${MAX_DURATION_TEXT}` });

/**
 * A duration that drives a repeating timer: at least `MIN_TIMER_MS`, so the timer cannot fire
 * forever at one instant. `what` says what repeats, for the message.
 */
export const timerInterval = (what: string) =>
  duration.refine((ms) => ms >= MIN_TIMER_MS, msg(`expected at least ${MIN_TIMER_MS}ms (${what})`));

const RATE = 'expected a rate such as 3/min, 10/s or 5/10s';
const rateText = z.string(msg(RATE)).regex(RATE_RE, msg(RATE));

/** Why a limit is out of bounds, or undefined. */
function limitProblem(r: Rate): string | undefined {
  if (!(Number.isInteger(r.count) && r.count > 0 && r.windowMs > 0)) return 'expected a rate with a whole positive count and a non-zero window, such as 3/min';
  if (r.count > MAX_LIMIT_COUNT) return `expected at most ${MAX_LIMIT_COUNT} requests per window`;
  if (!(r.windowMs >= MIN_TIMER_MS && r.windowMs <= MAX_DURATION_MS)) return `expected a window from ${MIN_TIMER_MS}ms to ${MAX_DURATION_TEXT}`;
  return undefined;
}

/** A limit: `3/min`, `10/s`, `5/10s` with a whole positive count up to a million and a window from 1 ms to a year. Output: Rate. */
export const rate = rateText
  .superRefine((s, ctx) => {
    const r = parseRate(s); // a malformed rate has been reported by the regex
    const problem = r && limitProblem(r);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
  })
  .transform((s) => parseRate(s)!)
  .meta({ id: 'rate', description: `A whole count per window, such as 3/min, 10/s or 5/10s (count at most ${MAX_LIMIT_COUNT}, window from ${MIN_TIMER_MS}ms to ${MAX_DURATION_TEXT})` });

const ARRIVALS = `expected a rate from 1/8760h to ${MAX_ARRIVALS_PER_MS * 1000}/s, such as 20/s`;
/** An arrival rate: like `rate` but the count may be fractional (`0.9/s`), from one a year to a million a second. Output: requests per ms. */
export const arrivalRate = rateText
  .refine((s) => {
    const r = parseRate(s);
    const perMs = r && r.count / r.windowMs; // NaN and Infinity fail both comparisons
    return r === undefined || (perMs! >= MIN_ARRIVALS_PER_MS && perMs! <= MAX_ARRIVALS_PER_MS);
  }, msg(ARRIVALS))
  .transform((s) => { const r = parseRate(s)!; return r.count / r.windowMs; });

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

/**
 * An integer in [min, max]. Every way to miss it (not a number, a fraction, out of range) gives
 * the same message naming the range, so a field never gets two lines.
 */
export function intIn(min: number, max: number) {
  const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer from ${min}`;
  const m = msg(`expected ${what} ${max === Number.MAX_SAFE_INTEGER ? 'below 2^53' : `up to ${max}`}`);
  return z.number(m).int(m).min(min, m).max(max, m);
}

/** A positive number up to `max` (weights, factors), one message for every miss. */
export function positiveUpTo(max: number) {
  const m = msg(`expected a positive number up to ${max}`);
  return z.number(m).positive(m).max(max, m);
}

/** A seed: any non-negative integer a double holds exactly. */
export const seedSchema = intIn(0, Number.MAX_SAFE_INTEGER);

// ---- distributions ----

export const distKinds = ['constant', 'uniform', 'exponential', 'normal', 'lognormal', 'empirical'] as const;
/** z-score of the 99th percentile of the standard normal. */
export const Z99 = 2.3263478740408408;

const num = (n: unknown): n is number => typeof n === 'number';

/** `3.2h`, `250ms`, `1e+300h`: a computed duration in messages. */
export function showMs(ms: number): string {
  const sig = (x: number) => String(Number(x.toPrecision(3)));
  if (!Number.isFinite(ms)) return String(ms);
  return ms >= 3_600_000 ? `${sig(ms / 3_600_000)}h` : `${sig(ms)}ms`;
}

/** ln(100): an exponential's p99 over its mean. */
const EXP_P99 = Math.log(100);
const TOO_LONG = `of at most ${MAX_DURATION_TEXT}`;

const lognormal = z
  .strictObject({
    dist: z.literal('lognormal'),
    median: duration.optional().describe('Median (50th percentile) duration; give with p99'),
    p99: duration.optional().describe('99th percentile duration; must exceed median'),
    mu: z.number(msg('expected a number')).optional().describe('Mean of ln(ms); give with sigma instead of median/p99'),
    sigma: z.number(msg('expected a positive number')).positive(msg('expected a positive number')).optional().describe('Standard deviation of ln(ms)'),
  })
  .superRefine((v, ctx) => {
    const byQuantiles = v.median !== undefined || v.p99 !== undefined;
    const byParams = v.mu !== undefined || v.sigma !== undefined;
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (byQuantiles && byParams) return issue([], 'expected either median and p99, or mu and sigma, not both');
    if (byParams) {
      if (v.mu === undefined) issue(['mu'], 'required field missing');
      if (v.sigma === undefined) issue(['sigma'], 'required field missing');
      if (!num(v.mu) || !num(v.sigma)) return;
    } else if (!byQuantiles) return issue([], 'expected median and p99 (or mu and sigma)');
    else if (v.median === undefined) return issue(['median'], 'required field missing');
    else if (v.p99 === undefined) return issue(['p99'], 'required field missing');
    else if (!num(v.median) || !num(v.p99)) return; // a field's own problem is reported
    else if (v.median <= 0) return issue(['median'], 'expected a duration greater than 0');
    else if (v.p99 <= v.median) return issue(['p99'], 'expected a duration greater than median');
    // Both forms can describe a tail no run could finish: mu 700 has a p99 of 10^303 ms, and a
    // p99 50,000 × the median puts the mean past the p99. Both must stay within a year.
    const { mu, sigma } = toDist(v) as { mu: number; sigma: number };
    const mean = Math.exp(mu + (sigma * sigma) / 2);
    const p99 = Math.exp(mu + Z99 * sigma);
    // A p99 of exactly a year, given as such, comes back from ln and exp a few ulps off.
    const max = MAX_DURATION_MS * (1 + 1e-12);
    if (!(mean <= max && p99 <= max)) {
      issue([], `expected a mean and p99 ${TOO_LONG}, got mean ${showMs(mean)}, p99 ${showMs(p99)}`);
    }
  });

const distObject = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('constant'), value: duration }),
  z.strictObject({ dist: z.literal('uniform'), min: duration, max: duration }).superRefine((v, ctx) => {
    if (num(v.min) && num(v.max) && v.min > v.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'expected a duration no less than min' });
    }
  }),
  z.strictObject({ dist: z.literal('exponential'), mean: duration }).superRefine((v, ctx) => {
    if (num(v.mean) && !(v.mean * EXP_P99 <= MAX_DURATION_MS)) {
      ctx.addIssue({ code: 'custom', path: ['mean'], message: `expected a p99 (4.61 × mean) ${TOO_LONG}` });
    }
  }),
  z.strictObject({ dist: z.literal('normal'), mean: duration, sd: duration }).superRefine((v, ctx) => {
    const p99 = v.mean + Z99 * v.sd;
    if (num(v.mean) && num(v.sd) && !(p99 <= MAX_DURATION_MS)) {
      ctx.addIssue({ code: 'custom', path: [], message: `expected a p99 (mean + 2.33 × sd) ${TOO_LONG}, got ${showMs(p99)}` });
    }
  }),
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
