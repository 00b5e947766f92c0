/** Statistics are pure functions over samples; percentiles are exact (nearest rank, no interpolation). */

/** Sorts a copy ascending (typed-array numeric sort). */
export function sorted(values: Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

/** Nearest-rank percentile of ascending `s`: the smallest sample with at least p% of samples ≤ it. */
export function percentile(s: Float64Array, p: number): number {
  if (s.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1]!;
}

export function mean(values: Float64Array): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Rounds for output so results.json is stable and readable; NaN becomes null. */
export function round(v: number, digits = 3): number | null {
  if (!Number.isFinite(v)) return null;
  const f = 10 ** digits;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** A bucket width from 1-2-5 steps giving at most `max` buckets over `span` ms. */
export function niceBucket(span: number, max = 100): number {
  const raw = Math.max(1, span / max);
  const exp = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * exp >= raw) return m * exp;
  return 10 * exp;
}
