import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../src/metrics/results.js';

/**
 * Every scenario at once, as `npm run sim -- scenarios/` runs them: each results.json against the
 * published JSON Schema of results, each page in a real Chromium (skipped without it), and the
 * document results the new scenarios reproduce or refute.
 */
const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

async function sim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/gatesim.js', ...args], { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const scenarios = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
const out = mkdtempSync(join(tmpdir(), 'gatesim-studies-'));
let folder: { code: number; stdout: string; stderr: string };
const results = (name: string): Results => JSON.parse(readFileSync(join(out, name, 'results.json'), 'utf8')) as Results;

beforeAll(async () => {
  // --jobs 2: the folder is small enough to run in one thread by default; this takes the thread path.
  folder = await sim('scenarios/', '--out', out, '--jobs', '2');
}, 120_000);

describe('npm run sim -- scenarios/', () => {
  it('runs every scenario in the folder: a report folder for each, and one index', () => {
    expect(folder.stderr).not.toMatch(/internal error/);
    expect(folder.code).toBe(0);
    expect(folder.stderr).toMatch(/\d+ simulations on 2 threads in /);
    expect(readdirSync(out).sort()).toEqual([...scenarios, 'index.html'].sort());
    for (const name of scenarios) {
      expect(folder.stdout).toContain(`== scenarios/${name}.yaml ==`);
      for (const f of ['results.json', 'results.md', 'index.html']) expect(existsSync(join(out, name, f)), `${name}/${f}`).toBe(true);
    }
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const name of scenarios) expect(index).toContain(`href="${encodeURIComponent(name)}/index.html"`);
  });

  it('every results.json validates against scenarios/results.schema.json', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(JSON.parse(readFileSync('scenarios/results.schema.json', 'utf8')) as object);
    for (const name of scenarios) {
      const ok = validate(results(name));
      expect(ok ? '' : ajv.errorsText(validate.errors), name).toBe('');
    }
    // The schema is not vacuous: a wrong field, a missing one and a bad point are each refused.
    const r = results('parallel-workers');
    expect(validate({ ...r, extra: 1 })).toBe(false);
    expect(validate({ ...r, runs: [{ name: 'x', point: 3, variants: r.runs[0]!.variants }] })).toBe(false);
    const { seed: _seed, ...noSeed } = r;
    expect(validate(noSeed)).toBe(false);
  });

  it('a folder on threads gives the same bytes as each file alone in one thread', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'gatesim-alone-'));
    await Promise.all(['app-id-manager', 'parallel-workers'].map((n) => sim(`scenarios/${n}.yaml`, '--out', alone, '-q', '--jobs', '1')));
    for (const n of ['app-id-manager', 'parallel-workers']) {
      expect(readFileSync(join(alone, n, 'results.json'), 'utf8'), n).toBe(readFileSync(join(out, n, 'results.json'), 'utf8'));
    }
  });

  it('a mistake in any file stops the folder before anything runs: one line, exit 2, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatesim-folder-'));
    mkdirSync(join(dir, 'in'));
    copyFileSync('scenarios/app-id-manager.yaml', join(dir, 'in', 'a.yaml'));
    writeFileSync(join(dir, 'in', 'b.yaml'), 'name: b\nproviders: [{ name: p, latency: 1s }]\nsweep:\n  keys.cont: [1, 2]\n');
    const r = await sim(join(dir, 'in'), '--out', join(dir, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${join(dir, 'in', 'b.yaml')}:4:3: sweep.keys.cont: unknown field "cont" (did you mean "count"?)`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    mkdirSync(join(dir, 'empty'));
    const empty = await sim(join(dir, 'empty'), '--out', join(dir, 'out'));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('expected a folder of scenario files (*.yaml), found none');
  });
});

describe('the document results as scenarios', () => {
  it('parallel-workers: the published 4 × 5 figures cannot hold under 10 app ids at 3/min; the report says why', () => {
    const r = results('parallel-workers');
    const at20 = r.runs.find((x) => x.name === 'workload.concurrency=20')!;
    const total = (v: string) => at20.variants.find((x) => x.name === v)!.metrics.totalTimeMs;
    // 150 tasks at 30 a minute: the 5th batch starts at 240 s, 3 rounds of 1 s on 10 held app ids.
    expect(total('multi-process')).toBe(243_000);
    expect(total('serial')).toBe(150_000);
    expect(total('no rate limit')).toBe(15_000);
    expect(r.notes!.join(' ')).toContain('150 ÷ 42.5 = 3.5 tasks/s');
    // Throughput with the limit stops growing at once; without it, at 10 workers.
    const thr = (v: string) => r.runs.map((x) => x.variants.find((y) => y.name === v)!.metrics.throughputPerS!);
    expect(Math.max(...thr('multi-process'))).toBeLessThan(0.62);
    expect(thr('no rate limit')[9]).toBe(10);
    expect(Math.max(...thr('no rate limit'))).toBe(10);
    expect(r.marks).toContainEqual({ x: 20, label: "the document's rule: max_workers = min(10 app ids × 2, 3 models × 10) = 20" });
    expect(folder.stdout).toMatch(/total time \(s\)\s+243\.00 \(-62\.0% ≠\)\s+42\.50/);
    const md = readFileSync(join(out, 'parallel-workers', 'results.md'), 'utf8');
    expect(md).toContain('## Notes');
    expect(md).toContain('| parallel efficiency (actual ÷ theoretical) (%) | 3.1 | 11.6 |');
  });

  it('app-id-manager: 62 s and 70 s under 3/min, 8 s and 40 s without', () => {
    const r = results('app-id-manager');
    expect(r.runs.map((x) => x.variants.map((v) => v.metrics.totalTimeMs))).toEqual([[70_000, 62_000], [40_000, 8_000]]);
  });

  it('health-checks: a longer interval detects later and loses more, with fewer checks', () => {
    const r = results('health-checks');
    const vs = r.runs[0]!.variants;
    const active = vs.filter((v) => v.name.startsWith('active'));
    const detect = active.map((v) => v.metrics.providers.primary!.faults![0]!.detectedAfterMs!);
    const lost = active.map((v) => v.metrics.requests - v.metrics.ok);
    const checks = active.map((v) => Object.values(v.metrics.providers).reduce((a, p) => a + p.checks, 0));
    for (let i = 1; i < active.length; i++) {
      expect(detect[i]).toBeGreaterThan(detect[i - 1]!);
      expect(lost[i]).toBeGreaterThan(lost[i - 1]!);
      expect(checks[i]).toBeLessThan(checks[i - 1]!);
    }
    expect(vs[0]!.metrics.providers.primary!.faults![0]!.detectedAfterMs).toBeGreaterThan(0);
  });

  it('high-concurrency-sweep: pooling wins at every concurrency from 10 to 100', () => {
    const r = results('high-concurrency-sweep');
    expect(r.runs.map((x) => x.point!['workload.concurrency'])).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for (const x of r.runs) {
      const [pooled, fresh] = x.variants.map((v) => v.metrics.throughputPerS!);
      expect(pooled).toBeGreaterThan(fresh!);
    }
  });
});

describe('every report page in a real Chromium', () => {
  it.skipIf(!hasChromium)(
    `renders with no console error and every chart drawn${hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed)`}`,
    async () => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
      try {
        const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
        for (const name of scenarios) {
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
              marks: el.querySelectorAll('svg g.role-mark > *').length,
            }));
          });
          expect(problems, name).toEqual([]);
          expect(charts.length, name).toBeGreaterThan(0);
          for (const c of charts) {
            expect(c.drawn, name).toBe(true);
            expect(c.marks, name).toBeGreaterThan(0);
          }
          if (results(name).sweep) {
            const text = await page.textContent('#across-runs');
            expect(text, name).toContain('the best variant at each point by throughput, then success rate');
          }
          await page.close();
        }
      } finally {
        await browser.close();
      }
    },
    90_000,
  );
});
