import type { Results, RunResult } from '../metrics/results.js';
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
  for (const row of [...METRICS, ...providerRows(run)]) {
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
  for (const run of results.runs) parts.push(toMarkdown(comparison(results, run)), '');
  return parts.join('\n');
}
