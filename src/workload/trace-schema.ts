/**
 * `workload.trace`: the zod schema of the field, the resolved spec, and the checks that need the
 * whole scenario and a pass over the file (routes of every tenant and model the trace names, the
 * number of requests it makes). The reader is trace-reader.ts; the replay is gateway/trace.ts.
 */
import { z } from 'zod';
import { MAX_KEYS, MAX_TRACE_NAMES, MAX_TRACE_SCALE, MAX_TRACE_SPEED } from '../core/limits.js';
import { duration, intIn } from '../core/units.js';
import { stream } from '../sim/random.js';
import { tracePresetNames, tracePresets, type TraceColumns, type TraceFacts, type TraceRead } from './trace-reader.js';

/** A resolved `workload.trace`. */
export interface TraceSpec extends TraceRead {
  /** Time runs this many times faster than the trace's (2: every gap halves). */
  speed: number;
  /** Copies of each row: the whole part always, one more with the fractional part's probability (seeded, the `trace` stream). */
  scale: number;
  /** A tenant name → the keys (0-based) its requests may take; absent with a tenant column: the name is a key number from 1. */
  tenants?: Record<string, number[]>;
  /** A model name → the providers (indexes) its requests may go to; absent with a model column: the name is a provider's name. */
  models?: Record<string, string[]>;
  /** Rows in the window (before `scale`), counted by the loader's pass over the file. */
  rows: number;
  /** `workload.requests` beside a trace: replay at most this many of its requests. */
  cap?: number;
}

const column = z.string().min(1);
const columns = z
  .strictObject({
    time: column.optional().describe("The time of each row (required unless format names it)"),
    prompt: column.optional().describe('Prompt tokens (with output: requests have sizes)'),
    output: column.optional().describe('Output tokens (with prompt)'),
    maxTokens: column.optional().describe('max_tokens of each request (default: its own output)'),
    tenant: column.optional().describe('Who sent it: picks a key (a key number from 1, or a name of trace.tenants)'),
    key: column.optional().describe('The same as tenant'),
    model: column.optional().describe("The model asked for: picks a provider (a provider's name, or a name of trace.models)"),
    priority: column.optional().describe('A whole number, read and checked; the gateway has no priority scheduling, so it changes nothing yet'),
  })
  .describe("The file's column (CSV header name or JSONL field) for each of ours; with format, these replace or add to its columns");

const oneOrMore = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

export const traceSchema = z
  .strictObject({
    file: z.string().min(1).describe('A CSV or JSONL file of requests (relative to the scenario file; .gz is inflated as read); replayed in file order, each row at its own time'),
    format: z.enum([...tracePresetNames, 'csv', 'jsonl']).optional()
      .describe(`A public trace's layout (${tracePresetNames.join(' | ')}: columns and time unit from the format, checked against the header), or csv | jsonl with columns (default: by the name, .jsonl/.ndjson JSONL, else CSV)`),
    columns: columns.optional(),
    time: z.enum(['s', 'ms', 'timestamp']).optional()
      .describe('How times are written: s (seconds) or ms (numbers, any origin) or timestamp (date-times such as 2023-11-16 18:15:46.68, UTC unless a zone is given) (default: the format\'s, else s)'),
    from: duration.prefault('0ms').describe("Start of the window, in the trace's own time from its first row: earlier rows are skipped, and this moment is the run's start (default 0)"),
    to: duration.optional().describe("End of the window, in the trace's own time from its first row: reading stops at the first row at or after it (default: the end of the file)"),
    speed: z.number({ error: `expected a number from ${1 / MAX_TRACE_SPEED} to ${MAX_TRACE_SPEED}` }).min(1 / MAX_TRACE_SPEED).max(MAX_TRACE_SPEED).default(1)
      .describe(`Time runs this many times faster than the trace's: 2 halves every gap, 0.5 doubles it (default 1; from ${1 / MAX_TRACE_SPEED} to ${MAX_TRACE_SPEED})`),
    scale: z.number({ error: `expected a number above 0 up to ${MAX_TRACE_SCALE}` }).positive().max(MAX_TRACE_SCALE).default(1)
      .describe(`Copies of the traffic: 0.5 keeps each row with probability 0.5, 3 sends each row three times at its time, 2.5 two or three times; seeded, on its own stream (default 1; at most ${MAX_TRACE_SCALE})`),
    zeroOutput: z.enum(['keep', 'drop']).default('keep')
      .describe("Rows whose output is 0 tokens (BurstGPT's failed requests): keep replays them as requests that asked and got nothing, drop skips them (default keep)"),
    tenants: z.record(z.string(), oneOrMore(intIn(1, MAX_KEYS))).optional()
      .describe('Tenant name → a key number (from 1) or a list of them: its requests take only those keys; two tenants share keys only with the same list (default: the tenant column holds key numbers)'),
    models: z.record(z.string(), oneOrMore(z.string().min(1))).optional()
      .describe("Model name → a provider's name or a list of them: its requests go only there, the balancer choosing among the list (default: the model column holds provider names)"),
  })
  .superRefine((t, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const preset = t.format && t.format in tracePresets ? tracePresets[t.format as keyof typeof tracePresets] : undefined;
    const cols = { ...preset?.columns, ...t.columns } as Partial<TraceColumns> & { key?: string };
    if (t.columns?.tenant && t.columns.key) issue(['columns', 'key'], 'expected either tenant or key, not both (they mean the same)');
    if (!cols.time) issue(['columns', 'time'], `required field missing (or give format: ${tracePresetNames.join(' | ')})`);
    if ((cols.prompt === undefined) !== (cols.output === undefined)) issue(['columns', cols.prompt === undefined ? 'prompt' : 'output'], 'expected prompt and output together (requests have sizes with both, none with neither)');
    if (cols.maxTokens !== undefined && cols.output === undefined) issue(['columns', 'maxTokens'], 'expected prompt and output beside maxTokens');
    if (t.tenants && !(t.columns?.tenant ?? t.columns?.key)) issue(['tenants'], 'expected columns.tenant (the column naming each row\'s tenant) with tenants');
    if (t.models && !cols.model) issue(['models'], 'expected columns.model (the column naming each row\'s model) with models');
    if (t.tenants && Object.keys(t.tenants).length > MAX_TRACE_NAMES) issue(['tenants'], `expected at most ${MAX_TRACE_NAMES} tenants`);
    if (t.models && Object.keys(t.models).length > MAX_TRACE_NAMES) issue(['models'], `expected at most ${MAX_TRACE_NAMES} models`);
    if (t.to !== undefined && !(t.to > t.from)) issue(['to'], `expected a time after from (${t.from}ms), got ${t.to}ms`);
  })
  .transform((t): TraceSpec => {
    const preset = t.format && t.format in tracePresets ? (t.format as keyof typeof tracePresets) : undefined;
    const p = preset ? tracePresets[preset] : undefined;
    const given = t.columns ?? {};
    // A preset's model column routes only when asked (models: given); a column named here always does.
    const model = given.model ?? (t.models ? (p?.columns as Partial<TraceColumns> | undefined)?.model : undefined);
    const tenant = given.tenant ?? given.key;
    const cols: TraceColumns = {
      time: given.time ?? p!.columns.time,
      ...((given.prompt ?? p?.columns.prompt) !== undefined ? { prompt: given.prompt ?? p!.columns.prompt, output: given.output ?? p!.columns.output } : {}),
      ...(given.maxTokens !== undefined ? { maxTokens: given.maxTokens } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(given.priority !== undefined ? { priority: given.priority } : {}),
    };
    const format = p ? p.format : t.format === 'csv' || t.format === 'jsonl' ? t.format : /\.(jsonl|ndjson)(\.gz)?$/i.test(t.file) ? 'jsonl' : 'csv';
    return {
      file: t.file,
      path: t.file,
      format,
      ...(preset ? { preset } : {}),
      columns: cols,
      time: t.time ?? p?.time ?? 's',
      fromMs: t.from,
      toMs: t.to ?? Infinity,
      zeroOutput: t.zeroOutput,
      speed: t.speed,
      scale: t.scale,
      ...(t.tenants ? { tenants: Object.fromEntries(Object.entries(t.tenants).map(([k, v]) => [k, v.map((n) => n - 1)])) } : {}),
      ...(t.models ? { models: t.models } : {}),
      rows: 0,
    };
  })
  .describe('Replay a file of requests, each at its own time, in file order (docs/traces.md): instead of arrivals or workers; the file gives the number of requests');

/**
 * Requests a trace makes: `rows` × scale, the fractional part drawn per row on the `trace`
 * stream exactly as the replay draws it (so a seed gives the same count here and there).
 */
export function traceRequests(rows: number, scale: number, seed: number): number {
  const whole = Math.floor(scale);
  const frac = scale - whole;
  if (frac === 0) return rows * whole;
  const random = stream(seed, 'trace');
  let n = rows * whole;
  for (let i = 0; i < rows; i++) if (random() < frac) n++;
  return n;
}

/** What the routing checks need of the scenario. */
export interface RouteTargets {
  keys: number;
  providers: readonly string[];
  /** The pool keeps its state on Redis (tenant groups are pools of this process only). */
  shared: boolean;
  /** The key limiter learns (each group would learn alone, and results show one belief). */
  learning: boolean;
}

/**
 * The problem with the routes of a trace, or undefined: every tenant and model name the trace
 * holds must pick keys or providers that exist, and tenants share keys only as a whole group
 * (each group is a pool of its own). The row named is the first holding the name; the name is
 * never shown (it is the file's content).
 */
export function routeProblem(t: TraceSpec, facts: TraceFacts, to: RouteTargets): { path: string[]; message: string } | undefined {
  const where = (line: number) => `${t.file}:${line}`;
  if (t.columns.tenant !== undefined && to.shared) return { path: ['columns', 'tenant'], message: 'expected keys.store: memory with a tenant column (each tenant\'s keys are a pool of this process)' };
  if (t.columns.tenant !== undefined && to.learning) return { path: ['columns', 'tenant'], message: 'expected a fixed key limiter with a tenant column (not one that learns)' };
  if (t.tenants) {
    for (const [name, keys] of Object.entries(t.tenants)) {
      const bad = keys.find((k) => k >= to.keys);
      if (bad !== undefined) return { path: ['tenants', name], message: `expected key numbers from 1 to keys.count (${to.keys}), got ${bad + 1}` };
    }
    const owner = new Int32Array(to.keys).fill(-1);
    const groups = Object.values(t.tenants).map((ks) => [...new Set(ks)].sort((a, b) => a - b).join(','));
    const ids = [...new Set(groups)];
    for (const [g, list] of ids.entries()) {
      for (const k of list.split(',').map(Number)) {
        if (owner[k]! >= 0 && owner[k] !== g) return { path: ['tenants'], message: `expected tenants whose key lists are the same or share no key, got key ${k + 1} in two different lists` };
        owner[k] = g;
      }
    }
  }
  for (const [name, line] of facts.tenants) {
    if (t.tenants) {
      if (!Object.hasOwn(t.tenants, name)) return { path: ['file'], message: `${where(line)}: ${t.columns.tenant}: expected a tenant named in workload.trace.tenants, got one that is not there` };
    } else if (!/^[1-9]\d*$/.test(name) || Number(name) > to.keys) {
      return { path: ['file'], message: `${where(line)}: ${t.columns.tenant}: expected a key number from 1 to keys.count (${to.keys}) (or name the tenants in workload.trace.tenants), got something else` };
    }
  }
  if (t.models) {
    for (const [name, list] of Object.entries(t.models)) {
      const bad = list.find((p) => !to.providers.includes(p));
      if (bad !== undefined) return { path: ['models', name], message: `expected provider names (${to.providers.join(' | ')}), got one that is not a provider` };
    }
  }
  for (const [name, line] of facts.models) {
    if (t.models ? !Object.hasOwn(t.models, name) : !to.providers.includes(name)) {
      const expected = t.models ? 'a model named in workload.trace.models' : `a provider's name (${to.providers.join(' | ')}) (or name the models in workload.trace.models)`;
      return { path: ['file'], message: `${where(line)}: ${t.columns.model}: expected ${expected}, got one that is not there` };
    }
  }
  return undefined;
}

/** The requests a trace makes with `seed`: its rows × scale, at most `workload.requests` when that is given. */
export function traceCount(t: TraceSpec, seed: number): number {
  const n = traceRequests(t.rows, t.scale, seed);
  return t.cap === undefined ? n : Math.min(n, t.cap);
}
