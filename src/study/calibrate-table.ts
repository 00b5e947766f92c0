import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { IterationEngine, type IterationServing, type StepHost } from '../providers/iteration.js';
import { eachCsvRecord, CsvError } from '../workload/csv.js';
import { Engine } from '../sim/engine.js';

/**
 * Calibrates the iteration serving model (src/providers/iteration.ts) from a published serving
 * table: each row a load (concurrency, or request rate) and request shape (ISL, OSL) with what was
 * measured (mean TTFT, mean ITL, output tokens/s). At most three rows are fitted (which ones: see
 * `fitPoints`); every row is then predicted by simulating the engine under that load, and compared.
 * docs/serving-model.md describes the model, the fit and how to read the residuals.
 */
import type { Calibration } from './calibration.js';
export type { Calibration } from './calibration.js';

/** One row of a serving table. */
export interface TablePoint {
  /** `concurrency=25` or `rate=4/s`, with ISL/OSL when the table has more than one shape. */
  label: string;
  /** The row's line in the file. */
  line: number;
  /** Closed loop: requests in flight; or open loop: requests per second (exactly one is set). */
  concurrency?: number;
  ratePerS?: number;
  isl: number;
  osl: number;
  ttftMs: number;
  itlMs: number;
  outputTokensPerS: number;
}

export interface CalibrateTableOptions {
  /** Rows to fit, by label or 0-based index (default: chosen by `fitPoints`, at most three). */
  points?: (string | number)[];
  /** Requests per worker (closed loop) or in all per 100 of rate (open loop) in each simulated point (default 6, the first a warm-up). */
  requestsPerWorker?: number;
  /** Fix these to the given value instead of fitting (ms; maxSequences and maxBatchedTokens whole). */
  fixed?: Partial<Record<Coefficient | 'maxSequences' | 'maxBatchedTokens', number>>;
  /**
   * The coefficients fitted (default `FITTED`: the step's base, prefill and decode, and per KV token
   * when the fitted rows have more than one shape); the others are 0 unless fixed. Each one freed is a
   * parameter more for three rows' nine residuals: docs/serving-model.md says what each did to the
   * published tables.
   */
  fit?: Coefficient[];
  /** Candidate budgets tried for maxBatchedTokens (default 256, 512, 1024, 2048, 8192). */
  budgets?: number[];
  /** The provider's name in the block (default: the file's name without extension). */
  name?: string;
}

/** Tolerances a prediction is held to, as fractions. */
export const TOLERANCE = { ttftMs: 0.15, itlMs: 0.1, outputTokensPerS: 0.1 } as const;
type Metric = keyof typeof TOLERANCE;
const METRICS: Metric[] = ['ttftMs', 'itlMs', 'outputTokensPerS'];
const METRIC_NAME: Record<Metric, string> = { ttftMs: 'TTFT', itlMs: 'ITL', outputTokensPerS: 'output tokens/s' };
const METRIC_UNIT: Record<Metric, string> = { ttftMs: 'ms', itlMs: 'ms', outputTokensPerS: 'tokens/s' };

/** A table the calibration cannot read: the file, the line, the column and what was expected. */
export class TableError extends Error {}

/** Header names each column is read from, compared lowercased with everything but letters and digits dropped. */
const COLUMNS: Record<keyof Omit<TablePoint, 'label' | 'line'>, string[]> = {
  concurrency: ['concurrency', 'maxconcurrency', 'users', 'clients', 'concurrentrequests'],
  ratePerS: ['requestrate', 'rate', 'qps', 'requestspers', 'requestratereqs'],
  isl: ['isl', 'inputtokens', 'inputlen', 'inputlength', 'randominputlen', 'inputsequencelength', 'prompttokens'],
  osl: ['osl', 'outputtokens', 'outputlen', 'outputlength', 'randomoutputlen', 'outputsequencelength'],
  ttftMs: ['ttftms', 'ttft', 'meanttftms', 'timetofirsttokenms', 'ttftavgms', 'avgttftms'],
  itlMs: ['itlms', 'itl', 'meanitlms', 'intertokenlatencyms', 'itlavgms', 'avgitlms', 'meantpotms', 'tpotms'],
  outputTokensPerS: ['outputtokenspers', 'outputthroughput', 'outputtokenthroughput', 'throughputtokenss', 'throughputtokenspers', 'tokenspers', 'outputtokensthroughput', 'outputtokenthroughputtokpers'],
};
const norm = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

/** A table file's largest size: a published table is a few dozen rows. */
export const MAX_TABLE_BYTES = 1024 * 1024;
/** Rows a table may have (each predicted by a simulation). */
export const MAX_TABLE_ROWS = 1_000;
/** The largest concurrency or request rate a row may ask for (each is simulated). */
export const MAX_TABLE_LOAD = 10_000;
/** The longest ISL or OSL of a row. */
export const MAX_TABLE_TOKENS = 1_000_000;

/** Reads a serving table (CSV, `#` comment lines allowed); throws TableError with one line naming the row and column. */
export function readTable(path: string): TablePoint[] {
  const name = path;
  let text: string;
  try {
    if (statSync(path).size > MAX_TABLE_BYTES) throw new TableError(`${name}: expected a table of at most ${MAX_TABLE_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof TableError) throw e;
    throw new TableError(`${name}: cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let header: string[] | undefined;
  let index: Partial<Record<keyof typeof COLUMNS, number>> = {};
  const rows: TablePoint[] = [];
  try {
    // Comment lines are blanked, not removed, so every row keeps its line number.
    const body = text.replace(/^[ \t]*#[^\r\n]*/gm, '');
    eachCsvRecord(body, 100, (cells, line) => {
      if (!header) {
        header = cells;
        index = {};
        for (const [field, names] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string[]][]) {
          const at = cells.findIndex((c) => names.includes(norm(c)));
          if (at >= 0) index[field] = at;
        }
        for (const field of ['isl', 'osl', 'ttftMs', 'itlMs', 'outputTokensPerS'] as const) {
          if (index[field] === undefined) throw new TableError(`${name}:${line}: expected a column for ${field} (one of: ${COLUMNS[field].join(', ')})`);
        }
        if ((index.concurrency === undefined) === (index.ratePerS === undefined)) {
          throw new TableError(`${name}:${line}: expected a concurrency column or a request rate column (exactly one)`);
        }
        return;
      }
      if (rows.length >= MAX_TABLE_ROWS) throw new TableError(`${name}:${line}: expected at most ${MAX_TABLE_ROWS} rows`);
      const num = (field: keyof typeof COLUMNS, min: number, max: number, integer: boolean): number => {
        const col = index[field]!;
        const raw = (cells[col] ?? '').trim();
        const v = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(raw) ? Number(raw) : NaN;
        if (!(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
          throw new TableError(`${name}:${line}: column ${col + 1} (${field}): expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
        }
        return v;
      };
      const p: TablePoint = {
        label: '',
        line,
        isl: num('isl', 1, MAX_TABLE_TOKENS, true),
        osl: num('osl', 1, MAX_TABLE_TOKENS, true),
        ttftMs: num('ttftMs', 1e-6, 1e9, false),
        itlMs: num('itlMs', 1e-6, 1e9, false),
        outputTokensPerS: num('outputTokensPerS', 1e-6, 1e12, false),
      };
      if (index.concurrency !== undefined) p.concurrency = num('concurrency', 1, MAX_TABLE_LOAD, true);
      else p.ratePerS = num('ratePerS', 1e-3, MAX_TABLE_LOAD, false);
      rows.push(p);
    });
  } catch (e) {
    if (e instanceof CsvError) throw new TableError(`${name}:${e.line}: ${e.found}`);
    throw e;
  }
  if (rows.length === 0) throw new TableError(`${name}: expected a header and at least one row`);
  const shapes = new Set(rows.map((r) => `${r.isl}/${r.osl}`));
  for (const r of rows) {
    const load = r.concurrency !== undefined ? `concurrency=${r.concurrency}` : `rate=${r.ratePerS}/s`;
    r.label = shapes.size > 1 ? `${load} isl=${r.isl} osl=${r.osl}` : load;
  }
  return rows;
}

/**
 * The time from an answer's end to the worker's next request reaching the server (a loopback or LAN
 * round trip and the client's own work). It matters: a request that arrives while a step runs waits
 * for the step to end, as on a real server; arriving at the very instant a step ends, it never would.
 */
export const CLIENT_GAP_MS = 1;
/** What the model predicts at one point. */
export interface Prediction {
  ttftMs: number;
  itlMs: number;
  outputTokensPerS: number;
}

/** Keeps the same random stream whatever was fitted: arrivals of an open-loop point are a seeded Poisson process. */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The model's figures at one point, by simulating the engine: a closed loop of `concurrency`
 * workers, each sending its next request `CLIENT_GAP_MS` after its answer ends (as AIPerf and
 * `gatesim` run a concurrency), all starting together, `requestsPerWorker` each; or Poisson arrivals at `ratePerS`. The
 * first round (each worker's first request; the first tenth of an open loop's) is a warm-up and not
 * measured. TTFT and ITL are means over the measured requests (ITL over every gap). Output tokens/s is,
 * for a closed loop, Little's law over the measured requests (concurrency × OSL ÷ (their mean
 * latency + the client's gap): the run's drain, when fewer workers are left, does not count); for an open loop, their
 * output tokens over the time from the first measured arrival to the last answer.
 */
export function predict(cfg: IterationServing, point: Pick<TablePoint, 'concurrency' | 'ratePerS' | 'isl' | 'osl'>, requestsPerWorker = 6): Prediction {
  const clock = new Engine();
  const closed = point.concurrency !== undefined;
  const total = closed ? point.concurrency! * requestsPerWorker : Math.max(50, Math.round(point.ratePerS! * requestsPerWorker * 10));
  const sentAt = new Float64Array(total);
  const firstAt = new Float64Array(total);
  let sent = 0;
  // Requests sent or scheduled to be (a closed loop's next request leaves CLIENT_GAP_MS after an answer).
  let issued = 0;
  let ttftSum = 0;
  let gapSum = 0;
  let gaps = 0;
  let last = 0;
  let measured = 0;
  let latencySum = 0;
  const warm = closed ? point.concurrency! : Math.floor(total / 10);
  // eslint-disable-next-line prefer-const
  let engine: IterationEngine;
  const send = (): void => {
    const j = sent++;
    sentAt[j] = clock.now();
    engine.enqueue(j, point.isl, point.osl);
  };
  const host: StepHost = {
    admit: () => true,
    first: (j) => {
      firstAt[j] = clock.now();
      if (j >= warm) ttftSum += firstAt[j]! - sentAt[j]!;
    },
    finished: (j) => {
      const now = clock.now();
      if (j >= warm) {
        if (point.osl > 1) {
          gapSum += now - firstAt[j]!;
          gaps += point.osl - 1;
        }
        measured++;
        latencySum += now - sentAt[j]!;
        last = now;
      }
      if (closed && issued < total) {
        issued++;
        clock.after(CLIENT_GAP_MS, kSend, 0);
      }
    },
  };
  engine = new IterationEngine(cfg, clock, host);
  const kSend = clock.on(send);
  if (closed) {
    issued = point.concurrency!;
    for (let w = 0; w < point.concurrency!; w++) send();
  }
  else {
    const random = mulberry(0x5eed);
    const perMs = point.ratePerS! / 1000;
    const kArrive = clock.on(() => {
      send();
      if (sent < total) clock.after(-Math.log(1 - random()) / perMs, kArrive, 0);
    });
    clock.at(0, kArrive, 0);
  }
  clock.run();
  const from = sentAt[warm]!;
  return {
    ttftMs: ttftSum / measured,
    itlMs: gaps > 0 ? gapSum / gaps : NaN,
    outputTokensPerS: closed ? (point.concurrency! * point.osl) / ((latencySum / measured + CLIENT_GAP_MS) / 1000) : last > from ? (measured * point.osl) / ((last - from) / 1000) : NaN,
  };
}

/**
 * The rows fitted when none are named: the lowest load (the step's fixed cost and prefill), the
 * highest (saturation: the sequence limit and contention at its worst) and the one whose load is
 * nearest the geometric middle of the two (how contention grows) — at most three, so every other row
 * is a prediction.
 */
export function fitPoints(rows: TablePoint[]): number[] {
  const load = (r: TablePoint) => r.concurrency ?? r.ratePerS!;
  const order = rows.map((_, i) => i).sort((a, b) => load(rows[a]!) - load(rows[b]!) || a - b);
  if (order.length <= 3) return order;
  const lo = order[0]!;
  const hi = order[order.length - 1]!;
  const mid = Math.sqrt(load(rows[lo]!) * load(rows[hi]!));
  let best = order[1]!;
  for (const i of order.slice(1, -1)) if (Math.abs(Math.log(load(rows[i]!) / mid)) < Math.abs(Math.log(load(rows[best]!) / mid))) best = i;
  return [lo, best, hi].sort((a, b) => a - b);
}

/** The coefficients fitted by default. */
export const FITTED: Coefficient[] = ['base', 'perPrefillToken', 'perDecodeSequence', 'perKvToken'];

const sig = (v: number, digits = 4) => Number(v.toPrecision(digits));
const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;

/** The relative errors of a prediction at a row (predicted ÷ measured − 1). */
function errors(p: Prediction, r: TablePoint): Record<Metric, number> {
  return { ttftMs: p.ttftMs / r.ttftMs - 1, itlMs: p.itlMs / r.itlMs - 1, outputTokensPerS: p.outputTokensPerS / r.outputTokensPerS - 1 };
}

/**
 * The sequence limits worth trying, from the fitted rows alone: none that binds (the larger of 256 and
 * the table's highest concurrency), and — when the highest load's TTFT is more than five times the
 * lowest's, a sign that requests queue there — the sequences running at the highest load by
 * Little's law: its tokens/s × the time one answer is served there (the lowest load's TTFT as its
 * prefill, plus OSL − 1 gaps at the highest load's ITL) ÷ OSL. The fit keeps whichever fits better:
 * queueing for a sequence slot and queueing for prefill room in the step budget look alike at one row.
 */
function sequenceLimits(rows: TablePoint[], fitted: TablePoint[]): number[] {
  const lo = fitted[0]!;
  const hi = fitted[fitted.length - 1]!;
  const ceiling = Math.max(...rows.map((r) => r.concurrency ?? 0), 256);
  if (hi.concurrency === undefined || fitted.length < 2 || hi.ttftMs < 5 * lo.ttftMs) return [ceiling];
  const served = lo.ttftMs + (hi.osl - 1) * hi.itlMs;
  const little = Math.max(1, Math.min(ceiling, Math.round((hi.outputTokensPerS * served) / 1000 / hi.osl)));
  return little < ceiling ? [little, ceiling] : [ceiling];
}

/** The coefficients a fit may free: the step's, and the frontend's. */
export type Coefficient = 'base' | 'perPrefillToken' | 'perDecodeSequence' | 'perKvToken' | 'perBatchedToken' | 'perDecodeSequence2' | 'perRequest' | 'perPromptToken' | 'perOutputToken';
export const COEFFICIENTS: Coefficient[] = ['base', 'perPrefillToken', 'perDecodeSequence', 'perKvToken', 'perBatchedToken', 'perDecodeSequence2', 'perRequest', 'perPromptToken', 'perOutputToken'];

/** Fits the iteration model to a serving table; see the file's comment. */
export function calibrateTable(path: string, options: CalibrateTableOptions = {}): Calibration {
  const rows = readTable(path);
  const perWorker = options.requestsPerWorker ?? 6;
  const fit = options.points
    ? options.points.map((p) => {
        const i = typeof p === 'number' ? p : rows.findIndex((r) => r.label === p);
        if (!(i >= 0 && i < rows.length)) throw new TableError(`${path}: no row ${JSON.stringify(p)} to fit (rows: ${rows.map((r) => r.label).join(', ')})`);
        return i;
      })
    : fitPoints(rows);
  const load = (r: TablePoint) => r.concurrency ?? r.ratePerS!;
  const fitted = fit.map((i) => rows[i]!).sort((a, b) => load(a) - load(b));
  const fixed = options.fixed ?? {};
  const limits = fixed.maxSequences !== undefined ? [fixed.maxSequences] : sequenceLimits(rows, fitted);
  const shapes = new Set(fitted.map((r) => `${r.isl}/${r.osl}`));
  // One request shape cannot tell per-KV-token cost from per-sequence cost (both grow with the sequences running).
  const wanted = options.fit ?? FITTED;
  const free: Coefficient[] = COEFFICIENTS.filter(
    (c) => wanted.includes(c) && fixed[c] === undefined && (c !== 'perKvToken' || shapes.size > 1),
  );
  const top = Math.max(...fitted.map((r) => r.outputTokensPerS));
  const lo = fitted[0]!;
  const hi = fitted[fitted.length - 1]!;
  const budgets = fixed.maxBatchedTokens !== undefined ? [fixed.maxBatchedTokens] : (options.budgets ?? [256, 512, 1024, 2048, 8192]);

  let best: { cfg: IterationServing; cost: number } | undefined;
  const tried = new Set<string>();
  for (const maxSequences of limits) for (const budget0 of budgets) {
    const budget = Math.max(budget0, maxSequences);
    if (tried.has(`${maxSequences}/${budget}`)) continue;
    tried.add(`${maxSequences}/${budget}`);
    // Starting values from the table's own figures: a step is about the lowest load's ITL, prefill takes the rest of its TTFT.
    const steps = Math.ceil(lo.isl / budget);
    const guess: Record<Coefficient, number> = {
      base: fixed.base ?? 0.9 * lo.itlMs,
      perDecodeSequence: fixed.perDecodeSequence ?? Math.max(0.01 * lo.itlMs, (hi.itlMs - lo.itlMs) / Math.max(1, Math.min(hi.concurrency ?? maxSequences, maxSequences) - (lo.concurrency ?? 1))),
      perPrefillToken: fixed.perPrefillToken ?? Math.max((0.1 * lo.ttftMs) / lo.isl, (lo.ttftMs - steps * 0.9 * lo.itlMs) / lo.isl),
      perKvToken: fixed.perKvToken ?? 0,
      // A ceiling near the highest tokens/s measured: of every token the step carries, or of output tokens through the frontend.
      perBatchedToken: fixed.perBatchedToken ?? (0.9 * 1000) / (top * (1 + lo.isl / lo.osl)),
      perOutputToken: fixed.perOutputToken ?? (0.9 * 1000) / top,
      perRequest: fixed.perRequest ?? 0.05 * lo.ttftMs,
      perPromptToken: fixed.perPromptToken ?? (0.05 * lo.ttftMs) / lo.isl,
      // A quadratic decode term that doubles the decode slope's share at the highest load.
      perDecodeSequence2: fixed.perDecodeSequence2 ?? Math.max(1e-6, (0.2 * hi.itlMs) / Math.max(1, Math.min(hi.concurrency ?? maxSequences, maxSequences)) ** 2),
    };
    for (const c of COEFFICIENTS) if (!free.includes(c) && fixed[c] === undefined) guess[c] = 0;
    const scale = free.map((c) => (guess[c] > 0 ? guess[c] : 1e-4 * lo.itlMs / lo.isl));
    const configOf = (q: ArrayLike<number>): IterationServing => {
      const v = { ...guess };
      free.forEach((c, k) => (v[c] = Math.max(0, q[k]! * scale[k]!)));
      return {
        model: 'iteration',
        step: { base: Math.max(1e-3, v.base), perPrefillToken: v.perPrefillToken, perDecodeSequence: v.perDecodeSequence, perKvToken: v.perKvToken, perBatchedToken: v.perBatchedToken, perDecodeSequence2: v.perDecodeSequence2 },
        maxBatchedTokens: budget,
        maxSequences,
        maxKvTokens: Infinity,
        frontend: { perRequest: v.perRequest, perPromptToken: v.perPromptToken, perOutputToken: v.perOutputToken },
      };
    };
    // Residuals: log(predicted ÷ measured) of each metric at each fitted row, as y = f(x) with every target 0.
    let cacheKey = '';
    let cache: number[] = [];
    const residuals = (q: number[]): number[] => {
      const key = q.join(',');
      if (key !== cacheKey) {
        const cfg = configOf(q);
        cache = fitted.flatMap((r) => {
          const p = predict(cfg, r, perWorker);
          return METRICS.map((m) => Math.log(p[m] / r[m]));
        });
        cacheKey = key;
      }
      return cache;
    };
    const n = fitted.length * METRICS.length;
    const start = free.map(() => 1);
    let q = start;
    if (free.length > 0) {
      const fitFrom = (damping: number) => levenbergMarquardt(
        { x: Array.from({ length: n }, (_, i) => i), y: new Array<number>(n).fill(0) },
        (params) => {
          const r = residuals(params);
          return (x) => r[x]!;
        },
        {
          initialValues: start,
          minValues: free.map(() => 0),
          maxValues: free.map(() => 1e4),
          gradientDifference: 0.02,
          damping,
          maxIterations: 25,
          errorTolerance: 1e-6,
        },
      );
      // A step whose normal equations are singular (a coefficient the fitted rows cannot see) throws: more damping, else the start.
      for (const damping of [0.1, 10]) {
        try {
          q = fitFrom(damping).parameterValues;
          break;
        } catch {
          q = start;
        }
      }
    }
    const cost = residuals(q).reduce((s, r) => s + r * r, 0);
    if (!best || cost < best.cost) best = { cfg: configOf(q), cost };
  }

  const cfg = best!.cfg;
  const points = rows.map((r) => {
    const p = predict(cfg, r, perWorker);
    const e = errors(p, r);
    return {
      label: r.label,
      measured: { ttftMs: r.ttftMs, itlMs: r.itlMs, outputTokensPerS: r.outputTokensPerS },
      predicted: { ttftMs: sig(p.ttftMs), itlMs: sig(p.itlMs), outputTokensPerS: sig(p.outputTokensPerS) },
      error: { ttftMs: sig(e.ttftMs, 3), itlMs: sig(e.itlMs, 3), outputTokensPerS: sig(e.outputTokensPerS, 3) },
    };
  });
  const outside: string[] = [];
  for (const pt of points) {
    for (const m of METRICS) {
      if (!(Math.abs(pt.error[m]!) <= TOLERANCE[m])) {
        outside.push(`${pt.label}: ${METRIC_NAME[m]} predicted ${pt.predicted[m]} ${METRIC_UNIT[m]}, measured ${pt.measured[m]} ${METRIC_UNIT[m]} (${pct(pt.error[m]!)}; tolerance ${TOLERANCE[m] * 100}%)`);
      }
    }
  }
  const file = basename(path);
  const step = cfg.step;
  return {
    source: `${file}: fitted to ${fit.map((i) => rows[i]!.label).join(', ')} (${free.join(', ') || 'nothing'} fitted; maxSequences ${fixed.maxSequences !== undefined ? 'given' : `best of ${limits.join(', ')}`}, maxBatchedTokens ${budgets.length > 1 ? `best of ${budgets.join(', ')}` : 'given'})`,
    provider: {
      name: options.name ?? file.replace(/\.[^.]*$/, ''),
      serving: {
        model: 'iteration',
        step: {
          base: sig(step.base), perPrefillToken: sig(step.perPrefillToken), perDecodeSequence: sig(step.perDecodeSequence), perKvToken: sig(step.perKvToken),
          ...(step.perBatchedToken ? { perBatchedToken: sig(step.perBatchedToken) } : {}),
          ...(step.perDecodeSequence2 ? { perDecodeSequence2: sig(step.perDecodeSequence2) } : {}),
        },
        maxBatchedTokens: cfg.maxBatchedTokens,
        maxSequences: cfg.maxSequences,
        ...(cfg.frontend && (cfg.frontend.perRequest || cfg.frontend.perPromptToken || cfg.frontend.perOutputToken)
          ? { frontend: { perRequest: sig(cfg.frontend.perRequest), perPromptToken: sig(cfg.frontend.perPromptToken), perOutputToken: sig(cfg.frontend.perOutputToken) } }
          : {}),
      },
    },
    points,
    outside,
  };
}
