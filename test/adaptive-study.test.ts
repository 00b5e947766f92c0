/**
 * scenarios/adaptive.yaml's goals (issue 15), computed from its results.json. Where a goal is not
 * met the test asserts what is achieved, with the figure the README and the file's notes quote, so
 * a change that moves it fails here.
 */
import { describe, expect, it } from 'vitest';
import type { VariantResult } from '../src/metrics/results.js';
import { runPlan } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';

const results = runPlan(loadScenario('scenarios/adaptive.yaml'));
const variants = results.runs[0]!.variants;
const byName = (name: string): VariantResult => variants.find((v) => v.name === name)!;
const provider429Share = (v: VariantResult): number => Object.values(v.metrics.providers).reduce((a, p) => a + p.rateLimited, 0) / v.metrics.attempts;
const learning = ['aimd', 'gradient', 'sre-throttle', 'headers'];
const windowMs = byName('oracle').metrics.adaptive!.windowMs;

describe('adaptive.yaml', () => {
  it('the oracle is told the truth: it believes the true rate throughout and gets no 429', () => {
    const o = byName('oracle');
    expect(o.oracle).toBe(true);
    expect(o.series.adaptive!.believedPerMin).toEqual(o.series.adaptive!.truePerMin);
    expect(o.metrics.attemptOutcomes.rateLimited).toBe(0);
    // 540, 140, 540 per minute: the quota (600, 200, 600) less the other tenant's 60.
    expect(o.metrics.adaptive!.changes.map((c) => [c.atMs, c.truePerMin])).toEqual([[0, 540], [120_000, 140], [300_000, 540]]);
  });

  it('met: headers gets within 2% of the oracle’s throughput with under 1% 429s', () => {
    const h = byName('headers');
    expect(Math.abs(h.metrics.oracleShare! - 1)).toBeLessThanOrEqual(0.02);
    expect(provider429Share(h)).toBeLessThan(0.01);
  });

  it('not met: aimd is back within 10% of the true rate within 3 windows only after the last change', () => {
    const changes = byName('aimd').metrics.adaptive!.changes;
    // After the step back to 540/min: within 10% 77 s later, inside 3 windows.
    expect(changes[2]!.convergedAfterMs).not.toBeNull();
    expect(changes[2]!.convergedAfterMs!).toBeLessThanOrEqual(3 * windowMs);
    // From the start and after the drop to 140/min its sawtooth never stays within 10% for a window.
    expect(changes[0]!.convergedAfterMs).toBeNull();
    expect(changes[1]!.convergedAfterMs).toBeNull();
  });

  it('not met for all: only headers never believes above the true rate for longer than a window', () => {
    const above = Object.fromEntries(learning.map((n) => [n, byName(n).metrics.adaptive!.longestAboveMs!]));
    expect(above.headers).toBeLessThanOrEqual(windowMs);
    // aimd ~3 min (its +10/min steps overshoot 140/min), sre-throttle ~4 min (K = 2 lets twice the accepts through),
    // gradient the whole run (a quota does not move latency).
    for (const n of ['aimd', 'sre-throttle', 'gradient']) expect(above[n], n).toBeGreaterThan(windowMs);
    expect(above.aimd).toBeLessThan(4 * windowMs);
  });

  it('the fixed limits show the cost of a wrong number: too high collects 429s, too low wastes the quota', () => {
    expect(provider429Share(byName('fixed too high'))).toBeGreaterThan(0.5);
    expect(byName('fixed too low').metrics.oracleShare!).toBeLessThan(0.35);
    expect(byName('fixed too low').metrics.attemptOutcomes.rateLimited).toBe(0);
  });

  it('sre-throttle’s local rejections are counted apart from the provider’s 429s', () => {
    const m = byName('sre-throttle').metrics;
    expect(m.adaptive!.localRejects!).toBeGreaterThan(0);
    expect(m.attemptOutcomes.rateLimited).toBe(m.adaptive!.localRejects! + m.providers.org!.rateLimited);
  });
});
