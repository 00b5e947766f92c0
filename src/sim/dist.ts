import { z } from 'zod';
import { MAX_DURATION_MS, MAX_DURATION_TEXT } from '../core/limits.js';
import { duration } from '../core/units.js';
import type { Random } from './random.js';

/** Draws non-negative durations (ms). */
export interface Sampler {
  sample(): number;
  /** The distribution's mean (ms), for reports and sanity checks. */
  readonly mean: number;
}

const Z99 = 2.3263478740408408;

/** Standard normal draws by Box–Muller, keeping the second value of each pair. */
class Gaussian {
  private spare = 0;
  private hasSpare = false;
  constructor(private readonly random: Random) {}
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }
}

class Constant implements Sampler {
  constructor(readonly mean: number) {}
  sample(): number {
    return this.mean;
  }
}

class Uniform implements Sampler {
  readonly mean: number;
  constructor(
    private readonly random: Random,
    private readonly min: number,
    private readonly max: number,
  ) {
    this.mean = (min + max) / 2;
  }
  sample(): number {
    return this.min + (this.max - this.min) * this.random();
  }
}

class Exponential implements Sampler {
  constructor(
    private readonly random: Random,
    readonly mean: number,
  ) {}
  sample(): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -this.mean * Math.log(1 - this.random());
  }
}

class TruncatedNormal implements Sampler {
  private readonly g: Gaussian;
  constructor(
    random: Random,
    readonly mean: number,
    private readonly sd: number,
  ) {
    this.g = new Gaussian(random);
  }
  sample(): number {
    // Redraw negatives: truncation, not clamping, so no mass piles up at 0.
    for (let i = 0; i < 1000; i++) {
      const x = this.mean + this.sd * this.g.next();
      if (x >= 0) return x;
    }
    return 0;
  }
}

class LogNormal implements Sampler {
  private readonly g: Gaussian;
  readonly mean: number;
  constructor(
    random: Random,
    private readonly mu: number,
    private readonly sigma: number,
  ) {
    this.g = new Gaussian(random);
    this.mean = Math.exp(mu + (sigma * sigma) / 2);
  }
  sample(): number {
    return Math.exp(this.mu + this.sigma * this.g.next());
  }
}

/** Gamma(shape k, scale θ) by Marsaglia and Tsang's squeeze (k < 1: boosted by U^(1/k)). */
class Gamma implements Sampler {
  private readonly g: Gaussian;
  readonly mean: number;
  private readonly d: number;
  private readonly c: number;
  constructor(
    private readonly random: Random,
    private readonly shape: number,
    private readonly scale: number,
  ) {
    this.g = new Gaussian(random);
    this.mean = shape * scale;
    const k = shape < 1 ? shape + 1 : shape;
    this.d = k - 1 / 3;
    this.c = 1 / Math.sqrt(9 * this.d);
  }
  sample(): number {
    for (;;) {
      const x = this.g.next();
      const v0 = 1 + this.c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = this.random();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + this.d * (1 - v + Math.log(v))) {
        const draw = this.d * v * this.scale;
        return this.shape < 1 ? draw * Math.pow(1 - this.random(), 1 / this.shape) : draw;
      }
    }
  }
}

class Empirical implements Sampler {
  private readonly samples: Float64Array;
  readonly mean: number;
  constructor(
    private readonly random: Random,
    samples: readonly number[],
  ) {
    this.samples = Float64Array.from(samples);
    this.mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  }
  sample(): number {
    return this.samples[Math.floor(this.random() * this.samples.length)]!;
  }
}

// ---- the registry: each kind's options (the scenario's form), checks, resolved form and sampler ----

const msg = (error: string) => ({ error });
const num = (n: unknown): n is number => typeof n === 'number';

/** `3.2h`, `250ms`, `1e+300h`: a computed duration in messages. */
export function showMs(ms: number): string {
  const sig = (x: number) => String(Number(x.toPrecision(3)));
  if (!Number.isFinite(ms)) return String(ms);
  return ms >= 3_600_000 ? `${sig(ms / 3_600_000)}h` : `${sig(ms)}ms`;
}

/** ln(100): an exponential's p99 over its mean. */
const EXP_P99 = Math.log(100);

/** A distribution kind: the options after `dist:`, checks across them, the resolved form, and its sampler. */
interface DistEntry<O extends z.ZodObject, D> {
  options: O;
  check?: (o: z.output<O>, issue: (path: string[], message: string) => void) => void;
  resolve(o: z.output<O>): D;
  sampler(d: D, random: Random): Sampler;
}
const kind = <O extends z.ZodObject, D>(e: DistEntry<O, D>): DistEntry<O, D> => e;

/** Lognormal parameters from either form: median and p99 (mu = ln median, sigma = ln(p99/median)/z99), or mu and sigma as given. */
function logParams(v: { median?: number; p99?: number; mu?: number; sigma?: number }): { mu: number; sigma: number } {
  if (v.mu !== undefined && v.sigma !== undefined) return { mu: v.mu, sigma: v.sigma };
  return lognormalFromQuantiles(v.median!, v.p99!);
}

/**
 * Every kind of distribution, under the name a scenario writes after `dist:`, over a unit: its
 * parameters are units (`unit` = unit, `max` a year) or token counts. Adding one is a
 * sampler above and a line here; the scenario schema and its JSON Schema follow.
 */
const kindsOver = (unit: z.ZodType<number>, what: string, max: number, maxText: string, show: (x: number) => string = showMs) => {
  const TOO_LONG = `of at most ${maxText}`;
  // What one value is called in messages: `duration`, `token count`.
  const noun = what === 'a duration' ? 'duration' : 'token count';
  return {
  constant: kind({
    options: z.strictObject({ value: unit }),
    resolve: (o) => ({ dist: 'constant' as const, value: o.value }),
    sampler: (d) => new Constant(d.value),
  }),
  uniform: kind({
    options: z.strictObject({ min: unit, max: unit }),
    check: (v, issue) => {
      if (num(v.min) && num(v.max) && v.min > v.max) issue(['max'], `expected ${what} no less than min`);
    },
    resolve: (o) => ({ dist: 'uniform' as const, min: o.min, max: o.max }),
    sampler: (d, random) => new Uniform(random, d.min, d.max),
  }),
  exponential: kind({
    options: z.strictObject({ mean: unit }),
    check: (v, issue) => {
      if (num(v.mean) && !(v.mean * EXP_P99 <= max)) issue(['mean'], `expected a p99 (4.61 × mean) ${TOO_LONG}`);
    },
    resolve: (o) => ({ dist: 'exponential' as const, mean: o.mean }),
    sampler: (d, random) => new Exponential(random, d.mean),
  }),
  /** Normal, truncated at 0 (negative draws are redrawn). */
  normal: kind({
    options: z.strictObject({ mean: unit, sd: unit }),
    check: (v, issue) => {
      const p99 = v.mean + Z99 * v.sd;
      if (num(v.mean) && num(v.sd) && !(p99 <= max)) issue([], `expected a p99 (mean + 2.33 × sd) ${TOO_LONG}, got ${show(p99)}`);
    },
    resolve: (o) => ({ dist: 'normal' as const, mean: o.mean, sd: o.sd }),
    sampler: (d, random) => new TruncatedNormal(random, d.mean, d.sd),
  }),
  /** Lognormal: ln(ms) ~ N(mu, sigma), given by median and p99 or by mu and sigma. */
  lognormal: kind({
    options: z.strictObject({
      median: unit.optional().describe(`Median (50th percentile) ${noun}; give with p99`),
      p99: unit.optional().describe(`99th percentile ${noun}; must exceed median`),
      mu: z.number(msg('expected a number')).optional().describe('Mean of ln(ms); give with sigma instead of median/p99'),
      sigma: z.number(msg('expected a positive number')).positive(msg('expected a positive number')).optional().describe('Standard deviation of ln(ms)'),
    }),
    check: (v, issue) => {
      const byQuantiles = v.median !== undefined || v.p99 !== undefined;
      const byParams = v.mu !== undefined || v.sigma !== undefined;
      if (byQuantiles && byParams) return issue([], 'expected either median and p99, or mu and sigma, not both');
      if (byParams) {
        if (v.mu === undefined) issue(['mu'], 'required field missing');
        if (v.sigma === undefined) issue(['sigma'], 'required field missing');
        if (!num(v.mu) || !num(v.sigma)) return;
      } else if (!byQuantiles) return issue([], 'expected median and p99 (or mu and sigma)');
      else if (v.median === undefined) return issue(['median'], 'required field missing');
      else if (v.p99 === undefined) return issue(['p99'], 'required field missing');
      else if (!num(v.median) || !num(v.p99)) return; // a field's own problem is reported
      else if (v.median <= 0) return issue(['median'], `expected ${what} greater than 0`);
      else if (v.p99 <= v.median) return issue(['p99'], `expected ${what} greater than median`);
      // Both forms can describe a tail no run could finish: mu 700 has a p99 of 10^303 ms, and a
      // p99 50,000 × the median puts the mean past the p99. Both must stay within a year.
      const { mu, sigma } = logParams(v);
      const mean = Math.exp(mu + (sigma * sigma) / 2);
      const p99 = Math.exp(mu + Z99 * sigma);
      // A p99 of exactly a year, given as such, comes back from ln and exp a few ulps off.
      const most = max * (1 + 1e-12);
      if (!(mean <= most && p99 <= most)) issue([], `expected a mean and p99 ${TOO_LONG}, got mean ${show(mean)}, p99 ${show(p99)}`);
    },
    resolve: (o) => ({ dist: 'lognormal' as const, ...logParams(o) }),
    sampler: (d, random) => new LogNormal(random, d.mu, d.sigma),
  }),
  /** Gamma with `shape` k and `scale` θ: mean kθ, coefficient of variation 1/√k. */
  gamma: kind({
    options: z.strictObject({
      shape: z.number(msg('expected a positive number')).positive(msg('expected a positive number')).max(1e6, msg('expected a shape of at most 1000000')).describe('Shape k (1: exponential; larger: narrower, toward a normal)'),
      scale: unit.describe(`Scale θ, a ${noun}: the mean is shape × scale`),
    }),
    check: (v, issue) => {
      if (!num(v.shape) || !num(v.scale)) return;
      if (v.scale <= 0) return issue(['scale'], `expected ${what} greater than 0`);
      // Wilson–Hilferty's p99, within a percent or two: what no run could finish is the point.
      const p99 = v.shape * v.scale * Math.pow(1 - 1 / (9 * v.shape) + Z99 * Math.sqrt(1 / (9 * v.shape)), 3);
      if (!(p99 <= max * (1 + 1e-9))) issue([], `expected a p99 ${TOO_LONG}, got ${show(p99)}`);
    },
    resolve: (o) => ({ dist: 'gamma' as const, shape: o.shape, scale: o.scale }),
    sampler: (d, random) => new Gamma(random, d.shape, d.scale),
  }),
  /** Draws uniformly from the listed samples (ms). */
  empirical: kind({
    options: z.strictObject({
      samples: z.array(unit, msg(`expected a list of ${noun}s`)).min(1, msg(`expected a non-empty list of ${noun}s`)),
    }),
    resolve: (o) => ({ dist: 'empirical' as const, samples: o.samples }),
    sampler: (d, random) => new Empirical(random, d.samples),
  }),
  };
};

/** Every distribution of durations (ms). */
export const distributions = kindsOver(duration, 'a duration', MAX_DURATION_MS, MAX_DURATION_TEXT);

type Distributions = typeof distributions;
/** A distribution of non-negative durations in ms, resolved (lognormal always as mu and sigma). */
export type Dist = { [K in keyof Distributions]: ReturnType<Distributions[K]['resolve']> }[keyof Distributions];

export const distKinds = Object.keys(distributions) as (keyof Distributions)[];

/**
 * The scenario schema of a distribution over `unit`: a plain value (constant) or `{ dist: kind, … }`
 * (see `kindsOver`). Output: the resolved Dist.
 */
function distributionOver(kinds: Distributions, unit: z.ZodType<number>, example: string, id: string, what: string) {
  const forms = distKinds.map((name) => {
    const e = kinds[name] as DistEntry<z.ZodObject, Dist>;
    // `dist` first, as it is written.
    return z.strictObject({ dist: z.literal(name), ...e.options.shape }).superRefine((v, ctx) =>
      e.check?.(v as never, (path, message) => ctx.addIssue({ code: 'custom', path, message })),
    );
  });
  return z
    .union([unit, z.discriminatedUnion('dist', forms as unknown as [z.ZodObject, ...z.ZodObject[]])], msg(`expected ${what} or a distribution such as ${example}`))
    .transform((v): Dist => {
      if (typeof v === 'number') return { dist: 'constant', value: v };
      const { dist, ...options } = v as { dist: keyof Distributions } & Record<string, unknown>;
      return (kinds[dist] as DistEntry<z.ZodObject, Dist>).resolve(options as never);
    })
    .meta({ id, description: `${what[0]!.toUpperCase()}${what.slice(1)} (constant), or { dist: ${distKinds.join(' | ')}, … }` });
}

/** A distribution of durations in a scenario (latency, think time). */
export const distribution = distributionOver(distributions, duration, '{ dist: lognormal, median: 3s, p99: 9s }', 'distribution', 'a duration');

/** Tokens one request may carry (prompt or output): a bound on a count, far above any model's context. */
export const MAX_TOKENS = 10_000_000;
const tokenCount = z
  .number({ error: `expected a number of tokens from 0 to ${MAX_TOKENS}` })
  .min(0, { error: `expected a number of tokens from 0 to ${MAX_TOKENS}` })
  .max(MAX_TOKENS, { error: `expected a number of tokens from 0 to ${MAX_TOKENS}` });

/** A distribution of token counts in a scenario (prompt, output, max_tokens); draws are rounded to whole tokens. */
export const tokenDistribution = distributionOver(
  kindsOver(tokenCount, 'a number of tokens', MAX_TOKENS, `${MAX_TOKENS} tokens`, (x) => `${Number(x.toPrecision(3))} tokens`),
  tokenCount,
  '{ dist: lognormal, median: 800, p99: 6000 }',
  'tokenDistribution',
  'a number of tokens',
);

/** The sampler of a resolved distribution, drawing from `random`. */
export function sampler(dist: Dist, random: Random): Sampler {
  return (distributions[dist.dist] as DistEntry<z.ZodObject, Dist>).sampler(dist as never, random);
}

/** z-score of the 99th percentile of the standard normal. */
export { Z99 };

/** Lognormal parameters from a median and a 99th percentile (both ms). */
export function lognormalFromQuantiles(median: number, p99: number): { mu: number; sigma: number } {
  return { mu: Math.log(median), sigma: Math.log(p99 / median) / Z99 };
}
