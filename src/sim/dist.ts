import type { Dist } from '../scenario/types.js';
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

export function sampler(dist: Dist, random: Random): Sampler {
  switch (dist.dist) {
    case 'constant':
      return new Constant(dist.value);
    case 'uniform':
      return new Uniform(random, dist.min, dist.max);
    case 'exponential':
      return new Exponential(random, dist.mean);
    case 'normal':
      return new TruncatedNormal(random, dist.mean, dist.sd);
    case 'lognormal':
      return new LogNormal(random, dist.mu, dist.sigma);
    case 'empirical':
      return new Empirical(random, dist.samples);
  }
}

/** Lognormal parameters from a median and a 99th percentile (both ms). */
export function lognormalFromQuantiles(median: number, p99: number): { mu: number; sigma: number } {
  return { mu: Math.log(median), sigma: Math.log(p99 / median) / Z99 };
}
