import { errorFunction, gammaln, mean } from 'simple-statistics';
import { sampler, type Dist } from '../sim/dist.js';
import { stream, type Random } from '../sim/random.js';

/**
 * Fitting a latency distribution to measured samples: lognormal and gamma by maximum likelihood,
 * each judged by a Kolmogorov–Smirnov test whose p-value comes from a parametric bootstrap (the
 * parameters are estimated from the same samples, so the textbook critical values would pass
 * almost anything: Lilliefors' point). The better of those that pass; the empirical distribution
 * when neither does. Pure functions over the samples and a seed.
 */

/** Significance of the goodness-of-fit test: a form is rejected when its p-value is below it. */
export const FIT_ALPHA = 0.05;
/** Bootstrap replications of the KS statistic. */
const BOOTSTRAP = 200;
/** Samples the test looks at (an even thinning of more): the bootstrap's cost stays bounded. */
const TEST_MAX = 2000;
/** Points the empirical form keeps (evenly spaced quantiles of more samples). */
export const EMPIRICAL_POINTS = 1000;

export interface FormFit {
  dist: Dist;
  /** The KS statistic (largest gap between the fitted CDF and the samples') and its bootstrap p-value. */
  ks: number;
  p: number;
}

export interface LatencyFit {
  chosen: Dist;
  /** Why: the form chosen and the tests of both parametric forms. */
  form: 'lognormal' | 'gamma' | 'empirical';
  lognormal: FormFit | undefined;
  gamma: FormFit | undefined;
  n: number;
}

const SQRT2 = Math.SQRT2;

/** The lognormal's MLE: the mean and (population) standard deviation of the logs. */
export function fitLognormal(xs: readonly number[]): { mu: number; sigma: number } {
  const logs = xs.map(Math.log);
  const mu = mean(logs);
  const sigma = Math.sqrt(logs.reduce((a, l) => a + (l - mu) ** 2, 0) / logs.length);
  return { mu, sigma };
}

/** ψ(x), the digamma function (recurrence up to 6, then its asymptotic series). */
function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

/** ψ'(x), the trigamma function. */
function trigamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

/** The gamma's MLE: shape k solves ln k − ψ(k) = ln(mean) − mean(ln x) (Minka's start, then Newton), scale = mean / k. */
export function fitGamma(xs: readonly number[]): { shape: number; scale: number } {
  const m = mean(xs as number[]);
  const s = Math.log(m) - mean(xs.map(Math.log));
  if (!(s > 0)) return { shape: 1e6, scale: m / 1e6 }; // every sample alike: as narrow as the bound allows
  let k = (3 - s + Math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s);
  for (let i = 0; i < 50; i++) {
    const step = (Math.log(k) - digamma(k) - s) / (1 / k - trigamma(k));
    const next = k - step;
    k = next > 0 ? next : k / 2;
    if (Math.abs(step) < 1e-10 * k) break;
  }
  k = Math.min(k, 1e6);
  return { shape: k, scale: m / k };
}

/** P(k, x): the regularised lower incomplete gamma function (series below k + 1, continued fraction above). */
export function gammaP(k: number, x: number): number {
  if (x <= 0) return 0;
  const lead = k * Math.log(x) - x - gammaln(k);
  if (x < k + 1) {
    let term = 1 / k;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (k + n);
      sum += term;
      if (term < sum * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(lead));
  }
  // Lentz's continued fraction for Q(k, x).
  const tiny = 1e-300;
  let b = x + 1 - k;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - k);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.max(0, 1 - Math.exp(lead) * h);
}

/** The CDF of a lognormal or gamma distribution at x (ms). */
export function cdf(d: Dist, x: number): number {
  if (d.dist === 'lognormal') return x <= 0 ? 0 : 0.5 * (1 + errorFunction((Math.log(x) - d.mu) / (d.sigma * SQRT2)));
  if (d.dist === 'gamma') return gammaP(d.shape, x / d.scale);
  throw new RangeError(`cdf: no closed form for ${d.dist}`);
}

/** The q-quantile of a fitted distribution (ms): lognormal in closed form, gamma by bisection on its CDF, empirical by nearest rank. */
export function quantileOf(d: Dist, q: number): number {
  if (d.dist === 'lognormal') return Math.exp(d.mu + d.sigma * SQRT2 * inverseErf(2 * q - 1));
  if (d.dist === 'empirical') {
    const s = [...d.samples].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  }
  if (d.dist === 'gamma') {
    let lo = 0;
    let hi = d.shape * d.scale;
    while (cdf(d, hi) < q) hi *= 2;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (cdf(d, mid) < q) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  }
  if (d.dist === 'constant') return d.value;
  throw new RangeError(`quantileOf: not for ${d.dist}`);
}

/** erf⁻¹ by Newton's method on simple-statistics' erf (good to its own precision, ~1e-7). */
function inverseErf(y: number): number {
  let x = 0;
  for (let i = 0; i < 60; i++) {
    const step = (errorFunction(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
    x -= step;
    if (Math.abs(step) < 1e-12) break;
  }
  return x;
}

/** The KS statistic of sorted samples against a CDF. */
export function ksStatistic(sorted: readonly number[], F: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = F(sorted[i]!);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

type Form = 'lognormal' | 'gamma';
const fitForm = (form: Form, xs: readonly number[]): Dist =>
  form === 'lognormal' ? { dist: 'lognormal', ...fitLognormal(xs) } : { dist: 'gamma', ...fitGamma(xs) };

/** A form's fit, its KS statistic and its parametric-bootstrap p-value. */
function testForm(form: Form, sorted: readonly number[], random: Random): FormFit {
  const dist = fitForm(form, sorted);
  const ks = ksStatistic(sorted, (x) => cdf(dist, x));
  const draw = sampler(dist, random);
  let beyond = 0;
  const sample = new Array<number>(sorted.length);
  for (let b = 0; b < BOOTSTRAP; b++) {
    for (let i = 0; i < sample.length; i++) sample[i] = Math.max(draw.sample(), Number.MIN_VALUE);
    sample.sort((a, c) => a - c);
    const refit = fitForm(form, sample);
    if (ksStatistic(sample, (x) => cdf(refit, x)) >= ks) beyond++;
  }
  return { dist, ks, p: (beyond + 1) / (BOOTSTRAP + 1) };
}

/** At most `max` of the sorted samples, evenly spaced by rank (all of them when fewer). */
function thinned(sorted: readonly number[], max: number): number[] {
  if (sorted.length <= max) return [...sorted];
  return Array.from({ length: max }, (_, i) => sorted[Math.floor(((i + 0.5) * sorted.length) / max)]!);
}

/**
 * The latency distribution of `samples` (ms, > 0): lognormal or gamma when its KS test passes at
 * FIT_ALPHA (the larger p-value of the two when both do), else the empirical distribution of at
 * most EMPIRICAL_POINTS of them. Deterministic for a seed.
 */
export function fitLatency(samples: readonly number[], seed = 1): LatencyFit {
  const positive = samples.filter((x) => x > 0 && Number.isFinite(x)).sort((a, b) => a - b);
  if (positive.length < 2) throw new RangeError(`expected at least 2 positive latency samples, got ${positive.length}`);
  const tested = thinned(positive, TEST_MAX);
  const random = stream(seed, 'calibrate:fit');
  const alike = positive[0] === positive.at(-1);
  const lognormal = alike ? undefined : testForm('lognormal', tested, random);
  const gamma = alike ? undefined : testForm('gamma', tested, random);
  const passing = [lognormal, gamma].filter((f): f is FormFit => f !== undefined && f.p >= FIT_ALPHA).sort((a, b) => b.p - a.p || a.ks - b.ks);
  const best = passing[0];
  if (alike) return { chosen: { dist: 'constant', value: positive[0]! }, form: 'empirical', lognormal, gamma, n: positive.length };
  const chosen: Dist = best ? best.dist : { dist: 'empirical', samples: thinned(positive, EMPIRICAL_POINTS) };
  return { chosen, form: best ? (best.dist.dist as Form) : 'empirical', lognormal, gamma, n: positive.length };
}
