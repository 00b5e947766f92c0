import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IterationServing } from '../src/providers/iteration.js';
import { calibrateTable, fitPoints, predict, readTable, TableError } from '../src/study/calibrate-table.js';

const dir = mkdtempSync(join(tmpdir(), 'gatesim-calibrate-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const tables = join(import.meta.dirname, '..', 'scenarios', 'data', 'tables');
/** "label: metric" of each point and metric outside tolerance. */
const outsideOf = (lines: string[]) => lines.map((l) => l.replace(/ predicted .*/, ''));

describe('calibrateTable: synthetic data', () => {
  it('recovers known step coefficients from three points of different shapes (within 2%)', () => {
    const truth: IterationServing = {
      model: 'iteration',
      step: { base: 12, perPrefillToken: 0.04, perDecodeSequence: 0.3, perKvToken: 0.0002 },
      maxBatchedTokens: 4096,
      maxSequences: 64,
      maxKvTokens: Infinity,
    };
    const points = [
      { concurrency: 1, isl: 1000, osl: 100 },
      { concurrency: 8, isl: 4000, osl: 300 },
      { concurrency: 32, isl: 500, osl: 800 },
    ];
    let csv = 'concurrency,isl,osl,ttft_ms,itl_ms,output_tokens_per_s\n';
    for (const p of points) {
      const r = predict(truth, p);
      csv += `${p.concurrency},${p.isl},${p.osl},${r.ttftMs},${r.itlMs},${r.outputTokensPerS}\n`;
    }
    const c = calibrateTable(file('synthetic.csv', csv), { fixed: { maxSequences: 64, maxBatchedTokens: 4096 } });
    const step = (c.provider.serving as { step: Record<string, number> }).step;
    for (const [k, v] of Object.entries(truth.step)) expect(Math.abs(step[k]! / v - 1), k).toBeLessThan(0.02);
    expect(c.outside).toEqual([]);
    expect(c.source).toMatch(/^synthetic\.csv: fitted to concurrency=1 isl=1000 osl=100, concurrency=8 isl=4000 osl=300, concurrency=32 isl=500 osl=800 \(base, perPrefillToken, perDecodeSequence, perKvToken fitted/);
  });

  it('fits the terms it is told to: a compute roofline (perBatchedToken) freed is recovered; left out, the same rows fall outside', () => {
    const truth: IterationServing = {
      model: 'iteration',
      step: { base: 5, perPrefillToken: 0.05, perDecodeSequence: 0.01, perKvToken: 0, perBatchedToken: 0.1 },
      maxBatchedTokens: 2048,
      maxSequences: 256,
      maxKvTokens: Infinity,
    };
    let csv = 'concurrency,isl,osl,ttft_ms,itl_ms,output_tokens_per_s\n';
    for (const concurrency of [1, 16, 128]) {
      const r = predict(truth, { concurrency, isl: 300, osl: 200 });
      csv += `${concurrency},300,200,${r.ttftMs},${r.itlMs},${r.outputTokensPerS}\n`;
    }
    const path = file('roofline.csv', csv);
    // A prompt alone is compute-bound here (0.1 × 300 > 5 + 0.05 × 300): perPrefillToken cannot be seen, so it is given.
    const fixed = { maxSequences: 256, maxBatchedTokens: 2048, perPrefillToken: 0.05 };
    const c = calibrateTable(path, { fit: ['base', 'perDecodeSequence', 'perBatchedToken'], fixed });
    const step = (c.provider.serving as { step: Record<string, number> }).step;
    for (const k of ['base', 'perDecodeSequence', 'perBatchedToken']) expect(Math.abs(step[k]! / (truth.step as Record<string, number>)[k]! - 1), k).toBeLessThan(0.02);
    expect(c.outside).toEqual([]);
    expect(c.source).toContain('(base, perDecodeSequence, perBatchedToken fitted;');
    const linear = calibrateTable(path, { fit: ['base', 'perDecodeSequence'], fixed });
    expect(linear.outside.length).toBeGreaterThan(0);
  });

  it('predicts a single sequence exactly: TTFT is the prefill steps, ITL one decode step, tokens/s by Little\'s law', () => {
    const cfg: IterationServing = { model: 'iteration', step: { base: 10, perPrefillToken: 0.1, perDecodeSequence: 2, perKvToken: 0 }, maxBatchedTokens: 1000, maxSequences: 8, maxKvTokens: Infinity };
    const p = predict(cfg, { concurrency: 1, isl: 2500, osl: 101 });
    // Three prefill steps (1000, 1000, 500 tokens); the client's next request comes 1 ms after an answer, inside no step.
    expect(p.ttftMs).toBeCloseTo(3 * 10 + 0.1 * 2500, 9);
    expect(p.itlMs).toBeCloseTo(12, 9);
    expect(p.outputTokensPerS).toBeCloseTo((101 / (280 + 100 * 12 + 1)) * 1000, 6);
  });
});

describe('calibrateTable: published tables (sources in scenarios/data/tables/README.md)', () => {
  // For each table: the concurrencies fitted, and each "concurrency: metric" the fit leaves outside
  // tolerance (TTFT 15%, ITL 10%, output tokens/s 10%). A change to the model or the fit that moves
  // any of them shows here; docs/serving-model.md says why each is outside.
  const expected: Record<string, { fitted: number[]; outside: string[] }> = {
    'nim-llama-3.3-70b-1.8.0.csv': { fitted: [1, 25, 250], outside: [] },
    'nim-llama-3.3-70b-1.8.0-500-2000.csv': { fitted: [1, 25, 200], outside: [] },
    'nim-llama-3.3-70b-1.5.0.csv': { fitted: [1, 25, 200], outside: [
      '5: TTFT', '50: TTFT',
    ] },
    'nim-llama-3.3-70b-1.5.0-500-2000.csv': { fitted: [1, 25, 150], outside: [
      '1: TTFT', '100: ITL',
    ] },
    'nim-llama-3.3-70b-1.5.0-1000-1000.csv': { fitted: [1, 25, 200], outside: [
      '100: TTFT', '150: TTFT', '150: ITL', '150: output tokens/s',
    ] },
    'nim-llama-3.3-70b-1.5.0-200-200.csv': { fitted: [1, 25, 250], outside: [
      '5: TTFT', '50: TTFT', '100: TTFT', '150: TTFT', '150: ITL', '150: output tokens/s', '200: TTFT', '200: output tokens/s',
    ] },
    'nim-llama-3.3-70b-h200-500-2000.csv': { fitted: [1, 25, 250], outside: [
      '5: TTFT', '250: TTFT',
    ] },
    'nim-llama-3.1-70b-1.3.0-5000-500.csv': { fitted: [1, 25, 250], outside: [
      '50: TTFT', '100: TTFT', '150: TTFT', '200: TTFT', '200: output tokens/s', '250: TTFT', '250: ITL',
    ] },
    'nim-llama-3.1-70b-1.3.0-1000-1000.csv': { fitted: [1, 25, 250], outside: [
      '50: TTFT', '150: TTFT', '150: output tokens/s', '200: TTFT', '200: output tokens/s', '250: TTFT', '250: ITL', '250: output tokens/s',
    ] },
    'nim-llama-3.1-70b-1.3.0-500-2000.csv': { fitted: [1, 25, 250], outside: [
      '1: TTFT', '5: TTFT', '25: TTFT', '50: TTFT', '100: TTFT', '150: TTFT', '200: TTFT', '250: TTFT',
    ] },
    'nim-llama-3.1-70b-1.3.0.csv': { fitted: [1, 25, 250], outside: [
      '5: TTFT', '100: TTFT', '150: TTFT', '150: output tokens/s', '200: TTFT', '250: TTFT',
    ] },
    'nim-llama-3.1-8b-1.8.0.csv': { fitted: [1, 25, 250], outside: [
      '5: TTFT', '50: TTFT', '50: ITL', '50: output tokens/s', '100: TTFT', '100: ITL', '100: output tokens/s', '150: TTFT', '150: ITL', '200: TTFT',
      '200: ITL',
    ] },
    'nim-llama-3.1-8b-1.3.0.csv': { fitted: [1, 25, 200], outside: [
      '1: TTFT', '25: TTFT', '50: TTFT', '50: ITL', '100: TTFT', '100: ITL', '100: output tokens/s', '150: TTFT', '150: ITL',
    ] },
    'vultr-nemotron-nano-30b-fp8-b200.csv': { fitted: [1, 16, 256], outside: [
      '1: TTFT', '1: ITL', '8: TTFT', '16: TTFT', '32: TTFT', '32: ITL', '32: output tokens/s', '64: TTFT', '64: ITL', '64: output tokens/s',
      '128: TTFT', '128: ITL', '128: output tokens/s', '256: TTFT', '256: ITL', '256: output tokens/s',
    ] },
  };

  it('covers every table shipped in scenarios/data/tables', () => {
    expect(readdirSync(tables).filter((f) => f.endsWith('.csv')).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, { fitted, outside }] of Object.entries(expected)) {
    it(`${name}: fitted on concurrency ${fitted.join(', ')}, outside tolerance at ${outside.length === 0 ? 'no point' : `${outside.length} point-metrics`}`, () => {
      const c = calibrateTable(join(tables, name));
      expect(c.source).toContain(`fitted to ${fitted.map((n) => `concurrency=${n}`).join(', ')} (`);
      expect(outsideOf(c.outside).map((l) => l.replace(/^concurrency=/, ''))).toEqual(outside);
      expect(c.points.length).toBe(readTable(join(tables, name)).length);
    }, 120_000);
  }
});

describe('readTable', () => {
  it('reads vLLM benchmark_serving column names and a request rate', () => {
    const rows = readTable(file('vllm.csv', 'request_rate,random_input_len,random_output_len,mean_ttft_ms,mean_itl_ms,output_throughput\n2,512,128,40.5,12.25,250\n4,512,128,44,13,480\n'));
    expect(rows).toEqual([
      { label: 'rate=2/s', line: 2, ratePerS: 2, isl: 512, osl: 128, ttftMs: 40.5, itlMs: 12.25, outputTokensPerS: 250 },
      { label: 'rate=4/s', line: 3, ratePerS: 4, isl: 512, osl: 128, ttftMs: 44, itlMs: 13, outputTokensPerS: 480 },
    ]);
    // An open loop is predicted too: Poisson arrivals, light load ≈ one request alone.
    const cfg: IterationServing = { model: 'iteration', step: { base: 10, perPrefillToken: 0.05, perDecodeSequence: 1, perKvToken: 0 }, maxBatchedTokens: 2048, maxSequences: 64, maxKvTokens: Infinity };
    const p = predict(cfg, rows[0]!);
    expect(p.ttftMs).toBeGreaterThanOrEqual(10 + 0.05 * 512);
    expect(p.ttftMs).toBeLessThan(2 * (10 + 0.05 * 512));
    expect(p.outputTokensPerS).toBeGreaterThan(0);
  });

  it('names the file, line and column of a bad cell, and never echoes it', () => {
    const path = file('bad.csv', '# a comment, "quoted"\nconcurrency,isl,osl,ttft_ms,itl_ms,output_tokens_per_s\n1,100,10,5,2,100\n2,100,10,sk-secret,2,100\n');
    expect(() => readTable(path)).toThrow(new TableError(`${path}:4: column 4 (ttftMs): expected a number from 0.000001 to 1000000000`));
    try {
      readTable(path);
    } catch (e) {
      expect((e as Error).message).not.toContain('sk-secret');
    }
  });

  it('says which column is missing, and that a table needs concurrency or a rate', () => {
    const a = file('a.csv', 'concurrency,isl,osl,ttft_ms,output_tokens_per_s\n1,1,1,1,1\n');
    expect(() => readTable(a)).toThrow(new RegExp(`^${a}:1: expected a column for itlMs \\(one of: itlms, itl, meanitlms`));
    const b = file('b.csv', 'isl,osl,ttft_ms,itl_ms,output_tokens_per_s\n1,1,1,1,1\n');
    expect(() => readTable(b)).toThrow(`${b}:1: expected a concurrency column or a request rate column (exactly one)`);
  });

  it('fits the lowest, the geometric middle and the highest load', () => {
    const rows = readTable(join(tables, 'nim-llama-3.3-70b-1.8.0.csv'));
    expect(fitPoints(rows).map((i) => rows[i]!.concurrency)).toEqual([1, 25, 250]);
  });
});
