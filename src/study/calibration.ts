import { writeFileSync } from 'node:fs';
import { Document, isSeq, visit } from 'yaml';

/**
 * What `gatesim calibrate` found, whatever it read (a real run's attempts, a published table): the
 * provider block to paste into a scenario, and at every point what was measured, what the fitted
 * provider predicts and the error between them; `outside` names the points beyond tolerance.
 */
export interface Calibration {
  /** What was read (the file as given). */
  source: string;
  /** A scenario's provider entry (its fields as a scenario writes them). */
  provider: Record<string, unknown>;
  points: { label: string; measured: Record<string, number>; predicted: Record<string, number>; error: Record<string, number> }[];
  /** The points outside tolerance: a run's point labels, or a table's one line per point and metric. */
  outside: string[];
  /** Remarks: what was fitted how, what could not be (one line each). */
  notes?: string[];
}

/** The provider block as YAML, ready to paste under `providers:`. */
export function providerYaml(c: Calibration): string {
  const doc = new Document([c.provider]);
  // A list of numbers (an empirical distribution's samples) on one line, not a thousand.
  visit(doc, {
    Seq(_, node) {
      if (isSeq(node) && node.items.every((i) => typeof (i as { value?: unknown }).value === 'number')) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

const fmt = (n: number | undefined): string => {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  return a >= 1000 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 0.01 || a === 0 ? n.toFixed(3) : n.toPrecision(2);
};
const pct = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)}%`);

/**
 * The residuals as a text table (one row per point and metric: measured, predicted, error), the
 * provider block, and a plain warning naming each point outside tolerance.
 */
export function calibrationText(c: Calibration): string {
  const rows: string[][] = [['point', 'metric', 'measured', 'predicted', 'error']];
  for (const p of c.points) {
    for (const m of Object.keys(p.measured)) {
      rows.push([p.label, m, fmt(p.measured[m]), fmt(p.predicted[m]), pct(p.error[m])]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const table = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
  const parts = [`calibrated from ${c.source} (errors are predicted − measured, relative to measured)`, '', table, '', 'provider (paste under providers:):', providerYaml(c).trimEnd()];
  if (c.notes?.length) parts.push('', ...c.notes.map((n) => `note: ${n}`));
  if (c.outside.length) {
    const long = c.outside.some((o) => o.includes(' '));
    parts.push('', long
      ? ['warning: outside tolerance (docs/calibrate.md says how to read the residuals):', ...c.outside.map((o) => `  ${o}`)].join('\n')
      : `warning: outside tolerance at ${c.outside.join(', ')} (docs/calibrate.md says how to read the residuals)`);
  }
  return `${parts.join('\n')}\n`;
}

/** The calibration as `format` says: the table and block (`table`), the whole of it as JSON, or the provider block alone as YAML. */
export function formatCalibration(c: Calibration, format: 'table' | 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(c, null, 2)}\n`;
  if (format === 'yaml') return providerYaml(c);
  return calibrationText(c);
}

/** `--write FILE`: the provider block as YAML. */
export function writeProvider(c: Calibration, file: string): void {
  writeFileSync(file, providerYaml(c));
}
