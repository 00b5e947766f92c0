import { linearRegression, mean, quantileSorted } from 'simple-statistics';
import type { Results, VariantResult } from '../metrics/results.js';
import type { AttemptRecord } from '../providers/attempt-log.js';
import { showMs, type Dist } from '../sim/dist.js';
import type { Calibration } from './calibration.js';
import { fitLatency, quantileOf, type LatencyFit } from './fit.js';
import { fitQuota, type QuotaAttempt, type QuotaFit } from './quota-fit.js';

/**
 * Calibration from a real run's results.json (a scenario run with --mode real, or `gatesim probe`):
 * every variant's attemptLog, on one timeline, for one provider. Fits its latency (lognormal,
 * gamma or empirical by goodness of fit), its failure rate, its requests quota (quota-fit.ts) and,
 * when answers streamed, time to first token and per output token against requests in flight.
 */

/** A results.json that calibrate cannot read: one line, naming the file and what was expected. */
export class CalibrateError extends Error {}

/** Tolerances of the residuals (docs/calibrate.md): latency quantiles relative, the quota's agreement, failures in binomial standard errors. */
export const TOLERANCE = { latency: 0.1, latencyP99: 0.25, quotaAgreement: 0.95, failureSe: 3, failureAbs: 0.01, serving: 0.15 } as const;

/** Attempts a fit needs at least (latency samples, streamed answers). */
const MIN_SAMPLES = 20;

interface Placed extends AttemptRecord {
  /** On the run's timeline (scenario ms from its first variant's start). */
  t: number;
  segment: number;
  variant: string;
}

const rel = (predicted: number, measured: number): number => (measured === 0 ? (predicted === 0 ? 0 : Infinity) : predicted / measured - 1);
const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));

/** The variants' attempts with one provider, on one timeline; a reset of the provider starts a new replay segment. */
function placed(results: Results, file: string, provider: string | undefined): { attempts: Placed[]; name: string; variants: VariantResult[] } {
  const variants = results.runs.flatMap((r) => r.variants).filter((v) => v.attemptLog !== undefined);
  if (variants.length === 0) throw new CalibrateError(`${file}: expected a real-mode results.json with attemptLog (a run with --mode real, or gatesim probe), got results without one`);
  const names = [...new Set(variants.flatMap((v) => v.attemptLog!.providers))];
  const name = provider ?? names[0]!;
  if (!names.includes(name)) throw new CalibrateError(`--provider: expected one of ${names.join(', ')}, got ${JSON.stringify(provider)}`);
  const scale = results.timeScale ?? 1;
  const t0 = Math.min(...variants.map((v) => v.attemptLog!.startedAt));
  const out: Placed[] = [];
  let segment = 0;
  // A reset segment's clock starts at its variant's start (the provider's quotas and clock start afresh then).
  let segmentStart = 0;
  variants.forEach((v, i) => {
    const log = v.attemptLog!;
    const offset = (log.startedAt - t0) / scale;
    if (i > 0 && v.cooldown?.by.startsWith('reset')) {
      segment++;
      segmentStart = offset;
    }
    const index = log.providers.indexOf(name);
    for (const a of log.attempts) if (a.provider === index) out.push({ ...a, t: a.at + offset - segmentStart, segment, variant: v.name });
  });
  return { attempts: out, name, variants };
}

/** Checks the parsed JSON is results calibrate can read (one line when not). */
export function asRealResults(data: unknown, file: string): Results {
  const r = data as Partial<Results> | null;
  if (!r || typeof r !== 'object' || r.schema !== 'gatesim.results/v1' || !Array.isArray(r.runs)) {
    throw new CalibrateError(`${file}: expected a gatesim results.json (schema gatesim.results/v1)`);
  }
  if (r.mode !== 'real') throw new CalibrateError(`${file}: expected the results of a real run (--mode real, or gatesim probe), got mode ${JSON.stringify(r.mode)}`);
  return r as Results;
}

const latencyProvider = (d: Dist): Record<string, unknown> | string => {
  if (d.dist === 'lognormal') return { dist: 'lognormal', mu: round(d.mu, 6), sigma: round(d.sigma, 6) };
  if (d.dist === 'gamma') return { dist: 'gamma', shape: round(d.shape, 6), scale: `${round(d.scale, 6)}ms` };
  if (d.dist === 'constant') return `${round(d.value, 6)}ms`;
  if (d.dist === 'empirical') return { dist: 'empirical', samples: d.samples.map((x) => round(x, 6)) };
  throw new RangeError(`no provider form for ${d.dist}`);
};

/** The latency fit's points: the whole run, then each variant's median against the same fit. */
function latencyPoints(fit: LatencyFit, ok: Placed[], variants: string[]): Calibration['points'] {
  const sorted = ok.map((a) => a.ms).sort((a, b) => a - b);
  const q = (xs: number[], p: number): number => quantileSorted(xs, p);
  const measured = { p50: q(sorted, 0.5), p90: q(sorted, 0.9), p99: q(sorted, 0.99), mean: mean(sorted) };
  const d = fit.chosen;
  const predicted = { p50: quantileOf(d, 0.5), p90: quantileOf(d, 0.9), p99: quantileOf(d, 0.99), mean: d.dist === 'lognormal' ? Math.exp(d.mu + (d.sigma * d.sigma) / 2) : d.dist === 'gamma' ? d.shape * d.scale : d.dist === 'empirical' ? mean(d.samples) : measured.mean };
  const err = (m: Record<string, number>, p: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(m).map((k) => [k, rel(p[k]!, m[k]!)]));
  const points: Calibration['points'] = [{ label: `latency (${fit.form}, ${ok.length} answers)`, measured, predicted, error: err(measured, predicted) }];
  if (variants.length > 1) {
    for (const v of variants) {
      const xs = ok.filter((a) => a.variant === v).map((a) => a.ms).sort((a, b) => a - b);
      if (xs.length < 5) continue;
      const m = { p50: q(xs, 0.5) };
      const p = { p50: predicted.p50 };
      points.push({ label: `latency at ${v}`, measured: m, predicted: p, error: err(m, p) });
    }
  }
  return points;
}

/** The requests quota's block (`limit:`) as a scenario writes it. */
function limitBlock(q: QuotaFit): Record<string, unknown> {
  return { requests: `${q.count}/${Math.round(q.windowMs)}ms`, algorithm: q.algorithm, refused: q.refused };
}

/**
 * A linear fit of `y` against requests in flight, with its points: mean y at each in-flight level
 * against the line. undefined with too few samples.
 */
function againstInFlight(label: string, samples: { inFlight: number; y: number }[]): { base: number; perSequence: number; points: Calibration['points'] } | undefined {
  // Levels seen only in passing (a rung's ramp) carry a handful of samples: left out of the line and the points.
  const seen = new Map<number, number>();
  for (const s of samples) seen.set(s.inFlight, (seen.get(s.inFlight) ?? 0) + 1);
  const enough = Math.max(5, Math.ceil(0.02 * samples.length));
  samples = samples.filter((s) => seen.get(s.inFlight)! >= enough);
  if (samples.length < MIN_SAMPLES) return undefined;
  const levels = [...seen.keys()].filter((l) => seen.get(l)! >= enough).sort((a, b) => a - b);
  const { m, b } = levels.length > 1 ? linearRegression(samples.map((s) => [s.inFlight, s.y])) : { m: 0, b: mean(samples.map((s) => s.y)) };
  // Base at zero sequences and a slope; the model adds perSequence × sequences running (this one included).
  const base = Math.max(0, b);
  const perSequence = Math.max(0, m);
  const points = levels.map((l) => {
    const ys = samples.filter((s) => s.inFlight === l).map((s) => s.y);
    const measured = { mean: mean(ys) };
    const predicted = { mean: base + perSequence * l };
    return { label: `${label} at ${l} in flight`, measured, predicted, error: { mean: rel(predicted.mean, measured.mean) } };
  });
  return { base, perSequence, points };
}

/** Calibrates a provider from real-mode results (parsed JSON); `source` names the file. */
export function calibrateRun(data: unknown, source: string, opts: { provider?: string; seed?: number } = {}): Calibration {
  const results = asRealResults(data, source);
  const { attempts, name, variants } = placed(results, source, opts.provider);
  const variantNames = variants.map((v) => v.name);
  const notes: string[] = [];
  const points: Calibration['points'] = [];
  const outside: string[] = [];
  const provider: Record<string, unknown> = { name };

  // Latency: the answers that succeeded, from sending to their end.
  const ok = attempts.filter((a) => a.end === 'ok');
  if (ok.length < MIN_SAMPLES) throw new CalibrateError(`${source}: expected at least ${MIN_SAMPLES} successful answers from ${name} to fit its latency, got ${ok.length}`);
  const fit = fitLatency(ok.map((a) => a.ms), opts.seed ?? results.seed);
  provider.latency = latencyProvider(fit.chosen);
  const latency = latencyPoints(fit, ok, variantNames);
  points.push(...latency);
  // A p99 rests on the top 1% of the answers: a looser bound.
  for (const p of latency) if (Object.entries(p.error).some(([k, e]) => !(Math.abs(e) <= (k === 'p99' ? TOLERANCE.latencyP99 : TOLERANCE.latency)))) outside.push(p.label);
  const tests = (['lognormal', 'gamma'] as const).map((f) => (fit[f] ? `${f} KS ${fit[f].ks.toFixed(3)} (p ${fit[f].p.toFixed(3)})` : `${f} not tried`));
  notes.push(`latency: ${fit.form}${fit.form === 'empirical' ? ' (neither parametric form passed the KS test at 5%)' : ''}; ${tests.join(', ')}; measured from sending to the answer's end, so it includes the network and any queue at the provider`);

  // Failures: 5xx (and streams broken off) per answer the provider served (429s never reach service).
  const failed = attempts.filter((a) => a.end === 'serverError').length;
  const served = ok.length + failed;
  const failure = failed / served;
  provider.failure = round(failure, 4);
  const se = Math.sqrt((failure * (1 - failure)) / served);
  for (const v of variantNames.length > 1 ? variantNames : []) {
    const mine = attempts.filter((a) => a.variant === v && (a.end === 'ok' || a.end === 'serverError'));
    if (mine.length < 5) continue;
    const m = mine.filter((a) => a.end === 'serverError').length / mine.length;
    const vse = Math.sqrt(Math.max(failure * (1 - failure), 1 / mine.length) / mine.length);
    const label = `failures at ${v}`;
    points.push({ label, measured: { rate: m }, predicted: { rate: failure }, error: { rate: failure - m } });
    if (Math.abs(failure - m) > Math.max(TOLERANCE.failureAbs, TOLERANCE.failureSe * vse)) outside.push(label);
  }
  notes.push(`failure: ${failed} of ${served} served answers (${(100 * failure).toFixed(2)}% ± ${(100 * se).toFixed(2)}% standard error)`);
  const abandoned = attempts.filter((a) => a.end === 'abandoned').length;
  if (abandoned > 0) notes.push(`${abandoned} attempts were abandoned (the client's timeout or the run's end): their latency is not in the fit, which then understates the tail`);

  // The requests quota.
  const quotaAttempts: QuotaAttempt[] = attempts
    .filter((a) => a.end !== 'connectFailed' && a.end !== 'tooLarge')
    .map((a) => ({
      segment: a.segment,
      key: a.key,
      at: a.t,
      admitted: a.end === 'abandoned' ? undefined : a.end !== 'rateLimited',
      ...(a.limitRequests !== undefined ? { limit: a.limitRequests } : {}),
      ...(a.resetRequestsMs !== undefined ? { resetMs: a.resetRequestsMs } : {}),
      ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}),
    }))
    .sort((a, b) => a.segment - b.segment || a.key - b.key || a.at - b.at);
  const quota = fitQuota(quotaAttempts);
  if (quota) {
    provider.limit = limitBlock(quota);
    const label = 'requests quota';
    points.push({
      label,
      measured: { '429s': quota.refusedMeasured, agreement: 1 },
      predicted: { '429s': quota.refusedPredicted, agreement: quota.agreement },
      error: { '429s': rel(quota.refusedPredicted, quota.refusedMeasured), agreement: quota.agreement - 1 },
    });
    if (quota.agreement < TOLERANCE.quotaAgreement) outside.push(label);
    const others = Object.entries(quota.others).map(([a, g]) => `${a} ${(100 * g).toFixed(1)}%`).join(', ');
    notes.push(
      `quota: ${quota.algorithm}, ${quota.count} per ${showMs(quota.windowMs)} (${round((quota.count / quota.windowMs) * 1000, 4)}/s), refused requests ${quota.refused === 'counts' ? 'count' : 'do not count'}; N from ${quota.countFrom === 'headers' ? 'x-ratelimit-limit-requests' : 'the admissions'}; reproduces ${(100 * quota.agreement).toFixed(1)}% of answers (others: ${others})`,
    );
  } else notes.push('quota: no 429 and no x-ratelimit headers: no requests quota was seen (the run stayed under it, or there is none)');

  // Streaming: time to first token and per output token against requests in flight.
  const streamed = ok.filter((a) => a.ttftMs !== undefined);
  const ttft = againstInFlight('ttft', streamed.map((a) => ({ inFlight: a.inFlight, y: a.ttftMs! })));
  const tpot = againstInFlight('tpot', streamed.filter((a) => a.tpotMs !== undefined).map((a) => ({ inFlight: a.inFlight, y: a.tpotMs! })));
  if (ttft && tpot) {
    const maxSequences = Math.max(...streamed.map((a) => a.inFlight));
    provider.serving = {
      ttft: { base: `${round(ttft.base)}ms`, perSequence: `${round(ttft.perSequence)}ms` },
      tpot: { base: `${round(tpot.base)}ms`, perSequence: `${round(tpot.perSequence)}ms` },
      maxSequences,
    };
    for (const p of [...ttft.points, ...tpot.points]) {
      points.push(p);
      if (!(Math.abs(p.error.mean!) <= TOLERANCE.serving)) outside.push(p.label);
    }
    notes.push(`serving: linear in requests in flight; maxSequences is the most seen in flight (${maxSequences}), a lower bound; with serving, a simulation times answers by it instead of latency`);
  }
  return { source, provider, points, outside, notes };
}
