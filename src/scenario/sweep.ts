/**
 * Sweeps: `sweep: { workload.concurrency: [1, 5, 10], keys.count: [4, 8] }` is the grid of every
 * combination (a cartesian product, the first field varying slowest); `zip: { a: [..], b: [..] }`
 * inside it is one dimension whose lists (of equal length) vary together. Each point is a set of
 * `path = value` overrides applied to the base document like `--set`, before variants.
 */

import { show } from './errors.js';

type Path = (string | number)[];

/** One swept value: the field it sets, where it sits in the file, and the value as written. */
export interface SweepValue {
  /** Dotted field path as written, e.g. `workload.concurrency`. */
  field: string;
  /** The same path split, numbers for list indexes (as `--set`). */
  path: Path;
  /** Where the value sits in the file (for error messages): ['sweep', field, i] or ['sweep', 'zip', field, i]. */
  docPath: Path;
  value: unknown;
}

export interface SweepPoint {
  /** `workload.concurrency=10 keys.count=4`: the point's run name. */
  name: string;
  values: SweepValue[];
}

/** A problem with the sweep's shape, at a path of the raw file. */
export interface SweepProblem {
  path: Path;
  key: boolean;
  message: string;
}

/** The most points one sweep may have (each is a whole comparison). */
export const MAX_POINTS = 10_000;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `3/min`, `20`, `{"dist":"constant","value":"1s"}`: a value as it reads in a run name. */
export function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? 'null';
}

export const splitPath = (field: string): Path => field.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

interface Dimension {
  fields: { field: string; docPath: Path }[];
  values: unknown[][];
  length: number;
}

/** The sweep's dimensions, in the order written, and the problems of its shape. */
function dimensions(sweep: Record<string, unknown>): { dims: Dimension[]; problems: SweepProblem[] } {
  const dims: Dimension[] = [];
  const problems: SweepProblem[] = [];
  const field = (name: string, docPath: Path): boolean => {
    if (name === '' || name.split('.').some((s) => s === '')) {
      problems.push({ path: docPath, key: true, message: `expected a field path such as workload.concurrency, got ${show(name)}` });
      return false;
    }
    return true;
  };
  for (const [name, list] of Object.entries(sweep)) {
    if (name === 'zip') {
      if (!isMap(list)) continue; // the schema reports it
      const entries = Object.entries(list).filter(([f, l]) => Array.isArray(l) && field(f, ['sweep', 'zip', f]));
      if (entries.length === 0) continue;
      const length = (entries[0]![1] as unknown[]).length;
      for (const [f, l] of entries.slice(1)) {
        if ((l as unknown[]).length !== length) {
          problems.push({
            path: ['sweep', 'zip', f], key: false,
            message: `expected ${length} value${length === 1 ? '' : 's'} like ${entries[0]![0]} (zipped lists vary together), got ${(l as unknown[]).length}`,
          });
        }
      }
      dims.push({
        fields: entries.map(([f]) => ({ field: f, docPath: ['sweep', 'zip', f] })),
        values: entries.map(([, l]) => l as unknown[]),
        length,
      });
    } else if (Array.isArray(list) && field(name, ['sweep', name])) {
      dims.push({ fields: [{ field: name, docPath: ['sweep', name] }], values: [list], length: list.length });
    }
  }
  return { dims, problems };
}

/**
 * Every point of a sweep, in order (the last dimension varies fastest), or the problems that
 * prevent it. Assumes the schema accepted the sweep's shape (lists under field names, `zip` a mapping).
 */
export function sweepPoints(sweep: Record<string, unknown>): { points: SweepPoint[]; problems: SweepProblem[] } {
  const { dims, problems } = dimensions(sweep);
  if (Object.keys(sweep).length === 0) problems.push({ path: ['sweep'], key: false, message: 'expected at least one field with a list of values' });
  const total = dims.reduce((n, d) => n * d.length, 1);
  if (total > MAX_POINTS) problems.push({ path: ['sweep'], key: true, message: `expected at most ${MAX_POINTS} points, got ${total}` });
  if (problems.length) return { points: [], problems };
  let points: SweepValue[][] = [[]];
  for (const d of dims) {
    points = points.flatMap((prefix) =>
      Array.from({ length: d.length }, (_, i) => [
        ...prefix,
        ...d.fields.map((f, j) => ({ field: f.field, path: splitPath(f.field), docPath: [...f.docPath, i], value: d.values[j]![i] })),
      ]),
    );
  }
  const seen = new Map<string, SweepValue[]>();
  for (const values of points) {
    const name = values.map((v) => `${v.field}=${showValue(v.value)}`).join(' ');
    const twin = seen.get(name);
    if (twin) {
      // Two points with one name: some list repeats a value. Point at its second occurrence.
      const at = values.find((v, i) => v.docPath.at(-1) !== twin[i]!.docPath.at(-1)) ?? values[0]!;
      problems.push({ path: at.docPath, key: false, message: `expected each value once, got ${showValue(at.value)} again` });
      break;
    }
    seen.set(name, values);
  }
  return { points: [...seen].map(([name, values]) => ({ name, values })), problems };
}

/** Fields of the file itself: the same at every point, so sweeping them would change nothing (or break names). */
const FILE_FIELDS = new Set(['name', 'description', '$schema', 'runs', 'baseline', 'reference', 'sweep', 'notes', 'marks']);
/** Fields of a variant entry that are not scenario fields: baseline and reference use the name. */
const VARIANT_FIELDS = new Set(['name', 'condition', 'oracle']);
/** Path segments that would reach a prototype instead of a field. */
const PROTO = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a swept path is not one a point may change, or undefined. */
function pathProblem(field: string, variants: number): string | undefined {
  const path = splitPath(field);
  const proto = path.find((s) => typeof s === 'string' && PROTO.has(s));
  if (proto !== undefined) return `expected a field path, got ${show(proto)} in it`;
  const [head, index, sub] = path;
  const fileOnly = `expected a field a point can change (seed, a scenario field, or variants.N.<field>), got ${show(field)}, which belongs to the file`;
  if (head === 'seed') return path.length === 1 ? undefined : `expected seed alone (a number), got ${show(field)}`;
  if (typeof head === 'string' && FILE_FIELDS.has(head)) return fileOnly;
  if (head !== 'variants') return undefined;
  if (index === undefined) return fileOnly;
  if (variants === 0) return `expected variants.N with N a variant's index, got ${show(field)}, and the file has no variants`;
  if (typeof index !== 'number' || index >= variants) {
    return `expected variants.N with N a variant's index (0 to ${variants - 1}), got ${show(field)}`;
  }
  if (sub === undefined || (typeof sub === 'string' && VARIANT_FIELDS.has(sub))) return fileOnly;
  return undefined;
}

/**
 * Problems of the swept paths: a point may change seed, any scenario field, and a variant's
 * fields (`variants.1.workload.concurrency`); not the file's own fields (runs, baseline,
 * reference, notes, marks, a variant's name…), and no path through a prototype.
 */
export function sweepPathProblems(sweep: Record<string, unknown>, variants: number): SweepProblem[] {
  return dimensions(sweep).dims.flatMap((d) => d.fields.flatMap(({ field, docPath }) => {
    const message = pathProblem(field, variants);
    return message ? [{ path: docPath, key: true, message }] : [];
  }));
}

/** The swept fields in order (zipped ones together), for results.json. */
export function sweptFields(sweep: Record<string, unknown>): string[] {
  return dimensions(sweep).dims.flatMap((d) => d.fields.map((f) => f.field));
}

/** The number of dimensions (a zip group counts once). */
export function sweepDimensions(sweep: Record<string, unknown>): number {
  return dimensions(sweep).dims.length;
}
