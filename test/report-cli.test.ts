import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../src/metrics/results.js';
import { gatesim } from './helpers/cli.js';

/** The CLI exactly as `npm run sim --` runs it, never throwing on a non-zero exit; `env` is added to this one. */
const sim = (args: string[], env: NodeJS.ProcessEnv = {}) => gatesim(args, { env });

describe('the report on the command line', () => {
  it('every simulation writes reports/<name>/index.html, prints its path, and lists it in reports/index.html', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gatesim-report-'));
    const r = await sim(['scenarios/high-concurrency.yaml', '--out', out, '--format', 'json']);
    expect(r.code).toBe(0);
    const page = join(out, 'high-concurrency', 'index.html');
    expect(r.stderr).toMatch(/report: \S*high-concurrency\/index\.html \(all reports: \S*index\.html\)/);
    const html = readFileSync(page, 'utf8');
    expect(html.slice(0, 15)).toBe('<!doctype html>');
    expect(html.includes('<h1>high-concurrency</h1>')).toBe(true);
    // The scenario as run is in the header; stdout stays pure JSON.
    expect(html.includes('connect: { handshake: 150ms, max: 48, timeout: 3s, linger: 10s }')).toBe(true);
    expect(JSON.parse(r.stdout).scenario).toBe('high-concurrency');
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index.includes('<a href="high-concurrency/index.html">high-concurrency</a>')).toBe(true);
    // No date inside results.json: the page's date lives only in the page.
    expect(readFileSync(join(out, 'high-concurrency', 'results.json'), 'utf8')).not.toMatch(/\d{4}-\d\d-\d\d/);
  });

  it('results.json carries what the charts need: the latency CDF (exact percentiles) and requests in flight', async () => {
    const r = await sim(['scenarios/high-concurrency.yaml', '--out', mkdtempSync(join(tmpdir(), 'gatesim-report-')), '--format', 'json', '-q']);
    const results = JSON.parse(r.stdout) as Results;
    for (const run of results.runs) {
      for (const v of run.variants) {
        const cdf = new Map(v.latencyCdf);
        expect(v.latencyCdf).toHaveLength(103);
        expect(cdf.get(0)).toBe(v.metrics.latencyMs.min);
        expect(cdf.get(50)).toBe(v.metrics.latencyMs.p50);
        expect(cdf.get(90)).toBe(v.metrics.latencyMs.p90);
        expect(cdf.get(99)).toBe(v.metrics.latencyMs.p99);
        expect(cdf.get(100)).toBe(v.metrics.latencyMs.max);
        const ms = v.latencyCdf.map(([, x]) => x);
        expect(ms).toEqual([...ms].sort((a, b) => a - b));
        // Closed model, no think time: every worker has a request in flight until the work runs out.
        const workers = run.name.startsWith('100') ? 20 : 50;
        expect(v.series.inFlight).toHaveLength(v.series.t.length);
        expect(v.series.inFlight[0]).toBe(workers);
        expect(Math.max(...v.series.inFlight)).toBe(workers);
        expect(v.series.inFlight.at(-1)).toBeLessThan(workers);
      }
    }
  });

  it('`report results.json` redraws the page from the results alone', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gatesim-report-')), 'reports');
    await sim(['scenarios/high-concurrency.yaml', '--out', out, '-q']);
    const page = join(out, 'high-concurrency', 'index.html');
    rmSync(page);
    rmSync(join(out, 'index.html'));
    const r = await sim(['report', join(out, 'high-concurrency', 'results.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^report: \S*high-concurrency\/index\.html/);
    const html = readFileSync(page, 'utf8');
    expect(html.includes('<dt>results written</dt>')).toBe(true);
    // The scenario as run comes from results.json itself (no other file is read).
    expect(html.includes('connect: { handshake: 150ms, max: 48')).toBe(true);
    expect(statSync(join(out, 'index.html')).isFile()).toBe(true);
    // A results.json outside a reports folder gets its page, and its parent folder is left alone.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'gatesim-report-')), 'x');
    mkdirSync(elsewhere);
    copyFileSync(join(out, 'high-concurrency', 'results.json'), join(elsewhere, 'results.json'));
    const r2 = await sim(['report', join(elsewhere, 'results.json')]);
    expect(r2.code).toBe(0);
    expect(r2.stderr).not.toContain('all reports');
    expect(existsSync(join(elsewhere, 'index.html'))).toBe(true);
    expect(existsSync(join(elsewhere, '..', 'index.html'))).toBe(false);
  });

  it('a bad results file is one line on stderr and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-report-'));
    const notJson = join(dir, 'x.json');
    writeFileSync(notJson, '{oops');
    const other = join(dir, 'y.json');
    writeFileSync(other, '{"schema":"something/else"}');
    for (const [file, message] of [
      [join(dir, 'missing.json'), 'cannot read (ENOENT)'],
      [notJson, 'not JSON'],
      [other, 'not a gatesim results file (gatesim.results/v1): /: must have required property \'scenario\''],
    ] as const) {
      const r = await sim(['report', file]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(`gatesim: ${file}: ${message}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--open without a browser says so in one line and still succeeds', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gatesim-report-'));
    const env = { DISPLAY: '', WAYLAND_DISPLAY: '' };
    const r = await sim(['scenarios/high-concurrency.yaml', '--out', out, '-q', '--open'], env);
    expect(r.code).toBe(0);
    if (process.platform === 'linux') expect(r.stderr.trim()).toMatch(/^--open: no system browser here \(.+\); open \S+index\.html yourself$/);
  });
});
