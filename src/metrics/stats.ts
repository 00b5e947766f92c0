/** Statistics are pure functions over samples; percentiles are exact (nearest rank, no interpolation). */

/** Sorts a copy ascending. */
export function sorted(values: Float64Array): Float64Array {
  return sortInPlace(Float64Array.from(values));
}

/** Below this many values the native sort wins over the radix sort's fixed cost (four 64 Ki-entry histograms). */
const RADIX_MIN = 4096;

/**
 * Sorts `a` ascending in place, in the order the native typed-array sort gives (−0 before +0; no
 * NaN expected), and returns it. A least-significant-digit radix sort on the numbers' bits: each
 * double mapped to an unsigned 64-bit key with the same order (negatives' bits flipped, the sign bit
 * of the rest set), then four stable passes of 16 bits, skipping a pass whose digit every key shares.
 * O(n): a million latencies in about half the native sort's time.
 */
export function sortInPlace(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN) return a.sort();
  let src: Uint32Array = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  let dst: Uint32Array = new Uint32Array(2 * n);
  // One pass maps every double to its key and counts all four digits (four histograms side by side),
  // rather than a counting pass over the keys before each of the four scatters.
  const count = new Uint32Array(4 * 65536);
  for (let i = 1; i < 2 * n; i += 2) {
    let hi = src[i]!;
    let lo = src[i - 1]!;
    if (hi & 0x80000000) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
      src[i - 1] = lo;
    } else hi = (hi | 0x80000000) >>> 0;
    src[i] = hi;
    count[lo & 0xffff]!++;
    count[65536 + (lo >>> 16)]!++;
    count[131072 + (hi & 0xffff)]!++;
    count[196608 + (hi >>> 16)]!++;
  }
  // A pass whose digit every key shares (the first key's, counted n times) changes nothing and is
  // skipped; the last pass that runs writes each key back as its double on the way, so no pass of
  // its own turns the keys back.
  let lastPass = -1;
  for (let pass = 0; pass < 4; pass++) if (count[pass * 65536 + ((src[pass >> 1]! >>> ((pass & 1) * 16)) & 0xffff)] !== n) lastPass = pass;
  if (lastPass < 0) {
    for (let i = 1; i < 2 * n; i += 2) {
      const hi = src[i]!;
      if (hi & 0x80000000) src[i] = hi & 0x7fffffff;
      else {
        src[i] = ~hi;
        src[i - 1] = ~src[i - 1]!;
      }
    }
    return a;
  }
  for (let pass = 0; pass <= lastPass; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    const base = pass * 65536;
    if (count[base + ((src[word]! >>> shift) & 0xffff)] === n) continue;
    for (let d = base, sum = 0; d < base + 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    if (pass < lastPass) {
      for (let i = 0; i < 2 * n; i += 2) {
        const lo = src[i]!;
        const hi = src[i + 1]!;
        const j = 2 * count[base + (((word === 0 ? lo : hi) >>> shift) & 0xffff)]!++;
        dst[j] = lo;
        dst[j + 1] = hi;
      }
    } else {
      for (let i = 0; i < 2 * n; i += 2) {
        const lo = src[i]!;
        const hi = src[i + 1]!;
        const j = 2 * count[base + (((word === 0 ? lo : hi) >>> shift) & 0xffff)]!++;
        if (hi & 0x80000000) {
          dst[j] = lo;
          dst[j + 1] = hi & 0x7fffffff;
        } else {
          dst[j] = ~lo;
          dst[j + 1] = ~hi;
        }
      }
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src.buffer !== a.buffer) a.set(new Float64Array(src.buffer, 0, n));
  return a;
}

/** 0-based index of the nearest-rank p-th percentile among n samples. */
export function rankIndex(n: number, p: number): number {
  return Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1;
}

/** Nearest-rank percentile of ascending `s`: the smallest sample with at least p% of samples ≤ it. */
export function percentile(s: Float64Array, p: number): number {
  if (s.length === 0) return NaN;
  return s[rankIndex(s.length, p)]!;
}

/**
 * Rearranges a[lo..hi] so a[k] holds the value a full sort would put there, smaller ones before
 * it and larger ones after (Hoare quickselect, median-of-three pivot): O(n) on average, which
 * is what makes exact percentiles of a million samples cost milliseconds instead of a sort.
 */
function select(a: Float64Array, k: number, lo: number, hi: number): void {
  let rounds = 0;
  while (hi > lo) {
    if (++rounds > 64) {
      // Pathological pivots: finish this range with a sort, which is exact too.
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >> 1;
    // Median of three into a[mid].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The value a full sort of `a` would put at 0-based rank `k`, found by rearranging `a` in place (quickselect: no copy, O(n) on average). */
export function selectInPlace(a: Float64Array, k: number): number {
  select(a, k, 0, a.length - 1);
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Exact nearest-rank percentiles of `values` (not modified), each p in [0, 100], plus the minimum
 * and maximum. No full sort: small inputs are partitioned around each rank (quickselect); large
 * ones by a radix select — one pass counts the values by the top 16 bits of their order-preserving
 * keys (sortInPlace's), then only the buckets holding a wanted rank are copied out and sorted.
 * Spread values put a few thousand in a bucket; crowded ones cost at most one sort of the copy.
 */
export function quantiles(values: Float64Array, ps: readonly number[]): { min: number; max: number; at: number[] } {
  const n = values.length;
  if (n === 0) return { min: NaN, max: NaN, at: ps.map(() => NaN) };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // −0 orders before +0, as the sort does.
    if (v < min || (v === min && v === 0 && 1 / v < 0)) min = v;
    if (v > max || (v === max && v === 0 && 1 / v > 0)) max = v;
  }
  return { min, max, at: quantilesAt(values, ps) };
}

/** Exact nearest-rank percentiles of `values` (not modified), as quantiles, without the minimum and maximum (for a caller that has them). */
export function quantilesAt(values: Float64Array, ps: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return ps.map(() => NaN);
  if (n >= RADIX_MIN) return radixSelect(values, ps.map((p) => rankIndex(n, p)));
  const a = Float64Array.from(values);
  const order = ps.map((p, i) => ({ k: rankIndex(n, p), i })).sort((x, y) => x.k - y.k);
  const at = new Array<number>(ps.length);
  selectAll(a, order, 0, order.length - 1, 0, n - 1, at);
  return at;
}

/** The top 16 bits of a double's order-preserving key, from the high word of its bits. */
const topDigit = (hi: number): number => ((hi & 0x80000000 ? ~hi : hi | 0x80000000) >>> 16) & 0xffff;

/** The values at 0-based ranks `ks` of `values` (not modified): see quantiles. */
function radixSelect(values: Float64Array, ks: readonly number[]): number[] {
  const n = values.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const start = new Uint32Array(65537);
  for (let i = 1; i < 2 * n; i += 2) start[topDigit(words[i]!) + 1]!++;
  for (let d = 0; d < 65536; d++) start[d + 1]! += start[d]!;
  // The bucket of each rank (the last d with start[d] ≤ k), and where each wanted bucket goes in the copy.
  const bucketOf = (k: number): number => {
    let lo = 0;
    let hi = 65535;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (start[mid]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const wanted = new Int32Array(65536).fill(-1);
  const buckets = ks.map(bucketOf);
  let size = 0;
  for (const d of [...new Set(buckets)].sort((x, y) => x - y)) {
    wanted[d] = size;
    size += start[d + 1]! - start[d]!;
  }
  const copy = new Float64Array(size);
  const fill = wanted.slice();
  for (let i = 0; i < n; i++) {
    const d = topDigit(words[2 * i + 1]!);
    if (fill[d]! >= 0) copy[fill[d]!++] = values[i]!;
  }
  const positions = ks.map((k, i) => wanted[buckets[i]!]! + (k - start[buckets[i]!]!));
  if (size > n >> 3) {
    // Crowded (most values share their top bits): select within the copy rather than sort it.
    const order = positions.map((k, i) => ({ k, i })).sort((x, y) => x.k - y.k);
    const at = new Array<number>(ks.length);
    selectAll(copy, order, 0, order.length - 1, 0, size - 1, at);
    return at;
  }
  // Buckets are ranges of the order, so the sorted copy keeps them apart and in order.
  sortInPlace(copy);
  return positions.map((p) => copy[p]!);
}

/**
 * Selects the ranks order[from..to] within a[lo..hi]: the middle rank first, then each half in its
 * own side of the partition, so many ranks (a CDF's hundred) cost O(n log k), not O(n k).
 */
function selectAll(a: Float64Array, order: { k: number; i: number }[], from: number, to: number, lo: number, hi: number, at: number[]): void {
  if (from > to) return;
  const mid = (from + to) >> 1;
  const k = order[mid]!.k;
  select(a, k, lo, hi);
  at[order[mid]!.i] = a[k]!;
  selectAll(a, order, from, mid - 1, lo, k, at);
  selectAll(a, order, mid + 1, to, k, hi, at);
}

/**
 * Exact nearest-rank percentiles of values that each stand for `counts[i]` samples (a simulated
 * answer's gaps between tokens are all its tpot): per rank, a three-way quickselect that keeps the
 * weight of each side, O(n) on average; inputs are not modified.
 */
export function weightedQuantiles(values: Float64Array, counts: Float64Array, ps: readonly number[]): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return ps.map(() => NaN);
  const a = Float64Array.from(values);
  const w = Float64Array.from(counts);
  return ps.map((p) => weightedSelect(a, w, rankIndex(total, p)));
}

/** The value at weighted 0-based rank `rank`: a partition into <, = and > the pivot, descending into the side holding it. */
function weightedSelect(a: Float64Array, w: Float64Array, rank: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let below = 0;
  while (lo <= hi) {
    const pivot = a[(lo + hi) >> 1]!;
    // Dutch flag: [lo, lt) < pivot, [lt, i) = pivot, (gt, hi] > pivot.
    let lt = lo;
    let i = lo;
    let gt = hi;
    let wl = 0;
    let we = 0;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) {
        wl += w[i]!;
        swap(a, lt, i);
        swap(w, lt, i);
        lt++;
        i++;
      } else if (v > pivot) {
        swap(a, i, gt);
        swap(w, i, gt);
        gt--;
      } else {
        we += w[i]!;
        i++;
      }
    }
    if (rank < below + wl) hi = lt - 1;
    else if (rank < below + wl + we) return pivot;
    else {
      below += wl + we;
      lo = gt + 1;
    }
  }
  return NaN;
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
