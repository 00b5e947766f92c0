/**
 * A read-only view of numbers another part owns and writes (a typed array, typed so that the
 * compiler refuses a write): how state shared across parts keeps one writer.
 */
export interface ReadonlyNumbers {
  readonly [index: number]: number;
  readonly length: number;
}

/** A typed array of any element kind this project uses. */
export type Typed = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/**
 * `a` copied into a new array of `capacity` elements (the rest `fill`): how per-slot columns grow
 * geometrically, so a hot path never allocates once the working size is reached.
 */
export function grown<T extends Typed>(a: T, capacity: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}

/**
 * A growable column of numbers (an append-only log). One subclass per element kind, each with its
 * own `push`: a push shared by Float64, Int32 and Uint8 columns made every store in the recorder
 * polymorphic (~12 ns a push, seven pushes a request); each subclass's stays monomorphic (~2 ns).
 */
export abstract class Column<T extends Typed> {
  length = 0;
  constructor(public data: T) {}

  abstract push(v: number): void;

  /** The values pushed so far (a view, not a copy). */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export class F64Column extends Column<Float64Array> {
  constructor(capacity: number) {
    super(new Float64Array(capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.data.length * 2);
    this.data[this.length++] = v;
  }
}

export class I32Column extends Column<Int32Array> {
  constructor(capacity: number) {
    super(new Int32Array(capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.data.length * 2);
    this.data[this.length++] = v;
  }
}

export class U8Column extends Column<Uint8Array> {
  constructor(capacity: number) {
    super(new Uint8Array(capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.data.length * 2);
    this.data[this.length++] = v;
  }
}

/**
 * `x % span` for a whole x ≥ 0 below 2⁵³ and a power-of-two span: the packed handles (timers,
 * attempt tokens, heap items) outgrow 32 bits, where `%` becomes a call to the C library's fmod
 * (~17 ns); floor and multiply are exact here and cost ~1 ns. Hot paths split handles with it.
 */
export function low(x: number, span: number): number {
  return x - Math.floor(x / span) * span;
}
