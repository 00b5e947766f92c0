import { describe, expect, it } from 'vitest';
import type { VariantResult } from '../src/metrics/results.js';
import { DEFAULT_GOAL, parseGoal } from '../src/metrics/goal.js';
import { bestVariant, dominates, ranked, runAnswer } from '../src/report/answer.js';
import { answerTable, comparison } from '../src/report/table.js';
import { results, run, variant } from './helpers/results.js';

/** A variant of 100 requests with `ok` successes, `limited` 429s among its attempts and `over` quota violations. */
function option(name: string, o: { ok: number; limited?: number; over?: number; throughput?: number; p99?: number }): VariantResult {
  const v = variant(name, { ok: o.ok, rateLimited: o.limited ?? 0 });
  const m = v.metrics;
  m.requests = 100;
  m.attempts = o.ok + (o.limited ?? 0) + (100 - o.ok - (o.limited ?? 0) > 0 ? 100 - o.ok - (o.limited ?? 0) : 0);
  m.successRate = o.ok / 100;
  m.throughputPerS = o.throughput ?? o.ok / 10;
  m.goodputPerS = m.throughputPerS;
  m.sloAttainment = m.successRate;
  m.quotaViolations = o.over ?? 0;
  if (o.p99 !== undefined) m.latencyMs.p99 = o.p99;
  return v;
}

describe('the verdict by the goal', () => {
  it('never crowns the option that gets the most through by over-admitting (the published bucket counter)', () => {
    // bucket: every request through, faster, but 249 admissions beyond its keys' limits; queue: fewer, none over.
    const queue = option('queue', { ok: 45, throughput: 6.7 });
    const bucket = option('bucket', { ok: 100, throughput: 15, over: 55 });
    const r = run('published test', [bucket, queue]);
    expect(bestVariant(r)?.name).toBe('queue');
    const a = runAnswer(r);
    expect(a.check?.met).toBe(true);
    expect(a.margin).toBe('meets the goal; bucket misses quota violations 55');
    // The old rule (most successes, then throughput) would have crowned it; a goal without constraints still does.
    expect(bestVariant(r, parseGoal('maximise throughput'))?.name).toBe('bucket');
  });

  it('an option with as many successes and more 429s or over-admissions is never the answer, whatever the objective', () => {
    // Same successes; noisy is faster but draws 429s: even "maximise throughput" (no constraint) ranks it below.
    const quiet = option('quiet', { ok: 90, throughput: 1.0 });
    const noisy = option('noisy', { ok: 90, limited: 30, throughput: 1.4 });
    const over = option('over', { ok: 90, over: 3, throughput: 1.2 });
    const goal = parseGoal('maximise throughput');
    // quiet goes above both; noisy and over are each worse on one count only, so throughput orders them.
    expect(ranked(run('r', [noisy, over, quiet]), goal).map((v) => v.name)).toEqual(['quiet', 'noisy', 'over']);
    expect(runAnswer(run('r', [noisy, quiet]), goal).margin).toBe('as many successes as noisy with 30 fewer 429s');
    expect(dominates(quiet.metrics, noisy.metrics)).toBe(true);
    expect(dominates(noisy.metrics, quiet.metrics)).toBe(false);
    // Many more successes are not "the same successes": then the objective decides.
    const more = option('more', { ok: 99, limited: 30, throughput: 1.4 });
    expect(dominates(quiet.metrics, more.metrics)).toBe(false);
    expect(bestVariant(run('r', [quiet, more]), goal)?.name).toBe('more');
  });

  it('when no option meets the goal it says so and names the closest, with the constraint it missed and by how much', () => {
    // Every option draws 429s (a learning limiter learns from them); the fewest is the closest.
    const aimd = option('aimd', { ok: 43, limited: 8 });
    const gradient = option('gradient', { ok: 47, limited: 53 });
    const r = run('default', [gradient, aimd]);
    const a = runAnswer(r);
    expect(a.winner?.name).toBe('aimd');
    expect(a.check?.met).toBe(false);
    expect(a.margin).toBe('no option meets the goal; the closest misses 429s 8%');
    const t = answerTable(results({ runs: [r], baseline: 'aimd', reference: {} }))!;
    expect(t.rows[0]!.slice(0, 3)).toEqual(['default', 'aimd', 'no']);
  });

  it('a goal on latency: the fastest-finishing option that misses the bound loses to one that meets it', () => {
    const goal = parseGoal('maximise goodput subject to p99 latency <= 2s, 429s = 0');
    const quick = option('quick', { ok: 100, throughput: 3, p99: 2500 });
    const steady = option('steady', { ok: 100, throughput: 2, p99: 1800 });
    const a = runAnswer(run('r', [quick, steady]), goal);
    expect(a.winner?.name).toBe('steady');
    expect(a.margin).toBe('meets the goal; quick misses p99 latency 2.5s (off by 500ms)');
  });

  it('with SLOs, goodput ranks by the requests that met them: a faster option that misses its SLOs loses', () => {
    const fast = option('fast', { ok: 100, throughput: 3 });
    fast.metrics.sloAttainment = 0.6;
    fast.metrics.goodputPerS = 1.8;
    const steady = option('steady', { ok: 100, throughput: 2 });
    steady.metrics.sloAttainment = 0.98;
    steady.metrics.goodputPerS = 1.96;
    const a = runAnswer(run('r', [fast, steady]));
    expect(a.winner?.name).toBe('steady');
    expect(a.margin).toBe('+38.0 pp SLO attainment over fast');
    // Maximising throughput instead, the same two read the other way.
    expect(runAnswer(run('r', [fast, steady]), parseGoal('maximise throughput subject to 429s = 0')).winner?.name).toBe('fast');
  });

  it("each option's table says whether it met the goal and what it missed, under the results' goal", () => {
    const ok = option('ok', { ok: 80 });
    const bad = option('bad', { ok: 90, limited: 10, over: 2 });
    const res = results({ runs: [run('r', [ok, bad])], baseline: 'ok', reference: {}, goal: { text: 'x', ...DEFAULT_GOAL } });
    const t = comparison(res, res.runs[0]!);
    expect(t.remarks).toContain('goal met by ok; not met by bad: 429s 10%, quota violations 2');
    // With a bound above zero the miss is said apart from the value.
    const slow = results({ runs: [run('r', [ok, bad])], baseline: 'ok', reference: {}, goal: { text: 'x', ...parseGoal('p99 latency <= 1.5s, 429s <= 5%') } });
    expect(comparison(slow, slow.runs[0]!).remarks).toContain('goal not met by ok: p99 latency 2s (off by 500ms); bad: p99 latency 2s (off by 500ms), 429s 10% (off by 5 pp)');
    // Under another goal, the same results read otherwise.
    const lax = results({ runs: [run('r', [ok, bad])], baseline: 'ok', reference: {}, goal: { text: 'maximise success', maximise: 'successRate', constraints: [] } });
    expect(bestVariant(lax.runs[0]!, lax.goal)?.name).toBe('bad');
    expect(answerTable(lax)!.rows[0]![1]).toBe('bad');
  });
});
