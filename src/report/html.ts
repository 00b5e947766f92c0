import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../metrics/results.js';
import { projectRoot } from '../paths.js';
import { runCharts, runsChart } from './charts.js';
import { redact } from './redact.js';
import { BEST_BY, comparison, referencedRuns, sweepTable, type Table } from './table.js';

/** What the page shows besides results.json: facts about this generation, not about the run. */
export interface PageFacts {
  /** The scenario YAML as run; shown after `redact()`. */
  source?: string;
  /** Says where `source` came from when it is not the text the run read (a regenerated report). */
  sourceNote?: string;
  /** `--set` overrides the run applied on top of the file. */
  overrides?: readonly string[];
  generatedAt: Date;
  /** When the results were written, if not just now (a regenerated report: results.json's mtime). */
  ranAt?: Date;
  /** gatesim's version (package.json). */
  version: string;
  /** Defaults to results.mode. */
  mode?: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value. Every string that came from a scenario goes through this. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON that can sit inside a <script> element: no `<` (so no `</script>` or `<!--`), no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const vendorCache = new Map<string, string>();

/** A browser bundle from node_modules, read at generation time, made safe to inline. */
function vendor(pkg: string, file: string): string {
  const cached = vendorCache.get(pkg);
  if (cached !== undefined) return cached;
  // Each package's main entry sits in its build/ folder beside the minified browser bundle.
  const path = join(dirname(createRequire(join(projectRoot(), 'package.json')).resolve(pkg)), file);
  const code = readFileSync(path, 'utf8')
    .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--');
  vendorCache.set(pkg, code);
  return code;
}

/** The three browser bundles, in load order. */
export function vendorScripts(): string[] {
  return [vendor('vega', 'vega.min.js'), vendor('vega-lite', 'vega-lite.min.js'), vendor('vega-embed', 'vega-embed.min.js')];
}

const MODES: Record<string, string> = { sim: 'simulation (virtual time)', real: 'real (wall clock, HTTP)' };

function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A comparison table as HTML: published columns muted, improvement columns apart, ≠ marked.
 * `caption` is shown above it (the section heading already names the run).
 */
export function tableHtml(t: Table, caption?: string): string {
  const kind = (h: string, i: number): string =>
    i === 0 ? 'metric' : h.endsWith('(published)') ? 'num published' : h.includes(' vs ') ? 'num gain' : 'num';
  const kinds = t.header.map(kind);
  const head = t.header.map((h, i) => `<th scope="col" class="${kinds[i]}">${escapeHtml(h)}</th>`).join('');
  const body = t.rows
    .map((r) => {
      const cells = r.map((c, i) => {
        if (i === 0) return `<th scope="row">${escapeHtml(c)}</th>`;
        // The terminal's ≠ (after a gain, or inside the brackets of a compact table) becomes a visible mark.
        const disagree = c.includes('≠');
        const html = escapeHtml(c).replace(/ ?≠/g, ' <span class="ne" title="This difference goes the other way from the published figures">≠</span>');
        return `<td class="${kinds[i]}${disagree ? ' disagree' : ''}">${html}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const notes = t.notes.length
    ? `<ul class="notes">${t.notes.map((n) => `<li><span class="ne">≠</span> ${escapeHtml(n)}</li>`).join('')}</ul>`
    : '';
  return `${caption ? `<p class="table-title">${escapeHtml(caption)}</p>` : ''}<div class="table-wrap"><table class="comparison">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>${notes}`;
}

/**
 * The report page: one self-contained HTML file (vega, vega-lite and vega-embed inlined, every
 * chart's data inlined) that opens from file:// with no network.
 */
export function htmlReport(results: Results, facts: PageFacts): string {
  const specs: TopLevelSpec[] = [];
  const chart = (spec: TopLevelSpec): string => {
    specs.push(spec);
    return `<figure class="chart"><div class="vega" data-spec="spec-${specs.length}"></div></figure>`;
  };
  // A compact table's title says how to read it; the plain one only repeats the heading.
  const table = (t: Table, heading: string): string => tableHtml(t, t.title !== heading ? t.title : undefined);
  // A sweep shows its summary first, full sections only for the points with published figures,
  // and every point's table folded away (a point's charts are one `--set` run away).
  const shownRuns = results.sweep ? referencedRuns(results) : results.runs;
  const sections = shownRuns.map((run) => {
    const i = results.runs.indexOf(run);
    const charts = runCharts(run).map(chart).join('\n');
    return `<section class="run" id="run-${i + 1}">
<h2>${escapeHtml(run.name)}</h2>
${table(comparison(results, run), run.name)}
<div class="charts">
${charts}
</div>
</section>`;
  });
  const across = runsChart(results);
  const acrossTitle = results.sweep ? 'The sweep' : 'Across the runs';
  if (results.sweep) {
    const summary = sweepTable(results);
    const every = results.runs
      .map((run, i) => `<h3 id="point-${i + 1}">${escapeHtml(run.name)}</h3>\n${table(comparison(results, run), run.name)}`)
      .join('\n');
    sections.unshift(`<section class="run" id="across-runs">
<h2>${acrossTitle}</h2>
<p class="sweep-fields">${results.runs.length} points over ${results.sweep.fields.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}; the best variant at each point by ${escapeHtml(BEST_BY)}.</p>
${tableHtml(summary, summary.title)}
<div class="charts">
${across ? chart(across) : ''}
</div>
<details class="points"><summary>Every point's full table (${results.runs.length})</summary>
${every}
</details>
</section>`);
  } else if (across) {
    sections.push(`<section class="run" id="across-runs">
<h2>${acrossTitle}</h2>
<div class="charts">
${chart(across)}
</div>
</section>`);
  }
  const notes = results.notes?.length
    ? `<section class="notes" id="notes">
<h2>Notes</h2>
${results.notes.map((n) => `<p>${escapeHtml(n.trim()).replace(/\n/g, '<br>')}</p>`).join('\n')}
</section>`
    : '';
  if (notes) sections.unshift(notes);
  const runLinks = shownRuns.map((run) => `<a href="#run-${results.runs.indexOf(run) + 1}">${escapeHtml(run.name)}</a>`);
  const nav = [
    ...(notes ? ['<a href="#notes">Notes</a>'] : []),
    ...(results.sweep ? [`<a href="#across-runs">${acrossTitle}</a>`, ...runLinks] : [...runLinks, ...(across ? [`<a href="#across-runs">${acrossTitle}</a>`] : [])]),
  ];
  const mode = facts.mode ?? results.mode;
  const factRows: [string, string][] = [
    ['seed', String(results.seed)],
    ['mode', MODES[mode] ?? mode],
    ...(results.timeScale !== undefined ? ([['time scale', `${results.timeScale} (times shown in scenario time)`]] as [string, string][]) : []),
    ...(results.partial ? ([['PARTIAL', 'the run was interrupted; it covers the requests started before']] as [string, string][]) : []),
    ['baseline', results.baseline],
    ['scenario file', results.file],
    ...(facts.overrides?.length ? ([['overrides', facts.overrides.map((o) => `--set ${o}`).join('  ')]] as [string, string][]) : []),
    ...(facts.ranAt ? ([['results written', utc(facts.ranAt)]] as [string, string][]) : []),
    ['page generated', utc(facts.generatedAt)],
    ['gatesim', facts.version],
  ];
  // results.source is already redacted; a caller's own text is redacted here.
  const sourceText = results.source ?? (facts.source !== undefined ? redact(facts.source) : undefined);
  const source =
    sourceText !== undefined
      ? `<details class="source"><summary>The scenario as run (YAML${facts.sourceNote ? `, ${escapeHtml(facts.sourceNote)}` : ''}; secrets shown as fingerprints)</summary>
<pre><code>${escapeHtml(sourceText)}</code></pre></details>`
      : '';
  const specScripts = specs.map((s, i) => `<script type="application/json" id="spec-${i + 1}">${scriptJson(s)}</script>`).join('\n');
  const vendorTags = vendorScripts()
    .map((code) => `<script>${code}</script>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gatesim ${escapeHtml(facts.version)}">
<title>${escapeHtml(results.scenario)} · gatesim report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<p class="kicker">gatesim report</p>
<h1>${escapeHtml(results.scenario)}</h1>
${results.description ? `<p class="description">${escapeHtml(results.description)}</p>` : ''}
<dl class="facts">
${factRows.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n')}
</dl>
${source}
<nav>${nav.join('')}</nav>
</header>
<main>
${sections.join('\n')}
</main>
<footer>
<p>Latency runs from a request's arrival (when it was meant to start) to its final outcome, over successful requests; percentiles are exact (nearest rank). Improvements are relative (%) for times and throughput and in percentage points (pp) for rates; <span class="ne">≠</span> marks a difference whose direction disagrees with the published figures. Published figures are shown in grey beside the simulated ones.</p>
</footer>
${specScripts}
${vendorTags}
<script>${BOOT}</script>
</body>
</html>
`;
}

/** Draws every chart; `window.gatesimCharts` resolves to the vega views once all are drawn (the browser test waits on it). */
const BOOT = `
(function () {
  var options = { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } };
  var holders = Array.prototype.slice.call(document.querySelectorAll('[data-spec]'));
  window.gatesimCharts = Promise.all(holders.map(function (el) {
    var spec = JSON.parse(document.getElementById(el.getAttribute('data-spec')).textContent);
    return vegaEmbed(el, spec, options).then(function (result) {
      el.classList.add('drawn');
      return result.view;
    }, function (error) {
      el.classList.add('failed');
      el.textContent = 'This chart could not be drawn: ' + error.message;
      console.error(error);
      return null;
    });
  }));
})();
`;

const CSS = `
:root { --ink: #1f2328; --muted: #6a737d; --line: #d8dee4; --soft: #f6f8fa; --accent: #0b5cad; --warn: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
.kicker { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .06em; text-transform: uppercase; }
h1 { margin: 4px 0 6px; font-size: 28px; line-height: 1.25; overflow-wrap: anywhere; }
h2 { margin: 36px 0 12px; font-size: 21px; padding-bottom: 6px; border-bottom: 2px solid var(--ink); overflow-wrap: anywhere; }
.description { margin: 0 0 14px; font-size: 16px; max-width: 80ch; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0 0 14px; }
.facts div { display: flex; gap: 8px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
details.source { margin: 0 0 14px; }
details.source summary { cursor: pointer; color: var(--accent); }
details.source pre { max-height: 420px; overflow: auto; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; font-size: 12.5px; line-height: 1.45; }
nav { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 8px 0; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
.table-wrap { overflow-x: auto; }
table.comparison { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; }
table.comparison th, table.comparison td { padding: 5px 12px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.comparison thead th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid var(--ink); font-weight: 600; vertical-align: bottom; }
table.comparison tbody tr:nth-child(even) { background: var(--soft); }
table.comparison tbody th { text-align: left; font-weight: 500; }
.num { text-align: right; }
th.num { text-align: right; }
.published { color: var(--muted); font-style: italic; }
thead .published { font-weight: 500; }
.gain { border-left: 1px solid var(--line); }
.table-title { margin: 0 0 8px; color: var(--muted); font-size: 14px; }
td.disagree { background: #fde7e4 !important; color: var(--warn); font-weight: 600; }
.ne { color: var(--warn); font-weight: 700; }
ul.notes { list-style: none; padding: 0; margin: 10px 0 0; color: var(--warn); font-size: 14px; }
section.notes p { max-width: 100ch; white-space: normal; }
.sweep-fields { color: var(--muted); margin: 0 0 10px; }
details.points { margin-top: 24px; }
details.points summary { cursor: pointer; color: var(--accent); }
h3 { margin: 22px 0 8px; font-size: 16px; }
.charts { display: flex; flex-direction: column; gap: 28px; margin-top: 24px; }
figure.chart { margin: 0; overflow-x: auto; }
.vega.failed { color: var(--warn); }
footer { margin-top: 40px; padding-top: 12px; padding-bottom: 40px; border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; }
footer p { max-width: 100ch; }
`;
