import type { Results, RunResult, VariantMetrics, VariantResult } from '../metrics/results.js';
import { improvement, METRICS, type MetricRow } from './catalogue.js';

/** One comparison table: header and rows of cells, rendered as text or markdown. */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  notes: string[];
}

const fmt = (row: MetricRow, v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : (v * row.scale).toFixed(row.digits);

const fmtGain = (row: MetricRow, g: number | null): string =>
  g === null ? '–' : `${g >= 0 ? '+' : ''}${g.toFixed(1)}${row.better === 'points' ? ' pp' : '%'}`;

/** Rows that depend on the run: each provider's share and time unhealthy, and the imbalance. */
export function providerRows(run: RunResult): MetricRow[] {
  const names = Object.keys(run.variants[0]?.metrics.providers ?? {});
  if (names.length < 2) return [];
  const rows: MetricRow[] = [
    {
      key: 'imbalance',
      label: 'imbalance (max share ÷ mean)',
      unit: '×',
      value: (m) => m.balance?.imbalance ?? null,
      scale: 1,
      digits: 2,
      // Not "lower is better": weighted balancers are uneven on purpose.
      better: 'none',
    },
  ];
  for (const name of names) {
    rows.push({ key: `share.${name}`, label: `share: ${name}`, unit: '%', value: (m) => m.providers[name]?.share ?? null, scale: 100, digits: 1, better: 'none' });
  }
  for (const name of names) {
    rows.push({ key: `unhealthy.${name}`, label: `unhealthy: ${name}`, unit: 's', value: (m) => m.providers[name]?.unhealthyMs ?? null, scale: 1e-3, digits: 1, better: 'none' });
  }
  return rows;
}

/**
 * The document's parallelism rows (001: 总耗时 / 平均任务时间 / 理论最大加速比 / 实际加速比 / 并行效率),
 * when the variants run different numbers of workers: time per task (total time ÷ tasks), the
 * theoretical speedup (workers ÷ the baseline's), the actual speedup (the baseline's total time ÷
 * this one's) and the parallel efficiency (actual ÷ theoretical).
 */
export function parallelRows(run: RunResult, base: VariantResult): MetricRow[] {
  const workers = run.variants.map((v) => v.metrics.workers ?? null);
  if (workers.some((w) => w === null) || new Set(workers).size < 2) return [];
  const bw = base.metrics.workers!;
  const bt = base.metrics.totalTimeMs;
  const speedup = (m: VariantMetrics): number | null => (bt !== null && m.totalTimeMs ? bt / m.totalTimeMs : null);
  return [
    { key: 'timePerTaskMs', label: 'time per task (total ÷ tasks)', unit: 's', value: (m) => (m.totalTimeMs === null || m.requests === 0 ? null : m.totalTimeMs / m.requests), scale: 1e-3, digits: 2, better: 'lower' },
    { key: 'theoreticalSpeedup', label: `theoretical speedup (workers ÷ ${bw})`, unit: '×', value: (m) => m.workers! / bw, scale: 1, digits: 1, better: 'none' },
    { key: 'speedup', label: `actual speedup (${base.name} total ÷ total)`, unit: '×', value: speedup, scale: 1, digits: 2, better: 'none' },
    { key: 'parallelEfficiency', label: 'parallel efficiency (actual ÷ theoretical)', unit: '%', value: (m) => { const x = speedup(m); return x === null ? null : x / (m.workers! / bw); }, scale: 100, digits: 1, better: 'none' },
  ];
}

/**
 * Rows about injected faults, when a provider has any: how long the health rules took to notice
 * each provider's first fault and its end, the requests that failed, and the health checks sent
 * (the load the checks add).
 */
export function healthRows(run: RunResult): MetricRow[] {
  const faulty = Object.keys(run.variants[0]?.metrics.providers ?? {}).filter((n) => run.variants.some((v) => v.metrics.providers[n]?.faults?.length));
  if (faulty.length === 0) return [];
  const fault = (m: VariantMetrics, n: string) => m.providers[n]?.faults?.[0];
  const rows: MetricRow[] = [];
  for (const n of faulty) {
    rows.push({ key: `detectedAfterMs.${n}`, label: `${n} down: detected after`, unit: 's', value: (m) => fault(m, n)?.detectedAfterMs ?? null, scale: 1e-3, digits: 2, better: 'lower' });
    rows.push({ key: `restoredAfterMs.${n}`, label: `${n} back: in use again after`, unit: 's', value: (m) => fault(m, n)?.restoredAfterMs ?? null, scale: 1e-3, digits: 2, better: 'lower' });
  }
  rows.push({ key: 'failedRequests', label: 'requests failed', unit: 'count', value: (m) => m.requests - m.ok, scale: 1, digits: 0, better: 'lower' });
  rows.push({ key: 'healthChecks', label: 'health checks sent', unit: 'count', value: (m) => Object.values(m.providers).reduce((a, p) => a + (p.checks ?? 0), 0), scale: 1, digits: 0, better: 'lower' });
  return rows;
}

/**
 * The document's table shape: a row per metric, a column per variant (with the published figure
 * beside it where the scenario gives one), and an improvement column per variant against the
 * baseline. With more than two variants the improvement goes in brackets beside each value, so
 * the table stays readable. A `≠` marks an improvement whose direction disagrees with the
 * published one.
 */
export function comparison(results: Results, run: RunResult): Table {
  const ref = results.reference[run.name] ?? {};
  const base = run.variants.find((v) => v.name === results.baseline) ?? run.variants[0]!;
  const others = run.variants.filter((v) => v !== base);
  const compact = run.variants.length > 2;
  const withRef = new Set(run.variants.filter((v) => ref[v.name]).map((v) => v.name));
  const header = ['metric'];
  for (const v of run.variants) {
    header.push(v.name);
    if (withRef.has(v.name)) header.push(`${v.name} (published)`);
  }
  if (!compact) {
    for (const v of others) {
      header.push(`${v.name} vs ${base.name}`);
      if (withRef.has(v.name) && withRef.has(base.name)) header.push('(published)');
    }
  }
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const row of [...METRICS, ...parallelRows(run, base), ...providerRows(run), ...healthRows(run)]) {
    const hasRef = run.variants.some((v) => ref[v.name]?.[row.key] !== undefined);
    const values = run.variants.map((v) => row.value(v.metrics));
    // Rows that say nothing here (all zero or missing) are left out.
    if (!hasRef && values.every((v) => v === null || v === 0)) continue;
    const b = row.value(base.metrics);
    const gains = new Map<string, string>();
    const published = new Map<string, string>();
    for (const v of others) {
      const g = improvement(row, row.value(v.metrics), b);
      const pv = ref[v.name]?.[row.key];
      const pb = ref[base.name]?.[row.key];
      const pg = pv !== undefined && pb !== undefined ? improvement(row, pv, pb) : null;
      const disagree = g !== null && pg !== null && Math.sign(g) !== Math.sign(pg) && Math.abs(g) >= 0.05 && Math.abs(pg) >= 0.05;
      gains.set(v.name, fmtGain(row, g) + (disagree ? ' ≠' : ''));
      published.set(v.name, fmtGain(row, pg));
      if (disagree) notes.push(`${row.label}: ${v.name} vs ${base.name} goes the other way from the published figures.`);
    }
    const cells = [`${row.label} (${row.unit})`];
    run.variants.forEach((v, i) => {
      const gain = gains.get(v.name);
      cells.push(compact && gain !== undefined && gain !== '–' ? `${fmt(row, values[i])} (${gain})` : fmt(row, values[i]));
      if (withRef.has(v.name)) cells.push(fmt(row, ref[v.name]?.[row.key]));
    });
    if (!compact) {
      for (const v of others) {
        cells.push(gains.get(v.name)!);
        if (withRef.has(v.name) && withRef.has(base.name)) cells.push(published.get(v.name)!);
      }
    }
    rows.push(cells);
  }
  const title = compact ? `${run.name} — (brackets: change vs ${base.name})` : run.name;
  return { title, header, rows, notes };
}

/** How a sweep's table picks the best variant at a point: the highest throughput, then the highest success rate. */
export const BEST_BY = 'throughput, then success rate';

/** The best variant of a run by BEST_BY (the first listed on a tie). */
export function bestVariant(run: RunResult): VariantResult {
  const score = (v: VariantResult): [number, number] => [v.metrics.throughputPerS ?? -Infinity, v.metrics.successRate ?? -Infinity];
  return run.variants.reduce((best, v) => {
    const [a, b] = [score(v), score(best)];
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]) ? v : best;
  });
}

/** A swept value as the sweep table shows it. */
const cell = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '–');

/**
 * A sweep's summary: a row per point with its swept values, every variant's throughput, and the
 * best variant there (by BEST_BY) with its success rate and mean latency.
 */
export function sweepTable(results: Results): Table {
  const fields = results.sweep?.fields ?? [];
  const variants = results.runs[0]?.variants.map((v) => v.name) ?? [];
  const header = [...fields, ...variants.map((v) => `${v} (req/s)`), 'best', 'best: success rate (%)', 'best: mean latency (s)'];
  const rows = results.runs.map((run) => {
    const best = bestVariant(run);
    const m = best.metrics;
    return [
      ...fields.map((f) => cell(run.point?.[f])),
      ...variants.map((name) => {
        const t = run.variants.find((v) => v.name === name)?.metrics.throughputPerS;
        return t === null || t === undefined ? '–' : t.toFixed(2);
      }),
      best.name,
      m.successRate === null ? '–' : (m.successRate * 100).toFixed(1),
      m.latencyMs.mean === null ? '–' : (m.latencyMs.mean / 1000).toFixed(3),
    ];
  });
  return { title: `${results.runs.length} points: throughput of each variant, and the best by ${BEST_BY}`, header, rows, notes: [] };
}

/** The runs whose full tables are shown beside a sweep's summary: those with published figures. */
export const referencedRuns = (results: Results): RunResult[] => results.runs.filter((r) => results.reference[r.name]);

/** Every table of a results file, in the order stdout and results.md show them. */
export function tablesOf(results: Results): Table[] {
  if (!results.sweep) return results.runs.map((r) => comparison(results, r));
  return [sweepTable(results), ...referencedRuns(results).map((r) => comparison(results, r))];
}

export function toText(t: Table): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [t.title, line(t.header), widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line)];
  for (const n of t.notes) out.push(`≠ ${n}`);
  return out.join('\n');
}

export function toMarkdown(t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const out = [`### ${esc(t.title)}`, '', `| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of t.rows) out.push(`| ${r.map(esc).join(' | ')} |`);
  if (t.notes.length) out.push('', ...t.notes.map((n) => `- ≠ ${esc(n)}`));
  return out.join('\n');
}

/** results.md: every run's table, with the units stated. */
export function markdownReport(results: Results): string {
  const parts = [
    `# ${results.scenario}`,
    '',
    ...(results.description ? [results.description, ''] : []),
    `Mode: ${results.mode}${results.timeScale !== undefined ? ` (time scale ${results.timeScale}, scenario time)` : ''} · seed: ${results.seed} · baseline: ${results.baseline} · file: \`${results.file}\``,
    '',
    ...(results.partial ? ['**Partial**: the run was interrupted; these figures cover the requests started before.', ''] : []),
    'Latency is measured from a request\'s arrival to its final outcome, over successful requests; percentiles are exact (nearest rank). Improvements are relative (%) for times and throughput, and in percentage points (pp) for rates.',
    '',
  ];
  if (results.sweep) {
    parts.push(
      `A sweep of ${results.sweep.fields.join(', ')}: one point per ${results.sweep.dimensions > 1 ? 'combination' : 'value'}. The first table sums up every point; full tables follow for the points with published figures (results.json has every point).`,
      '',
    );
  }
  for (const t of tablesOf(results)) parts.push(toMarkdown(t), '');
  if (results.notes?.length) parts.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  return parts.join('\n');
}
