import { describe, expect, it } from 'vitest';
import { runPlan } from '../src/run.js';
import { parseScenario } from '../src/scenario/load.js';
import { axisKind, axisTitle, axisValue } from '../src/report/axis.js';
import { runsChart, sweepAxis } from '../src/report/charts.js';
import { splitColumns, sweepTable, toText } from '../src/report/table.js';
import { htmlReport } from '../src/report/html.js';

const BASE = `name: s
workload: { requests: 60, arrivals: { rate: 1/s } }
keys: { count: 2, limit: 30/min }
providers: [{ name: p, latency: 200ms }]
variants:
  - { name: sliding-log }
  - { name: token-bucket, keys: { limiter: token-bucket } }
`;

type Spec = { title: { text: string }; concat: ({ title: { text: string }; mark?: { type: string }; encoding?: { x: { type: string; title: string } }; layer?: { mark: { type: string }; encoding: { x: { type: string; title?: string; field: string } } }[] })[]; data: { values: { x?: number; runLabel?: string }[] } };

describe('a sweep of values with units reads as numbers on an axis', () => {
  it('a swept arrival rate is a line over a numeric x whose title carries the unit, not category bars', () => {
    const results = runPlan(parseScenario(`${BASE}sweep:\n  workload.arrivals.rate: [0.25/s, 0.5/s, 1/s, 2/s]\n`, 's.yaml'));
    expect(sweepAxis(results)).toBe('workload.arrivals.rate');
    const spec = JSON.parse(JSON.stringify(runsChart(results))) as Spec;
    expect(spec.title.text).toBe('Each metric against workload.arrivals.rate');
    const panel = spec.concat[0]!;
    const line = panel.layer ? panel.layer[0]! : (panel as unknown as { mark: { type: string }; encoding: { x: { type: string; title: string } } });
    expect(line.mark.type).toBe('line');
    expect(line.encoding.x.type).toBe('quantitative');
    expect(line.encoding.x.title).toBe('workload.arrivals.rate (requests per s)');
    expect([...new Set(spec.data.values.map((v) => v.x))]).toEqual([0.25, 0.5, 1, 2]);
    expect(spec.data.values.some((v) => v.runLabel !== undefined)).toBe(false);
  });

  it('rates keep the unit they share (per min), mixed units read per second, durations in seconds', () => {
    expect(axisKind(['30/min', '60/min'])).toEqual({ kind: 'rate', per: 'min' });
    expect(axisValue('90/min', { kind: 'rate', per: 'min' })).toBe(90);
    const mixed = axisKind(['30/min', '1/s', '5/10s'])!;
    expect(mixed).toEqual({ kind: 'rate', per: 's' });
    expect(['30/min', '1/s', '5/10s'].map((v) => axisValue(v, mixed))).toEqual([0.5, 1, 0.5]);
    expect(axisTitle('keys.limit', { kind: 'rate', per: 'min' })).toBe('keys.limit (requests per min)');
    expect(axisTitle('keys.limit.tokens', { kind: 'rate', per: 'min' })).toBe('keys.limit.tokens (tokens per min)');
    const d = axisKind(['250ms', '1s', '2m'])!;
    expect(d).toEqual({ kind: 'duration' });
    expect(['250ms', '1s', '2m'].map((v) => axisValue(v, d))).toEqual([0.25, 1, 120]);
    expect(axisTitle('providers.0.latency', d)).toBe('providers.0.latency (s)');
    // Sizes are counts of tokens; capacities count requests at once.
    expect(axisTitle('workload.tokens.prompt', { kind: 'number' })).toBe('workload.tokens.prompt (tokens)');
    expect(axisTitle('providers.0.capacity', { kind: 'number' })).toBe('providers.0.capacity (requests at once)');
    expect(axisTitle('keys.count', { kind: 'number' })).toBe('keys.count (keys)');
    // A distribution, or a mix of a rate and a duration, stays a category.
    expect(axisKind([{ dist: 'constant', value: 1 }, '1s'])).toBeNull();
    expect(axisKind(['1/s', '1s'])).toBeNull();
  });

  it('the sweep table fits an 80-column terminal: wide tables break into blocks that repeat the swept values', () => {
    const results = runPlan(parseScenario(`${BASE}sweep:\n  workload.arrivals.rate: [0.25/s, 0.5/s, 1/s, 2/s]\n  keys.count: [1, 2]\n`, 's.yaml'));
    const t = sweepTable(results);
    const wide = toText(t);
    expect(Math.max(...wide.split('\n').map((l) => l.length))).toBeGreaterThan(80);
    const text = toText(t, 80);
    const lines = text.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    // Each block's header starts with both swept fields; every cell of the wide table is still there.
    const headers = lines.filter((l) => l.startsWith('workload.arrivals.rate'));
    expect(headers.length).toBeGreaterThan(1);
    for (const h of headers) expect(h).toMatch(/^workload\.arrivals\.rate\s+keys\.count/);
    for (const row of t.rows) for (const cell of row) expect(text).toContain(cell);
  });

  it('the page shows a wide sweep table as blocks of at most 8 columns beside the swept values, never one that runs off the right', () => {
    const results = runPlan(parseScenario(`${BASE.replace('variants:', 'variants:\n  - { name: gcra, keys: { limiter: gcra } }\n  - { name: fixed-window, keys: { limiter: fixed-window } }\n  - { name: uniform, keys: { limiter: uniform-interval } }\n  - { name: bucket-window, keys: { limiter: bucket-window } }')}sweep:\n  workload.arrivals.rate: [0.5/s, 1/s]\n`, 's.yaml'));
    const t = sweepTable(results);
    expect(t.header.length).toBeGreaterThan(9);
    const blocks = splitColumns(t, 8);
    expect(blocks.length).toBe(Math.ceil((t.header.length - 1) / 8));
    for (const b of blocks) {
      expect(b.header[0]).toBe('workload.arrivals.rate');
      expect(b.header.length).toBeLessThanOrEqual(9);
    }
    expect(blocks.flatMap((b) => b.header.slice(1))).toEqual(t.header.slice(1));
    const html = htmlReport(results, { generatedAt: new Date(0), version: 'test' });
    const sweep = html.slice(html.indexOf('id="across-runs"'));
    expect(sweep.split('<table class="comparison">').length - 1).toBeGreaterThanOrEqual(blocks.length);
  });
});
