import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResults } from '../src/report/search-page.js';
import { gatesim } from './helpers/cli.js';
import { watchedPage } from './helpers/page.js';

/**
 * A rate sweep and a search page as a person sees them, in the Debian `chromium` (never a
 * downloaded browser), opened from file:// with the network off, at 1400 × 1000.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const skipped = hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed; \`npm run setup\` installs it)`;

const SCENARIO = `name: rate-check
seed: 1
workload: { requests: 300, arrivals: { process: constant, rate: 1/s }, tokens: { prompt: 1000, output: 200 } }
keys: { count: 2, acquireTimeout: 1h }
providers:
  - { name: p, latency: 300ms, limit: { requests: 60/min, tokens: 6000/min } }
variants:
  - name: none
  - { name: sliding-log, keys: { limit: { requests: 60/min, tokens: 6000/min }, limiter: sliding-log } }
  - { name: fixed-window, keys: { limit: { requests: 60/min, tokens: 6000/min }, limiter: fixed-window } }
  - { name: uniform-interval, keys: { limit: { requests: 60/min, tokens: 6000/min }, limiter: uniform-interval } }
  - { name: bucket-window, keys: { limit: { requests: 60/min, tokens: 6000/min }, limiter: bucket-window } }
`;

let browser: Browser;
beforeAll(async () => {
  if (hasChromium) {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  }
});
afterAll(async () => browser?.close());

/** Opens a page, waits until every chart is drawn, and fails on any console error or network request. */
async function open(file: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const { page, problems, requests } = await watchedPage(browser);
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.evaluate(async () => {
    await (window as unknown as { gatesimCharts: Promise<unknown[]> }).gatesimCharts;
  });
  return { page, problems, requests };
}

/** Anything laid out right of the viewport: the page's own width, and any table box that scrolls sideways. */
const overflow = (page: Page) =>
  page.evaluate(() => ({
    page: document.documentElement.scrollWidth - window.innerWidth,
    tables: Array.from(document.querySelectorAll('.table-wrap')).filter((w) => w.scrollWidth > w.clientWidth + 1).length,
    right: Array.from(document.querySelectorAll('main *')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).length,
  }));

describe('sweeps and searches in a real Chromium', () => {
  it.skipIf(!hasChromium)(`a swept rate is drawn as lines on a numeric axis titled with its unit, and nothing runs off the right${skipped}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-browser-sweep-'));
    const file = join(dir, 'rate-check.yaml');
    writeFileSync(file, `${SCENARIO}sweep:\n  workload.arrivals.rate: [0.25/s, 0.5/s, 0.75/s, 1/s, 1.5/s, 2/s]\n`);
    const sim = await gatesim([file, '--out', dir, '-q', '--format', 'none']);
    expect(sim.code, sim.stderr).toBe(0);
    const { page, problems, requests } = await open(join(dir, 'rate-check', 'index.html'));
    const chart = await page.evaluate(() => {
      const el = Array.from(document.querySelectorAll('[data-spec]')).find((c) => Array.from(c.querySelectorAll('svg .role-title-text')).pop()?.textContent === 'Each metric against workload.arrivals.rate');
      if (!el) return null;
      return {
        lines: el.querySelectorAll('svg g.mark-line.role-mark path').length,
        bars: el.querySelectorAll('svg g.mark-rect.role-mark path').length,
        xTitles: Array.from(el.querySelectorAll('svg g.role-axis-title text')).map((t) => t.textContent ?? '').filter((t) => t.startsWith('workload.arrivals.rate')),
        // The x axis labels are numbers (0.5, 1, …), not the run names.
        labels: Array.from(el.querySelectorAll('svg g.role-axis-label text')).map((t) => t.textContent ?? ''),
      };
    });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(chart).not.toBeNull();
    expect(chart!.bars).toBe(0);
    // A line per variant in each panel.
    expect(chart!.lines).toBeGreaterThanOrEqual(5);
    expect(chart!.xTitles.length).toBeGreaterThan(0);
    for (const t of chart!.xTitles) expect(t).toBe('workload.arrivals.rate (requests per s)');
    expect(chart!.labels.some((l) => l.includes('/s') || l.includes('='))).toBe(false);
    expect(chart!.labels).toContain('1.0');
    expect(await overflow(page)).toEqual({ page: 0, tables: 0, right: 0 });
    await page.close();
  }, 60_000);

  it.skipIf(!hasChromium)(`a search page shows the answer and its chart in the first screen, every probe below, nothing right of the viewport${skipped}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-browser-search-'));
    const file = join(dir, 'rate-check.yaml');
    writeFileSync(file, SCENARIO);
    const run = await gatesim(['search', file, '--vary', 'workload.arrivals.rate=0.1/s..2/s', '--goal', '429s = 0, p99 key wait <= 5s', '--seeds', '2', '--out', dir, '-q', '--format', 'none']);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'rate-check-search', 'search.json'), 'utf8')) as SearchResults;
    const { page, problems, requests } = await open(join(dir, 'rate-check-search', 'index.html'));
    const seen = await page.evaluate(() => {
      const box = (el: Element | null) => (el ? el.getBoundingClientRect() : null);
      const chart = document.querySelector('[data-spec]');
      return {
        bounds: Array.from(document.querySelectorAll('.bound')).map((b) => ({ variant: b.querySelector('.variant')?.textContent, value: b.querySelector('.value')?.textContent, bottom: b.getBoundingClientRect().bottom })),
        chartBottom: box(chart)?.bottom ?? Infinity,
        drawn: chart?.classList.contains('drawn') ?? false,
        title: Array.from(chart?.querySelectorAll('svg .role-title-text') ?? []).pop()?.textContent ?? '',
        xTitle: Array.from(chart?.querySelectorAll('svg g.role-axis-title text') ?? []).map((t) => t.textContent)[0],
        rules: chart?.querySelectorAll('svg g.mark-rule.role-mark line, svg g.mark-rule.role-mark path').length ?? 0,
        lines: chart?.querySelectorAll('svg g.mark-line.role-mark path').length ?? 0,
        probeRows: document.querySelectorAll('#probes table.comparison tbody tr').length,
        height: window.innerHeight,
      };
    });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    // The answer: one card per variant, each the value search.json holds, with its unit.
    expect(seen.bounds.map((b) => b.variant)).toEqual(results.variants.map((v) => v.name));
    results.variants.forEach((v, i) => {
      if (v.status === 'found') expect(seen.bounds[i]!.value).toBe(`${v.value}/s`);
    });
    expect(results.variants.some((v) => v.status === 'found')).toBe(true);
    for (const b of seen.bounds) expect(b.bottom).toBeLessThanOrEqual(seen.height);
    // Its chart, drawn whole in the first screen: a line per variant, the bounds marked.
    expect(seen.drawn).toBe(true);
    expect(seen.chartBottom).toBeLessThanOrEqual(seen.height);
    expect(seen.title).toBe('goodput against workload.arrivals.rate');
    expect(seen.xTitle).toBe('workload.arrivals.rate (requests per s)');
    expect(seen.lines).toBe(results.variants.length);
    expect(seen.rules).toBe(results.variants.filter((v) => v.value !== null).length);
    // Every probe in the table.
    expect(seen.probeRows).toBe(results.variants.reduce((n, v) => n + v.probes.length, 0));
    expect(await overflow(page)).toEqual({ page: 0, tables: 0, right: 0 });
    await page.close();
  }, 60_000);
});
