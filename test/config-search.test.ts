import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGoal, describeGoal } from '../src/metrics/goal.js';
import type { ConfigSearchResults } from '../src/report/config-search-page.js';
import { configFrontierChart, configSearchHtml } from '../src/report/config-search-page.js';
import { runConfigSearch, rungRequests } from '../src/study/config-search.js';
import type { Dimension } from '../src/study/space.js';
import { gatesim } from './helpers/cli.js';

/**
 * A search whose optimum is known by construction: limiter × keys × balancer, 3 × 4 × 2 = 24
 * configurations, one provably best.
 *
 * The world: 200 workers (a closed model, always more waiting than the keys admit), 900 requests,
 * every request takes exactly 1 s. Each key is limited on the client to R = 60/min. Two providers:
 * `good`, whose only quota is one for the whole organisation (scope: all) of Q = 120/min, exact
 * (sliding-log); and `broken`, which fails every request (failure 100%, no retries). The goal:
 * maximise goodput subject to 429s = 0 and success ≥ 99%.
 *
 * - Balancer. round-robin sends every second request to `broken`: success is 50%, the goal fails
 *   whatever else is chosen. `availability` picks the provider with the lowest failure average,
 *   ties to the first: `good` starts at 0 and, never failing, stays there: it never sends to
 *   `broken`. So availability, always.
 * - Keys with sliding-log. The client admits R per key per minute, in a batch as soon as the window
 *   allows (the workers are always waiting): K keys admit K·R at t = 0, 60 s, …; the provider counts
 *   the same window the same way. K = 3 or 4 admits 180 or 240 at once > Q: 429s. K = 1 admits 60
 *   a minute: 900 requests end at 14·60 + 1 = 841 s, goodput 1.07/s. K = 2 admits exactly Q: 120
 *   at 0, 60, …, 420 s and the last 60 at 420 s, ending at 421 s: goodput 900/421 = 2.138/s.
 * - uniform-interval spaces a key's admissions 1 s apart (60 000 ms / 60, exact in binary): K keys
 *   admit K a second. K ≥ 3 exceeds Q = 2/s: 429s. K = 2: 450 per key, the last at 449 s, ending
 *   at 450 s: 2.0/s. K = 1: 1.0/s.
 * - token-bucket (burst = the limit's count, 60) admits 60 per key at once, then one a second: with
 *   K ≥ 2 that is 120 at once and 2K−… more within the same minute > Q: 429s. K = 1: 60 at 0, then
 *   one a second to 840 s: 1.07/s.
 *
 * Every feasible configuration: sliding-log K=2 (2.138/s), uniform-interval K=2 (2.0/s), sliding-log
 * K=1 and token-bucket K=1 (1.07/s), uniform-interval K=1 (1.0/s), all with availability. The best,
 * by more than the 1% tolerance: sliding-log, 2 keys, availability. Nothing here is random, so every
 * seed agrees.
 */
const SCENARIO = `name: best
seed: 3
goal: maximise goodput subject to 429s = 0, success >= 99%
workload: { requests: 900, concurrency: 200 }
keys: { count: 4, limit: 60/min, limiter: token-bucket, acquireTimeout: 1h }
balancer: round-robin
providers:
  - { name: good, latency: 1s, limit: { requests: 120/min, scope: all } }
  - { name: broken, latency: 1s, failure: 100% }
`;

const CHOICES = ['--choose', 'keys.limiter=sliding-log,uniform-interval,token-bucket', '--vary', 'keys.count=1..4', '--choose', 'balancer=round-robin,availability'];

const DIMS: Dimension[] = [
  { kind: 'choice', field: 'keys.limiter', values: ['sliding-log', 'uniform-interval', 'token-bucket'] },
  { kind: 'range', field: 'keys.count', low: 1, high: 4, step: 1, rate: false, integer: true },
  { kind: 'choice', field: 'balancer', values: ['round-robin', 'availability'] },
];

function file(text = SCENARIO): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatesim-config-search-'));
  writeFileSync(join(dir, 'best.yaml'), text);
  return { dir, file: join(dir, 'best.yaml') };
}

const GOAL = parseGoal('maximise goodput subject to 429s = 0, success >= 99%');

function search(f: string, budget: ConfigSearchResults['method']['budget'] extends infer _ ? Parameters<typeof runConfigSearch>[0]['budget'] : never, seeds = 3): Promise<ConfigSearchResults> {
  return runConfigSearch({ file: f, sets: [], dims: DIMS, seeds, budget, tolerance: 0.01, goal: GOAL, goalText: { text: describeGoal(GOAL), metric: 'goodput', unit: 'requests/s' } });
}

describe('search over several fields', () => {
  it('finds the configuration that is best by construction, within its budget, and says how sure it is', async () => {
    const { file: f } = file();
    const r = await search(f, { kind: 'simulations', simulations: 120 });
    expect(r.answer.values).toEqual({ 'keys.limiter': 'sliding-log', 'keys.count': 2, balancer: 'availability' });
    expect(r.answer.held).toBe(true);
    // 900 requests in 421 s, in every seed: an interval of no width.
    expect(r.answer.metric!.mean).toBeCloseTo(900 / 421, 3);
    expect(r.answer.metric).toMatchObject({ n: 3 });
    expect(r.answer.metric!.high! - r.answer.metric!.low!).toBeCloseTo(0, 9);
    expect(r.answer.keys).toBe(2);
    // The file as written (token-bucket, 4 keys, round-robin) misses the goal.
    expect(r.current).toMatchObject({ keys: 4, held: false, heldIn: 0 });
    // Within the budget, the file as written's three runs included.
    expect(r.method.simulations).toBeLessThanOrEqual(120);
    expect(r.trials).toHaveLength(r.method.simulations);
    expect(r.method.rungs).toEqual([{ requests: 100, configs: 24 }, { requests: 300, configs: 8 }, { requests: 900, configs: 3 }]);
    // The runner-up is worse, separably, or misses the goal.
    const ru = r.answer.runnerUp!;
    expect(ru.held ? ru.difference!.separable && ru.difference!.mean > 0 : true).toBe(true);
    // Every trial kept, with its metrics; every entry of the last rung ran all seeds at full length.
    expect(r.trials.every((t) => t.metrics.requests === t.requests)).toBe(true);
    expect(r.entries.filter((e) => e.rung === 2).every((e) => e.seeds === 3 && e.requests === 900)).toBe(true);
  }, 120_000);

  it('a CPU-time budget is converted to requests from the file as written, and kept to', async () => {
    const { file: f } = file();
    const r = await search(f, { kind: 'cpu', ms: 60_000, text: '1min' }, 1);
    expect(r.method.budget.kind).toBe('cpu');
    if (r.method.budget.kind === 'cpu') expect(r.method.requestsSimulated).toBeLessThanOrEqual(r.method.budget.requests);
    expect(r.answer.values).toEqual({ 'keys.limiter': 'sliding-log', 'keys.count': 2, balancer: 'availability' });
  }, 120_000);

  it('rungs are 1/9, 1/3 and all of the requests, none shorter than 100', () => {
    expect(rungRequests(900)).toEqual([100, 300, 900]);
    expect(rungRequests(500)).toEqual([167, 500]);
    expect(rungRequests(200)).toEqual([200]);
  });

  it('the page puts the answer first and draws the frontier with a title and axes in units', async () => {
    const { file: f } = file();
    const r = await search(f, { kind: 'simulations', simulations: 120 }, 1);
    const chart = JSON.stringify(configFrontierChart(r));
    expect(chart).toContain('"text":"goodput against keys"');
    expect(chart).toContain('"title":"keys (count)"');
    expect(chart).toContain('"title":"goodput (requests/s)"');
    const html = configSearchHtml(r, { generatedAt: new Date(0), version: 'test' });
    expect(html.indexOf('The answer: the configuration with the most goodput')).toBeLessThan(html.indexOf('Every configuration at every rung'));
  }, 120_000);
});

describe('gatesim search --choose', () => {
  it('gives a byte-identical search.json and the same stdout on one thread or two', async () => {
    const { dir, file: f } = file();
    const one = await gatesim(['search', f, ...CHOICES, '--budget', '120', '--out', join(dir, 'a'), '--jobs', '1', '-q']);
    expect(one.code, one.stderr).toBe(0);
    const two = await gatesim(['search', f, ...CHOICES, '--budget', '120', '--out', join(dir, 'b'), '--jobs', '2', '-q']);
    expect(two.code, two.stderr).toBe(0);
    const a = readFileSync(join(dir, 'a', 'best-search', 'search.json'), 'utf8');
    expect(readFileSync(join(dir, 'b', 'best-search', 'search.json'), 'utf8')).toBe(a);
    expect(two.stdout).toBe(one.stdout);
    const r = JSON.parse(a) as ConfigSearchResults;
    expect(r.schema).toBe('gatesim.configsearch/v1');
    expect(one.stdout.split('\n')[0]).toBe('The answer: the configuration with the most goodput that meets the goal');
    // Choices first, then ranges, as the command line's kinds are read.
    expect(one.stdout).toMatch(/^configuration\s+keys\.limiter=sliding-log, balancer=availability,\s+keys\.count=2$/m);
  }, 180_000);

  it('a mistake is one line and exit 2, before anything runs', async () => {
    const { dir, file: f } = file();
    const cases: [string[], RegExp][] = [
      [['--choose', 'keys.limiter=sliding-log,bogus'], /^gatesim: --choose keys\.limiter=bogus: expected one of sliding-log \| /],
      [['--choose', 'balancer=round-robin,round-robin'], /^gatesim: --choose: balancer: round-robin is listed twice$/],
      [['--choose', 'keys.limiter'], /^gatesim: --choose: expected FIELD=A,B/],
      [['--choose', 'nope.x=1,2'], /^gatesim: --choose nope\.x=1: unknown field "nope"/],
      [['--choose', 'balancer=round-robin', '--vary', 'keys.count=0..3'], /^gatesim: --vary keys\.count=0: expected a positive integer/],
      [['--vary', 'keys.count=1..4', '--vary', 'keys.count=1..2'], /^gatesim: keys\.count: expected each field once among --vary and --choose$/],
      [['--choose', 'balancer=round-robin', '--budget', '3'], /^gatesim: --budget: expected at least 12 simulations/],
      [['--choose', 'balancer=round-robin', '--budget', '2h30'], /^gatesim: --budget: expected simulations from 1 to 10,000/],
      [['--choose', 'balancer=round-robin', '--budget', '25h'], /^gatesim: --budget: expected simulations from 1 to 10,000/],
      [['--choose', 'balancer=round-robin', '--budget', '10001'], /^gatesim: --budget: expected simulations from 1 to 10,000 .*, got 10001$/],
      [['--choose', 'balancer=round-robin', '--tolerance', '0.9'], /^gatesim: --tolerance: expected a share from 0 to 0\.5, got 0\.9$/],
      [['--choose', 'balancer=round-robin', '--smallest'], /^gatesim: --smallest: applies to a search over one field/],
      [['--choose', 'balancer=round-robin', '--step', '2'], /^gatesim: --step: applies to a search over one field/],
      [['--vary', 'keys.count=1..4', '--budget', '50'], /^gatesim: --budget: a search over one field bisects/],
      [[], /^gatesim: --vary: expected FIELD=LOW\.\.HIGH/],
    ];
    for (const [args, want] of cases) {
      const r = await gatesim(['search', f, ...args, '--out', dir, '-q']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trimEnd(), args.join(' ')).toMatch(want);
    }
  }, 180_000);
});
