/**
 * Fuzzing the loader's contract with mutations of the shipped scenarios (test/helpers/mutate.ts):
 * deletions, retyping, huge/zero/negative numbers, unit typos, odd sweep and reference paths,
 * prototype keys, YAML anchors, aliases and tags, nesting, text corruption, --set and --seed.
 *
 * In process, a few hundred cases: each gives a Plan (every number in it finite, but for the
 * fields where Infinity means "none") or a ScenarioError whose lines are all well formed; no other
 * exception, no Node warning, Object.prototype untouched. Then a sample through the real command,
 * each in a child process with a memory cap (--max-old-space-size) and a wall cap (killed after
 * 60 s, which only a hang reaches): exit 0 with a results.json that validates against
 * scenarios/results.schema.json, or exit 2 with well-formed lines and nothing written; never 1,
 * never a signal.
 *
 * Dataset files (`workload.dataset`, test/helpers/mutate-dataset.ts) the same way: mutated CSV and
 * JSONL give rows of whole token counts or exactly one well-formed line, which never holds the
 * file's text; a sample goes through the command too.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ScenarioError } from '../src/scenario/errors.js';
import { parseScenario } from '../src/scenario/load.js';
import type { Dist, Plan, Scenario } from '../src/scenario/types.js';
import { gatesim } from './helpers/cli.js';
import { mutatedCase, type Case } from './helpers/mutate.js';
import { mutatedDataset, PLANTED } from './helpers/mutate-dataset.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One problem per line: `file:line:col: …`, `file: …` (the whole file), `--set …: …`, `--seed …: …`. */
const wellFormed = (file: string) => new RegExp(`^(${escape(file)}:\\d+:\\d+: |${escape(file)}: |--set [^\\n]*?: |--seed [^\\n]*?: )[^\\s]`);

/** Fields where Infinity is the resolved form of "none" (unlimited capacity, no timeout, never recover). */
const INFINITE_OK = new Set(['capacity', 'timeoutMs', 'max', 'recoverMs']);

/** Paths of numbers in a resolved scenario that are not finite where they must be. */
function nonFinite(v: unknown, path: string[] = []): string[] {
  if (typeof v === 'number') return Number.isFinite(v) || (v === Infinity && INFINITE_OK.has(path.at(-1)!)) ? [] : [path.join('.')];
  if (Array.isArray(v)) return v.flatMap((x, i) => nonFinite(x, [...path, String(i)]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => nonFinite(x, [...path, k]));
  return [];
}

/** What loading a case gives: the plan, or the error lines. Anything else thrown fails the test. */
function load(c: Case, file = 's.yaml'): { plan?: Plan; lines?: string[] } {
  try {
    return { plan: parseScenario(c.text, file, { sets: c.sets, seed: c.seedOption }) };
  } catch (e) {
    if (e instanceof ScenarioError) return { lines: e.lines };
    throw e;
  }
}

const protoNames = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

describe('loader fuzz, in process', () => {
  it('400 mutated scenarios: a Plan of finite numbers or well-formed lines; no warning; Object.prototype untouched', () => {
    const before = protoNames();
    const warnings: unknown[] = [];
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation((w: unknown) => void warnings.push(w));
    const line = wellFormed('s.yaml');
    try {
      fc.assert(
        fc.property(mutatedCase, (c) => {
          const { plan, lines } = load(c);
          if (plan) {
            const scenarios = plan.runs.flatMap((r) => r.variants.map((v) => v.scenario));
            expect(scenarios.length).toBeGreaterThan(0);
            expect(scenarios.flatMap((s) => nonFinite(s))).toEqual([]);
          } else {
            expect(lines!.length).toBeGreaterThan(0);
            for (const l of lines!) expect(l).toMatch(line);
          }
          expect(warnings).toEqual([]);
          expect(protoNames()).toBe(before);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: 400 },
      );
    } finally {
      spy.mockRestore();
    }
  }, 60_000);
});

/**
 * A plan whose simulation is small: the CLI sample must finish in seconds. A valid plan may ask for
 * a year of virtual time with checks every millisecond (finite, but hours of work): such plans are
 * the bounds test's business, at their edges.
 */
function small(plan: Plan): boolean {
  const HOUR = 3_600_000;
  const upper = (d: Dist): number => {
    switch (d.dist) {
      case 'constant': return d.value;
      case 'uniform': return d.max;
      case 'exponential': return d.mean * 10;
      case 'normal': return d.mean + 4 * d.sd;
      case 'lognormal': return Math.exp(d.mu + 4 * d.sigma);
      case 'gamma': return d.shape * d.scale + 10 * Math.sqrt(d.shape) * d.scale;
      case 'empirical': return Math.max(...d.samples);
    }
  };
  const ok = (s: Scenario): boolean =>
    s.keys.count <= 1000 && s.providers.length <= 50 && s.workload.clients <= 100_000
    && upper(s.workload.think) <= HOUR && s.keys.acquireTimeoutMs <= HOUR && s.retry.maxBackoffMs <= HOUR
    && (!s.workload.arrivals || s.workload.requests / s.workload.arrivals.perMs <= HOUR)
    && (s.keys.wait.mode === 'notify' || s.keys.wait.intervalMs >= 10)
    && (!s.keys.limit || s.keys.limit.windowMs <= HOUR)
    && (!s.health.active || s.health.active.intervalMs >= 100)
    && s.providers.every((p) => upper(p.latency) <= HOUR && (!p.limit || p.limit.windowMs <= HOUR) && p.faults.every((f) => f.atMs + f.forMs <= HOUR));
  const scenarios = plan.runs.flatMap((r) => r.variants.map((v) => v.scenario));
  return scenarios.reduce((n, s) => n + s.workload.requests * s.retry.attempts, 0) <= 60_000 && scenarios.every(ok);
}

/**
 * The CLI as `npm run sim --` runs it, with a memory cap. A hang fails at the test's timeout (and
 * the helper kills the process), not at a guess of how long a small simulation may take.
 */
const sim = (args: string[]) => gatesim(args, { node: ['--max-old-space-size=512'] });
type Ran = Awaited<ReturnType<typeof sim>>;

describe('loader fuzz, through the command', () => {
  it('a sample of mutated files (half loading, half not): exit 0 with valid results or exit 2 with well-formed lines; never 1, never a signal', async () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(JSON.parse(readFileSync('scenarios/results.schema.json', 'utf8')) as object);
    // A fixed sample: 10 cases that load (and are small enough to simulate) and 10 that do not.
    const pool = fc.sample(mutatedCase, { numRuns: 400, seed: 20_251_129 });
    const loads = pool.filter((c) => { const { plan } = load(c); return plan !== undefined && small(plan); }).slice(0, 10);
    const fails = pool.filter((c) => load(c).lines !== undefined).slice(0, 10);
    expect(loads).toHaveLength(10);
    expect(fails).toHaveLength(10);
    const root = mkdtempSync(join(tmpdir(), 'gatesim-fuzz-'));
    const cases = [...loads, ...fails].map((c, i) => {
      const dir = join(root, String(i));
      mkdirSync(dir);
      const file = join(dir, 'f.yaml');
      writeFileSync(file, c.text);
      return { c, dir, file, args: [file, '--out', join(dir, 'out'), '-q', '--format', 'json', ...c.sets.flatMap((s) => ['--set', s]), ...(c.seedOption === undefined ? [] : ['--seed', String(c.seedOption)])] };
    });
    // Two at a time: two cores, shared.
    const ran: Ran[] = [];
    for (let i = 0; i < cases.length; i += 2) ran.push(...(await Promise.all(cases.slice(i, i + 2).map((x) => sim(x.args)))));
    ran.forEach((r, i) => {
      const { dir, file, c } = cases[i]!;
      const what = `case ${i} (from ${c.seed}, --set ${JSON.stringify(c.sets)}, --seed ${c.seedOption}): ${r.stderr.slice(0, 300)}`;
      expect(r.signal, what).toBeNull();
      expect([0, 2], what).toContain(r.code);
      if (r.code === 0) {
        const results = JSON.parse(readFileSync(join(dir, 'out', 'f', 'results.json'), 'utf8')) as unknown;
        expect(validate(results), `${what} ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
        expect(r.stdout).toBe(readFileSync(join(dir, 'out', 'f', 'results.json'), 'utf8'));
      } else {
        // A bad flag value is the command's own line: `gatesim: --seed: expected …`, then where help is.
        const lines = r.stderr.trimEnd().split('\n').filter((l) => l !== 'Run with --help for usage.');
        for (const l of lines) expect(l, what).toMatch(l.startsWith('gatesim: ') ? /^gatesim: --[a-z-]+: expected [^\n]+, got / : wellFormed(file));
        expect(r.stdout).toBe('');
        expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : [], what).toEqual([]);
      }
      // the loader decided it in process first: the command agrees
      expect(r.code, what).toBe(i < loads.length ? 0 : 2);
    });
  }, 180_000);
});

/** A scenario whose requests take their sizes from the dataset `name` beside it. */
const datasetCase = (name: string): Case => ({ seed: 'dataset', text: `name: d\nworkload: { requests: 10, dataset: ${name} }\nproviders: [{ name: a, latency: 1s }]\n`, sets: [] });

describe('loader fuzz, dataset files', () => {
  it('300 mutated CSV and JSONL files: whole token counts, or one well-formed line that never holds the text planted in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-fuzz-ds-'));
    const file = join(dir, 's.yaml');
    const line = wellFormed(file);
    const warnings: unknown[] = [];
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation((w: unknown) => void warnings.push(w));
    let n = 0;
    let loaded = 0;
    try {
      fc.assert(
        fc.property(mutatedDataset, (text) => {
          // A fresh name each time: a dataset is read once per path in a process.
          const name = `d${n++}.data`;
          writeFileSync(join(dir, name), text);
          const { plan, lines } = load(datasetCase(name), file);
          if (plan) {
            loaded++;
            const rows = plan.runs[0]!.variants[0]!.scenario.workload.tokens!.rows!;
            expect(rows.prompt.length).toBeGreaterThan(0);
            for (const col of [rows.prompt, rows.output]) expect(col.every((t) => t >= 0 && t <= 10_000_000)).toBe(true);
          } else {
            expect(lines).toHaveLength(1);
            expect(lines![0]).toMatch(line);
            expect(lines![0]).not.toMatch(/[\r\u2028\u2029]/);
            expect(lines![0]).not.toContain(PLANTED);
          }
          expect(warnings).toEqual([]);
        }),
        { numRuns: 300, seed: 20_261_207 },
      );
    } finally {
      spy.mockRestore();
    }
    // Both sides are reached: some mutations keep a file valid, most do not.
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(300);
  }, 60_000);

  it('a sample through the command: exit 0 with results, or exit 2 with one well-formed line; never 1, never a stack trace', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gatesim-fuzz-ds-'));
    const texts = fc.sample(mutatedDataset, { numRuns: 60, seed: 20_261_207 });
    const verdict = (text: string, i: number): boolean => {
      writeFileSync(join(root, `probe${i}.data`), text);
      return load(datasetCase(`probe${i}.data`), join(root, 's.yaml')).plan !== undefined;
    };
    const judged = texts.map((t, i) => ({ t, loads: verdict(t, i) }));
    const cases = [...judged.filter((j) => j.loads).slice(0, 3), ...judged.filter((j) => !j.loads).slice(0, 3)];
    expect(cases).toHaveLength(6);
    for (let i = 0; i < cases.length; i += 2) {
      await Promise.all(
        cases.slice(i, i + 2).map(async ({ t, loads }, k) => {
          const dir = join(root, `case${i + k}`);
          mkdirSync(dir);
          writeFileSync(join(dir, 'rows.data'), t);
          const file = join(dir, 'f.yaml');
          writeFileSync(file, datasetCase('rows.data').text);
          const r = await sim([file, '--out', join(dir, 'out'), '-q', '--format', 'json']);
          const what = `case ${i + k}: ${r.stderr.slice(0, 300)}`;
          expect(r.signal, what).toBeNull();
          expect(r.code, what).toBe(loads ? 0 : 2);
          if (!loads) {
            const lines = r.stderr.trimEnd().split('\n');
            expect(lines, what).toHaveLength(1);
            expect(lines[0], what).toMatch(wellFormed(file));
            expect(r.stderr, what).not.toContain(PLANTED);
            expect(r.stdout).toBe('');
          }
        }),
      );
    }
  }, 120_000);
});
