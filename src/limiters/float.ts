const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Which 32-bit half holds the low bits of the mantissa (little-endian on every platform Node runs on).
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/**
 * The next double above `x`. A limiter's `nextAdmitAt` computes a boundary such as `k * width`,
 * but `admits` decides with its own float expression (`Math.floor(t / width) >= k`), which can
 * round the other way; stepping one ulp at a time until `admits` agrees keeps the key pool from
 * waking at a time that is still refused. Off the decision path, but allocation-free anyway.
 */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  // The bit pattern of a double grows with its magnitude: +1 moves away from 0, −1 towards it.
  if (x > 0) {
    if (u32[LO] === 0xffffffff) u32[HI]!++;
    u32[LO]!++;
  } else {
    if (u32[LO] === 0) u32[HI]!--;
    u32[LO]!--;
  }
  return f64[0]!;
}

/** The next double below `x`. */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/**
 * The first time whose cell ⌊t / width⌋ is `k` or later. A window aligned to multiples of `width`
 * compares `now` with it instead of dividing on every check, and it is exactly the decision
 * dividing would make: `k * width` alone can round to either side of the boundary.
 */
export function cellStart(k: number, width: number): number {
  let t = k * width;
  while (Math.floor(t / width) < k) t = nextUp(t);
  while (Math.floor(nextDown(t) / width) >= k) t = nextDown(t);
  return t;
}
