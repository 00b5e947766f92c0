import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import type { VariantResult } from '../src/metrics/results.js';
import {
  admissionsChart,
  chartSize,
  commonWidth,
  FULL,
  HALF,
  healthChart,
  inFlightChart,
  keyWindowChart,
  latencyCdfChart,
  limiterChart,
  outcomesChart,
  palette,
  phasesChart,
  providerShareChart,
  publishedChart,
  rebin,
  runCharts,
  runsChart,
  tokensChart,
  ttftCdfChart,
  wrap,
  wrapList,
} from '../src/report/charts.js';
import { results, run, variant } from './helpers/results.js';

type Row = Record<string, string | number>;
type Enc = Record<string, { title?: string | null; field?: string; type?: string; scale?: { domain?: string[]; range?: string[] } }>;
type Unit = { name?: string; mark?: { type: string } | string; encoding?: Enc; layer?: Unit[]; transform?: { filter: unknown }[]; title?: { text: string } };
type Loose = Unit & {
  title: { text: string; subtitle?: string | string[] };
  data: { values: Row[] };
  spec?: Unit;
  concat?: Unit[];
  facet?: { field: string };
  columns?: number;
  width?: number;
};
const loose = (s: TopLevelSpec | null): Loose => {
  expect(s).not.toBeNull();
  return s as unknown as Loose;
};
/** The data rows a time chart draws (its other rows shade faults). */
const drawn = (s: Loose): Row[] => s.data.values.filter((v) => v.layer === undefined || v.layer === 'data');
/** Every unit view of a spec: itself, its facet's layers, its concat panels and their layers. */
const units = (s: Unit & { spec?: Unit; concat?: Unit[] }): Unit[] =>
  [s, ...(s.spec ? [s.spec] : []), ...(s.concat ?? [])].flatMap((u) => [u, ...(u.layer ?? [])]).filter((u) => u.encoding);
const markType = (u: Unit): string => (typeof u.mark === 'string' ? u.mark : (u.mark?.type ?? ''));
/** Axis titles must say their unit in brackets: "(s)", "(%)", "(requests/s)"… */
const withUnit = /\([^)]+\)/;

const r = results();
const small = r.runs[0]!;
const large = r.runs[1]!;

/** A variant whose series has `n` buckets of `bucketMs`, `perBucket` ok attempts in each. */
function timed(name: string, bucketMs: number, n: number, perBucket: number): VariantResult {
  const v = variant(name);
  v.series.bucketMs = bucketMs;
  v.series.t = Array.from({ length: n }, (_, i) => i * bucketMs);
  const zeros = new Array<number>(n).fill(0);
  v.series.attempts = { ok: new Array<number>(n).fill(perBucket), rateLimited: zeros, serverError: zeros, timeout: zeros, connectFailed: zeros, gaveUp: zeros, unavailable: zeros, tooLarge: zeros };
  v.series.admissions = { 'key-1': new Array<number>(n).fill(perBucket) };
  v.series.inFlight = new Array<number>(n).fill(1);
  v.series.providers = { alpha: { inFlight: new Array<number>(n).fill(1), healthy: new Array<number>(n).fill(1) }, beta: { inFlight: zeros, healthy: new Array<number>(n).fill(1) } };
  return v;
}

describe('charts show what the scenario varies', () => {
  it('latency CDF: a point per percentile per variant, seconds on a log axis, share as a fraction', () => {
    const s = loose(latencyCdfChart(small));
    expect(s.title.text).toBe('How long successful requests took');
    expect(s.data.values.filter((v) => v.variant === 'fast')).toEqual([
      { variant: 'fast', latencyS: 0.4, share: 0 },
      { variant: 'fast', latencyS: 0.8, share: 0.5 },
      { variant: 'fast', latencyS: 1.2, share: 0.9 },
      { variant: 'fast', latencyS: 1.6, share: 1 },
    ]);
    expect((s.encoding!.x as { scale: { type: string } }).scale.type).toBe('log');
    expect(s.encoding!.x!.title).toMatch(/latency.*\(s, log scale\)/);
  });

  it('latency CDF is left out when nothing succeeded, when every latency is one value (a vertical line), or when the variants lie on each other', () => {
    const none = variant('none', { ok: 0 });
    (none as { latencyCdf: unknown[] }).latencyCdf = [];
    expect(latencyCdfChart(run('r', [none]))).toBeNull();
    const constant = (name: string): VariantResult => Object.assign(variant(name), { latencyCdf: [[0, 100], [50, 100], [100, 100]] as [number, number][] });
    expect(latencyCdfChart(run('r', [constant('a'), constant('b')]))).toBeNull();
    // 2% apart at every percentile: one line on a log axis.
    const a = variant('a', { ok: 4, latency: 1000 });
    const b = variant('b', { ok: 4, latency: 1020 });
    expect(latencyCdfChart(run('r', [a, b]))).toBeNull();
    expect(latencyCdfChart(run('r', [a, variant('c', { ok: 4, latency: 1500 })]))).not.toBeNull();
  });

  it('outcomes: attempts per second by outcome, only outcomes that happened (ok always), empty intervals left out', () => {
    const s = loose(outcomesChart(small));
    const rows = drawn(s);
    expect([...new Set(rows.map((v) => v.outcome))]).toEqual(['ok', '429 rate limited']);
    // 4 buckets of 500 ms: one ok per bucket = 2 attempts/s.
    expect(rows.filter((v) => v.variant === 'fast' && v.outcome === 'ok').map((v) => [v.startS, v.endS, v.perS])).toEqual([
      [0, 0.5, 2],
      [0.5, 1, 2],
      [1, 1.5, 2],
      [1.5, 2, 2],
    ]);
    expect(rows.filter((v) => v.variant === 'slow' && v.outcome === '429 rate limited').map((v) => [v.startS, v.perS])).toEqual([[1.5, 2]]);
    expect(s.facet!.field).toBe('variant');
  });

  it('side-by-side panels share their time buckets: variants bucketed at 200 ms and 500 ms are both drawn per 1 s', () => {
    // 5 attempts per second recorded as 1 per 200 ms, and 3 per second as 1.5 per 500 ms.
    const pooled = timed('pooled', 200, 50, 1);
    const original = timed('original', 500, 20, 1.5);
    const one = run('r', [pooled, original]);
    expect(commonWidth(one)).toBe(1000);
    const s = loose(outcomesChart(one));
    const rows = drawn(s);
    for (const [name, perS] of [['pooled', 5], ['original', 3]] as const) {
      const mine = rows.filter((v) => v.variant === name);
      expect(mine.map((v) => Number(v.endS) - Number(v.startS)), name).toEqual(new Array(10).fill(1));
      expect(mine.every((v) => v.perS === perS), name).toBe(true);
    }
    expect(String(s.title.subtitle)).toContain('per 1 s');
    // A run long enough for 40+ buckets is widened in 1-2-5 steps of the common width.
    expect(commonWidth(run('r', [timed('a', 200, 100, 1), timed('b', 500, 100, 1)]))).toBe(2000);
  });

  it('rebin sums counts into a rate per second, and averages levels', () => {
    const v = timed('v', 100, 10, 1);
    expect(rebin(v, new Array(10).fill(1), 500)).toEqual([
      { startS: 0, endS: 0.5, value: 10 },
      { startS: 0.5, endS: 1, value: 10 },
    ]);
    expect(rebin(v, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 500, 'mean')).toEqual([
      { startS: 0, endS: 0.5, value: 3 },
      { startS: 0.5, endS: 1, value: 8 },
    ]);
  });

  it('a chart every variant draws the same is left out (outcomes, admissions)', () => {
    const same = run('r', [variant('a'), variant('b')]);
    expect(outcomesChart(same)).toBeNull();
    expect(admissionsChart(same)).toBeNull();
  });

  it('phases: mean seconds per phase per variant; left out when requests only ever spend time in service', () => {
    const s = loose(phasesChart(small));
    const fast = s.data.values.filter((v) => v.variant === 'fast');
    expect(fast.map((v) => [v.phase, v.meanS])).toEqual([
      ['waiting for a key', 0.1],
      ['connecting', 0.15],
      ['service', 0.55],
    ]);
    const serviceOnly = (name: string, ms: number): VariantResult => {
      const v = variant(name);
      for (const k of ['keyWait', 'providerQueue', 'connect', 'retryWait'] as const) v.metrics.phasesMs[k] = { mean: 0, p50: 0, p99: 0, max: 0 };
      v.metrics.phasesMs.service = { mean: ms, p50: ms, p99: ms, max: ms };
      return v;
    };
    expect(phasesChart(run('r', [serviceOnly('a', 500), serviceOnly('b', 900)]))).toBeNull();
  });

  it('admissions: only with a key limit (no limiter: admissions are just arrivals); stacked bars for a few keys', () => {
    const s = loose(admissionsChart(small));
    expect(drawn(s).filter((v) => v.variant === 'fast' && v.key === 'key-1').map((v) => [v.startS, v.perS])).toEqual([
      [0, 4],
      [0.5, 2],
    ]);
    const unlimited = small.variants.map((v) => ({ ...v, metrics: { ...v.metrics, limiter: { ...v.metrics.limiter, entriesPeak: 0 } } }));
    expect(admissionsChart(run('r', unlimited))).toBeNull();
  });

  it('admissions with many keys: a key × time heat map, rate on the colour scale', () => {
    const v = variant('many');
    v.series.admissions = Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`key-${k + 1}`, [k % 2, 0, 1, 0]]));
    const s = loose(admissionsChart(run('r', [v])));
    const main = s.spec!.layer!.find((l) => l.name === 'data')!;
    expect(markType(main)).toBe('rect');
    expect(main.encoding!.color!.title).toBe('admissions per second (requests/s)');
    expect(drawn(s).filter((x) => x.key === 'key-2').map((x) => [x.startS, x.perS])).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });

  it('provider share: only with two providers that the variants split differently', () => {
    const s = loose(providerShareChart(small));
    expect(s.data.values.filter((v) => v.variant === 'fast').map((v) => [v.provider, v.attempts])).toEqual([
      ['alpha', 3],
      ['beta', 1],
    ]);
    const even = run('r', [variant('a', { ok: 4, share: [2, 2] }), variant('b', { ok: 4, share: [2, 2] })]);
    expect(providerShareChart(even)).toBeNull();
    const one = variant('one');
    delete (one.metrics.providers as Record<string, unknown>).beta;
    expect(providerShareChart(run('r', [one]))).toBeNull();
  });

  it('in flight: the gateway line and a line per provider; left out with one provider and no queue', () => {
    const s = loose(inFlightChart(small));
    const fast = drawn(s).filter((v) => v.variant === 'fast');
    expect([...new Set(fast.map((v) => v.where))]).toEqual(['all requests (gateway)', 'at alpha', 'at beta']);
    expect(fast.filter((v) => v.where === 'all requests (gateway)').map((v) => v.inFlight)).toEqual([2, 1.5, 1, 0.2]);
    const single = small.variants.map((v) => {
      const w = structuredClone(v);
      delete (w.metrics.providers as Record<string, unknown>).beta;
      delete (w.series.providers as Record<string, unknown>).beta;
      return w;
    });
    expect(inFlightChart(run('r', single))).toBeNull();
  });

  it('health: only when a provider was unhealthy, as the share of each interval it was healthy', () => {
    expect(healthChart(small)).toBeNull();
    const s = loose(healthChart(large));
    expect(drawn(s).filter((v) => v.variant === 'slow' && v.provider === 'beta').map((v) => v.healthy)).toEqual([1, 0, 1, 1]);
  });

  it('limiter cost: only with a key limit, and only figures that differ between the variants', () => {
    // Two variants with the same cost: nothing to compare.
    expect(limiterChart(run('r', [variant('a'), variant('b')]))).toBeNull();
    const differ = variant('c');
    differ.metrics.limiter = { checks: 20, wastedChecks: 4, wakeups: 9, entriesPeak: 2 };
    const two = loose(limiterChart(run('r', [variant('a'), differ])));
    // wasted checks and entries are the same in both: only checks and wake-ups get a panel.
    expect([...new Set(two.data.values.map((v) => v.figure))]).toEqual(['checks', 'wake-ups']);
    expect(two.concat).toHaveLength(2);
    // Keys checked but no window ever held an entry: no limiter is configured, nothing to chart.
    const free = variant('free');
    free.metrics.limiter = { checks: 5, wastedChecks: 0, wakeups: 0, entriesPeak: 0 };
    expect(limiterChart(run('r', [free]))).toBeNull();
  });

  it('outages and faults are shaded where they happen, with the detection and the return marked', () => {
    const faulty = run('r', [variant('a', { ok: 4, unhealthy: true, fault: true }), variant('b', { ok: 3, rateLimited: 1, latency: 1500, fault: true })]);
    for (const chart of [outcomesChart(faulty), healthChart(faulty), inFlightChart(faulty)]) {
      const s = loose(chart);
      const names = s.spec!.layer!.map((l) => l.name);
      expect(names, s.title.text).toEqual(['fault', 'data', 'detected', 'back']);
      const fault = s.data.values.filter((v) => v.layer === 'fault' && v.variant === 'a');
      expect(fault.map((v) => [v.provider, v.startS, v.endS])).toEqual([['beta', 0.5, 1]]);
      expect(s.data.values.filter((v) => v.layer === 'detected' && v.variant === 'a').map((v) => v.atS)).toEqual([0.6]);
      expect(s.data.values.filter((v) => v.layer === 'back' && v.variant === 'a').map((v) => v.atS)).toEqual([1.2]);
      expect(String(s.title.subtitle)).toContain('Shaded: beta down 0.5–1 s');
    }
    // Without faults there is nothing to shade.
    expect(loose(outcomesChart(small)).spec!.layer!.map((l) => l.name)).toEqual(['data']);
  });
});

describe('colours, sizes and the runs side by side', () => {
  it('a variant or a provider keeps its colour on every chart of a page, whichever runs it is in', () => {
    const page = results({
      runs: [
        run('one', [variant('a', { ok: 4, latency: 500 }), variant('b', { ok: 3, rateLimited: 1, latency: 900, share: [1, 3] })]),
        // Run two has no `a`: per-chart colour schemes would give `b` a's colour here.
        run('two', [variant('b', { ok: 4, latency: 800, unhealthy: true }), variant('c', { ok: 2, rateLimited: 2, latency: 1500, share: [2, 2] })]),
      ],
      baseline: 'b',
      reference: {},
    });
    const pal = palette(page.runs);
    expect([...pal.variants.keys()]).toEqual(['a', 'b', 'c']);
    expect(new Set(pal.variants.values()).size).toBe(3);
    const specs = [...page.runs.flatMap((x) => runCharts(x, pal)), runsChart(page, pal)!];
    let checked = 0;
    for (const spec of specs) {
      for (const u of units(loose(spec))) {
        const c = u.encoding!.color;
        if (!c || (c.field !== 'variant' && c.field !== 'provider')) continue;
        const colours = c.field === 'variant' ? pal.variants : pal.providers;
        expect(c.scale?.domain, loose(spec).title.text).toBeDefined();
        c.scale!.domain!.forEach((name, i) => expect(c.scale!.range![i], `${name} in ${loose(spec).title.text}`).toBe(colours.get(name)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it('runs that are separate experiments are grouped bars (a bar per variant), their names wrapped, not lines across them', () => {
    const s = loose(runsChart(r));
    expect(s.title.text).toBe('Each metric across the runs');
    const panel = s.concat!.find((c) => c.title!.text === 'mean latency (s)')!;
    expect(markType(panel)).toBe('bar');
    expect(panel.encoding!.yOffset!.field).toBe('variant');
    expect(panel.encoding!.x!.title).toBe('mean latency (s)');
    expect(s.data.values.filter((v) => v.metric === 'meanLatencyMs').map((v) => [v.run, v.variant, v.value])).toEqual([
      ['small', 'fast', 0.8],
      ['small', 'slow', 1.6],
      ['large', 'fast', 0.9],
      ['large', 'slow', 2],
    ]);
    expect(wrap('batch, 5 keys, polling every 500 ms')).toEqual(['batch, 5 keys, polling', 'every 500 ms']);
    // Metrics equal everywhere get no panel.
    expect(s.concat!.some((c) => c.title!.text === 'total time (s)')).toBe(false);
    expect(runsChart(results({ runs: [small] }))).toBeNull();
  });

  it('every chart fits the content column: single views fit their width, panels add up to at most the full width', () => {
    const specs = [...runCharts(large), runsChart(r)!, publishedChart(r)!];
    for (const spec of specs) {
      const s = loose(spec) as Loose & { autosize?: { type: string } };
      if (s.concat || s.facet) {
        expect(chartSize(spec), s.title.text).toBe(s.concat && (s as { usermeta?: { size: string } }).usermeta?.size === 'half' ? 'half' : 'full');
      } else {
        expect(s.autosize?.type, s.title.text).toBe('fit-x');
        expect(s.width, s.title.text).toBe(chartSize(spec) === 'half' ? HALF : FULL);
      }
    }
  });

  it('published against simulated: a point per published figure, coloured by verdict, none when the scenario was changed', () => {
    const s = loose(publishedChart(r));
    expect(s.data.values.map((v) => [v.metric, v.variant, v.published, v.simulated, v.verdict])).toEqual([
      ['successRate', 'fast', 100, 100, 'reproduced'],
      // Published: fast slower than slow (700 vs 600 ms); simulated: faster (800 vs 1600).
      ['meanLatencyMs', 'fast', 0.7, 0.8, 'contradicted'],
      ['successRate', 'slow', 75, 75, 'reproduced'],
      ['meanLatencyMs', 'slow', 0.6, 1.6, 'off by more than the tolerance'],
    ]);
    expect(s.concat!.map((c) => c.title!.text)).toEqual(['success rate (%)', 'mean latency (s)']);
    expect(publishedChart(results({ changed: ['--seed 3'] }))).toBeNull();
    expect(publishedChart(results({ reference: {} }))).toBeNull();
  });

  it('every chart has a plain-words title and unit-bearing axis titles', () => {
    const specs = [...runCharts(large), ...runCharts(small), runsChart(r)!, publishedChart(r)!];
    expect(specs.length).toBeGreaterThanOrEqual(12);
    for (const spec of specs) {
      const s = loose(spec);
      expect(s.title.text.length).toBeGreaterThan(5);
      for (const u of units(s)) {
        const enc = u.encoding!;
        // Measured axes carry a unit; category axes (variant, run, key) name what they list or leave it to the panel headers.
        for (const axis of [enc.x, enc.y]) {
          if (!axis?.type) continue;
          if (axis.type === 'quantitative' && axis.title !== undefined) expect(axis.title, s.title.text).toMatch(axis.title === 'count' ? /^count$/ : withUnit);
          else if (axis.type === 'nominal') expect(axis.title === null || ['variant', 'run', 'API key'].includes(axis.title!), s.title.text).toBe(true);
        }
      }
    }
  });
});

/** `v` with token series (per 500 ms bucket: output and prompt tokens/s), a tokens quota window per key, and a TTFT CDF at `ttftMs`. */
function withTokens(v: VariantResult, o: { output: number[]; prompt: number[]; window?: Record<string, number[]>; ttftMs?: number }): VariantResult {
  v.series.tokens = { promptPerS: o.prompt, outputPerS: o.output, ...(o.window ? { keyWindow: { windowMs: 1000, limit: 100, byKey: o.window } } : {}) };
  if (o.ttftMs !== undefined) {
    const t = o.ttftMs;
    v.ttftCdf = [[0, t / 2], [50, t], [100, t * 3]];
  }
  return v;
}

describe('token charts', () => {
  it('time to first token: a step per percentile per streamed variant, seconds on a log axis; left out without streamed answers or when alike', () => {
    const a = withTokens(variant('a'), { output: [1, 1, 1, 1], prompt: [1, 1, 1, 1], ttftMs: 200 });
    const b = withTokens(variant('b'), { output: [1, 1, 1, 1], prompt: [1, 1, 1, 1], ttftMs: 2000 });
    const s = loose(ttftCdfChart(run('r', [a, b])));
    expect(s.title.text).toBe('Time to first token');
    expect(s.data.values.filter((x) => x.variant === 'b')).toEqual([
      { variant: 'b', ttftS: 1, share: 0 },
      { variant: 'b', ttftS: 2, share: 0.5 },
      { variant: 'b', ttftS: 6, share: 1 },
    ]);
    expect((s.encoding!.x as { scale: { type: string } }).scale.type).toBe('log');
    for (const axis of ['x', 'y']) expect(s.encoding![axis]!.title).toMatch(withUnit);
    expect(ttftCdfChart(run('r', [variant('plain'), variant('other')]))).toBeNull();
    const a2 = withTokens(variant('a2'), { output: [1], prompt: [1], ttftMs: 202 });
    expect(ttftCdfChart(run('r', [a, a2]))).toBeNull();
  });

  it('tokens per second over time: output and prompt + output per variant, left out without sizes or when nothing succeeded', () => {
    const a = withTokens(variant('a'), { output: [10, 20, 30, 40], prompt: [100, 100, 100, 100] });
    const b = withTokens(variant('b'), { output: [5, 5, 5, 5], prompt: [50, 50, 50, 50] });
    const s = loose(tokensChart(run('r', [a, b])));
    expect(s.title.text).toBe('Tokens per second over time');
    const rows = drawn(s).filter((x) => x.variant === 'a');
    // One common width of 500 ms: the series as written.
    expect(rows.filter((x) => x.flow === 'output tokens/s').map((x) => x.perS)).toEqual([10, 20, 30, 40]);
    expect(rows.filter((x) => x.flow === 'total tokens/s (prompt + output)').map((x) => x.perS)).toEqual([110, 120, 130, 140]);
    const main = units(s as unknown as Unit).find((u) => u.encoding?.y);
    expect(main!.encoding!.y!.title).toBe('tokens per second (tokens/s)');
    expect(main!.encoding!.x!.title).toMatch(withUnit);
    expect(tokensChart(run('r', [variant('a'), variant('b')]))).toBeNull();
    const zero = (n: string) => withTokens(variant(n), { output: [0, 0, 0, 0], prompt: [0, 0, 0, 0] });
    expect(tokensChart(run('r', [zero('a'), zero('b')]))).toBeNull();
  });

  it("each key's token window: a line per key per variant, the quota's limit as a rule; left out without a tokens quota", () => {
    const a = withTokens(variant('a'), { output: [1, 1, 1, 1], prompt: [1, 1, 1, 1], window: { 'key-1': [40, 90, 100, 60], 'key-2': [0, 10, 20, 30] } });
    const s = loose(keyWindowChart(run('r', [a])));
    expect(s.title.text).toBe("Each key's tokens in its quota window over time");
    expect([s.title.subtitle ?? []].flat().join(' ')).toContain('100 tokens per 1 s');
    const rows = drawn(s);
    // Each value at its bucket's end.
    expect(rows.filter((x) => x.key === 'key-1').map((x) => [x.timeS, x.tokens])).toEqual([
      [0.5, 40],
      [1, 90],
      [1.5, 100],
      [2, 60],
    ]);
    expect(rows.filter((x) => (x as Record<string, unknown>).isLimit === true)).toEqual([{ variant: 'a', limit: 100, isLimit: true, layer: 'data' }]);
    // The data layer of the facet holds the lines and the rule, one level further down.
    const nested = (u: Unit): Unit[] => [u, ...(u.layer ?? []).flatMap(nested)];
    const layers = nested(s.spec!).filter((u) => u.encoding?.y);
    expect(layers.map(markType).sort()).toEqual(['line', 'rule']);
    expect(layers.find((u) => markType(u) === 'line')!.encoding!.y!.title).toMatch(withUnit);
    expect(keyWindowChart(run('r', [withTokens(variant('b'), { output: [1], prompt: [1] })]))).toBeNull();
  });

  it("a sweep's chart draws the published figures beside the simulated lines, in the table's units", () => {
    const points = [1, 5, 25].map((c, i) => {
      const v = variant('default', { ok: 4 + i, latency: 1000 * (i + 1) });
      v.metrics.itlMs = { mean: 20 + 10 * i, p50: 20 + 10 * i, p90: null, p99: null };
      v.metrics.tokens = { prompt: 1, output: 1, reservedUnused: 0, perS: { prompt: 1, output: 100 * (i + 1), total: 1 } };
      return { ...run(`c=${c}`, [v]), point: { c } };
    });
    const res = results({ runs: points, baseline: 'default', sweep: { fields: ['c'], dimensions: 1 }, reference: { 'c=5': { default: { itlMeanMs: 33, meanLatencyMs: 2500 } } } });
    const s = loose(runsChart(res));
    const panel = (title: string) => s.concat!.find((c) => c.title?.text === title)!;
    const itl = panel('mean inter-token latency (ms)');
    const pub = itl.layer!.find((l) => markType(l) === 'point') as Unit & { data: { values: Row[] } };
    expect(pub.data.values).toEqual([{ x: 5, run: 'c=5', variant: 'default', metric: 'itlMeanMs', value: 33 }]);
    // Latency is shown in seconds: the published 2,500 ms is drawn as 2.5 s.
    const latency = panel('mean latency (s)').layer!.find((l) => markType(l) === 'point') as Unit & { data: { values: Row[] } };
    expect(latency.data.values[0]!.value).toBe(2.5);
    expect([s.title.subtitle ?? []].flat().join(' ')).toContain('hollow diamonds: the published figures');
    // A changed run (--seed) draws none: the figures describe the file as written.
    const changed = loose(runsChart({ ...res, changed: ['--seed 2'] }));
    expect(changed.concat!.every((c) => !c.layer?.some((l) => markType(l) === 'point'))).toBe(true);
  });

  it('long lists in a subtitle wrap into lines of bounded length', () => {
    const lines = wrapList('Runs: ', ['1 = aaaa bbbb', '2 = cccc dddd', '3 = eeee'], 30);
    expect(lines).toEqual(['Runs: 1 = aaaa bbbb;', '2 = cccc dddd; 3 = eeee.']);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30);
  });
});
