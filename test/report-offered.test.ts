import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import type { VariantResult, WorstWait } from '../src/metrics/results.js';
import { BURST_LEGEND, keyWaitChart, offeredChart, offeredTokensChart } from '../src/report/charts.js';
import { run, variant } from './helpers/results.js';

/**
 * The workload charts (report/charts/offered.ts, offered-tokens.ts, key-wait.ts): what they draw
 * from series.offered and metrics.worstWait, their titles and unit-bearing axes, the burst shaded
 * per variant, and when they are left out.
 */

type Row = Record<string, unknown>;
type Enc = Record<string, { title?: string; field?: string; type?: string }>;
type Layer = { mark?: { type: string }; encoding?: Enc; transform?: { filter: string }[] };
type Spec = { title: { text: string; subtitle: string[] }; data: { values: Row[] }; spec: { layer: (Layer & { layer?: Layer[] })[] } };
const loose = (s: TopLevelSpec | null): Spec => {
  expect(s).not.toBeNull();
  return s as unknown as Spec;
};

const WORST: WorstWait = { waitMs: 1500, arrivalMs: 400, admittedMs: 1900, burst: { fromMs: 100, toMs: 1900, requests: 7, tokens: 700, requestsPerMin: 1200 } };

/** `v` (4 buckets of 500 ms) offered `offered` a bucket, `admitted` and `refused` of them, the given key waits (ms) and, with `worst`, a burst. */
function offered(v: VariantResult, o: { offered: number[]; admitted: number[]; refused: number[]; waitMs: (number | null)[]; worst?: WorstWait; tokens?: boolean }): VariantResult {
  const times = (xs: number[]) => xs.map((x) => x * 100);
  v.series.offered = {
    requests: { offered: o.offered, admitted: o.admitted, refused: o.refused },
    ...(o.tokens ? { tokens: { offered: times(o.offered), admitted: times(o.admitted), refused: times(o.refused) } } : {}),
    keyWaitMs: { p99: o.waitMs, max: o.waitMs.map((w) => (w === null ? null : w * 2)) },
  };
  v.metrics.offered = { requests: o.offered.reduce((a, b) => a + b, 0), durationMs: 1900, requestsPerMin: { mean: 300, peak: 10 } };
  if (o.worst) v.metrics.worstWait = o.worst;
  return v;
}

const layers = (s: Spec): Layer[] => s.spec.layer.flatMap((l) => l.layer ?? [l]);
const dataLayer = (s: Spec): Layer => layers(s).find((l) => l.transform?.[0]?.filter === 'datum.isBurst !== true')!;

describe('workload charts', () => {
  const queued = () => offered(variant('queued'), { offered: [10, 2, 0, 0], admitted: [3, 3, 3, 3], refused: [0, 0, 1, 0], waitMs: [800, 1500, null, null], worst: WORST, tokens: true });
  const passed = () => offered(variant('passed'), { offered: [4, 4, 4, 4], admitted: [4, 4, 4, 4], refused: [0, 0, 0, 0], waitMs: [0, 0, 0, 0] });

  it('requests per minute offered, admitted and refused: a line each per variant, the burst shaded from its start to the admission', () => {
    const s = loose(offeredChart(run('r', [queued(), passed()])));
    expect(s.title.text).toBe('Requests per minute offered, admitted and refused');
    expect(s.title.subtitle).toContain(BURST_LEGEND);
    const enc = dataLayer(s).encoding!;
    expect(enc.x!.title).toBe('time since start (s)');
    expect(enc.y!.title).toBe('requests per minute (requests/min)');
    // 10 arrivals in the first 500 ms bucket: 1,200 a minute (the common width is the buckets' own).
    const rows = s.data.values.filter((r) => r.variant === 'queued' && r.flow === 'offered (arrived)');
    expect(rows.map((r) => r.perMin)).toEqual([1200, 240, 0, 0]);
    expect(s.data.values.filter((r) => r.variant === 'queued' && r.flow === 'refused (429)').map((r) => r.perMin)).toEqual([0, 0, 120, 0]);
    const burst = s.data.values.filter((r) => r.isBurst === true);
    expect(burst).toEqual([expect.objectContaining({ variant: 'queued', fromS: 0.1, toS: 1.9, atS: 0.4, waitS: 1.5, requests: 7, perMin: 1200 })]);
    expect(layers(s).filter((l) => l.transform?.[0]?.filter === 'datum.isBurst === true').map((l) => l.mark!.type)).toEqual(['rect', 'rule']);
  });

  it('tokens per minute: the same in tokens, only with request sizes', () => {
    const s = loose(offeredTokensChart(run('r', [queued(), passed()])));
    expect(s.title.text).toBe('Tokens per minute offered, admitted and refused');
    expect(dataLayer(s).encoding!.y!.title).toBe('tokens per minute (tokens/min)');
    expect(s.data.values.filter((r) => r.variant === 'queued' && r.flow === 'offered (arrived)').map((r) => r.perMin)).toEqual([120_000, 24_000, 0, 0]);
    const unsized = offered(variant('queued'), { offered: [10, 2, 0, 0], admitted: [3, 3, 3, 3], refused: [0, 0, 1, 0], waitMs: [1, 1, null, null], worst: WORST });
    expect(offeredTokensChart(run('r', [unsized, passed()]))).toBeNull();
  });

  it('key wait over time: p99 and longest of each bucket of arrivals in seconds, buckets with no arrival left out', () => {
    const s = loose(keyWaitChart(run('r', [queued(), passed()])));
    expect(s.title.text).toBe('Key wait over time');
    const enc = dataLayer(s).encoding!;
    expect(enc.y!.title).toBe('key wait (s)');
    expect(enc.x!.title).toBe('arrival, time since start (s)');
    const q = s.data.values.filter((r) => r.variant === 'queued' && r.isBurst !== true);
    expect(q.map((r) => [r.stat, r.timeS, r.waitS])).toEqual([
      ['p99 key wait', 0, 0.8],
      ['p99 key wait', 0.5, 1.5],
      ['longest key wait', 0, 1.6],
      ['longest key wait', 0.5, 3],
    ]);
  });

  it('are left out when the keys passed the traffic as it came: nothing refused, admitted within 10% of offered, nobody waited', () => {
    // Two variants offered differently (so not alike), each admitted as offered.
    const other = offered(variant('passed too'), { offered: [2, 3, 4, 5], admitted: [2, 3, 4, 5], refused: [0, 0, 0, 0], waitMs: [0, 0, 0, 0], tokens: true });
    const r = run('r', [offered(passed(), { offered: [4, 4, 4, 4], admitted: [4, 4, 4, 4], refused: [0, 0, 0, 0], waitMs: [0, 0, 0, 0], tokens: true }), other]);
    expect(offeredChart(r)).toBeNull();
    expect(offeredTokensChart(r)).toBeNull();
    expect(keyWaitChart(r)).toBeNull();
    // Results from before these series existed draw none of them.
    expect(offeredChart(run('r', [variant('old'), variant('older')]))).toBeNull();
    expect(keyWaitChart(run('r', [variant('old'), variant('older')]))).toBeNull();
  });

  it('a refusal alone is worth drawing, without a wait (and then without a burst)', () => {
    const refused = offered(variant('refused'), { offered: [4, 4, 4, 4], admitted: [4, 4, 3, 4], refused: [0, 0, 1, 0], waitMs: [0, 0, 0, 0] });
    const s = loose(offeredChart(run('r', [refused, passed()])));
    expect(s.data.values.some((r) => r.isBurst === true)).toBe(false);
    expect(s.title.subtitle).not.toContain(BURST_LEGEND);
    expect(layers(s).some((l) => l.transform?.[0]?.filter === 'datum.isBurst === true')).toBe(false);
  });
});
