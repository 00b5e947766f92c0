import { createWindow } from '../limiters/index.js';
import type { Window } from '../limiters/window.js';

/**
 * The shape of a provider's requests quota from the attempts a real run recorded: which algorithm
 * (an exact sliding window, a fixed window aligned to its clock, or a token bucket), its size N and
 * window W (a bucket's rate is N / W), and whether a refused request still counts. Each candidate
 * is replayed over every key's attempts in the order they were sent, with the same window
 * algorithms the simulation's provider runs (src/limiters); the candidate whose admissions and 429s
 * agree with the most answers wins. The x-ratelimit headers, where sent, give N (the limit) and a
 * first guess of W (the longest reset); retry-after gives one too; the replay refines W around it.
 */

/** One attempt as the quota saw it: its key, when it arrived (ms, from its segment's start) and what came back. */
export interface QuotaAttempt {
  /** A replay segment: the provider's quotas started afresh at its start (a reset of gatesim serve). */
  segment: number;
  key: number;
  at: number;
  /** true: admitted (answered other than 429), false: refused (429), undefined: not known (no answer). */
  admitted: boolean | undefined;
  limit?: number;
  resetMs?: number;
  retryAfterMs?: number;
}

export type QuotaAlgorithm = 'sliding-log' | 'fixed-window' | 'token-bucket';
export const QUOTA_ALGORITHMS: readonly QuotaAlgorithm[] = ['sliding-log', 'fixed-window', 'token-bucket'];

export interface QuotaFit {
  algorithm: QuotaAlgorithm;
  count: number;
  windowMs: number;
  refused: 'counts' | 'free';
  /** fixed-window: where its windows start, ms after a segment's start modulo W. */
  phaseMs: number;
  /** Answers whose outcome (admitted or 429) the fitted quota reproduces, of those known. */
  agreement: number;
  /** 429s measured, and those the fitted quota gives on the same arrivals. */
  refusedMeasured: number;
  refusedPredicted: number;
  /** The best agreement of each other algorithm (how clearly this one won). */
  others: Partial<Record<QuotaAlgorithm, number>>;
  /** What N came from. */
  countFrom: 'headers' | 'replay';
}

interface Candidate {
  algorithm: QuotaAlgorithm;
  count: number;
  windowMs: number;
  refused: 'counts' | 'free';
  phaseMs: number;
}

/** Replays a candidate over the attempts (sorted by segment, key, time): agreements and refusals predicted. */
function replay(c: Candidate, attempts: readonly QuotaAttempt[]): { agree: number; known: number; predicted: number } {
  let agree = 0;
  let known = 0;
  let predicted = 0;
  let w: Window | undefined;
  let segment = -1;
  let key = -1;
  for (const a of attempts) {
    if (a.segment !== segment || a.key !== key || !w) {
      segment = a.segment;
      key = a.key;
      w = createWindow({ type: c.algorithm, options: {} }, { count: c.count, windowMs: c.windowMs });
    }
    const t = a.at + c.phaseMs;
    const admits = w.admits(t);
    if (admits || c.refused === 'counts') w.record(t);
    if (!admits) predicted++;
    if (a.admitted !== undefined) {
      known++;
      if (a.admitted === admits) agree++;
    }
  }
  return { agree, known, predicted };
}

/** The most admissions of one key in any window of `windowMs` (a sliding window's N when it bound). */
function mostAdmittedIn(attempts: readonly QuotaAttempt[], windowMs: number): number {
  let most = 0;
  let from = 0;
  const times: number[] = [];
  let segment = -1;
  let key = -1;
  for (const a of attempts) {
    if (a.segment !== segment || a.key !== key) {
      segment = a.segment;
      key = a.key;
      times.length = 0;
      from = 0;
    }
    if (a.admitted !== true) continue;
    times.push(a.at);
    while (times[from]! <= a.at - windowMs) from++;
    most = Math.max(most, times.length - from);
  }
  return most;
}

const mode = (xs: readonly number[]): number | undefined => {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: number | undefined;
  let n = 0;
  for (const [x, c] of counts) if (c > n) [best, n] = [x, c];
  return best;
};

/** Windows to try when nothing hints at one: 100 ms to a day, 24 to a decade. */
const LOG_GRID = Array.from({ length: 24 * 6 + 1 }, (_, i) => 100 * 10 ** (i / 24));

/**
 * Fits the requests quota to `attempts` (sorted by segment, key, then time); undefined when no
 * answer was a 429 and none carried x-ratelimit headers (nothing shows a quota).
 */
export function fitQuota(attempts: readonly QuotaAttempt[]): QuotaFit | undefined {
  const refusedMeasured = attempts.filter((a) => a.admitted === false).length;
  const limits = attempts.flatMap((a) => (a.limit !== undefined ? [a.limit] : []));
  if (refusedMeasured === 0 && limits.length === 0) return undefined;
  const headerCount = mode(limits);
  // Hints of W: the longest reset a header said, the longest retry-after.
  const resets = attempts.flatMap((a) => (a.resetMs !== undefined && a.resetMs > 0 ? [a.resetMs] : []));
  const waits = attempts.flatMap((a) => (a.retryAfterMs !== undefined && a.retryAfterMs > 0 ? [a.retryAfterMs] : []));
  const hints = [resets.length ? Math.max(...resets) : NaN, waits.length ? Math.max(...waits) : NaN].filter((x) => x > 0);
  // A reset header bounds W closely; a retry-after need not (a bucket's is W / N): then the grid too.
  const coarse = resets.length > 0 ? hints : [...hints, ...LOG_GRID];
  let near: number | undefined;
  let coarseCounts = true;
  const counts = (windowMs: number): number[] => {
    if (headerCount !== undefined) return [headerCount];
    if (near !== undefined) return [near - 2, near - 1, near, near + 1, near + 2].filter((n) => n >= 1);
    const most = Math.max(1, mostAdmittedIn(attempts, windowMs));
    // A bucket or a fixed window admits up to 2N in a sliding W: N from most / 2 to most.
    const lo = Math.max(1, Math.floor(most / 2));
    const step = Math.max(1, Math.floor((most - lo) / (coarseCounts ? 12 : 40)));
    const out: number[] = [];
    for (let n = lo; n <= most; n += step) out.push(n);
    if (out.at(-1) !== most) out.push(most);
    return out;
  };
  const phases = (alg: QuotaAlgorithm, windowMs: number): number[] => {
    if (alg !== 'fixed-window') return [0];
    const out = [0];
    // A 429's reset says where the window ends: (at + reset + phase) ≡ 0 (mod W).
    const said = attempts.flatMap((a) => (a.admitted === false && a.resetMs !== undefined ? [(((-(a.at + a.resetMs)) % windowMs) + windowMs) % windowMs] : []));
    if (said.length) out.push(said.sort((x, y) => x - y)[Math.floor(said.length / 2)]!);
    for (let i = 1; i < 8; i++) out.push((i * windowMs) / 8);
    return out;
  };
  type Scored = Candidate & { agree: number; known: number; predicted: number };
  const better = (a: Scored, b: Scored | undefined): boolean =>
    !b || a.agree / Math.max(1, a.known) > b.agree / Math.max(1, b.known) + 1e-12 ||
    // Equal agreement: the predicted 429s nearer the measured, then the simpler shape (listed first).
    (Math.abs(a.agree / Math.max(1, a.known) - b.agree / Math.max(1, b.known)) <= 1e-12 && Math.abs(a.predicted - refusedMeasured) < Math.abs(b.predicted - refusedMeasured));
  const search = (alg: QuotaAlgorithm, windows: readonly number[]): Scored | undefined => {
    let best: Scored | undefined;
    for (const windowMs of windows) {
      for (const count of counts(windowMs)) {
        for (const refused of ['counts', 'free'] as const) {
          for (const phaseMs of phases(alg, windowMs)) {
            const c: Candidate = { algorithm: alg, count, windowMs, refused, phaseMs };
            const s = { ...c, ...replay(c, attempts) };
            if (better(s, best)) best = s;
          }
        }
      }
    }
    return best;
  };
  const refine = (w: number, span: number, steps: number): number[] => Array.from({ length: 2 * steps + 1 }, (_, i) => w * (1 + (span * (i - steps)) / steps));
  const results = new Map<QuotaAlgorithm, Scored>();
  for (const alg of QUOTA_ALGORITHMS) {
    near = undefined;
    coarseCounts = true;
    let best = search(alg, resets.length > 0 ? coarse.flatMap((w) => refine(w, 0.25, 25)) : coarse);
    coarseCounts = false;
    if (best && resets.length === 0) best = search(alg, refine(best.windowMs, 0.1, 10)) ?? best;
    if (best) {
      near = best.count;
      best = search(alg, refine(best.windowMs, 0.01, 10)) ?? best;
    }
    if (best) results.set(alg, best);
  }
  let winner: Scored | undefined;
  for (const alg of QUOTA_ALGORITHMS) {
    const s = results.get(alg);
    if (s && better(s, winner)) winner = s;
  }
  if (!winner) return undefined;
  const others: Partial<Record<QuotaAlgorithm, number>> = {};
  for (const [alg, s] of results) if (alg !== winner.algorithm) others[alg] = s.agree / Math.max(1, s.known);
  return {
    algorithm: winner.algorithm,
    count: winner.count,
    windowMs: winner.windowMs,
    refused: winner.refused,
    phaseMs: winner.phaseMs,
    agreement: winner.agree / Math.max(1, winner.known),
    refusedMeasured,
    refusedPredicted: winner.predicted,
    others,
    countFrom: headerCount !== undefined ? 'headers' : 'replay',
  };
}
