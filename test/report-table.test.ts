import { describe, expect, it } from 'vitest';
import { CATALOGUE_KEYS } from '../src/core/reference-keys.js';
import type { Results, RunResult, VariantResult } from '../src/metrics/results.js';
import { bestVariant, checkFigures, ranked, runAnswer } from '../src/report/answer.js';
import { change, METRICS } from '../src/report/catalogue.js';
import { answerTable, comparison, markdownReport, sweepTable, tablesOf, toText } from '../src/report/table.js';
import { results, run, variant } from './helpers/results.js';

const row = (t: { rows: string[][] }, label: string): string[] | undefined => t.rows.find((r) => r[0] === label);
const labels = (t: { rows: string[][] }): string[] => t.rows.map((r) => r[0]!);

/** A variant whose every request failed: `outcome` is how each of its `n` attempts ended. */
function failing(name: string, outcome: 'serverError' | 'connectFailed' | 'timeout' | 'unavailable', n: number): VariantResult {
  const v = variant(name, { ok: 0 });
  const m = v.metrics;
  m.requests = n;
  m.attempts = n;
  m.ok = 0;
  m.failed = n;
  m.outcomes = { ok: 0, rateLimited: 0, serverError: 0, timeout: 0, connectFailed: 0, gaveUp: 0, unavailable: 0, tooLarge: 0, [outcome]: n };
  m.attemptOutcomes = { ...m.outcomes };
  m.successRate = 0;
  m.throughputPerS = 0;
  m.totalTimeMs = 1200;
  m.latencyMs = { mean: null, min: null, max: null, p50: null, p90: null, p99: null };
  for (const k of ['keyWait', 'providerQueue', 'connect', 'service', 'retryWait'] as const) m.phasesMs[k] = { mean: 0, p50: 0, p99: 0, max: 0 };
  m.connections = { created: 0, reused: 0, reuseRate: null, clientsCreated: 0, clientsReused: 0, clientReuseRate: null };
  m.limiter = { checks: n, wastedChecks: 0, wakeups: 0, entriesPeak: 0 };
  // One provider, which got every attempt.
  m.providers = { alpha: { ...m.providers.alpha!, requests: n, share: 1, ok: 0, failed: n } };
  return v;
}

const single = (r: RunResult): Results => results({ runs: [r], baseline: r.variants[0]!.name, reference: {} });

describe('tables never hide what matters', () => {
  it('every provider failing: success rate, throughput, total time and the 5xx row still show', () => {
    const r = run('all fail', [failing('a', 'serverError', 40), failing('b', 'serverError', 40)]);
    const t = comparison(single(r), r);
    expect(row(t, 'success rate (%)')!.slice(1, 3)).toEqual(['0.0', '0.0']);
    expect(row(t, 'throughput (req/s)')!.slice(1, 3)).toEqual(['0.00', '0.00']);
    expect(row(t, 'total time (s)')!.slice(1, 3)).toEqual(['1.20', '1.20']);
    expect(row(t, 'ok (requests)')!.slice(1, 3)).toEqual(['0', '0']);
    expect(row(t, '5xx responses (attempts)')!.slice(1, 3)).toEqual(['40', '40']);
    expect(labels(t)[0]).toBe('success rate (%)');
    // Nothing got through: the answer names no best option.
    expect(answerTable(single(r))!.rows).toEqual([['all fail', '–', '–', '–', '–', '–', 'no option got a request through']]);
  });

  it('against a dead port: every outcome that happened has its row, beside success rate, throughput and total time', () => {
    const r = run('dead port', [failing('only', 'connectFailed', 40)]);
    const t = comparison(single(r), r);
    expect(labels(t)).toEqual(['success rate (%)', 'throughput (req/s)', 'total time (s)', 'ok (requests)', 'connect failures (attempts)']);
    for (const outcome of ['timeout', 'unavailable'] as const) {
      const x = run('x', [failing('only', outcome, 3)]);
      expect(labels(comparison(single(x), x)), outcome).toContain(outcome === 'timeout' ? 'timeouts (attempts)' : 'no healthy provider (attempts)');
    }
  });

  it('says which rows it left out and why: zero in every variant, or not measured', () => {
    const r = run('dead port', [failing('only', 'connectFailed', 40)]);
    const t = comparison(single(r), r);
    expect(t.remarks).toEqual([
      'left out, zero in every variant: 429 responses, quota violations, 5xx responses, timeouts, no healthy provider, gave up waiting for a key, mean key wait, clients created, clients reused, connections opened',
      'left out, not measured in any variant: requests sent, success rate of sent, mean latency, p50 latency, p99 latency, min latency, max latency, client reuse rate, key checks, key checks finding none, key wake-ups, entries per key (peak)',
      'every variant meets the goal',
    ]);
    // The text and markdown tables carry the same lines.
    expect(toText(t)).toContain('\nleft out, zero in every variant: 429 responses');
    expect(markdownReport(single(r))).toContain('- left out, not measured in any variant: requests sent');
    // Every catalogue row is either shown or named.
    const named = t.remarks.join(', ');
    for (const m of METRICS.filter((x) => !x.tokens)) expect(labels(t).includes(`${m.label} (${m.unit})`) || named.includes(m.label), m.key).toBe(true);
    // A run whose requests have no size has no token rows at all, shown or named.
    for (const m of METRICS.filter((x) => x.tokens)) expect(labels(t).includes(`${m.label} (${m.unit})`) || named.includes(m.label), m.key).toBe(false);
  });

  it('a count or a detection time against a zero or tiny baseline is an absolute difference, not −4659%', () => {
    const time = { key: 'detectedAfterMs.p', label: 'p down: detected after', unit: 's', value: () => null, scale: 1e-3, digits: 2, better: 'lower', absolute: 'time' } as const;
    expect(change(time, 52_500, 1100)?.text).toBe('51.40 s more');
    expect(change(time, 500, 1100)?.text).toBe('+54.5%');
    const checks = METRICS.find((m) => m.key === 'limiterChecks')!;
    expect(change(checks, 714, 0)?.text).toBe('714 more');
    expect(change(checks, 1, 4)?.text).toBe('3 fewer');
    expect(change(checks, 80, 3435)?.text).toBe('+97.7%');
    expect(change(checks, 359, 22)?.text).toBe('337 more');
    // Not a count: throughput stays relative however small the baseline.
    const throughput = METRICS.find((m) => m.key === 'throughputPerS')!;
    expect(change(throughput, 5, 0.1)?.text).toBe('+4900.0%');
    // And the table uses it: a detection time and health checks against a baseline that had none.
    const a = variant('passive');
    const b = variant('active');
    a.metrics.providers.beta!.faults = [{ kind: 'down', atMs: 0, forMs: 1000, detectedAfterMs: 1100, restoredAfterMs: 2900 }];
    b.metrics.providers.beta!.faults = [{ kind: 'down', atMs: 0, forMs: 1000, detectedAfterMs: 52_500, restoredAfterMs: 2600 }];
    b.metrics.providers.beta!.checks = 9;
    const r = run('faults', [a, b]);
    const t = comparison(single(r), r);
    expect(row(t, 'beta down: detected after (s)')).toEqual(['beta down: detected after (s)', '1.10', '52.50', '51.40 s more']);
    expect(row(t, 'beta back: in use again after (s)')).toEqual(['beta back: in use again after (s)', '2.90', '2.60', '+10.3%']);
    expect(row(t, 'health checks sent (count)')).toEqual(['health checks sent (count)', '0', '9', '9 more']);
  });

  it('after --seed or --set the published figures are left out, with the reason, and never compared', () => {
    const changed = results({ changed: ['--seed 3', '--set keys.count=8'] });
    const t = comparison(changed, changed.runs[0]!);
    expect(t.header.some((h) => h.includes('published'))).toBe(false);
    expect(t.notes).toEqual([]);
    expect(t.remarks[0]).toBe('published figures left out: they describe the scenario as written, and this run changed it (--seed 3 --set keys.count=8)');
    expect(checkFigures(changed)).toEqual([]);
    expect(answerTable(changed)!.remarks).toContain('Published figures not compared: they describe the scenario as written, and this run changed it (--seed 3 --set keys.count=8).');
    // As written, the same results show them.
    const asWritten = comparison(results(), results().runs[0]!);
    expect(asWritten.header).toContain('fast (published)');
    expect(asWritten.notes).toHaveLength(1);
  });
});

describe('the answer', () => {
  it('of the options meeting the goal, the most requests succeeding (within 1 pp), then the highest goodput: failing fast does not win', () => {
    const steady = variant('steady', { ok: 60 });
    steady.metrics.successRate = 1;
    steady.metrics.throughputPerS = 0.3;
    const fast = variant('fails fast', { ok: 15, rateLimited: 45 });
    fast.metrics.successRate = 0.25;
    fast.metrics.throughputPerS = 0.37;
    const near = variant('near', { ok: 59 });
    near.metrics.successRate = 0.995;
    near.metrics.throughputPerS = 0.31;
    const r = run('batch', [steady, fast, near]);
    expect(ranked(r).map((v) => v.name)).toEqual(['near', 'steady', 'fails fast']);
    const a = runAnswer(r);
    expect(a.winner?.name).toBe('near');
    expect(a.margin).toBe('+3.3% goodput over steady');
    // The runner-up drew 429s: it misses the default goal, and the margin says by how much.
    expect(runAnswer(run('x', [steady, fast])).margin).toBe('meets the goal; fails fast misses 429s 75%');
    // Under a goal without constraints the runner-up is behind on success rate: the margin says so.
    expect(runAnswer(run('x', [steady, fast]), { maximise: 'throughput', constraints: [] }).margin).toBe('+75.0 pp success rate over fails fast');
  });

  it('a condition (such as "no rate limit") is compared but never the best, in the answer and in the sweep summary', () => {
    const pick = variant('multi-process', { ok: 4 });
    const cond = Object.assign(variant('no rate limit', { ok: 8 }), { condition: true as const });
    const r = run('workload.concurrency=20', [pick, cond]);
    expect(bestVariant(r)?.name).toBe('multi-process');
    expect(runAnswer(r).margin).toBe('the only option');
    expect(bestVariant(run('x', [cond]))).toBeNull();
    const sweep = results({ runs: [{ ...r, point: { 'workload.concurrency': 20 } }], sweep: { fields: ['workload.concurrency'], dimensions: 1 }, baseline: 'multi-process', reference: {} });
    const t = sweepTable(sweep);
    expect(t.rows[0]![t.header.indexOf('best')]).toBe('multi-process');
    expect(t.header).toContain('no rate limit [condition]: goodput (req/s)');
    expect(t.header).toContain('no rate limit [condition]: 429s (%)');
    expect(t.remarks).toEqual(['✓ meets the goal, ✗ does not; goal: maximise goodput subject to 429s = 0%, quota violations = 0', 'never the best (conditions, not options): no rate limit']);
  });

  it('comes first: per run the best option, its figures and its margin; then how many published figures it reproduces', () => {
    const r = results();
    const [first, ...rest] = tablesOf(r);
    expect(first!.title).toBe('The answer: the best option of each run, by the goal (maximise goodput subject to 429s = 0%, quota violations = 0): options that meet it first, then the closest');
    expect(first!.header).toEqual(['run', 'best', 'meets the goal', 'goodput (req/s)', '429s (%)', 'success rate (%)', 'by how much']);
    expect(first!.rows).toEqual([
      ['small', 'fast', 'yes', '2.00', '0.0', '100.0', 'meets the goal; slow misses 429s 25%'],
      ['large', 'fast', 'yes', '4.00', '0.0', '100.0', 'meets the goal; slow misses 429s 37.5%'],
    ]);
    expect(rest.map((t) => t.title)).toEqual(['small', 'large']);
    // fast's 0.8 s against a published 0.7 s is off by more than 10%, and faster than slow where
    // the document had it slower; slow's 1.6 s against 0.6 s is off.
    expect(first!.remarks[0]).toBe(
      '2 of 4 published figures reproduced, 1 contradicted, 1 off by more than the tolerance. Reproduced: within 10% of the published value (rates: 5 percentage points) and, against the baseline, changing the same way.',
    );
    expect(first!.remarks.slice(1)).toEqual([
      '  contradicted: mean latency, fast: published 0.700 s, simulated 0.800 s; against slow it goes the other way',
      '  off: mean latency, slow: published 0.600 s, simulated 1.600 s',
    ]);
    expect(markdownReport(r).indexOf('### The answer')).toBeLessThan(markdownReport(r).indexOf('### small'));
  });

  it('a published figure is reproduced within 10% (rates: 5 pp) and the same direction against the baseline', () => {
    const r = results({
      reference: {
        small: {
          fast: { successRate: 0.96, throughputPerS: 2.15, meanLatencyMs: 500 },
          slow: { successRate: 0.69, throughputPerS: 1.2, meanLatencyMs: 1700 },
        },
      },
    });
    const verdicts = checkFigures(r).map((c) => [c.variant, c.row.key, c.verdict]);
    expect(verdicts).toEqual([
      ['fast', 'successRate', 'reproduced'], // 100% vs 96%: 4 pp
      ['fast', 'meanLatencyMs', 'off'], // 0.8 s vs 0.5 s, faster than slow as published
      ['fast', 'throughputPerS', 'reproduced'], // 2.00 vs 2.15: 7%
      ['slow', 'successRate', 'off'], // 75% vs 69%: 6 pp
      ['slow', 'meanLatencyMs', 'reproduced'], // 1.6 s vs 1.7 s
      ['slow', 'throughputPerS', 'off'], // 1.50 vs 1.20: 25%
    ]);
  });

  it('a sweep: which option is best at how many points, points on a numeric axis as ranges', () => {
    const point = (c: number, winner: 'a' | 'b'): RunResult => ({
      name: `workload.concurrency=${c}`,
      point: { 'workload.concurrency': c },
      variants: [variant('a', { ok: winner === 'a' ? 8 : 4 }), variant('b', { ok: winner === 'b' ? 8 : 4 })],
    });
    const r = results({ runs: [point(1, 'a'), point(2, 'a'), point(3, 'b'), point(4, 'a'), point(5, 'a')], sweep: { fields: ['workload.concurrency'], dimensions: 1 }, baseline: 'a', reference: {} });
    expect(answerTable(r)!.rows).toEqual([
      ['a', '4 of 5', '4 of 4', 'workload.concurrency = 1–2, 4–5'],
      ['b', '1 of 5', '1 of 1', 'workload.concurrency = 3'],
    ]);
  });
});

describe('reference keys', () => {
  it("the loader's list of catalogue keys is the catalogue's, row for row", () => {
    expect([...CATALOGUE_KEYS]).toEqual(METRICS.map((m) => m.key));
  });
});

/** `v` with request sizes: tokens, timings of streamed answers (or none), and the 429s by quota. */
function sized(v: VariantResult, o: { prompt: number; output: number; streamed?: boolean; byTokens?: number; unused?: number }): VariantResult {
  const m = v.metrics;
  const seconds = m.totalTimeMs! / 1000;
  const t = (x: number | null) => ({ mean: x, p50: x, p90: x, p99: x === null ? null : x * 2 });
  m.tokens = { prompt: o.prompt, output: o.output, reservedUnused: o.unused ?? 0, perS: { prompt: o.prompt / seconds, output: o.output / seconds, total: (o.prompt + o.output) / seconds } };
  const streamed = o.streamed ?? true;
  m.ttftMs = t(streamed ? 300 : null);
  m.tpotMs = t(streamed ? 20 : null);
  m.itlMs = t(streamed ? 20 : null);
  m.rateLimitedBy = { requests: 0, tokens: o.byTokens ?? 0, concurrent: 0 };
  return v;
}

describe('token rows', () => {
  it('a run with sizes shows tokens, tokens/s, TTFT, TPOT and ITL with units, and 429s by quota only where they happened', () => {
    const a = sized(variant('reserve', { ok: 4 }), { prompt: 4000, output: 1000, unused: 300 });
    const b = sized(variant('requests only', { ok: 3, rateLimited: 1 }), { prompt: 3000, output: 600, byTokens: 1 });
    const r = run('x', [b, a]);
    const t = comparison(single(r), r);
    // totalTimeMs is 2 s: tokens/s are the counts over 2 s.
    expect(row(t, 'prompt tokens (tokens)')!.slice(1, 3)).toEqual(['3000', '4000']);
    expect(row(t, 'output tokens (tokens)')!.slice(1, 3)).toEqual(['600', '1000']);
    expect(row(t, 'output tokens/s (tokens/s)')!.slice(1, 3)).toEqual(['300.0', '500.0']);
    expect(row(t, 'total tokens/s (tokens/s)')!.slice(1, 4)).toEqual(['1800.0', '2500.0', '+38.9%']);
    expect(row(t, 'reserved, not used (tokens)')!.slice(1, 3)).toEqual(['0', '300']);
    expect(row(t, 'p50 time to first token (ms)')!.slice(1, 3)).toEqual(['300.0', '300.0']);
    expect(row(t, 'p99 time to first token (ms)')!.slice(1, 3)).toEqual(['600.0', '600.0']);
    expect(row(t, 'p50 time per output token (ms)')!.slice(1, 3)).toEqual(['20.00', '20.00']);
    expect(row(t, 'p99 inter-token latency (ms)')!.slice(1, 3)).toEqual(['40.00', '40.00']);
    // The 429 came from the tokens quota: that row shows; the requests and concurrent quotas gave none.
    expect(row(t, '429s from the tokens quota (attempts)')!.slice(1, 3)).toEqual(['1', '0']);
    expect(labels(t)).not.toContain('429s from the requests quota (attempts)');
    expect(t.remarks.join(' ')).toContain('429s from the requests quota, 429s from the concurrent quota');
    // Every row carries its unit.
    for (const l of labels(t)) expect(l).toMatch(/\([^)]+\)$/);
  });

  it('answers that did not stream leave the timing rows out, named as not measured', () => {
    const r = run('x', [sized(variant('a', { ok: 4 }), { prompt: 10, output: 10, streamed: false }), sized(variant('b', { ok: 4 }), { prompt: 10, output: 10, streamed: false })]);
    const t = comparison(single(r), r);
    expect(labels(t)).not.toContain('p50 time to first token (ms)');
    expect(t.remarks.find((x) => x.startsWith('left out, not measured'))).toContain('mean time to first token, p50 time to first token, p99 time to first token, p50 time per output token, mean inter-token latency');
    expect(labels(t)).toContain('output tokens/s (tokens/s)');
  });

  it('published token figures are checked like any other row', () => {
    const a = sized(variant('a', { ok: 4 }), { prompt: 4000, output: 1000 });
    const r = run('x', [a]);
    const res = results({ runs: [r], baseline: 'a', reference: { x: { a: { outputTokensPerS: 480, itlP50Ms: 30 } } } });
    const checks = checkFigures(res);
    expect(checks.map((c) => [c.row.key, c.verdict])).toEqual([
      ['outputTokensPerS', 'reproduced'],
      ['itlP50Ms', 'off'],
    ]);
  });
});

describe('a serving sweep', () => {
  /** A sweep over concurrency of one option, with these output tokens/s and TTFT p50 per point. */
  function serving(points: [number, number, number][]): Results {
    const runs = points.map(([c, out, ttft]) => {
      const v = sized(variant('default', { ok: 4 }), { prompt: 1000, output: 2 * out });
      v.metrics.ttftMs = { mean: ttft, p50: ttft, p90: ttft, p99: ttft };
      return { ...run(`workload.concurrency=${c}`, [v]), point: { 'workload.concurrency': c } };
    });
    return results({ runs, baseline: 'default', reference: {}, sweep: { fields: ['workload.concurrency'], dimensions: 1 } });
  }

  it('answers where to run: the smallest concurrency within 5% of the most output tokens/s, the point before, and the peak', () => {
    const res = serving([
      [1, 50, 400],
      [10, 400, 500],
      [50, 900, 800],
      [100, 960, 6000],
      [200, 1000, 60000],
    ]);
    const t = answerTable(res)!;
    expect(t.title).toContain('where to run');
    expect(t.header.slice(0, 3)).toEqual(['', 'workload.concurrency', 'output tokens/s']);
    expect(t.rows).toEqual([
      ['run here', '100', '960.0', '96.0', '6000.0', '20.0'],
      ['one step less', '50', '900.0', '90.0', '800.0', '20.0'],
      ['the most output tokens/s', '200', '1000.0', '100.0', '60000.0', '20.0'],
    ]);
    // The peak itself at the first point within 5%: no "most" row of its own.
    const flat = answerTable(serving([[1, 100, 1], [2, 1000, 2], [3, 990, 3]]))!;
    expect(flat.rows.map((x) => x[0])).toEqual(['run here', 'one step less']);
  });

  it('a sweep of two options is still answered by the best option at each point', () => {
    const res = serving([[1, 50, 400], [10, 400, 500]]);
    for (const r of res.runs) r.variants.push(sized(variant('other', { ok: 2 }), { prompt: 1, output: 1 }));
    expect(answerTable(res)!.title).toContain('the best option at each point');
  });

  it("the sweep's summary gives each variant's output tokens/s beside its requests/s", () => {
    const t = sweepTable(serving([[1, 50, 400], [10, 400, 500]]));
    expect(t.header).toContain('default (output tokens/s)');
    expect(t.rows.map((r) => r[t.header.indexOf('default (output tokens/s)')])).toEqual(['50.0', '400.0']);
  });
});
