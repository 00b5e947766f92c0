import { describe, expect, it } from 'vitest';
import type { Results, VariantResult } from '../src/metrics/results.js';
import { gatesim, gatesimServe, loopDelayProbe, tmp } from './helpers/cli.js';
import { schemaErrors } from './helpers/schema.js';

/**
 * The adaptive study for real: scenarios/adaptive.yaml itself, its oracle and its `headers`
 * variant, against one `gatesim serve` of the same file on loopback. The server's quota steps
 * (600 → 200 → 600/min) and its other tenant sends on the server's clock, which the reset before
 * the first variant starts with the run; the client learns only from serve's x-ratelimit headers.
 */
describe('adaptive.yaml in real mode against gatesim serve agrees with the simulation', () => {
  const FILE = 'scenarios/adaptive.yaml';
  const SCALE = 0.05;
  const KEY = 'sk-live-ADAPTIVE-alpha-4242';
  const TOKEN = 'adaptive-reset-token-0123456789';
  const only = ['--only', 'oracle', '--only', 'headers'];

  it('oracle and headers: throughput within 10%, headers at the oracle\'s throughput, converging after each change, few 429s', async () => {
    const out = tmp('gatesim-real-adaptive-');
    const sim = JSON.parse((await gatesim([FILE, ...only, '--out', out, '--format', 'json', '-q'])).stdout) as Results;
    const serveDelay = loopDelayProbe();
    const clientDelay = loopDelayProbe();
    const own = await gatesimServe([FILE, '--port', '0', '--time-scale', String(SCALE)], { env: { GATESIM_RESET_TOKEN: TOKEN, ...serveDelay.env }, node: serveDelay.node });
    let real: Results;
    try {
      const run = await gatesim(
        [FILE, ...only, '--mode', 'real', '--time-scale', String(SCALE), '--set', 'keys.env=GATESIM_KEYS', '--set', `providers.0.url=${own.url}/v1`, '--out', out, '--format', 'json'],
        { env: { GATESIM_KEYS: KEY, GATESIM_RESET_TOKEN: TOKEN, ...clientDelay.env }, node: clientDelay.node },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.includes(KEY) || run.stderr.includes(KEY)).toBe(false);
      // Both variants met a fresh server: the first one too, so the quota's steps happen at 2 and 5 min of each.
      expect(run.stderr).toContain(`before default / oracle: reset gatesim serve at ${own.url}`);
      real = JSON.parse(run.stdout) as Results;
    } finally {
      await own.stop();
    }
    expect(schemaErrors(real)).toBe('');
    const pick = (r: Results, name: string): VariantResult => r.runs[0]!.variants.find((v) => v.name === name)!;
    const [so, ro, sh, rh] = [pick(sim, 'oracle'), pick(real, 'oracle'), pick(sim, 'headers'), pick(real, 'headers')];
    const [c, v] = [clientDelay.read(), serveDelay.read()];
    const share = (x: VariantResult): number => x.metrics.attemptOutcomes.rateLimited / Math.max(1, x.metrics.attempts);
    console.error(
      `adaptive at ${SCALE}: oracle ${so.metrics.throughputPerS} sim / ${ro.metrics.throughputPerS} real req/s; headers ${sh.metrics.throughputPerS} / ${rh.metrics.throughputPerS} req/s, ` +
        `share of the oracle ${sh.metrics.oracleShare} / ${rh.metrics.oracleShare}, 429s ${sh.metrics.attemptOutcomes.rateLimited} / ${rh.metrics.attemptOutcomes.rateLimited} ` +
        `(${(100 * share(sh)).toFixed(2)}% / ${(100 * share(rh)).toFixed(2)}% of attempts), converged after ${sh.metrics.adaptive!.changes.map((x) => x.convergedAfterMs)} / ` +
        `${rh.metrics.adaptive!.changes.map((x) => x.convergedAfterMs?.toFixed(0))} ms; loop delay p99 client ${c.p99Ms.toFixed(1)} ms, serve ${v.p99Ms.toFixed(1)} ms (wall)`,
    );
    // The truth is the model's on both sides: the same quota, stepping at the same times of the run
    // (bucket by bucket over the buckets both runs fill; a real run may end a bucket later, and the
    // last bucket of each is partial).
    const [st, rt] = [sh.series.adaptive!.truePerMin, rh.series.adaptive!.truePerMin];
    expect(rh.series.bucketMs).toBe(sh.series.bucketMs);
    expect(Math.abs(rt.length - st.length)).toBeLessThanOrEqual(1);
    const both = Math.min(st.length, rt.length) - 1;
    expect(rt.slice(0, both)).toEqual(st.slice(0, both));
    for (const [s, r] of [[so, ro], [sh, rh]] as const) {
      const d = r.metrics.throughputPerS! / s.metrics.throughputPerS! - 1;
      expect(Math.abs(d), `${s.name} throughput ${s.metrics.throughputPerS} sim / ${r.metrics.throughputPerS} real`).toBeLessThan(0.1);
    }
    // headers learns the quota from serve's headers alone: the oracle's throughput within 5% …
    expect(rh.metrics.oracleShare!).toBeGreaterThan(0.95);
    // … finds each new rate within a window of the change, as in simulation …
    for (const ch of rh.metrics.adaptive!.changes) expect(ch.convergedAfterMs, `after the change at ${ch.atMs} ms`).not.toBeNull();
    for (const ch of rh.metrics.adaptive!.changes) expect(ch.convergedAfterMs!).toBeLessThan(60_000);
    // … and collects few 429s. At this scale a stall of 10 ms of wall time is 200 ms of the run,
    // so a few requests land together that the simulation spaces: under 5% of attempts (sim: under 1%).
    expect(share(sh)).toBeLessThan(0.01);
    expect(share(rh)).toBeLessThan(0.05);
    // The oracle, told the truth, stays under it on both sides.
    expect(share(ro)).toBeLessThan(0.01);
  }, 180_000);
});
