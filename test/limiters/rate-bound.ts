import { expect } from 'vitest';

/**
 * The token-bucket / GCRA guarantee: at most burst + rate·Δ admissions in any closed interval of
 * length Δ (the tightest intervals start and end at admissions). The slack covers float rounding
 * of the accumulated refill, far below one request.
 */
export function expectRateBound(admitted: readonly number[], burst: number, ratePerMs: number): void {
  for (let i = 0; i < admitted.length; i++) {
    for (let j = i; j < admitted.length; j++) {
      const allowed = burst + ratePerMs * (admitted[j]! - admitted[i]!);
      expect(j - i + 1).toBeLessThanOrEqual(allowed + 1e-9 * (1 + allowed));
    }
  }
}
