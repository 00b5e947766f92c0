/** Cross-references of a scenario file as written: unique names, and names used elsewhere that must exist. */
import { didYouMean, show } from './errors.js';
import { isReferenceKey, referenceKeys } from '../core/reference-keys.js';
import { sweepPathProblems, sweepPoints } from './sweep.js';

/** A problem found by `nameProblems`, at a path of the raw file. */
export interface NameProblem {
  path: (string | number)[];
  message: string;
  /** Point at the key node (a name used as a key), not at its value. */
  key: boolean;
}

const namesOf = (list: unknown): string[] =>
  Array.isArray(list) ? list.flatMap((x) => (typeof x?.name === 'string' ? [x.name as string] : [])) : ['default'];

function duplicateNames(list: unknown, path: (string | number)[], what: string): NameProblem[] {
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  return list.flatMap((item, i) => {
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return [];
    const dup = seen.has(name);
    seen.add(name);
    return dup ? [{ path: [...path, i, 'name'], key: false, message: `expected a unique ${what} name, got ${show(name)}` }] : [];
  });
}

/**
 * Cross-references checked on the raw file, outside zod so they are reported alongside every other
 * problem (zod skips refinements once a field failed): unique provider / variant / run names, and
 * names used elsewhere must exist: baseline → a variant; reference → runs and their variants.
 */
export function nameProblems(file: Record<string, unknown>): NameProblem[] {
  const out: NameProblem[] = [
    ...duplicateNames(file.providers, ['providers'], 'provider'),
    ...duplicateNames(file.variants, ['variants'], 'variant'),
    ...duplicateNames(file.runs, ['runs'], 'run'),
  ];
  for (const key of ['variants', 'runs']) {
    const list = file[key];
    if (Array.isArray(list)) list.forEach((o, i) => out.push(...duplicateNames(o?.providers, [key, i, 'providers'], 'provider')));
  }
  const variants = namesOf(file.variants);
  const sweep = file.sweep !== null && typeof file.sweep === 'object' && !Array.isArray(file.sweep) ? (file.sweep as Record<string, unknown>) : undefined;
  if (sweep && file.runs !== undefined) {
    out.push({ path: ['sweep'], key: true, message: "expected either runs or a sweep, not both (a sweep's points are its runs)" });
  }
  const expanded = sweep ? sweepPoints(sweep) : undefined;
  if (expanded) out.push(...expanded.problems);
  if (sweep) out.push(...sweepPathProblems(sweep, Array.isArray(file.variants) ? file.variants.length : 0));
  const runs = expanded ? expanded.points.map((p) => p.name) : namesOf(file.runs);
  const unknown = (path: (string | number)[], got: string, names: string[], what: string, key = false) =>
    out.push({ path, key, message: `expected a ${what} name (one of ${names.join(' | ')}), got ${show(got)}${didYouMean(got, names)}` });
  if (typeof file.baseline === 'string' && !variants.includes(file.baseline)) {
    unknown(['baseline'], file.baseline, variants, 'variant');
  }
  const reference = file.reference;
  if (!reference || typeof reference !== 'object') return out;
  // Provider rows (share.<name>, …) may name a provider of any variant or run.
  const providers = [file, ...(Array.isArray(file.variants) ? file.variants : []), ...(Array.isArray(file.runs) ? file.runs : [])]
    .flatMap((o) => namesOf((o as { providers?: unknown } | null)?.providers ?? []));
  for (const [run, byVariant] of Object.entries(reference)) {
    if (sweep && runs.length === 0) continue; // the sweep's own problem is reported
    if (!runs.includes(run) && sweep && runs.length > 8) {
      out.push({ path: ['reference', run], key: true, message: `expected a run name (a sweep point such as ${show(runs[0])}), got ${show(run)}${didYouMean(run, runs)}` });
    } else if (!runs.includes(run)) unknown(['reference', run], run, runs, 'run', true);
    if (!byVariant || typeof byVariant !== 'object') continue;
    for (const [v, metrics] of Object.entries(byVariant)) {
      if (!variants.includes(v)) unknown(['reference', run, v], v, variants, 'variant', true);
      if (!metrics || typeof metrics !== 'object') continue;
      for (const key of Object.keys(metrics)) {
        if (isReferenceKey(key, providers)) continue;
        out.push({ path: ['reference', run, v, key], key: true, message: `unknown metric ${show(key)}${didYouMean(key, referenceKeys(providers))}` });
      }
    }
  }
  return out;
}

