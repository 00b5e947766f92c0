/**
 * What travels through the queue, as JSON text: a task (the resolved scenario and the variant's
 * name) one way, its TaskResult the other. JSON alone would not give back the same values the
 * thread pool's structured clone does: `Infinity` (an unlimited capacity, no timeout) would come
 * back null, a dataset's rows (Int32Array) a plain object, `-0` a 0 and an `undefined` field
 * missing. Those few are written as tagged objects and read back as they were, so a worker
 * simulates the same scenario and the collector receives the same result, value for value. Any
 * other kind of value (a Map, a Date, a class instance, a function) is refused: nothing of the
 * kind belongs in a scenario or a result.
 */

/** The tag's key: a NUL, which no scenario or result field name holds. */
const TAG = '\u0000';

const TYPED = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedName = keyof typeof TYPED;

/** A value that cannot travel: where it is and what it is (one line). */
export class CodecError extends Error {}

function typedName(v: object): TypedName | undefined {
  const name = (v.constructor as { name?: string } | undefined)?.name;
  return name !== undefined && Object.hasOwn(TYPED, name) && v instanceof TYPED[name as TypedName] ? (name as TypedName) : undefined;
}

/** `value` as a JSON-safe tree (numbers, strings, booleans, null, arrays, plain objects). */
function toJsonTree(value: unknown, path: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((v, i) => toJsonTree(v, `${path}[${i}]`));
      const typed = typedName(value);
      if (typed) {
        const a = value as unknown as ArrayBufferView;
        return { [TAG]: typed, v: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CodecError(`${path || 'value'}: a ${(value.constructor as { name?: string } | undefined)?.name ?? 'non-plain object'} cannot travel through the queue`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === TAG) throw new CodecError(`${path}: a field named NUL cannot travel through the queue`);
        Object.defineProperty(out, k, { value: toJsonTree(v, path ? `${path}.${k}` : k), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new CodecError(`${path || 'value'}: a ${typeof value} cannot travel through the queue`);
  }
}

/** The tree back as it was written (in place: the tree is JSON.parse's own). */
function fromJsonTree(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromJsonTree(value[i]);
    return value;
  }
  const o = value as Record<string, unknown>;
  if (Object.hasOwn(o, TAG)) {
    const kind = o[TAG];
    if (kind === 'undefined') return undefined;
    if (kind === 'number') return o.v === '-0' ? -0 : Number(o.v);
    if (typeof kind === 'string' && Object.hasOwn(TYPED, kind) && typeof o.v === 'string') {
      const bytes = Buffer.from(o.v, 'base64');
      const Ctor = TYPED[kind as TypedName];
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      return new Ctor(copy.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
    }
    throw new CodecError(`a tagged value of unknown kind ${JSON.stringify(String(kind)).slice(0, 40)}`);
  }
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== null && typeof v === 'object') Object.defineProperty(o, k, { value: fromJsonTree(v), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

/** A task or result as JSON text; throws CodecError for a value that cannot travel. */
export function encode(value: unknown): string {
  return JSON.stringify(toJsonTree(value, ''));
}

/** JSON text from `encode` back as the value it was; throws (SyntaxError, CodecError) on anything else. */
export function decode<T>(text: string): T {
  return fromJsonTree(JSON.parse(text)) as T;
}
