import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Results } from '../src/metrics/results.js';
import { answerTable, comparison, offeredLine } from '../src/report/table.js';
import { gatesim } from './helpers/cli.js';
import { watchedPage } from './helpers/page.js';

/**
 * The report as a person sees it: the Debian `chromium` package driven by playwright-core (never a
 * downloaded browser), the page opened from file:// with the network off.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.error(`browser test skipped: ${CHROMIUM} not installed; \`npm run setup\` installs it`);

describe('the HTML report in a real Chromium', () => {
  it.skipIf(!hasChromium)(
    `high-concurrency: no console error, no network, every chart drawn, the answer and the tables hold results.json${hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed; \`npm run setup\` installs it)`}`,
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'gatesim-browser-'));
      const sim = await gatesim(['scenarios/high-concurrency.yaml', '--out', out, '-q']);
      expect(sim.code, sim.stderr).toBe(0);
      const dir = join(out, 'high-concurrency');
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const { page, problems, requests } = await watchedPage(browser);

        const url = pathToFileURL(join(dir, 'index.html')).href;
        await page.goto(url, { waitUntil: 'load' });
        // The page's boot script resolves this once every chart is drawn (or has failed).
        const charts = await page.evaluate(async () => {
          const views = await (window as unknown as { gatesimCharts: Promise<unknown[]> }).gatesimCharts;
          return Array.from(document.querySelectorAll('[data-spec]')).map((el, i) => ({
            drawn: el.classList.contains('drawn') && views[i] !== null,
            // Panel titles come first; the chart's own title is the last one drawn.
            title: Array.from(el.querySelectorAll('svg .role-title-text')).pop()?.textContent ?? '',
            // Data marks only (role-mark), not axes or legends: one SVG element per drawn item.
            marks: el.querySelectorAll('svg g.role-mark > *').length,
          }));
        });

        expect(problems).toEqual([]);
        expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
        expect(requests).toContain(url);

        // The published-vs-simulated chart, both runs' charts and the across-runs chart.
        expect(charts.length).toBeGreaterThanOrEqual(8);
        for (const c of charts) {
          expect(c.drawn, c.title).toBe(true);
          expect(c.title.length, 'every chart has a title').toBeGreaterThan(0);
          expect(c.marks, c.title).toBeGreaterThan(0);
        }
        const titles = charts.map((c) => c.title);
        for (const t of ['Published against simulated', 'How long successful requests took', 'Throughput and outcomes over time', "Where a request's time goes", 'Each metric across the runs']) {
          expect(titles).toContain(t);
        }
        // No key limit and one provider without a queue: no admissions, limiter or in-flight chart.
        for (const t of ['Key admissions over time', 'Limiter cost', 'Requests in flight over time']) expect(titles).not.toContain(t);

        // The tables as the browser shows them (text content, ≠ included) …
        const tables = await page.evaluate(() =>
          Array.from(document.querySelectorAll('table.comparison:not(.workload)')).map((t) =>
            Array.from(t.querySelectorAll('tr')).map((tr) => Array.from(tr.children).map((c) => (c.textContent ?? '').trim())),
          ),
        );
        // Each run's workload, folded under one line: what was offered, as results.json says.
        const workload = await page.evaluate(() =>
          Array.from(document.querySelectorAll('details.workload')).map((d) => ({
            line: d.querySelector('summary')!.textContent,
            requests: Array.from(d.querySelectorAll('table.workload tr')).find((tr) => tr.children[0]!.textContent === 'requests')?.children[1]?.textContent,
          })),
        );
        expect(workload).toEqual(results.runs.map((r) => ({ line: offeredLine(r), requests: r.variants[0]!.metrics.offered!.requests.toLocaleString('en-US') })));
        // The answer's table first, then one per run.
        expect(tables).toHaveLength(results.runs.length + 1);
        const answer = answerTable(results)!;
        expect(tables[0]).toEqual([answer.header, ...answer.rows]);
        // At 200/50 pooled draws the provider's 429s (the default goal allows none): original, which stays under it, is the answer.
        expect(tables[0]!.slice(1).map((row) => row.slice(1, 3))).toEqual([['pooled', 'yes'], ['original', 'yes']]);
        results.runs.forEach((r, k) => {
          const i = k + 1;
          // … are the terminal's tables, cell for cell …
          const t = comparison(results, r);
          expect(tables[i]).toEqual([t.header, ...t.rows]);
          // … and hold results.json's numbers, read straight from the file.
          const cell = (metric: string, column: string): string => {
            const col = tables[i]![0]!.indexOf(column);
            return tables[i]!.find((row) => row[0] === metric)![col]!;
          };
          for (const v of r.variants) {
            const m = v.metrics;
            expect(cell('success rate (%)', v.name)).toBe((m.successRate! * 100).toFixed(1));
            expect(cell('mean latency (s)', v.name)).toBe((m.latencyMs.mean! / 1000).toFixed(3));
            expect(cell('throughput (req/s)', v.name)).toBe(m.throughputPerS!.toFixed(2));
            expect(cell('clients created (count)', v.name)).toBe(String(m.connections.clientsCreated));
          }
          // The published figures sit beside the simulated ones.
          const published = results.reference[r.name]!.pooled!;
          expect(cell('total time (s)', 'pooled (published)')).toBe((published.totalTimeMs! / 1000).toFixed(2));
        });

        // Kept beside the report, in its temporary folder: tests leave the user's reports/ alone.
        const shot = join(dir, 'screenshot.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      } finally {
        await browser.close();
      }
    },
    30_000,
  );

  it.skipIf(!hasChromium)(
    `the token studies: token charts drawn, token rows holding results.json, a serving sweep answered by where to run${hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed)`}`,
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'gatesim-browser-tokens-'));
      const WORKLOAD_CHARTS = ['Requests per minute offered, admitted and refused', 'Tokens per minute offered, admitted and refused', 'Key wait over time'];
      const TOKEN_CHARTS = ['Time to first token', 'Tokens per second over time', "Each key's tokens in its quota window over time", 'Each metric against workload.concurrency', ...WORKLOAD_CHARTS];
      for (const name of ['token-quotas', 'llm-serving']) {
        const sim = await gatesim([`scenarios/${name}.yaml`, '--out', out, '-q', '--format', 'none']);
        expect(sim.code, sim.stderr).toBe(0);
      }
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
      try {
        const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 } });
        const open = async (name: string) => {
          const page = await context.newPage();
          const problems: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
          });
          page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
          await page.goto(pathToFileURL(join(out, name, 'index.html')).href, { waitUntil: 'load' });
          const charts = await page.evaluate(async () => {
            const views = await (window as unknown as { gatesimCharts: Promise<unknown[]> }).gatesimCharts;
            return Array.from(document.querySelectorAll('[data-spec]')).map((el, i) => ({
              drawn: el.classList.contains('drawn') && views[i] !== null,
              title: Array.from(el.querySelectorAll('svg .role-title-text')).pop()?.textContent ?? '',
              marks: el.querySelectorAll('svg g.role-mark > *').length,
              // Axis titles of every panel: each says its unit in brackets.
              axes: Array.from(el.querySelectorAll('svg g.role-axis-title text')).map((t) => t.textContent ?? ''),
              points: el.querySelectorAll('svg g.mark-symbol.role-mark > *').length,
            }));
          });
          const tables = await page.evaluate(() =>
            Array.from(document.querySelectorAll('table.comparison:not(.workload)')).map((t) =>
              Array.from(t.querySelectorAll('tr')).map((tr) => Array.from(tr.children).map((c) => (c.textContent ?? '').trim())),
            ),
          );
          const results = JSON.parse(readFileSync(join(out, name, 'results.json'), 'utf8')) as Results;
          expect(problems, name).toEqual([]);
          for (const c of charts) {
            expect(c.drawn, `${name}: ${c.title}`).toBe(true);
            expect(c.title.length, `${name}: every chart has a title`).toBeGreaterThan(0);
            expect(c.marks, `${name}: ${c.title}`).toBeGreaterThan(0);
            // The token charts' axes (the others' are checked in report-charts.test.ts) say their units.
            if (TOKEN_CHARTS.includes(c.title)) for (const a of c.axes) expect(a, `${name}: ${c.title}: axis "${a}"`).toMatch(/\([^)]+\)/);
          }
          return { page, charts, tables, results };
        };

        const q = await open('token-quotas');
        const titles = q.charts.map((c) => c.title);
        for (const t of ['Time to first token', 'Tokens per second over time', "Each key's tokens in its quota window over time", ...WORKLOAD_CHARTS]) expect(titles).toContain(t);
        // The comparison table (after the answer's) holds the token figures of results.json; a
        // compact table puts each change after its value.
        const table = q.tables[1]!;
        const cell = (metric: string, variant: string): string => table.find((r) => r[0] === metric)![table[0]!.indexOf(variant)]!.split(' ')[0]!;
        for (const v of q.results.runs[0]!.variants) {
          const m = v.metrics;
          expect(cell('output tokens (tokens)', v.name)).toBe(String(m.tokens!.output));
          expect(cell('total tokens/s (tokens/s)', v.name)).toBe(m.tokens!.perS.total!.toFixed(1));
          expect(cell('p50 time to first token (ms)', v.name)).toBe(m.ttftMs!.p50!.toFixed(1));
          expect(cell('p99 inter-token latency (ms)', v.name)).toBe(m.itlMs!.p99!.toFixed(2));
          expect(cell('429s from the tokens quota (attempts)', v.name)).toBe(String(m.rateLimitedBy!.tokens));
        }
        await q.page.close();

        const s = await open('llm-serving');
        // The answer is where to run, as the terminal prints it; the sweep's chart carries the published points.
        const answer = answerTable(s.results)!;
        expect(s.tables[0]).toEqual([answer.header, ...answer.rows]);
        expect(s.tables[0]![1]![0]).toBe('run here');
        const sweep = s.charts.find((c) => c.title === 'Each metric against workload.concurrency')!;
        // Three published figures at each of the eight points, each a hollow diamond.
        expect(sweep.points).toBeGreaterThanOrEqual(24);
        expect(s.charts.map((c) => c.title)).toContain('Published against simulated');
        await s.page.close();
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
