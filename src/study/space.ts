/**
 * The configurations a search over several fields draws from: categorical choices (`--choose
 * FIELD=a,b,c`) × numeric ranges on a grid (`--vary FIELD=LOW..HIGH`). A configuration is one
 * index per dimension; the draw is seeded, so the same seed gives the same configurations in the
 * same order.
 */
import { MAX_CHOOSE_VALUES } from '../core/limits.js';
import { stream } from '../sim/random.js';

/** `--choose keys.limiter=sliding-log,gcra`: a field and the values it may take, each applied like `--set`. */
export interface Choose {
  field: string;
  values: string[];
}

/** A numeric range on a grid: LOW, LOW + step, …, HIGH (rates per second). */
export interface RangeDim {
  field: string;
  low: number;
  high: number;
  step: number;
  rate: boolean;
  integer: boolean;
}

export type Dimension = ({ kind: 'choice' } & Choose) | ({ kind: 'range' } & RangeDim);

const FIELD = /^[A-Za-z_$][\w$]*(\.[\w$]+)*$/;

/** `keys.limiter=sliding-log,gcra` → a Choose, or why not (one line). */
export function parseChoose(text: string): Choose | string {
  const eq = text.indexOf('=');
  const field = text.slice(0, eq).trim();
  const expected = 'expected FIELD=A,B,… such as keys.limiter=sliding-log,gcra or balancer=round-robin,availability';
  if (eq < 1 || !FIELD.test(field)) return `${expected}, got ${text}`;
  const values = text.slice(eq + 1).split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) return `${field}: ${expected}, got an empty value in ${text}`;
  if (values.length > MAX_CHOOSE_VALUES) return `${field}: expected at most ${MAX_CHOOSE_VALUES} values, got ${values.length}`;
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) return `${field}: ${twice} is listed twice`;
  return { field, values };
}

/** Grid points of a range: the last is HIGH itself even when the range is not a whole number of steps. */
export const rangePoints = (r: RangeDim): number => Math.ceil((r.high - r.low) / r.step - 1e-9) + 1;

/** Decimal digits of a number as written (0.05 → 2). */
const digits = (x: number): number => {
  const s = String(x);
  const e = /e-(\d+)$/.exec(s);
  if (e) return Number(e[1]) + (s.split('e')[0]!.split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
};

/** The k-th point of a range, printed as written (0.3, not 0.30000000000000004). */
export function rangeValue(r: RangeDim, k: number): number {
  if (k >= rangePoints(r) - 1) return r.high;
  return Number((r.low + k * r.step).toFixed(Math.min(15, Math.max(digits(r.step), digits(r.low)))));
}

export const dimensionSize = (d: Dimension): number => (d.kind === 'choice' ? d.values.length : rangePoints(d));

/** Configurations in the grid (a product; may be huge). */
export const gridSize = (dims: readonly Dimension[]): number => dims.reduce((n, d) => n * dimensionSize(d), 1);

/** Grid index → one index per dimension (the first dimension varies slowest). */
function decode(dims: readonly Dimension[], index: number): number[] {
  const out = new Array<number>(dims.length);
  let rest = index;
  for (let i = dims.length - 1; i >= 0; i--) {
    const size = dimensionSize(dims[i]!);
    out[i] = rest % size;
    rest = Math.floor(rest / size);
  }
  return out;
}

/**
 * `n` distinct configurations, each one index per dimension. All of them, in grid order, when the
 * grid has no more than `n`; else a seeded sample without replacement (a partial Fisher–Yates over
 * the grid's indices, kept sparse), in the order drawn.
 */
export function drawConfigs(dims: readonly Dimension[], n: number, seed: number): number[][] {
  const size = gridSize(dims);
  if (!Number.isSafeInteger(size)) throw new RangeError(`expected a grid of at most ${Number.MAX_SAFE_INTEGER} configurations, got ${size}`);
  if (n >= size) return Array.from({ length: size }, (_, i) => decode(dims, i));
  const random = stream(seed, 'search:configurations');
  const moved = new Map<number, number>();
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (size - i));
    const pick = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    out.push(decode(dims, pick));
  }
  return out;
}

/** A configuration's value of each dimension: a choice's text, a range's number. */
export function configValues(dims: readonly Dimension[], config: readonly number[]): (string | number)[] {
  return dims.map((d, i) => (d.kind === 'choice' ? d.values[config[i]!]! : rangeValue(d, config[i]!)));
}
