import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartSize, palette, RUN_CHART_ORDER, RUN_CHARTS, runCharts, type RunChartName } from '../src/report/charts.js';
import { runPlan } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';

/**
 * The run charts' registry (src/report/charts.ts): every chart file under charts/ is registered
 * (or is one of the page charts), each entry's size is the size its chart draws, and the page
 * shows them by their order. Three shipped scenarios between them draw every registered chart.
 */
const PAGE_CHARTS = ['parts.ts', 'runs.ts', 'published.ts', 'search.ts', 'frontier.ts'];
const SCENARIOS = ['adaptive', 'token-quotas', 'health-checks'];

describe('run chart registry', () => {
  const runs = SCENARIOS.map((name) => runPlan(loadScenario(join('scenarios', `${name}.yaml`))));

  it('every chart file under src/report/charts/ is registered, once, with an order of its own', async () => {
    const draws = new Set<unknown>(Object.values(RUN_CHARTS).map((c) => c.draw));
    expect(draws.size).toBe(Object.keys(RUN_CHARTS).length);
    const files = readdirSync(join('src', 'report', 'charts')).filter((f) => f.endsWith('.ts') && !PAGE_CHARTS.includes(f));
    const unregistered: string[] = [];
    for (const f of files) {
      const mod = (await import(`../src/report/charts/${f.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>;
      if (!Object.values(mod).some((x) => draws.has(x))) unregistered.push(f);
    }
    expect(unregistered).toEqual([]);
    expect(files.length).toBe(Object.keys(RUN_CHARTS).length);
    expect(new Set(Object.values(RUN_CHARTS).map((c) => c.order)).size).toBe(Object.keys(RUN_CHARTS).length);
  });

  it('each registered chart draws for some shipped scenario, at the size its entry says', () => {
    const drawn = new Map<RunChartName, Set<string>>();
    for (const results of runs) {
      const pal = palette(results.runs);
      for (const run of results.runs) {
        for (const name of RUN_CHART_ORDER) {
          const spec = RUN_CHARTS[name].draw(run, pal);
          if (spec) drawn.set(name, (drawn.get(name) ?? new Set()).add(chartSize(spec)));
        }
      }
    }
    expect([...drawn.keys()].sort()).toEqual(Object.keys(RUN_CHARTS).sort());
    for (const [name, sizes] of drawn) {
      const size = RUN_CHARTS[name].size;
      if (size !== 'fit') expect([...sizes], name).toEqual([size]);
    }
  });

  it('a page shows the charts that drew, by ascending order', () => {
    const orders = RUN_CHART_ORDER.map((n) => RUN_CHARTS[n].order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    for (const results of runs) {
      const pal = palette(results.runs);
      for (const run of results.runs) {
        const shown = runCharts(run, pal).map((s) => JSON.stringify(s));
        const expected = RUN_CHART_ORDER.flatMap((n) => {
          const spec = RUN_CHARTS[n].draw(run, pal);
          return spec ? [JSON.stringify(spec)] : [];
        });
        expect(shown).toEqual(expected);
        expect(shown.length).toBeGreaterThan(2);
      }
    }
  });
});
