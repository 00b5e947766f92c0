import { mkdtempSync, writeFileSync } from 'node:fs';
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

  it('predicts a single sequence exactly: TTFT is the prefill steps, ITL one decode step, tokens/s by Little\'s law', () => {
    const cfg: IterationServing = { model: 'iteration', step: { base: 10, perPrefillToken: 0.1, perDecodeSequence: 2, perKvToken: 0 }, maxBatchedTokens: 1000, maxSequences: 8, maxKvTokens: Infinity };
    const p = predict(cfg, { concurrency: 1, isl: 2500, osl: 101 });
    // Three prefill steps (1000, 1000, 500 tokens); the client's next request comes 1 ms after an answer, inside no step.
    expect(p.ttftMs).toBeCloseTo(3 * 10 + 0.1 * 2500, 9);
    expect(p.itlMs).toBeCloseTo(12, 9);
    expect(p.outputTokensPerS).toBeCloseTo((101 / (280 + 100 * 12 + 1)) * 1000, 6);
  });
});

describe('calibrateTable: published tables (NIM; sources in scenarios/data/tables/README.md)', () => {
  // Which points each table's fit leaves outside tolerance (TTFT 15%, ITL 10%, output tokens/s 10%):
  // a change to the model or the fit that moves any of them shows here. docs/serving-model.md says why.
  const expected: Record<string, string[]> = {
    'nim-llama-3.3-70b-1.8.0.csv': [],
    'nim-llama-3.3-70b-1.5.0.csv': ['concurrency=5: TTFT', 'concurrency=50: TTFT'],
    'nim-llama-3.1-70b-1.3.0.csv': [
      'concurrency=5: TTFT', 'concurrency=100: TTFT', 'concurrency=150: TTFT', 'concurrency=150: output tokens/s', 'concurrency=200: TTFT', 'concurrency=250: TTFT',
    ],
    'nim-llama-3.1-8b-1.8.0.csv': [
      'concurrency=5: TTFT', 'concurrency=50: TTFT', 'concurrency=50: ITL', 'concurrency=50: output tokens/s', 'concurrency=100: TTFT', 'concurrency=100: ITL',
      'concurrency=100: output tokens/s', 'concurrency=150: TTFT', 'concurrency=150: ITL', 'concurrency=200: TTFT', 'concurrency=200: ITL',
    ],
    'nim-llama-3.1-8b-1.3.0.csv': [
      'concurrency=1: TTFT', 'concurrency=25: TTFT', 'concurrency=50: TTFT', 'concurrency=50: ITL', 'concurrency=100: TTFT', 'concurrency=100: ITL',
      'concurrency=100: output tokens/s', 'concurrency=150: TTFT', 'concurrency=150: ITL',
    ],
  };
  for (const [name, outside] of Object.entries(expected)) {
    it(`${name}: fitted on three rows, outside tolerance exactly at ${outside.length === 0 ? 'no point' : `${outside.length} point-metrics`}`, () => {
      const c = calibrateTable(join(tables, name));
      expect(c.source).toMatch(/fitted to concurrency=1, concurrency=25, concurrency=2[05]0 /);
      expect(outsideOf(c.outside)).toEqual(outside);
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
