import { describe, expect, it } from 'vitest';
import type { VariantMetrics } from '../../src/metrics/results.js';
import { runPlan } from '../../src/run.js';
import { loadScenario } from '../../src/scenario/load.js';

/** scenarios/limiter-comparison.yaml: the claims its comments make, checked on its results. */
describe('scenarios/limiter-comparison.yaml', () => {
  const results = runPlan(loadScenario('scenarios/limiter-comparison.yaml'));
  const run = (prefix: string) => {
    const r = results.runs.find((x) => x.name.startsWith(prefix));
    if (!r) throw new Error(`no run ${prefix}`);
    return (variant: string): VariantMetrics => r.variants.find((v) => v.name === variant)!.metrics;
  };
  const sent = (m: VariantMetrics): number => m.requests - m.outcomes.gaveUp;

  it('reproduces Queue vs Bucket: 201 vs 450 sent in 30 s (published 200 vs 449), all succeeding', () => {
    const m = run('published test');
    expect(sent(m('queue'))).toBe(201);
    expect(sent(m('bucket'))).toBe(450);
    expect(m('queue').ok).toBe(201);
    expect(m('bucket').ok).toBe(450);
    expect(m('queue').throughputPerS).toBeCloseTo(6.67, 1);
    expect(m('bucket').throughputPerS).toBeCloseTo(14.97, 1);
  });

  it('against an exact 3/min provider the published counter earns its extra requests with 429s', () => {
    const m = run('provider enforcing');
    // One 429 per key (67 keys): each over-admits once, and the 429 cools its key until the provider's window has room.
    expect(m('bucket').attemptOutcomes.rateLimited).toBe(67);
    expect(m('bucket').ok).toBe(201);
    for (const v of ['queue', 'bucket-window', 'uniform-interval']) expect(m(v).attemptOutcomes.rateLimited).toBe(0);
    for (const v of ['token-bucket', 'gcra']) expect(m(v).attemptOutcomes.rateLimited).toBe(67);
  });

  it('notify wakes an order of magnitude less than polling, and finds a key more often', () => {
    const notify = run('batch, 5 keys, notify')('queue').limiter;
    const poll = run('batch, 5 keys, polling')('queue').limiter;
    expect(notify.wakeups).toBeLessThan(poll.wakeups / 10);
    expect(notify.wastedChecks).toBeLessThan(poll.wastedChecks / 10);
  });

  it('uniform-interval keeps the limit but takes longest; exact limiters send no 429', () => {
    const m = run('batch, 5 keys, notify');
    expect(m('uniform-interval').attemptOutcomes.rateLimited).toBe(0);
    expect(m('queue').attemptOutcomes.rateLimited).toBe(0);
    expect(m('uniform-interval').totalTimeMs!).toBeGreaterThan(m('queue').totalTimeMs!);
    expect(m('bucket-window').attemptOutcomes.rateLimited).toBeGreaterThan(0);
  });

  it('entries per key: the deque holds fewer than the buckets at 3/min, 95% more at 140/min', () => {
    const small = run('published test');
    expect(small('queue').limiter.entriesPeak).toBe(3);
    expect(small('bucket-window').limiter.entriesPeak).toBe(7);
    const large = run('memory at 140/min');
    expect(large('queue').limiter.entriesPeak).toBe(140);
    expect(large('bucket-window').limiter.entriesPeak).toBe(7);
    expect(large('uniform-interval').attemptOutcomes.rateLimited).toBe(0);
  });
});
