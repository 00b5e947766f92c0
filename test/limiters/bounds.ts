/**
 * The limiters' guarantees as checks over a ledger of admissions: how much they reserved, what
 * they really used once settled, and in which order admissions and settles happened. With weight
 * 1 and no settle (actual = reserved = 1) each check is the limiter's plain request bound.
 */
import { expect } from 'vitest';

/** One admission: its time, reserved and actual weight, and the op sequence of it and of its settle. */
export interface Admission {
  t: number;
  r: number;
  a: number;
  seq: number;
  /** Op sequence of its settle; Infinity when never settled (then a = r). */
  settledSeq: number;
}

/** Admissions of weight 1, never settled, at these times (a key pool's grants). */
export const unitLedger = (times: readonly number[]): Admission[] =>
  times.map((t, i) => ({ t, r: 1, a: 1, seq: i, settledSeq: Infinity }));

const up = (x: Admission): number => (x.a > x.r ? x.a - x.r : 0);

/** Float slack of a real-valued bound (accumulated refill), far below one unit. */
const slack = (allowed: number): number => 1e-9 * (1 + Math.abs(allowed));

/**
 * Counting windows (sliding-log, bucket-window's spans): in every window [t, t + len), Σ actual ≤
 * limit + Σ (actual − reserved)⁺ of the window's admissions. The tightest windows start at an
 * admission. Returns the largest Σ actual seen (for tests that show a bound is reached).
 */
export function expectWindowBound(ledger: readonly Admission[], len: number, limit: number): number {
  let most = 0;
  for (let i = 0; i < ledger.length; i++) {
    let used = 0;
    let over = 0;
    for (let j = i; j < ledger.length && ledger[j]!.t < ledger[i]!.t + len; j++) {
      used += ledger[j]!.a;
      over += up(ledger[j]!);
    }
    expect(used, `window [${ledger[i]!.t}, +${len})`).toBeLessThanOrEqual(limit + over);
    if (used > most) most = used;
  }
  return most;
}

/** Aligned windows [k·width, (k + 1)·width) (fixed-window): the same bound per window. */
export function expectAlignedBound(ledger: readonly Admission[], width: number, limit: number): void {
  const byWindow = new Map<number, { used: number; over: number }>();
  for (const x of ledger) {
    const k = Math.floor(x.t / width);
    const s = byWindow.get(k) ?? { used: 0, over: 0 };
    s.used += x.a;
    s.over += up(x);
    byWindow.set(k, s);
  }
  for (const [k, s] of byWindow) expect(s.used, `aligned window ${k}`).toBeLessThanOrEqual(limit + s.over);
}

/**
 * Token bucket / GCRA: over admissions i…j (a closed interval of length Δ = t_j − t_i),
 * Σ actual ≤ burst + rate·Δ + refunds of earlier admissions settled between i and j
 * + Σ (actual − reserved)⁺ of i…j settled after j. Without settles: burst + rate·Δ.
 */
export function expectRateBound(ledger: readonly Admission[], burst: number, ratePerMs: number): void {
  for (let i = 0; i < ledger.length; i++) {
    let used = 0;
    for (let j = i; j < ledger.length; j++) {
      used += ledger[j]!.a;
      const from = ledger[i]!.seq;
      const to = ledger[j]!.seq;
      let refunds = 0;
      for (let m = 0; m < i; m++) {
        const x = ledger[m]!;
        if (x.settledSeq > from && x.settledSeq < to && x.r > x.a) refunds += x.r - x.a;
      }
      let late = 0;
      for (let k = i; k <= j; k++) if (ledger[k]!.settledSeq > to) late += up(ledger[k]!);
      const allowed = burst + ratePerMs * (ledger[j]!.t - ledger[i]!.t) + refunds + late;
      expect(used, `admissions ${i}…${j}`).toBeLessThanOrEqual(allowed + slack(allowed));
    }
  }
}

/**
 * uniform-interval: in every window [t, t + len), Σ actual ≤ count − 1 + reserved of the window's
 * last admission + Σ (actual − reserved)⁺ of its admissions (count for weight 1).
 */
export function expectPacedBound(ledger: readonly Admission[], len: number, count: number): void {
  for (let i = 0; i < ledger.length; i++) {
    let used = 0;
    let over = 0;
    let j = i;
    for (; j < ledger.length && ledger[j]!.t < ledger[i]!.t + len; j++) {
      used += ledger[j]!.a;
      over += up(ledger[j]!);
    }
    expect(used, `window [${ledger[i]!.t}, +${len})`).toBeLessThanOrEqual(count - 1 + ledger[j - 1]!.r + over);
  }
}
