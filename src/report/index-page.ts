import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Results } from '../metrics/results.js';
import { writeAll } from '../core/output.js';
import { escapeHtml } from './html.js';

/** One report folder under the reports root. */
export interface ReportEntry {
  /** Folder name (reports/<dir>/). */
  dir: string;
  /** From its results.json; null when that is missing or unreadable. */
  scenario: string | null;
  description: string | null;
  runs: number;
  variants: number;
  /** When its results were written (results.json's mtime, else index.html's). */
  modified: Date;
  /** What the link opens: the page, or results.json when there is no page yet. */
  page: 'index.html' | 'results.json';
}

/** What a report's line shows; from its summary.json. */
interface Summary {
  scenario?: unknown;
  description?: unknown;
  runs?: unknown;
  variants?: unknown;
}

/** Results files written before summary.json existed are read whole only up to this size. */
const READ_WHOLE_BELOW = 4 << 20;

/**
 * A report's summary: its summary.json (a few hundred bytes whatever the results' size), or for a
 * report from before it existed, its results.json when that is small. Unreadable: nothing.
 */
function summaryOf(dir: string, results: string | undefined): Summary {
  try {
    const file = join(dir, 'summary.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Summary;
    if (results && statSync(results).size < READ_WHOLE_BELOW) {
      const r = JSON.parse(readFileSync(results, 'utf8')) as Partial<Results>;
      return { scenario: r.scenario, description: r.description, runs: r.runs?.length, variants: r.runs?.[0]?.variants?.length };
    }
  } catch {
    // An unreadable report still gets its line, without a scenario name.
  }
  return {};
}

/** Every folder under `root` holding a results.json or an index.html, newest first (then by name). */
export function scanReports(root: string): ReportEntry[] {
  if (!existsSync(root)) return [];
  const entries: ReportEntry[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const json = join(root, d.name, 'results.json');
    const html = join(root, d.name, 'index.html');
    const hasJson = existsSync(json);
    const hasHtml = existsSync(html);
    if (!hasJson && !hasHtml) continue;
    const s = summaryOf(join(root, d.name), hasJson ? json : undefined);
    entries.push({
      dir: d.name,
      scenario: typeof s.scenario === 'string' ? s.scenario : null,
      description: typeof s.description === 'string' ? s.description : null,
      runs: typeof s.runs === 'number' ? s.runs : 0,
      variants: typeof s.variants === 'number' ? s.variants : 0,
      modified: statSync(hasJson ? json : html).mtime,
      page: hasHtml ? 'index.html' : 'results.json',
    });
  }
  return entries.sort((a, b) => b.modified.getTime() - a.modified.getTime() || a.dir.localeCompare(b.dir));
}

const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** reports/index.html: a table of every report, newest first, each linking to its page. */
export function indexPage(entries: readonly ReportEntry[]): string {
  const rows = entries
    .map((e) => {
      const href = `${encodeURIComponent(e.dir)}/${e.page}`;
      const size = e.runs ? `${e.runs} run${e.runs === 1 ? '' : 's'} × ${e.variants} variant${e.variants === 1 ? '' : 's'}` : '';
      return `<tr>
<td><a href="${escapeHtml(href)}">${escapeHtml(e.dir)}</a></td>
<td>${e.scenario === null ? '<span class="muted">unreadable results.json</span>' : escapeHtml(e.scenario)}${e.description ? `<div class="muted">${escapeHtml(e.description)}</div>` : ''}</td>
<td>${size}</td>
<td class="date"><time datetime="${e.modified.toISOString()}">${utc(e.modified)}</time></td>
</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gatesim reports</title>
<style>
body { margin: 0 auto; max-width: 1100px; padding: 28px 24px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328; }
h1 { font-size: 26px; margin: 0 0 4px; }
p { margin: 0 0 18px; color: #6a737d; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #d8dee4; vertical-align: top; }
thead th { border-bottom: 2px solid #1f2328; }
tbody tr:nth-child(even) { background: #f6f8fa; }
a { color: #0b5cad; font-weight: 600; text-decoration: none; }
a:hover { text-decoration: underline; }
.muted { color: #6a737d; font-size: 13px; }
.date { white-space: nowrap; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>gatesim reports</h1>
<p>${entries.length} report${entries.length === 1 ? '' : 's'} in this folder, newest first.</p>
<table>
<thead><tr><th>report</th><th>scenario</th><th>size</th><th>results written</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

/** Rewrites `root`/index.html from the folders present now; returns its path. */
export function writeIndex(root: string): string {
  return writeAll(root, { 'index.html': indexPage(scanReports(root)) })[0]!;
}
