/**
 * zod schemas of the scenario units: durations, rates, probabilities and counts (distributions are
 * sim/dist.ts's registry).
 * Each accepts the human form (`250ms`, `3/min`, `1%`) and outputs the engine form (ms, Rate, number).
 * Leaf messages are `expected …`; the loader appends `, got <source value>`.
 */
import { z } from 'zod';
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

const RATE = 'expected a rate such as 3/min, 10/s, 5/10s or 2 (per second)';
/**
 * A rate as written: `3/min`, `10/s`, `5/10s`, or a bare positive number meaning per second (so
 * `--set workload.arrivals.rate=2` reads as `2/s`). Output: the text form.
 */
const rateString = z.string(msg(RATE)).regex(RATE_RE, msg(RATE));
/** A number as decimal digits (1e-7 → 0.0000001); beyond toFixed's reach it stays as it prints, and the regex refuses it. */
const plain = (n: number): string => (/e-/.test(String(n)) ? n.toFixed(100).replace(/0+$/, '') : String(n));
const rateText = z.union([
  z.number(msg(RATE)).positive(msg(RATE)).transform((n) => `${plain(n)}/s`).pipe(rateString),
  rateString,
], msg(RATE));

/** Why a limit is out of bounds, or undefined. */
function limitProblem(r: Rate, maxCount = MAX_LIMIT_COUNT, what = 'requests'): string | undefined {
  if (!(Number.isInteger(r.count) && r.count > 0 && r.windowMs > 0)) return 'expected a rate with a whole positive count and a non-zero window, such as 3/min';
  if (r.count > maxCount) return `expected at most ${maxCount} ${what} per window`;
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
  .meta({ id: 'rate', description: `A whole count per window, such as 3/min, 10/s or 5/10s, or a bare number per second (count at most ${MAX_LIMIT_COUNT}, window from ${MIN_TIMER_MS}ms to ${MAX_DURATION_TEXT})` });

/** The most tokens a quota may allow per window (a float holds every whole count this large exactly). */
export const MAX_TOKEN_LIMIT = 1e12;

/** A tokens quota: `30000/min`; like `rate` with counts up to a trillion (a window holds one entry per admission, not per token). */
export const tokenRate = rateText
  .superRefine((s, ctx) => {
    const r = parseRate(s);
    const problem = r && limitProblem(r, MAX_TOKEN_LIMIT, 'tokens');
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
  })
  .transform((s) => parseRate(s)!)
  .meta({ id: 'tokenRate', description: `Tokens per window, such as 30000/min, or a bare number per second (count at most ${MAX_TOKEN_LIMIT}, window from ${MIN_TIMER_MS}ms to ${MAX_DURATION_TEXT})` });

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
