#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import yargs, { type ArgumentsCamelCase, type InferredOptionTypes } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { queueBar, realBars, simulationsBar } from './progress.js';
import { FULL_MAX_NUMBERS, planSeriesNumbers, planSize, realHeader, runPlan, runPlanReal, runPlansParallel, seriesKept } from './run.js';
import { defaultJobs, openPool } from './study/pool.js';
import { RealModeError } from './modes/errors.js';
import { formatTotals, MAX_KEYS, serve, type Serving } from './providers/server.js';
import { RESET_ENV, resetTokenProblem } from './providers/reset.js';
import { markdownReport, tablesOf, toMarkdown, toText, type Table, wrapText } from './report/table.js';
import type { Results } from './metrics/results.js';
import type { Plan } from './scenario/types.js';
import { checkOut, jsonChunks, openInBrowser, packageVersion, PathError, printErr, printOut, quietOnClosedPipes, reportDir, writeAll } from './core/output.js';
import { addSecret, addUrlSecrets, redactUrl } from './core/secrets.js';
import { distance } from './scenario/errors.js';
import { htmlReport } from './report/html.js';
import { writeIndex } from './report/index-page.js';
import { loadScenario } from './scenario/load.js';
import { DEFAULT_GOAL, describeGoal, GoalError, goalMetric, parseGoal, type Goal } from './metrics/goal.js';
import { ScenarioError } from './scenario/errors.js';
import { scenarioJsonSchemaText } from './scenario/schema.js';
import { parseDuration } from './core/units.js';
import {
  DEFAULT_SEARCH_BUDGET, MAX_QUEUE_CONCURRENCY, MAX_QUEUE_DEADLINE_MS, MAX_QUEUE_DEADLINE_TEXT, MAX_QUEUE_IDLE_MS, MAX_QUEUE_LOCK_MS, MAX_SEARCH_BUDGET,
  MAX_SEARCH_CPU_MS, MAX_SEARCH_FIELDS, MAX_SEARCH_SEEDS, MAX_SEARCH_TOLERANCE, MIN_QUEUE_DEADLINE_MS, MIN_QUEUE_DEADLINE_TEXT, MIN_QUEUE_IDLE_MS,
  MIN_QUEUE_LOCK_MS, MIN_SEARCH_CPU_MS,
} from './core/limits.js';
import type { QueuePool, QueueStopped } from './study/queue.js';
import type { Coefficient } from './study/calibrate-table.js';
import { checkShardFlags, mergeFiles, shardFile } from './shard-cli.js';
import { MAX_SHARDS, shardPlanProblem, type ShardFile } from './modes/shard.js';
import { COMMANDS, PROBE_LIMITS, runOptions, searchOptions, USAGE, workerOptions } from './cli-options.js';
import { formatCalibration, writeProvider, type Calibration } from './study/calibration.js';
import { parseLadder, probeScenario } from './study/probe.js';
import { parseScenario } from './scenario/load.js';
import { writeFileSync } from 'node:fs';
import { longTimeout } from './core/long-timer.js';

/** A mistake of the user's (bad flag, bad file): one line, exit 2, no stack. `hint`: add the --help line (a command line yargs could not parse). */
class UsageError extends Error {
  constructor(
    message: string,
    readonly hint = false,
  ) {
    super(message);
  }
}

const shown = (f: string): string => relative(process.cwd(), f) || f;

/**
 * Columns stdout's tables may take: the terminal's width; when stdout is not a terminal, `COLUMNS`
 * (a whole number from 40 to 10,000, as shells export it), else 80.
 */
function terminalWidth(): number {
  if (process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env >= 40 && env <= 10_000 ? env : 80;
}

const isFolder = (f: string): boolean => existsSync(f) && statSync(f).isDirectory();

/** Prints where the page is, updates the reports index in `root` (unless null), and opens the page when asked. */
function finishPage(page: string, root: string | null, quiet: boolean, open: boolean): void {
  const index = root === null ? null : writeIndex(root);
  if (!quiet) printErr(`report: ${shown(page)}${index ? ` (all reports: ${shown(index)})` : ''}\n`);
  if (open) {
    const why = openInBrowser(page);
    if (why) printErr(`${why}\n`);
  }
}


type RunArgs = ArgumentsCamelCase<InferredOptionTypes<typeof runOptions>> & { file: string };

/** What the reports index reads of a report: a few fields, whatever the size of its results. */
function summaryOf(results: Results): string {
  const summary = {
    schema: 'gatesim.summary/v1',
    scenario: results.scenario,
    description: results.description,
    mode: results.mode,
    seed: results.seed,
    runs: results.runs.length,
    variants: results.runs[0]?.variants.length ?? 0,
    ...(results.partial ? { partial: true } : {}),
    ...(results.compact ? { compact: true } : {}),
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** Writes results.json, results.md and the page, prints the tables; the same for sim and real. */
function writeResults(argv: RunArgs, results: Results, started: number, index = true): void {
  const json = jsonChunks(results, 'runs');
  const md = markdownReport(results);
  const dir = reportDir(argv.out, argv.file);
  const html = htmlReport(results, { generatedAt: new Date(), version: packageVersion() });
  const written = writeAll(dir, { 'results.json': json, 'results.md': md, 'index.html': html, 'summary.json': summaryOf(results) });
  if (argv.format === 'json') for (const chunk of json) printOut(chunk);
  else if (argv.format !== 'none') {
    const render = argv.format === 'markdown' ? toMarkdown : (t: Table) => toText(t, terminalWidth());
    // Notes wrap like the tables (markdown keeps each on one line).
    const note = (n: string): string => (argv.format === 'markdown' ? `note: ${n.trim()}` : wrapText(`note: ${n.trim().replace(/\s+/g, ' ')}`, terminalWidth()).join('\n'));
    const notes = results.notes?.length ? `\n\n${results.notes.map(note).join('\n')}` : '';
    printOut(tablesOf(results).map(render).join('\n\n') + notes + '\n');
  }
  if (!argv.quiet) {
    const peakMb = process.resourceUsage().maxRSS / 1024;
    printErr(
      `wrote ${written.filter((f) => !f.endsWith('summary.json')).map((f) => relative(process.cwd(), f)).join(', ')} in ${((performance.now() - started) / 1000).toFixed(2)} s (peak memory ${peakMb.toFixed(0)} MB)\n`,
    );
    if (results.compact) {
      printErr(`results.json is compact: ${results.runs.length} points, so series and latency CDFs are kept only for points with published figures (--full writes them all)\n`);
    }
  }
  finishPage(join(dir, 'index.html'), index ? argv.out : null, argv.quiet, argv.open);
}

/** A scenario path that exists, or one line naming the closest file there (did you mean). */
function checkScenarioPath(file: string): void {
  if (existsSync(file)) return;
  const dir = dirname(file);
  let near = '';
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    const want = basename(file).toLowerCase();
    let best = Infinity;
    for (const f of readdirSync(dir)) {
      if (!/\.ya?ml$/.test(f) && !statSync(join(dir, f)).isDirectory()) continue;
      const d = distance(want, f.toLowerCase());
      if (d < best && d <= Math.max(2, want.length / 3)) [best, near] = [d, join(dir, f)];
    }
  }
  throw new UsageError(`${file}: no such scenario file or folder${near ? ` (did you mean ${near}?)` : ''}`);
}

/** The plan with only the variants named by --only (all when none is named). */
function loadFile(file: string, argv: Pick<RunArgs, 'seed' | 'set' | 'goal'>): Plan {
  const plan = loadScenario(file, { seed: argv.seed, sets: argv.set ?? [] });
  return argv.goal === undefined ? plan : { ...plan, goal: goalFlag(argv.goal) };
}

/** `--goal TEXT` → the goal, or one line saying what is wrong with it. */
function goalFlag(text: string): Goal {
  try {
    return parseGoal(text);
  } catch (e) {
    if (e instanceof GoalError) throw new UsageError(`--${e.message}`);
    throw e;
  }
}

/** The plan with only the variants named by --only (all when none is named). */
function load(argv: RunArgs): Plan {
  const plan = loadFile(argv.file, argv);
  const only = argv.only ?? [];
  if (only.length === 0) return plan;
  const known = plan.runs[0]!.variants.map((v) => v.name);
  for (const name of only) {
    if (!known.includes(name)) throw new UsageError(`--only ${name}: expected a variant name (one of ${known.join(' | ')})`);
  }
  const runs = plan.runs.map((r) => ({ ...r, variants: r.variants.filter((v) => only.includes(v.name)) }));
  return { ...plan, runs, baseline: only.includes(plan.baseline) ? plan.baseline : only[0]! };
}

/**
 * Below this many requests (× attempts) in all, one thread is as fast or faster. Measured on 2 cores:
 * a thread costs ~0.2–0.3 s to start, load the simulator and warm its JIT, and two simulating at
 * once each run ~1.4× slower than one alone (the work is memory-bound, and a single thread's
 * garbage collector already uses the second core): 1.35–1.45× in all on 8 × 300k requests, 1.14×
 * on 16 × 100k, slower than one thread on the scenarios folder (~450k, many small points).
 */
const THREADS_WORTH = 1_000_000;

/** Worker threads: `--jobs N` (1 = none), else one per core when the work is worth it. */
function jobsOf(argv: RunArgs, plans: Plan[]): number {
  if (argv.jobs !== undefined) {
    if (!Number.isInteger(argv.jobs) || argv.jobs < 1) throw new UsageError(`--jobs: expected a positive integer, got ${String(argv.jobs)}`);
    return argv.jobs;
  }
  const work = plans.reduce((n, p) => n + p.runs.reduce((a, r) => a + r.variants.reduce((b, v) => b + v.scenario.workload.requests * v.scenario.retry.attempts, 0), 0), 0);
  return work >= THREADS_WORTH ? defaultJobs() : 1;
}

/**
 * Simulates plans; sweeps and folders on worker threads (one per core unless --jobs says), with a
 * progress bar when that takes more than a second. The results are the same bytes either way.
 */
async function simulatePlans(argv: RunArgs, plans: Plan[]): Promise<Results[]> {
  const queue = queueFlags(argv);
  const jobs = queue ? 1 : jobsOf(argv, plans);
  const total = plans.reduce((n, p) => n + planSize(p), 0);
  if (argv.full) {
    const numbers = plans.reduce((n, p) => n + planSeriesNumbers(p), 0);
    if (numbers > FULL_MAX_NUMBERS) {
      throw new UsageError(
        `--full: ${total} simulations would write ${(numbers / 1e6).toFixed(0)} M series values, more than ${FULL_MAX_NUMBERS / 1e6} M (~0.5 GB of results.json); without --full, points without published figures keep only their metrics`,
      );
    }
  }
  if (queue) return queuePlans(argv, plans, queue, total);
  if (jobs > 1 && total > 1 && (plans.length > 1 || plans[0]!.sweep)) {
    const bar = simulationsBar(total, argv.quiet);
    const started = performance.now();
    try {
      const results = await runPlansParallel(plans, jobs, () => bar.tick(), argv.full);
      bar.stop();
      if (!argv.quiet) printErr(`  ${total} simulations on ${Math.min(jobs, total)} threads in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      return results;
    } finally {
      bar.stop();
    }
  }
  // A line per simulation for a few; a progress bar (on a terminal) for many.
  const bar = total > PER_LINE_UP_TO ? simulationsBar(total, argv.quiet) : undefined;
  try {
    return plans.map((plan) =>
      runPlan(
        plan,
        (run, variant, s) => {
          bar?.tick();
          if (!argv.quiet && !bar) {
            const rate = s.wallMs > 0 ? ((s.events / s.wallMs) * 1000) / 1e6 : 0;
            printErr(
              `  ${run} / ${variant}: ${s.events} events, ${(s.virtualMs / 1000).toFixed(1)} s simulated in ${s.wallMs.toFixed(0)} ms (${rate.toFixed(1)} M events/s)\n`,
            );
          }
        },
        seriesKept(plan, argv.full),
      ),
    );
  } finally {
    bar?.stop();
  }
}

/** Simulations in one thread that each get a line on stderr; more get a progress bar instead. */
const PER_LINE_UP_TO = 24;

async function simulateFile(argv: RunArgs): Promise<void> {
  const plan = load(argv);
  const started = performance.now();
  const [results] = await simulatePlans(argv, [plan]);
  writeResults(argv, results!, started);
}

/**
 * `gatesim scenarios/`: every scenario file in the folder, each to OUT/<name>/, then one index.
 * Every file is checked before any runs: a mistake in one stops them all, with nothing written.
 */
async function simulateFolder(argv: RunArgs): Promise<void> {
  if (argv.mode === 'real') throw new UsageError(`${argv.file}: --mode real takes one scenario file, not a folder`);
  if (argv.only?.length) throw new UsageError(`${argv.file}: --only takes one scenario file, not a folder`);
  const files = readdirSync(argv.file)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(argv.file, f));
  if (files.length === 0) throw new UsageError(`${argv.file}: expected a folder of scenario files (*.yaml), found none`);
  const byDir = new Map<string, string>();
  for (const f of files) {
    const dir = reportDir(argv.out, f);
    if (byDir.has(dir)) throw new UsageError(`${shown(f)}: its report folder ${shown(dir)} is also ${shown(byDir.get(dir)!)}'s; rename one of them`);
    byDir.set(dir, f);
  }
  const plans: Plan[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      plans.push(loadFile(file, argv));
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      problems.push(...e.lines);
    }
  }
  if (problems.length) throw new ScenarioError(problems);
  const started = performance.now();
  const all = await simulatePlans(argv, plans);
  const json: Results[] = [];
  all.forEach((results, i) => {
    const one = { ...argv, file: files[i]!, open: false, format: argv.format === 'json' ? 'none' : argv.format };
    if (argv.format !== 'json') printOut(`${i ? '\n' : ''}== ${shown(files[i]!)} ==\n`);
    writeResults(one, results, started, false);
    json.push(results);
  });
  if (argv.format === 'json') printOut(`${JSON.stringify(json, null, 2)}\n`);
  finishPage(writeIndex(argv.out), null, argv.quiet, argv.open);
}

/** Exit codes of a real run a signal ended (128 + the signal's number, as a shell reports it). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** `--queue URL` and `--queue-deadline`, checked; undefined without --queue. */
interface QueueFlags {
  url: string;
  deadlineMs: number;
  idleMs: number;
}

/** A whole number of wall ms from the environment (for tests and operators), within bounds, else its default. */
function envMs(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${name}: expected whole milliseconds from ${min} to ${max}, got ${raw}`);
  return v;
}

function queueUrl(raw: unknown): string {
  const url = String(Array.isArray(raw) ? raw.at(-1) : raw);
  addUrlSecrets(url); // its password is never printed
  return url;
}

async function checkQueueUrl(url: string): Promise<void> {
  const { queueUrlProblem } = await import('./study/queue.js');
  const problem = queueUrlProblem(url);
  if (problem) throw new UsageError(`--queue: ${problem}`);
}

function queueFlags(argv: { queue?: string; queueDeadline: string }): QueueFlags | undefined {
  if (argv.queue === undefined) return undefined;
  const url = queueUrl(argv.queue);
  const raw = String(Array.isArray(argv.queueDeadline) ? argv.queueDeadline.at(-1) : argv.queueDeadline);
  const deadlineMs = parseDuration(raw);
  if (deadlineMs === undefined || deadlineMs < MIN_QUEUE_DEADLINE_MS || deadlineMs > MAX_QUEUE_DEADLINE_MS) {
    throw new UsageError(`--queue-deadline: expected a duration from ${MIN_QUEUE_DEADLINE_TEXT} to ${MAX_QUEUE_DEADLINE_TEXT} such as 30m or 12h, got ${raw}`);
  }
  return { url, deadlineMs, idleMs: envMs('GATESIM_QUEUE_IDLE_MS', 15_000, MIN_QUEUE_IDLE_MS, MAX_QUEUE_IDLE_MS) };
}

/**
 * Ctrl-C, SIGTERM and SIGHUP while a queued study collects: the first stops it (its jobs removed,
 * what came back kept); a second ends the process at once. `off` removes the handlers.
 */
function queueSignals(quiet: boolean): { signal: AbortSignal; caught: () => keyof typeof SIGNAL_EXIT | undefined; off: () => void } {
  const stop = new AbortController();
  let caught: keyof typeof SIGNAL_EXIT | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]).map((sig) => {
    const on = (): void => {
      if (caught !== undefined) process.exit(SIGNAL_EXIT[sig]);
      caught = sig;
      if (!quiet) printErr(`\ninterrupted (${sig}): removing the queue's tasks; keeping what came back (again to stop now)…\n`);
      stop.abort();
    };
    process.on(sig, on);
    return [sig, on] as const;
  });
  return { signal: stop.signal, caught: () => caught, off: () => handlers.forEach(([sig, on]) => process.removeListener(sig, on)) };
}

/** Opens the study's queue, or one line saying why not. */
async function openQueue(q: QueueFlags, label: string, signal: AbortSignal, bar: ReturnType<typeof queueBar>): Promise<QueuePool> {
  await checkQueueUrl(q.url);
  const { openQueuePool, QueueError } = await import('./study/queue.js');
  try {
    return await openQueuePool({
      url: q.url,
      label,
      deadlineMs: q.deadlineMs,
      idleMs: q.idleMs,
      say: (line) => printErr(`\ngatesim: ${line}\n`),
      progress: (p) => bar.update(p),
      signal,
    });
  } catch (e) {
    if (e instanceof QueueError) throw new UsageError(e.message);
    throw e;
  }
}

/** The exit code and line of a collection that stopped early. */
function queueStoppedExit(stopped: QueueStopped, caught: keyof typeof SIGNAL_EXIT | undefined, what: string): void {
  if (stopped.why === 'interrupted') printErr(`gatesim: the run was interrupted${caught ? ` (${caught})` : ''}; ${what}\n`);
  else printErr(`gatesim: ${stopped.message}; ${what}\n`);
  process.exitCode = stopped.why === 'interrupted' ? SIGNAL_EXIT[caught ?? 'SIGINT'] : 1;
}

/**
 * A run's simulations on a queue's workers (`--queue`): the same results as here, gathered in plan
 * order. Stopped early (Ctrl-C, the deadline, a task a worker could not run), it keeps the runs
 * that came back whole, marks the results partial, and exits 130 (a signal's code) or 1.
 */
async function queuePlans(argv: RunArgs, plans: Plan[], q: QueueFlags, total: number): Promise<Results[]> {
  const { queueTasks, QueueError } = await import('./study/queue.js');
  const signals = queueSignals(argv.quiet);
  const bar = queueBar(total, argv.quiet);
  const started = performance.now();
  let stopped: QueueStopped | undefined;
  let pool: QueuePool | undefined;
  try {
    pool = await openQueue(q, plans[0]!.name, signals.signal, bar);
    if (!argv.quiet) printErr(`queue: ${total} simulation${total === 1 ? '' : 's'} as study ${pool.id} on ${redactUrl(q.url)}; workers take them (gatesim worker --queue ${redactUrl(q.url)})\n`);
    const open = pool;
    const results = await runPlansParallel(plans, 1, () => bar.tick(), argv.full, async (tasks, done, labels) => {
      const r = await queueTasks(open, tasks, done, labels);
      stopped = r.stopped;
      return r.results;
    });
    bar.stop();
    if (stopped) queueStoppedExit(stopped, signals.caught(), 'the report keeps the points that came back (marked "partial": true)');
    else if (!argv.quiet) printErr(`  ${total} simulations on the queue's workers in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    return results;
  } catch (e) {
    if (e instanceof QueueError) throw new UsageError(e.message);
    throw e;
  } finally {
    bar.stop();
    await pool?.destroy();
    signals.off();
  }
}

/**
 * `gatesim worker --queue URL`: takes simulations from the studies on that Redis until Ctrl-C,
 * SIGTERM or SIGHUP (finishing what it runs; a second signal: at once, and those tasks are taken
 * again elsewhere once their lock lapses).
 */
async function workerCommand(argv: { queue: string; concurrency?: number; verbose: boolean }): Promise<void> {
  const url = queueUrl(argv.queue);
  await checkQueueUrl(url);
  const concurrency = argv.concurrency ?? defaultJobs();
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_QUEUE_CONCURRENCY) {
    throw new UsageError(`--concurrency: expected an integer from 1 to ${MAX_QUEUE_CONCURRENCY}, got ${String(argv.concurrency)}`);
  }
  const { DEFAULT_LOCK_MS, serveQueue } = await import('./study/queue-worker.js');
  const { QueueError } = await import('./study/queue.js');
  const lockMs = envMs('GATESIM_QUEUE_LOCK_MS', DEFAULT_LOCK_MS, MIN_QUEUE_LOCK_MS, MAX_QUEUE_LOCK_MS);
  const stop = new AbortController();
  let caught: keyof typeof SIGNAL_EXIT | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]).map((sig) => {
    const on = (): void => {
      if (caught !== undefined) process.exit(SIGNAL_EXIT[sig]);
      caught = sig;
      printErr(`worker: ${sig}: no new tasks; finishing the ones running (again to stop now)\n`);
      stop.abort();
    };
    process.on(sig, on);
    return [sig, on] as const;
  });
  try {
    const r = await serveQueue({ url, concurrency, lockMs, verbose: argv.verbose, say: (line) => printErr(`${line}\n`), signal: stop.signal });
    printErr(`worker: stopped after ${r.tasks} task${r.tasks === 1 ? '' : 's'}${r.failed ? `, ${r.failed} failed` : ''}\n`);
  } catch (e) {
    if (e instanceof QueueError) throw new UsageError(e.message);
    throw e;
  } finally {
    for (const [sig, on] of handlers) process.removeListener(sig, on);
  }
}

/** Bounds of the real-mode flags: `--max-duration` fits a timer (2^31 − 1 ms), `--guard` and `--cooldown` an hour. */
const MAX_DURATION_S = 2_147_483;
const MAX_GUARD_MS = 3_600_000;
const MAX_COOLDOWN_MS = 3_600_000;

/** The real-mode flags are checked in every mode: a bad value is a mistake even where it would not be used. */
function checkRealFlags(argv: RunArgs): void {
  if (!Number.isFinite(argv.maxDuration) || argv.maxDuration <= 0 || argv.maxDuration > MAX_DURATION_S) {
    throw new UsageError(`--max-duration: expected seconds above 0 and at most ${MAX_DURATION_S.toLocaleString('en')} (24.8 days), got ${String(argv.maxDuration)}`);
  }
  if (!Number.isFinite(argv.guard) || argv.guard < 0 || argv.guard > MAX_GUARD_MS) {
    throw new UsageError(`--guard: expected wall milliseconds from 0 to ${MAX_GUARD_MS.toLocaleString('en')}, got ${String(argv.guard)}`);
  }
  cooldownOf(argv.cooldown);
}

/** `--cooldown DURATION` in wall ms, or undefined for the default (reset or wait for the windows). */
function cooldownOf(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) raw = raw.at(-1); // given twice: the last one, as for any flag
  const ms = parseDuration(String(raw));
  if (ms === undefined || ms > MAX_COOLDOWN_MS) throw new UsageError(`--cooldown: expected a duration from 0 to 1h such as 0, 500ms, 5s or 2m, got ${String(raw)}`);
  return ms;
}

/**
 * `--mode real`: the same file against live endpoints. `--max-duration` ends a variant at the
 * limit (marked truncated) and the others still run, exit 0. Ctrl-C, SIGTERM and SIGHUP stop
 * sending, wait briefly for what is in flight (a second signal: not at all), write the partial
 * report, and exit 130, 143 or 129.
 */
/** `--shards N` and `--start-in`: only in real mode on a queue; a real run on a queue needs them. */
function checkQueueShards(argv: RunArgs): void {
  if (argv.shards === undefined) {
    if (argv.queue !== undefined && argv.mode === 'real') throw new UsageError('--queue with --mode real: expected --shards N (the run split over N workers, docs/distributed-real.md)');
    return;
  }
  if (argv.mode !== 'real' || argv.queue === undefined) throw new UsageError('--shards: only with --mode real and --queue redis://… (a simulation is split by the queue itself)');
  if (argv.shard !== undefined || argv.startAt !== undefined) throw new UsageError('--shards: the queue hands out the shards and their start; not with --shard or --start-at');
  if (!(Number.isInteger(argv.shards) && argv.shards >= 2 && argv.shards <= MAX_SHARDS)) throw new UsageError(`--shards: expected a whole number from 2 to ${MAX_SHARDS}, got ${String(argv.shards)}`);
  startIn(argv);
}

/** `--start-in`, in wall ms (1 s to 1 h). */
function startIn(argv: RunArgs): number {
  const raw = String(Array.isArray(argv.startIn) ? argv.startIn.at(-1) : argv.startIn);
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000 || ms > 3_600_000) throw new UsageError(`--start-in: expected a duration from 1s to 1h such as 10s, got ${raw}`);
  return ms;
}

/**
 * A real run split over the queue's workers (`--mode real --queue URL --shards N`): each worker
 * that takes a shard runs it as `--shard I/N` would, from one start instant chosen here, and sends
 * the shard file back; they are merged into the report as `gatesim merge` does. True when a signal
 * cut it short (nothing is written: a run missing a shard is not one run).
 */
async function queueShards(argv: RunArgs, plan: Plan, signal: AbortSignal): Promise<boolean> {
  const q = queueFlags(argv)!;
  const count = argv.shards!;
  const { encode } = await import('./study/queue-codec.js');
  const { QueueError, QueueStopped } = await import('./study/queue.js');
  const { mergeShardFiles } = await import('./modes/merge.js');
  const { epochNow } = await import('./modes/shard.js');
  const problem = shardPlanProblem(plan, count);
  if (problem) throw new UsageError(problem.replace(/^--shard:/, '--shards:'));
  const started = performance.now();
  const pool = await openQueue(q, plan.name, signal, queueBar(0, true));
  try {
    const startAt = Math.round(epochNow() + startIn(argv));
    const payload = encode({ plan, header: realHeader(plan, argv.timeScale) });
    const job = { count, startAt, timeScale: argv.timeScale, guardWallMs: argv.guard, maxWallMs: argv.maxDuration * 1000 };
    if (!argv.quiet) printErr(`queue: ${count} shards of ${plan.name} as study ${pool.id} on ${redactUrl(q.url)}, starting at ${new Date(startAt).toISOString()}; workers take them (gatesim worker --queue …)\n`);
    const texts = await Promise.all(Array.from({ length: count }, (_, index) => pool.runReal(payload, { ...job, index }, `shard ${index + 1}/${count}`)));
    const files = texts.map((t, i) => ({ path: `shard ${i + 1}/${count} (queue)`, f: JSON.parse(t) as ShardFile }));
    const results = mergeShardFiles(files);
    writeResults({ ...argv, file: results.file } as unknown as RunArgs, results, started);
    return files.some((x) => x.f.interrupted);
  } catch (e) {
    if (e instanceof QueueError) throw new UsageError(e.message);
    if (e instanceof QueueStopped) {
      queueStoppedExit(e, undefined, 'a run missing a shard is not one run, so nothing is written');
      return false;
    }
    throw e;
  } finally {
    await pool.destroy();
  }
}

async function realFile(argv: RunArgs): Promise<void> {
  // First, so a signal at any point from here on ends with a report rather than none.
  const stop = new AbortController();
  const urgent = new AbortController();
  let caught: keyof typeof SIGNAL_EXIT | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]).map((sig) => {
    const on = (): void => {
      if (caught === undefined) {
        caught = sig;
        if (!argv.quiet) printErr(`\ninterrupted (${sig}): no new requests; waiting briefly for those in flight (again to stop now)…\n`);
        stop.abort();
      } else if (!urgent.signal.aborted) {
        if (!argv.quiet) printErr(`\n${sig} again: not waiting; writing the partial report\n`);
        urgent.abort();
      }
    };
    process.on(sig, on);
    return [sig, on] as const;
  });
  // After a hang-up the terminal may be gone: a failed write must not end the process before the files are written.
  const ignore = (): void => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  try {
    const cooldownWallMs = cooldownOf(argv.cooldown);
    const plan = load(argv);
    const started = performance.now();
    if (argv.shards !== undefined) {
      const partial = await queueShards(argv, plan, stop.signal);
      if (partial) process.exitCode = SIGNAL_EXIT[caught ?? 'SIGINT'];
      return;
    }
    const shard = checkShardFlags(argv);
    if (shard) {
      const opts = { timeScale: argv.timeScale, guardWallMs: argv.guard, env: process.env, maxWallMs: argv.maxDuration * 1000, signal: stop.signal, urgent: urgent.signal, graceMs: 2000 };
      const partial = await shardFile(argv, plan, shard, { ...opts, say: argv.quiet ? undefined : (line) => printErr(`${line}\n`) }, realHeader(plan, argv.timeScale));
      if (partial) process.exitCode = SIGNAL_EXIT[caught ?? 'SIGINT'];
      return;
    }
    const results = await runPlanReal(
      plan,
      {
        timeScale: argv.timeScale,
        guardWallMs: argv.guard,
        env: process.env,
        progress: !argv.quiet && process.stderr.isTTY === true ? realBars() : undefined,
        maxWallMs: argv.maxDuration * 1000,
        signal: stop.signal,
        urgent: urgent.signal,
        graceMs: 2000,
        say: argv.quiet ? undefined : (line) => printErr(`${line}\n`),
        cooldownWallMs,
      },
      (run, variant, wallMs) => {
        if (!argv.quiet) printErr(`  ${run} / ${variant}: done in ${(wallMs / 1000).toFixed(1)} s\n`);
      },
    );
    writeResults(argv, results, started);
    const cut = results.runs.flatMap((r) => r.variants.filter((v) => v.truncated).map((v) => `${r.name} / ${v.name}`));
    if (cut.length) printErr(`gatesim: --max-duration ${argv.maxDuration} s cut ${cut.join(', ')} short (marked "truncated": true)\n`);
    if (results.degraded) printErr('gatesim: the key store stayed down past keys.store.giveUpAfter and requests gave up; the results are marked "degraded": true\n');
    if (results.partial) {
      printErr(`gatesim: the run was interrupted${caught ? ` (${caught})` : ''}; the report is partial (marked "partial": true)\n`);
      process.exitCode = SIGNAL_EXIT[caught ?? 'SIGINT'];
    }
  } finally {
    for (const [sig, on] of handlers) process.removeListener(sig, on);
    process.stdout.removeListener('error', ignore);
    process.stderr.removeListener('error', ignore);
  }
}

/**
 * `gatesim serve FILE`: the scenario's mock providers as an HTTP server until Ctrl-C, SIGTERM or
 * SIGHUP, each of which prints the totals and ends it (exit 0). The startup line carries the pid,
 * so a script that started it through npm knows which process serves.
 */
async function serveFile(argv: { file: string; port: number; host: string; timeScale: number; seed?: number; set?: string[]; maxKeys: number }): Promise<void> {
  if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new UsageError(`--port: expected an integer from 0 to 65535, got ${String(argv.port)}`);
  if (!Number.isInteger(argv.maxKeys) || argv.maxKeys < MAX_KEYS.min || argv.maxKeys > MAX_KEYS.max) {
    throw new UsageError(`--max-keys: expected an integer from ${MAX_KEYS.min} to ${MAX_KEYS.max.toLocaleString('en')}, got ${String(argv.maxKeys)}`);
  }
  const fromEnv = process.env[RESET_ENV] || undefined;
  const weak = fromEnv === undefined ? undefined : resetTokenProblem(fromEnv);
  if (weak) throw new UsageError(`${RESET_ENV}: ${weak}`);
  const token = fromEnv ?? randomBytes(16).toString('hex');
  const plan = loadScenario(argv.file, { seed: argv.seed, sets: argv.set ?? [] });
  const scenario = plan.runs[0]!.variants[0]!.scenario;
  const log = (line: string): void => printErr(`${line}\n`);
  // Handlers first: a signal while the server starts still ends it the same way.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, stop);
  try {
    let srv: Serving;
    try {
      srv = await serve(scenario.providers, { port: argv.port, host: argv.host, timeScale: argv.timeScale, seed: scenario.seed, log, maxKeys: argv.maxKeys, resetToken: token });
    } catch (e) {
      throw new UsageError(`cannot listen on ${argv.host}:${argv.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const names = scenario.providers.map((p) => p.name);
    const routes = names.map((n) => `${srv.url}/${n}/v1`);
    if (names.length === 1) routes.unshift(`${srv.url}/v1`);
    printOut(`gatesim serve: ${plan.name} listening on ${srv.url} (time scale ${argv.timeScale}, pid ${process.pid})\n${routes.map((r) => `  ${r}/chat/completions`).join('\n')}\n`);
    // Shown once, before it joins the secrets every later line is scrubbed of; a token the user
    // chose (the environment) is not shown at all.
    if (fromEnv === undefined) printOut(`reset token: ${token} (real mode reads it from ${RESET_ENV})\n`);
    addSecret(token);
    await stopped;
    printErr(`gatesim serve: stopped; totals: ${formatTotals(srv.totals())}\n`);
    await srv.close();
  } finally {
    for (const sig of signals) process.removeListener(sig, stop);
  }
}

/**
 * `gatesim report reports/x/results.json`: redraws reports/x/index.html from the results alone.
 * The file must be a gatesim results file (checked against scenarios/results.schema.json): the
 * page shows only what it holds, the scenario's source included, and reads no other file.
 */
async function regenerate(argv: { results: string; quiet: boolean; open: boolean }): Promise<void> {
  let text: string;
  try {
    text = readFileSync(argv.results, 'utf8');
  } catch (e) {
    throw new UsageError(`${argv.results}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${argv.results}: not JSON (${(e as Error).message})`);
  }
  const { validateResults } = await import('./metrics/validate.js'); // ajv, for this command only
  const problem = validateResults(parsed);
  if (problem) throw new UsageError(`${argv.results}: not a gatesim results file (gatesim.results/v1): ${problem}`);
  const results = parsed as Results;
  const dir = dirname(argv.results);
  const html = htmlReport(results, { generatedAt: new Date(), ranAt: statSync(argv.results).mtime, version: packageVersion() });
  const [page] = writeAll(dir, { 'index.html': html, 'summary.json': summaryOf(results) });
  // The folder above is a reports root only if it looks like one: never litter an arbitrary parent.
  const root = dirname(dir);
  const isRoot = basename(resolve(root)) === 'reports' || existsSync(join(root, 'index.html'));
  finishPage(page!, isRoot ? root : null, argv.quiet, argv.open);
}

function checkScale(scale: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new UsageError(`--time-scale: expected a positive number, got ${String(scale)}`);
}


type SearchArgs = ArgumentsCamelCase<InferredOptionTypes<typeof searchOptions>> & { file: string };

/** Below this many requests simulated per probe (every variant and seed), one thread is as fast. */
const SEARCH_THREADS_WORTH = 100_000;


/** Where a search's simulations run, as its first line says. */
const searchWhere = (queue: QueueFlags | undefined, jobs: number): string =>
  queue ? `the workers of ${redactUrl(queue.url)}` : `${jobs} thread${jobs === 1 ? '' : 's'}`;

/**
 * A search's queue (`--queue`): its pool, and how a queue error ends the command. A search's
 * answer needs every `unit` (probe or trial), so a stopped one writes nothing, as a local search
 * interrupted. Undefined without --queue.
 */
async function searchQueue(
  queue: QueueFlags | undefined,
  label: string,
  quiet: boolean,
  unit: string,
): Promise<{ pool: QueuePool; stopped: (e: unknown) => boolean; off: () => void } | undefined> {
  if (!queue) return undefined;
  const signals = queueSignals(quiet);
  const { QueueStopped, QueueError } = await import('./study/queue.js');
  const pool = await openQueue(queue, label, signals.signal, queueBar(0, true));
  return {
    pool,
    stopped: (e) => {
      if (e instanceof QueueError) throw new UsageError(e.message);
      if (!(e instanceof QueueStopped)) return false;
      queueStoppedExit(e, signals.caught(), `a search needs every ${unit}, so nothing is written`);
      return true;
    },
    off: () => signals.off(),
  };
}

/** A search's goal: the file's, or `--goal` (the last one given); its metric and that metric's unit. */
function searchGoal(base: { goal?: Goal }, flag: string | string[] | undefined) {
  let goal = base.goal ?? DEFAULT_GOAL;
  if (flag !== undefined) {
    try {
      goal = parseGoal(Array.isArray(flag) ? String(flag.at(-1)) : flag);
    } catch (e) {
      if (e instanceof GoalError) throw new UsageError(`--goal: ${e.message}`);
      throw e;
    }
  }
  const metric = goalMetric(goal.maximise)!;
  const unit = { perS: goal.maximise === 'tokensPerS' ? 'tokens/s' : 'requests/s', fraction: 'fraction', ms: 'ms', count: 'count' }[metric.unit];
  return { goal, metric, unit };
}

/**
 * `gatesim search FILE --vary FIELD=LOW..HIGH`: for each variant, the largest (or smallest) value
 * of the field for which the goal holds, by bisection, every probe replicated over seeds. Writes
 * OUT/<scenario>-search/ (search.json, search.md, index.html) and prints the answer first.
 */
async function searchFile(argv: SearchArgs): Promise<void> {
  const { judgeBy, parseVary, runSearch, SearchError, searchProblem } = await import('./study/search-run.js');
  const { searchHtml, searchMarkdown, searchTables } = await import('./report/search-page.js');
  if (argv.smallest && argv.largest) throw new UsageError('--smallest and --largest: expected one of them');
  if (!Number.isInteger(argv.seeds) || argv.seeds < 1 || argv.seeds > MAX_SEARCH_SEEDS) throw new UsageError(`--seeds: expected an integer from 1 to ${MAX_SEARCH_SEEDS}, got ${String(argv.seeds)}`);
  if (argv.seed !== undefined && (!Number.isInteger(argv.seed) || argv.seed < 0)) throw new UsageError(`--seed: expected a non-negative integer, got ${String(argv.seed)}`);
  if (argv.step !== undefined && !(argv.step > 0 && Number.isFinite(argv.step))) throw new UsageError(`--step: expected a positive number, got ${String(argv.step)}`);
  if (argv.jobs !== undefined && (!Number.isInteger(argv.jobs) || argv.jobs < 1)) throw new UsageError(`--jobs: expected a positive integer, got ${String(argv.jobs)}`);
  const varies = (argv.vary ?? []).map(String);
  if (argv.choose?.length || varies.length > 1) {
    await configSearchFile(argv);
    return;
  }
  if (varies.length === 0) throw new UsageError('--vary: expected FIELD=LOW..HIGH (one field: bisection), or --choose FIELD=A,B,… and more --vary (several fields)');
  if (argv.budget !== undefined) throw new UsageError('--budget: a search over one field bisects (about log2 of the range probes); a budget applies with --choose or more than one --vary');
  const vary = parseVary(varies[0]!);
  if (typeof vary === 'string') throw new UsageError(`--vary: ${vary}`);
  const base = loadFile(argv.file, argv);
  const problem = searchProblem(base, vary.field, argv.only ?? []);
  if (problem) throw new UsageError(problem);
  const { goal, metric, unit } = searchGoal(base, argv.goal);
  const variants = base.runs[0]!.variants.filter((v) => !argv.only?.length || argv.only.includes(v.name));
  const perProbe = variants.reduce((n, v) => n + v.scenario.workload.requests * v.scenario.retry.attempts, 0) * argv.seeds;
  const queue = queueFlags(argv);
  const jobs = queue ? 1 : argv.jobs ?? (perProbe >= SEARCH_THREADS_WORTH ? Math.min(defaultJobs(), variants.length * argv.seeds) : 1);
  const started = performance.now();
  const width = Math.max(...variants.map((v) => v.name.length));
  const where = searchWhere(queue, jobs);
  if (!argv.quiet) printErr(`search: ${argv.smallest ? 'smallest' : 'largest'} ${vary.field} in ${vary.low}..${vary.high}${vary.rate ? ' (per second)' : ''} where the goal holds: ${describeGoal(goal)}; ${argv.seeds} seed${argv.seeds === 1 ? '' : 's'} a probe, ${where}\n`);
  let results;
  const q = await searchQueue(queue, base.name, argv.quiet, 'probe');
  const pool = q?.pool;
  try {
    results = await runSearch({
      file: argv.file,
      sets: argv.set ?? [],
      seed: argv.seed,
      vary,
      step: argv.step,
      want: argv.smallest ? 'smallest' : 'largest',
      seeds: argv.seeds,
      judge: judgeBy(goal),
      goal: { text: describeGoal(goal), metric: metric.label, unit },
      only: argv.only,
      jobs,
      ...(pool ? { pool } : {}),
      progress: argv.quiet
        ? undefined
        : (variant, value, heldIn, of, mean) =>
            printErr(`  ${variant.padEnd(width)}  ${value.padStart(10)}  ${heldIn === of ? 'held' : 'failed'} in ${heldIn === of ? of : of - heldIn} of ${of}${mean === null ? '' : `  ${metric.label} ${Number(mean.toPrecision(4))}`}\n`),
    });
  } catch (e) {
    if (e instanceof SearchError) throw new UsageError(e.message);
    if (q?.stopped(e)) return;
    throw e;
  } finally {
    await pool?.destroy();
    q?.off();
  }
  const dir = `${reportDir(argv.out, argv.file)}-search`;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  // The reports index reads this: one run per variant searched, its probes named in the title.
  const probes = results.variants.reduce((n, v) => n + v.probes.length, 0);
  const summary = { schema: 'gatesim.summary/v1', scenario: `${results.scenario}: search over ${vary.field} (${probes} probes × ${results.seeds.length} seeds)`, description: results.description, mode: 'sim', seed: results.seed, runs: 1, variants: results.variants.length };
  writeSearch(argv, dir, started, {
    json,
    markdown: searchMarkdown(results, toMarkdown),
    html: searchHtml(results, { generatedAt: new Date(), version: packageVersion() }),
    summary,
    tables: () => searchTables(results),
  });
}

/** A search's files (search.json, search.md, the page, the reports index's summary), its tables on stdout as --format says, and where they went. */
function writeSearch(
  argv: SearchArgs,
  dir: string,
  started: number,
  out: { json: string; markdown: string; html: string; summary: unknown; tables: () => Table[] },
): void {
  const written = writeAll(dir, {
    'search.json': out.json,
    'search.md': out.markdown,
    'index.html': out.html,
    'summary.json': `${JSON.stringify(out.summary, null, 2)}\n`,
  });
  if (argv.format === 'json') printOut(out.json);
  else if (argv.format !== 'none') {
    const render = argv.format === 'markdown' ? toMarkdown : (t: Table) => toText(t, terminalWidth());
    printOut(`${out.tables().map(render).join('\n\n')}\n`);
  }
  if (!argv.quiet) printErr(`wrote ${written.filter((f) => !f.endsWith('summary.json')).map((f) => relative(process.cwd(), f)).join(', ')} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  finishPage(join(dir, 'index.html'), argv.out, argv.quiet, argv.open);
}

/**
 * `gatesim calibrate FILE`: a real run's results.json (or a probe's) → the provider block, the
 * residuals and a warning naming each point outside tolerance. A .csv is a published table, whose
 * calibration is src/study/calibrate-table.ts's.
 */
async function calibrateFile(argv: { file: string; write?: string; format: 'table' | 'json' | 'yaml'; provider?: string; seed?: number; fit?: string; points?: string }): Promise<void> {
  if (argv.seed !== undefined && (!Number.isInteger(argv.seed) || argv.seed < 0)) throw new UsageError(`--seed: expected a non-negative integer, got ${String(argv.seed)}`);
  if (!existsSync(argv.file) || !statSync(argv.file).isFile()) throw new UsageError(`${argv.file}: no such file`);
  const table = /\.csv$/i.test(argv.file);
  if (!table && !/\.json$/i.test(argv.file)) throw new UsageError(`${argv.file}: expected a results.json of a real run or a probe (.json), or a table (.csv)`);
  if (argv.write !== undefined && !existsSync(dirname(resolve(argv.write)))) throw new UsageError(`--write: no such folder ${dirname(argv.write)}`);
  for (const flag of ['fit', 'points'] as const) {
    if (argv[flag] !== undefined && !table) throw new UsageError(`--${flag}: applies to a published table (.csv), not to a run's results`);
  }
  const list = (v: string | undefined) => v?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (table) {
    // Loaded on demand, as every heavy part a run does not need (the fit library, the table's simulator).
    const { calibrateTable, COEFFICIENTS, TableError } = await import('./study/calibrate-table.js');
    const fit = list(argv.fit);
    const unknown = fit?.find((c) => !(COEFFICIENTS as string[]).includes(c));
    if (unknown !== undefined) throw new UsageError(`--fit: expected coefficients among ${COEFFICIENTS.join(', ')}, got ${JSON.stringify(unknown.slice(0, 40))}`);
    if (fit !== undefined && fit.length === 0) throw new UsageError('--fit: expected at least one coefficient');
    const points = list(argv.points);
    if (points !== undefined && points.length === 0) throw new UsageError('--points: expected at least one row label, such as concurrency=1');
    let t;
    try {
      t = calibrateTable(argv.file, {
        ...(argv.provider !== undefined ? { name: argv.provider } : {}),
        ...(fit ? { fit: fit as Coefficient[] } : {}),
        ...(points ? { points } : {}),
      });
    } catch (e) {
      if (e instanceof TableError) throw new UsageError(e.message);
      throw e;
    }
    return emitCalibration(t, argv);
  }
  const { CalibrateError, calibrateRun } = await import('./study/calibrate-run.js');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(argv.file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${argv.file}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
  }
  let c;
  try {
    c = calibrateRun(data, argv.file, { provider: argv.provider, seed: argv.seed });
  } catch (e) {
    if (e instanceof CalibrateError) throw new UsageError(e.message);
    throw e;
  }
  emitCalibration(c, argv);
}

/** The calibration on stdout in the asked format (a warning on stderr when the format has no room for it), and `--write`. */
function emitCalibration(c: Calibration, argv: { write?: string; format: 'table' | 'json' | 'yaml' }): void {
  printOut(formatCalibration(c, argv.format));
  if (argv.format !== 'table' && c.outside.length) printErr(`gatesim: warning: outside tolerance at ${c.outside.join('; ')}\n`);
  if (argv.write !== undefined) writeProvider(c, argv.write);
}

/**
 * `gatesim probe URL`: the ladder as a real run (src/study/probe.ts), the whole of it within
 * --max-duration; Ctrl-C (or the cap) stops sending, waits briefly for what is in flight, and
 * writes what was measured, marked partial.
 */
async function probeUrl(argv: {
  url: string; out: string; ladder: string; requests: number; maxDuration: number; timeout: number; keysEnv: string; model: string; maxTokens: number; stream: boolean; quiet: boolean; timeScale: number;
}): Promise<void> {
  const L = PROBE_LIMITS;
  checkScale(argv.timeScale);
  if (!URL.canParse(argv.url) || !/^https?:$/.test(new URL(argv.url).protocol)) throw new UsageError('URL: expected an http:// or https:// base URL such as https://api.example.com/v1');
  addUrlSecrets(argv.url);
  const ladder = parseLadder(argv.ladder, L.rungs, L.concurrency);
  if (typeof ladder === 'string') throw new UsageError(`--ladder: ${ladder}`);
  if (!(Number.isInteger(argv.requests) && argv.requests >= 1 && argv.requests <= L.requests)) throw new UsageError(`--requests: expected a whole number from 1 to ${L.requests}, got ${String(argv.requests)}`);
  if (argv.requests * ladder.length > L.totalRequests) throw new UsageError(`--requests: expected at most ${L.totalRequests} requests in all, got ${argv.requests} × ${ladder.length} rungs`);
  if (!(argv.maxDuration >= 1 && argv.maxDuration <= L.seconds)) throw new UsageError(`--max-duration: expected wall seconds from 1 to ${L.seconds}, got ${String(argv.maxDuration)}`);
  if (!(argv.timeout >= 1 && argv.timeout <= L.timeoutS)) throw new UsageError(`--timeout: expected wall seconds from 1 to ${L.timeoutS}, got ${String(argv.timeout)}`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(argv.keysEnv)) throw new UsageError(`--keys-env: expected the name of an environment variable, got ${JSON.stringify(argv.keysEnv.slice(0, 40))}`);
  if (!existsSync(dirname(resolve(argv.out)))) throw new UsageError(`--out: no such folder ${dirname(argv.out)}`);
  if (!(Number.isInteger(argv.maxTokens) && argv.maxTokens >= 1 && argv.maxTokens <= 1_000_000)) throw new UsageError(`--max-tokens: expected a whole number from 1 to 1000000, got ${String(argv.maxTokens)}`);
  // The timeout is wall seconds; the scenario's durations are scenario time.
  const text = probeScenario({ url: argv.url.replace(/\/+$/, ''), ladder, requests: argv.requests, timeoutS: argv.timeout / argv.timeScale, keysEnv: argv.keysEnv, model: argv.model, maxTokens: argv.maxTokens, stream: argv.stream });
  const plan = parseScenario(text, 'probe');
  const stop = new AbortController();
  const urgent = new AbortController();
  let caught: keyof typeof SIGNAL_EXIT | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]).map((sig) => {
    const on = (): void => {
      if (caught === undefined) {
        caught = sig;
        if (!argv.quiet) printErr(`\ninterrupted (${sig}): no new requests; waiting briefly for those in flight (again to stop now)…\n`);
        stop.abort();
      } else urgent.abort();
    };
    process.on(sig, on);
    return [sig, on] as const;
  });
  const capMs = argv.maxDuration * 1000;
  let capped = false;
  const cap = longTimeout(() => {
    capped = true;
    stop.abort();
  }, capMs);
  try {
    const results = await runPlanReal(plan, {
      timeScale: argv.timeScale,
      guardWallMs: 0,
      env: process.env,
      progress: !argv.quiet && process.stderr.isTTY === true ? realBars() : undefined,
      maxWallMs: capMs,
      signal: stop.signal,
      urgent: urgent.signal,
      graceMs: Math.min(2000, argv.timeout * 1000),
      say: argv.quiet ? undefined : (line) => printErr(`${line}\n`),
      cooldownWallMs: 0,
    });
    writeFileSync(argv.out, jsonChunks(results, 'runs').join(''));
    const attempts = results.runs.flatMap((r) => r.variants).reduce((a, v) => a + (v.attemptLog?.attempts.length ?? 0), 0);
    if (!argv.quiet) printErr(`wrote ${argv.out}: ${attempts} attempts over ${results.runs[0]?.variants.length ?? 0} of ${ladder.length} rungs${capped ? ` (--max-duration ${argv.maxDuration} s reached)` : ''}; next: gatesim calibrate ${argv.out}\n`);
    if (caught) process.exitCode = SIGNAL_EXIT[caught];
  } finally {
    cap.cancel();
    for (const [sig, on] of handlers) process.removeListener(sig, on);
  }
}

/** `--budget`: a number of simulations, or CPU time with its unit. */
function parseBudget(text: string | undefined, parseDuration: (t: string) => number | undefined): { kind: 'simulations'; simulations: number } | { kind: 'cpu'; ms: number; text: string } {
  if (text === undefined) return { kind: 'simulations', simulations: DEFAULT_SEARCH_BUDGET };
  const t = String(text).trim();
  const expected = `expected simulations from 1 to ${MAX_SEARCH_BUDGET.toLocaleString('en')} (such as 300) or CPU time from 1s to 24h (such as 10min), got ${t}`;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > MAX_SEARCH_BUDGET) throw new UsageError(`--budget: ${expected}`);
    return { kind: 'simulations', simulations: n };
  }
  const ms = parseDuration(t);
  if (ms === undefined || ms < MIN_SEARCH_CPU_MS || ms > MAX_SEARCH_CPU_MS) throw new UsageError(`--budget: ${expected}`);
  return { kind: 'cpu', ms, text: t };
}

/**
 * `gatesim search FILE --choose … --vary … [--vary …]`: the best configuration over several
 * fields by successive halving (study/config-search.ts). Writes OUT/<scenario>-search/ and prints
 * the answer first.
 */
async function configSearchFile(argv: SearchArgs): Promise<void> {
  const { parseVary, SearchError } = await import('./study/search-run.js');
  const { runConfigSearch } = await import('./study/config-search.js');
  const { parseChoose } = await import('./study/space.js');
  const { defaultStep } = await import('./study/search.js');
  const { parseDuration } = await import('./core/units.js');
  const { configSearchHtml, configSearchMarkdown, configSearchTables } = await import('./report/config-search-page.js');
  if (argv.smallest || argv.largest) throw new UsageError(`--${argv.smallest ? 'smallest' : 'largest'}: applies to a search over one field; over several, configurations within --tolerance of the best are ranked by keys, fewest first`);
  if (argv.step !== undefined) throw new UsageError('--step: applies to a search over one field; over several, counts step by 1 and rates by about a hundredth of their range');
  if (!Number.isInteger(argv.seeds) || argv.seeds < 1 || argv.seeds > MAX_SEARCH_SEEDS) throw new UsageError(`--seeds: expected an integer from 1 to ${MAX_SEARCH_SEEDS}, got ${String(argv.seeds)}`);
  if (argv.seed !== undefined && (!Number.isInteger(argv.seed) || argv.seed < 0)) throw new UsageError(`--seed: expected a non-negative integer, got ${String(argv.seed)}`);
  if (argv.jobs !== undefined && (!Number.isInteger(argv.jobs) || argv.jobs < 1)) throw new UsageError(`--jobs: expected a positive integer, got ${String(argv.jobs)}`);
  if (!(argv.tolerance >= 0 && argv.tolerance <= MAX_SEARCH_TOLERANCE)) throw new UsageError(`--tolerance: expected a share from 0 to ${MAX_SEARCH_TOLERANCE}, got ${String(argv.tolerance)}`);
  const budget = parseBudget(argv.budget === undefined ? undefined : String(argv.budget), parseDuration);
  const dims = [];
  for (const text of (argv.choose ?? []).map(String)) {
    const c = parseChoose(text);
    if (typeof c === 'string') throw new UsageError(`--choose: ${c}`);
    dims.push({ kind: 'choice' as const, ...c });
  }
  for (const text of (argv.vary ?? []).map(String)) {
    const v = parseVary(text);
    if (typeof v === 'string') throw new UsageError(`--vary: ${v}`);
    dims.push({ kind: 'range' as const, ...v, step: defaultStep(v.low, v.high, v.integer) });
  }
  if (dims.length > MAX_SEARCH_FIELDS) throw new UsageError(`--choose, --vary: expected at most ${MAX_SEARCH_FIELDS} fields, got ${dims.length}`);
  const base = loadFile(argv.file, argv);
  const { goal, metric, unit } = searchGoal(base, argv.goal);
  const first = base.runs[0]!.variants.find((v) => !v.condition)?.scenario ?? base.runs[0]!.variants[0]!.scenario;
  const queue = queueFlags(argv);
  const jobs = queue ? 1 : argv.jobs ?? (first.workload.requests * first.retry.attempts * argv.seeds >= SEARCH_THREADS_WORTH ? defaultJobs() : 1);
  const started = performance.now();
  const where = searchWhere(queue, jobs);
  if (!argv.quiet) printErr(`search: the configuration with the most ${metric.label} where the goal holds: ${describeGoal(goal)}; over ${dims.map((d) => d.field).join(' × ')}; ${where}\n`);
  let results;
  const q = await searchQueue(queue, base.name, argv.quiet, 'trial');
  const queued = q?.pool;
  try {
    results = await runConfigSearch({
      file: argv.file,
      sets: argv.set ?? [],
      seed: argv.seed,
      dims,
      seeds: argv.seeds,
      budget,
      tolerance: argv.tolerance,
      goal,
      goalText: { text: describeGoal(goal), metric: metric.label, unit },
      only: argv.only,
      // The search destroys the pool it was handed when it ends (the queue's: its study removed).
      open: queued ? async () => queued : jobs > 1 ? () => openPool(jobs) : undefined,
      progress: argv.quiet ? undefined : (line) => printErr(`  ${line}\n`),
    });
  } catch (e) {
    if (e instanceof SearchError) throw new UsageError(e.message);
    if (q?.stopped(e)) return;
    throw e;
  } finally {
    q?.off();
  }
  const dir = `${reportDir(argv.out, argv.file)}-search`;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const summary = { schema: 'gatesim.summary/v1', scenario: `${results.scenario}: search over ${dims.map((d) => d.field).join(' × ')} (${results.method.simulations} simulations)`, description: results.description, mode: 'sim', seed: results.seed, runs: 1, variants: 1 };
  writeSearch(argv, dir, started, {
    json,
    markdown: configSearchMarkdown(results, toMarkdown),
    html: configSearchHtml(results, { generatedAt: new Date(), version: packageVersion() }),
    summary,
    tables: () => configSearchTables(results),
  });
}

export async function main(args: string[]): Promise<void> {
  quietOnClosedPipes();
  const { run, search, serve: served, report, schema, calibrate, probe, worker } = COMMANDS;
  await yargs(args)
    .scriptName('npm run sim --')
    .usage(USAGE)
    .command(schema.command, schema.describe, {}, () => {
      printOut(scenarioJsonSchemaText());
    })
    .command(
      report.command,
      report.describe,
      (y) => y.positional(report.positional.name, { type: 'string', demandOption: true, describe: report.positional.describe }).options(report.options),
      async (argv) => regenerate(argv),
    )
    .command(
      search.command,
      search.describe,
      (y) => y.positional(search.positional.name, { type: 'string', demandOption: true, describe: search.positional.describe }).options(searchOptions).epilogue(search.examples),
      async (argv) => {
        checkScenarioPath(argv.file);
        if (isFolder(argv.file)) throw new UsageError(`${argv.file}: search takes one scenario file, not a folder`);
        checkOut(argv.out);
        await searchFile(argv);
      },
    )
    .command(
      COMMANDS.merge.command,
      COMMANDS.merge.describe,
      (y) =>
        y
          .positional(COMMANDS.merge.positional.name, { type: 'string', array: true, demandOption: true, describe: COMMANDS.merge.positional.describe })
          .options(COMMANDS.merge.options)
          .epilogue(COMMANDS.merge.examples),
      (argv) => {
        checkOut(argv.out);
        const started = performance.now();
        const results = mergeFiles(argv.shards as string[]);
        writeResults({ ...argv, file: results.file } as unknown as RunArgs, results, started);
      },
    )
    .command(
      calibrate.command,
      calibrate.describe,
      (y) => y.positional(calibrate.positional.name, { type: 'string', demandOption: true, describe: calibrate.positional.describe }).options(calibrate.options).epilogue(calibrate.examples),
      async (argv) => calibrateFile(argv),
    )
    .command(
      probe.command,
      probe.describe,
      (y) => y.positional(probe.positional.name, { type: 'string', demandOption: true, describe: probe.positional.describe }).options(probe.options).epilogue(probe.examples),
      async (argv) => probeUrl(argv),
    )
    .command(
      worker.command,
      worker.describe,
      (y) => y.options(workerOptions).epilogue(worker.examples),
      async (argv) => workerCommand(argv),
    )
    .command(
      served.command,
      served.describe,
      (y) => y.positional(served.positional.name, { type: 'string', demandOption: true, describe: served.positional.describe }).options(served.options),
      async (argv) => {
        checkScale(argv.timeScale);
        checkScenarioPath(argv.file);
        await serveFile(argv);
      },
    )
    .command(
      run.command,
      run.describe,
      (y) => y.positional(run.positional.name, { type: 'string', demandOption: true, describe: run.positional.describe }).options(runOptions),
      async (argv) => {
        if (argv.seed !== undefined && (!Number.isInteger(argv.seed) || argv.seed < 0)) {
          throw new UsageError(`--seed: expected a non-negative integer, got ${String(argv.seed)}`);
        }
        checkScale(argv.timeScale);
        if (argv.goal !== undefined) goalFlag(argv.goal);
        checkRealFlags(argv);
        checkShardFlags(argv);
        checkScenarioPath(argv.file);
        checkOut(argv.out);
        checkQueueShards(argv);
        queueFlags(argv);
        if (isFolder(argv.file)) await simulateFolder(argv);
        else if (argv.mode === 'real') await realFile(argv);
        else await simulateFile(argv);
      },
    )
    .epilogue(run.examples)
    .strict()
    .help()
    .version()
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg, true);
    })
    .parseAsync();
}

// A promise, not a top-level await: bin/bundle.js also compiles the CLI as one CommonJS script,
// whose compiled code V8 can cache between starts on Node 20 (which caches no ES module).
main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof ScenarioError) {
    printErr(`${e.lines.join('\n')}\n`);
    process.exitCode = 2;
  } else if (e instanceof RealModeError) {
    printErr(`${e.message}\n`);
    process.exitCode = 2;
  } else if (e instanceof UsageError || e instanceof PathError) {
    printErr(`gatesim: ${e.message}\n${e instanceof UsageError && e.hint ? 'Run with --help for usage.\n' : ''}`);
    process.exitCode = 2;
  } else {
    const err = e as Error;
    printErr(`gatesim: internal error: ${err.message}\n${process.env.GATESIM_DEBUG ? `${err.stack}\n` : 'Set GATESIM_DEBUG=1 for the stack trace.\n'}`);
    process.exitCode = 1;
  }
});
