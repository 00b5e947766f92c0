import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import {
  admissionsChart,
  healthChart,
  inFlightChart,
  latencyCdfChart,
  limiterChart,
  outcomesChart,
  phasesChart,
  providerShareChart,
  rebin,
  runCharts,
  runsChart,
} from '../src/report/charts.js';
import { results, run, variant } from './helpers/results.js';

type Row = Record<string, string | number>;
type Loose = {
  title: { text: string; subtitle?: string | string[] };
  data: { values: Row[] };
  encoding: Record<string, { title?: string | null; field?: string; type?: string }>;
  concat?: { encoding: Record<string, { title?: string | null; type?: string }>; title: { text: string } }[];
};
const loose = (s: TopLevelSpec | null): Loose => {
  expect(s).not.toBeNull();
  return s as unknown as Loose;
};
/** Axis titles must say their unit in brackets: "(s)", "(%)", "(requests/s)"… */
const withUnit = /\([^)]+\)/;

const r = results();
const small = r.runs[0]!;

describe('chart specs from results data', () => {
  it('latency CDF: a point per percentile per variant, seconds on a log axis, share as a fraction', () => {
    const s = loose(latencyCdfChart(small));
    expect(s.title.text).toBe('How long successful requests took');
    expect(s.data.values).toHaveLength(8);
    expect(s.data.values.filter((v) => v.variant === 'fast')).toEqual([
      { variant: 'fast', latencyS: 0.4, share: 0 },
      { variant: 'fast', latencyS: 0.8, share: 0.5 },
      { variant: 'fast', latencyS: 1.2, share: 0.9 },
      { variant: 'fast', latencyS: 1.6, share: 1 },
    ]);
    expect((s.encoding.x as { scale: { type: string } }).scale.type).toBe('log');
    expect(s.encoding.x!.title).toMatch(/latency.*\(s, log scale\)/);
    expect(s.encoding.y!.title).toMatch(withUnit);
  });

  it('latency CDF is left out when nothing succeeded (no points to draw)', () => {
    const none = variant('none', { ok: 0 });
    (none as { latencyCdf: unknown[] }).latencyCdf = [];
    expect(latencyCdfChart(run('r', [none]))).toBeNull();
  });

  it('outcomes: attempts per second by outcome, only outcomes that happened (ok always)', () => {
    const s = loose(outcomesChart(small));
    const outcomes = new Set(s.data.values.map((v) => v.outcome));
    expect([...outcomes]).toEqual(['ok', '429 rate limited']);
    // 4 buckets of 500 ms: one ok per bucket = 2 attempts/s.
    const fastOk = s.data.values.filter((v) => v.variant === 'fast' && v.outcome === 'ok');
    expect(fastOk).toEqual([0, 0.5, 1, 1.5].map((startS) => ({ variant: 'fast', outcome: 'ok', order: 0, startS, endS: startS + 0.5, perS: 2 })));
    // Empty intervals are left out: the slow variant's one 429 is in the last bucket.
    const slow429 = s.data.values.filter((v) => v.variant === 'slow' && v.outcome === '429 rate limited');
    expect(slow429.map((v) => [v.startS, v.perS])).toEqual([[1.5, 2]]);
    expect(s.encoding.x!.title).toBe('time since start (s)');
    expect(s.encoding.y!.title).toBe('attempts ending per second (attempts/s)');
    expect(s.encoding.facet!.field).toBe('variant');
  });

  it('rebin merges buckets into at most 40 bars, keeping the rate per second', () => {
    const v = variant('v');
    const n = 100;
    v.series.bucketMs = 100;
    v.series.t = Array.from({ length: n }, (_, i) => i * 100);
    const counts = new Array<number>(n).fill(1);
    const bins = rebin(v, counts);
    expect(bins).toHaveLength(20);
    expect(bins[0]).toEqual({ startS: 0, endS: 0.5, perS: 10 });
    expect(bins.every((b) => b.perS === 10)).toBe(true);
    expect(rebin(variant('w'), [1, 2, 3, 4])).toHaveLength(4);
  });

  it('phases: mean seconds per phase per variant, in the order a request meets them', () => {
    const s = loose(phasesChart(small));
    const fast = s.data.values.filter((v) => v.variant === 'fast');
    expect(fast.map((v) => v.phase)).toEqual(['waiting for a key', 'provider queue', 'connecting', 'service', 'retry backoff']);
    expect(fast.map((v) => v.meanS)).toEqual([0.1, 0, 0.15, 0.55, 0]);
    expect(s.encoding.x!.title).toBe('mean time per request (s)');
  });

  it('admissions: per key per second, stacked bars, empty intervals left out', () => {
    const s = loose(admissionsChart(small));
    const k1 = s.data.values.filter((v) => v.variant === 'fast' && v.key === 'key-1').map((v) => [v.startS, v.perS]);
    expect(k1).toEqual([
      [0, 4],
      [0.5, 2],
    ]);
    expect((s as unknown as { mark: { type: string } }).mark.type).toBe('bar');
    expect(s.encoding.y!.title).toBe('admissions per second (requests/s)');
    expect(s.title.text).toBe('Key admissions over time');
  });

  it('admissions with many keys: a key × time heat map, rate on the colour scale', () => {
    const v = variant('many');
    v.series.admissions = Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`key-${k + 1}`, [k % 2, 0, 1, 0]]));
    const s = loose(admissionsChart(run('r', [v])));
    expect((s as unknown as { mark: { type: string } }).mark.type).toBe('rect');
    expect(s.encoding.y!.title).toBe('API key');
    expect(s.encoding.color!.title).toBe('admissions per second (requests/s)');
    expect(s.data.values.filter((x) => x.key === 'key-2').map((x) => [x.startS, x.perS])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(s.title.subtitle).toContain('20 API keys');
  });

  it('provider share: attempts per provider, normalised; left out with a single provider', () => {
    const s = loose(providerShareChart(small));
    expect(s.data.values.filter((v) => v.variant === 'fast').map((v) => [v.provider, v.attempts])).toEqual([
      ['alpha', 3],
      ['beta', 1],
    ]);
    expect((s.encoding.x as { stack: string }).stack).toBe('normalize');
    expect(s.encoding.x!.title).toBe('share of attempts (%)');
    const one = variant('one');
    delete (one.metrics.providers as Record<string, unknown>).beta;
    expect(providerShareChart(run('r', [one]))).toBeNull();
  });

  it('in flight: the gateway line and one line per provider, per variant', () => {
    const s = loose(inFlightChart(small));
    const fast = s.data.values.filter((v) => v.variant === 'fast');
    expect([...new Set(fast.map((v) => v.where))]).toEqual(['all requests (gateway)', 'at alpha', 'at beta']);
    expect(fast.filter((v) => v.where === 'all requests (gateway)').map((v) => v.inFlight)).toEqual([2, 1.5, 1, 0.25]);
    expect(fast.filter((v) => v.where === 'at alpha').map((v) => v.timeS)).toEqual([0, 0.5, 1, 1.5]);
    expect(s.encoding.y!.title).toBe('in flight (requests)');
  });

  it('health: only when a provider was unhealthy, as the share of each bucket it was healthy', () => {
    expect(healthChart(small)).toBeNull();
    const s = loose(healthChart(r.runs[1]!));
    expect(s.data.values.filter((v) => v.variant === 'slow' && v.provider === 'beta').map((v) => v.healthy)).toEqual([1, 0, 1, 1]);
    expect(s.encoding.y!.title).toBe('time healthy (%)');
  });

  it('limiter cost: the four figures per variant, only figures that are not zero everywhere', () => {
    const s = loose(limiterChart(small));
    expect(s.data.values.filter((v) => v.variant === 'fast').map((v) => [v.figure, v.value])).toEqual([
      ['checks', 10],
      ['wasted checks', 4],
      ['wake-ups', 3],
      ['entries peak (per key)', 2],
    ]);
    expect(s.encoding.y!.title).toBe('count');
    const quiet = variant('q');
    quiet.metrics.limiter = { checks: 5, wastedChecks: 0, wakeups: 0, entriesPeak: 0 };
    expect(loose(limiterChart(run('r', [quiet]))).data.values.map((v) => v.figure)).toEqual(['checks']);
    quiet.metrics.limiter.checks = 0;
    expect(limiterChart(run('r', [quiet]))).toBeNull();
  });

  it('runs: one panel per table metric, values in the table units, a line per variant; none for a single run', () => {
    const s = loose(runsChart(r));
    const mean = s.data.values.filter((v) => v.metric === 'meanLatencyMs');
    expect(mean).toEqual([
      { run: 'small', variant: 'fast', metric: 'meanLatencyMs', value: 0.8 },
      { run: 'small', variant: 'slow', metric: 'meanLatencyMs', value: 1.6 },
      { run: 'large', variant: 'fast', metric: 'meanLatencyMs', value: 0.9 },
      { run: 'large', variant: 'slow', metric: 'meanLatencyMs', value: 2 },
    ]);
    const success = s.data.values.find((v) => v.metric === 'successRate' && v.run === 'small' && v.variant === 'slow');
    expect(success?.value).toBe(75);
    const panel = s.concat!.find((c) => c.title.text === 'mean latency (s)')!;
    expect(panel.encoding.y!.title).toBe('mean latency (s)');
    expect(panel.encoding.x!.title).toBe('run');
    expect(runsChart(results({ runs: [small] }))).toBeNull();
  });

  it('every chart has a plain-words title and unit-bearing axis titles', () => {
    const specs = [...runCharts(r.runs[1]!), runsChart(r)!];
    expect(specs).toHaveLength(9);
    for (const spec of specs) {
      const s = loose(spec);
      expect(s.title.text.length).toBeGreaterThan(5);
      const panels = s.concat ? s.concat.map((c) => c.encoding) : [s.encoding];
      for (const enc of panels) {
        // Measured axes carry a unit; category axes (variant, run, key) name what they list.
        for (const axis of [enc.x!, enc.y!]) {
          if (axis.type === 'quantitative') expect(axis.title, s.title.text).toMatch(axis.title === 'count' ? /^count$/ : withUnit);
          else expect(axis.title === null || ['variant', 'run', 'API key'].includes(axis.title!), s.title.text).toBe(true);
        }
      }
    }
  });
});
