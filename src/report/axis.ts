/**
 * Swept and searched values as numbers on an axis: a count as it is, a rate (`0.25/s`, `120/min`)
 * as a count per one window unit, a duration (`250ms`, `2m`) in seconds, each with the unit its
 * axis title states. What is neither (a distribution, a name) stays a category.
 */
import { parseDuration, parseRate } from '../core/units.js';

/** How a field's values read as numbers: plain counts, rates per `per`, or durations in seconds. */
export type AxisKind = { kind: 'number' } | { kind: 'rate'; per: 'ms' | 's' | 'min' | 'h' } | { kind: 'duration' };

const PER_MS: Record<'ms' | 's' | 'min' | 'h', number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
const RATE_UNIT = /\/(?:\d*\.?\d*)?(ms|s|min|m|h)$/;

/** Units of the count fields a sweep or search usually varies; any other number reads "as written". */
const COUNT_UNITS: Record<string, string> = {
  'workload.concurrency': 'requests in flight',
  'workload.requests': 'requests',
  'workload.clients': 'clients',
  'keys.count': 'keys',
  seed: 'seed',
};

/** Units of count fields by how their path ends (`providers.0.capacity`, `workload.tokens.prompt`). */
const SUFFIX_UNITS: [RegExp, string][] = [
  [/(^|\.)(prompt|output|maxTokens)$/, 'tokens'],
  [/(^|\.)(capacity|maxSequences|concurrent)$/, 'requests at once'],
  [/(^|\.)attempts$/, 'attempts'],
];

/** The window unit a rate is written in (`/min`, `/10s` → s, `/m` → min), or undefined. */
function rateUnit(text: string): 'ms' | 's' | 'min' | 'h' | undefined {
  const m = RATE_UNIT.exec(text.trim());
  if (!m || parseRate(text) === undefined) return undefined;
  return m[1] === 'm' ? 'min' : (m[1] as 'ms' | 's' | 'min' | 'h');
}

/**
 * The axis every value fits, or null when some value is not a number of one kind. Rates all
 * written per the same unit keep it (`500/min` → per min); mixed units are per second.
 */
export function axisKind(values: readonly unknown[]): AxisKind | null {
  if (values.length === 0) return null;
  if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) return { kind: 'number' };
  if (!values.every((v) => typeof v === 'string')) return null;
  const texts = values as string[];
  const units = texts.map(rateUnit);
  if (units.every((u) => u !== undefined)) return { kind: 'rate', per: units.every((u) => u === units[0]) ? units[0]! : 's' };
  if (texts.every((t) => parseDuration(t) !== undefined)) return { kind: 'duration' };
  return null;
}

/** A value on its axis (NaN when it does not fit: axisKind said it does). */
export function axisValue(v: unknown, axis: AxisKind): number {
  if (axis.kind === 'number') return typeof v === 'number' ? v : NaN;
  const text = String(v);
  if (axis.kind === 'duration') return (parseDuration(text) ?? NaN) / 1000;
  const r = parseRate(text);
  return r ? Number(((r.count / r.windowMs) * PER_MS[axis.per]).toPrecision(12)) : NaN;
}

/** An axis title with its unit: `workload.arrivals.rate (requests per s)`, `keys.count (keys)`, `provider.latency (s)`. */
export function axisTitle(field: string, axis: AxisKind): string {
  if (axis.kind === 'rate') return `${field} (${/(^|\.)tokens$/.test(field) ? 'tokens' : 'requests'} per ${axis.per})`;
  if (axis.kind === 'duration') return `${field} (s)`;
  return `${field} (${COUNT_UNITS[field] ?? SUFFIX_UNITS.find(([re]) => re.test(field))?.[1] ?? 'as written'})`;
}

/** A value with its unit as a line of text shows it: `2.5/s`, `30 s`, `8`. */
export function axisText(value: number, axis: AxisKind): string {
  if (axis.kind === 'rate') return `${value}/${axis.per}`;
  if (axis.kind === 'duration') return `${value} s`;
  return String(value);
}
