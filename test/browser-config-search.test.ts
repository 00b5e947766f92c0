import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSearchResults } from '../src/report/config-search-page.js';
import { gatesim } from './helpers/cli.js';
import { watchedPage } from './helpers/page.js';

/** The page of a search over several fields as a person sees it, in the Debian `chromium`, offline, at 1400 × 1000. */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const skipped = hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed; \`npm run setup\` installs it)`;

const SCENARIO = `name: pick
seed: 2
workload: { requests: 450, arrivals: { process: poisson, rate: 1.5/s } }
keys: { count: 2, limit: 60/min, acquireTimeout: 1h }
providers:
  - { name: p, latency: { dist: lognormal, median: 400ms, p99: 2s }, limit: 60/min }
`;

let browser: Browser;
beforeAll(async () => {
  if (hasChromium) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
});
afterAll(async () => browser?.close());

describe('a search over several fields in a real Chromium', () => {
  it.skipIf(!hasChromium)(`shows the answer first, the frontier drawn with its title and axes in units, every configuration below, nothing right of the viewport${skipped}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-browser-config-search-'));
    const file = join(dir, 'pick.yaml');
    writeFileSync(file, SCENARIO);
    const run = await gatesim(['search', file, '--choose', 'keys.limiter=sliding-log,fixed-window,token-bucket', '--vary', 'keys.count=1..5', '--seeds', '2', '--budget', '60', '--out', dir, '-q', '--format', 'none']);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(readFileSync(join(dir, 'pick-search', 'search.json'), 'utf8')) as ConfigSearchResults;
    const { page, problems, requests } = await watchedPage(browser);
    await page.goto(pathToFileURL(join(dir, 'pick-search', 'index.html')).href, { waitUntil: 'load' });
    await page.evaluate(async () => {
      await (window as unknown as { gatesimCharts: Promise<unknown[]> }).gatesimCharts;
    });
    const seen = await page.evaluate(() => {
      const chart = document.querySelector('[data-spec]');
      return {
        cards: Array.from(document.querySelectorAll('.bound')).map((b) => ({ label: b.querySelector('.variant')?.textContent, value: b.querySelector('.value')?.textContent, bottom: b.getBoundingClientRect().bottom })),
        drawn: chart?.classList.contains('drawn') ?? false,
        title: Array.from(chart?.querySelectorAll('svg .role-title-text') ?? []).pop()?.textContent ?? '',
        axes: Array.from(chart?.querySelectorAll('svg g.role-axis-title text') ?? []).map((t) => t.textContent),
        points: chart?.querySelectorAll('svg g.mark-symbol.role-mark path').length ?? 0,
        rows: document.querySelectorAll('#trials table.comparison tbody tr').length,
        height: window.innerHeight,
        right: Array.from(document.querySelectorAll('main *')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).length,
        page: document.documentElement.scrollWidth - window.innerWidth,
      };
    });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    // The answer first: the configuration, its goal metric, the gain over the file, its keys, in the first screen.
    expect(seen.cards.map((c) => c.label)).toEqual(['configuration', 'goodput (requests/s)', 'vs the file as written', 'keys']);
    expect(seen.cards[0]!.value).toBe(Object.entries(r.answer.values).map(([f, v]) => `${f}=${v}`).join(', '));
    expect(seen.cards[3]!.value).toBe(String(r.answer.keys));
    for (const c of seen.cards) expect(c.bottom).toBeLessThanOrEqual(seen.height);
    // The frontier: titled, both axes with their units; a point per configuration at its longest run, the file's cross and the answer's ring.
    expect(seen.drawn).toBe(true);
    expect(seen.title).toBe('goodput against keys');
    expect(seen.axes).toEqual(['keys (count)', 'goodput (requests/s)']);
    expect(seen.points).toBe(r.configs.length + 2);
    // Every configuration at every rung in the table.
    expect(seen.rows).toBe(r.entries.length);
    expect([seen.page, seen.right]).toEqual([0, 0]);
    await page.close();
  }, 90_000);
});
