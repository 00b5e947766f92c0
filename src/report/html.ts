import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../metrics/results.js';
import { projectRoot } from '../core/paths.js';
import { describeGoal, goalMetric } from '../metrics/goal.js';
import { bestBy, checkFigures, goalOf, comparable, describeCheck, type FigureCheck, publishedSummary, SERVING_BY, servingAnswer, tally, TOLERANCE_TEXT } from './answer.js';
import { publishedChart, runChartGroups, runsChart } from './charts.js';
import { redact } from './redact.js';
import { answerTable, burstTable, sweepMeets, comparison, offeredLine, offeredTable, referencedRuns, splitColumns, sweepTable, type Table } from './table.js';
import { chartSize, palette } from './vega.js';
import { shardsTable } from './shards.js';

/** Columns beside the key columns a table on the page has at most: more go to a block under it, so nothing is cut off at the right. */
const PAGE_COLUMNS = 8;

/** What the page shows besides results.json: facts about this generation, not about the run. */
export interface PageFacts {
  /** The scenario YAML as run; shown after `redact()` (results.json's `source`, when it has one, wins). */
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

export function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "1.452 (+23.6%)": a compact table's value and its change, which the page puts on two lines. */
const COMPACT_CELL = /^(\S+) (\(.+\))$/;

/**
 * A table as HTML: published columns muted, change columns apart, ≠ marked, a compact cell's
 * change under its value (so a table of many variants fits the column), and the table's remarks
 * (what it left out) under it. `caption` is shown above it (the section heading already names the run).
 */
/** A page's head and the top of its header: title, kicker, the scenario's name and description, its facts (the header stays open). */
export function pageHead(kind: string, scenario: string, description: string | null | undefined, facts: readonly (readonly [string, string])[], version: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gatesim ${escapeHtml(version)}">
<title>${escapeHtml(scenario)} · gatesim ${kind}</title>
<style>${css}</style>
</head>
<body>
<header>
<p class="kicker">gatesim ${kind}</p>
<h1>${escapeHtml(scenario)}</h1>
${description ? `<p class="description">${escapeHtml(description)}</p>` : ''}
<dl class="facts">
${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n')}
</dl>`;
}

/** A table as HTML; `extra` adds a class beside `comparison` (`workload`: the workload's own figures, not a comparison of options). */
export function tableHtml(t: Table, caption?: string, extra?: 'workload'): string {
  const kind = (h: string, i: number): string =>
    i === 0 ? 'metric' : h.endsWith('(published)') ? 'num published' : h.includes(' vs ') ? 'num gain' : 'num';
  const kinds = t.header.map((h, i) => (t.textColumns?.includes(i) ? 'text' : kind(h, i)));
  const head = t.header.map((h, i) => `<th scope="col" class="${kinds[i]}">${escapeHtml(h)}</th>`).join('');
  const mark = (html: string): string => html.replace(/ ?≠/g, ' <span class="ne" title="This difference goes the other way from the published figures">≠</span>');
  const body = t.rows
    .map((r) => {
      const cells = r.map((c, i) => {
        if (i === 0) return `<th scope="row">${escapeHtml(c)}</th>`;
        // The terminal's ≠ (after a gain, or inside the brackets of a compact table) becomes a visible mark.
        const disagree = c.includes('≠');
        const split = kinds[i] === 'num' ? COMPACT_CELL.exec(c) : null;
        const html = split ? `${escapeHtml(split[1]!)} <span class="chg">${mark(escapeHtml(split[2]!))}</span>` : mark(escapeHtml(c));
        return `<td class="${kinds[i]}${disagree ? ' disagree' : ''}">${html}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const notes = t.notes.length
    ? `<ul class="notes">${t.notes.map((n) => `<li><span class="ne">≠</span> ${escapeHtml(n)}</li>`).join('')}</ul>`
    : '';
  const remarks = t.remarks.length ? `<ul class="remarks">${t.remarks.map((n) => `<li>${escapeHtml(n.trim())}</li>`).join('')}</ul>` : '';
  return `${caption ? `<p class="table-title">${escapeHtml(caption)}</p>` : ''}<div class="table-wrap"><table class="comparison${extra ? ` ${extra}` : ''}">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>${notes}${remarks}`;
}

/**
 * The page's first section: per run the best option and its margin, the conditions that are
 * compared but never picked, and for a study with published figures how many the simulation
 * reproduces, each one it contradicts or misses, and the published-vs-simulated chart.
 */
function answerHtml(results: Results, chart: (spec: TopLevelSpec) => string): string {
  const t = answerTable(results);
  if (!t) return '';
  const conditions = [...new Set(results.runs.flatMap((r) => r.variants.filter((v) => v.condition).map((v) => v.name)))];
  const serving = servingAnswer(results) !== null;
  const lead = serving
    ? `<p class="lead">One server, one option: the answer is where to run it. Main metric: <strong>${escapeHtml(SERVING_BY)}</strong>.</p>`
    : `<p class="lead">Ranked by the goal, <strong>${escapeHtml(describeGoal(goalOf(results)))}</strong>: options that meet it first (about the most requests done, then the most ${escapeHtml(goalMetric(goalOf(results).maximise)?.label ?? '')}), then the closest.${
        conditions.length ? ` Conditions, compared but never picked: ${conditions.map((c) => `<em>${escapeHtml(c)}</em>`).join(', ')}.` : ''
      }</p>`;
  const hasPicks = serving || results.runs.some((r) => r.variants.length > 1);
  const table = hasPicks ? tableHtml({ ...t, remarks: [] }) : '';
  const meets = sweepMeets(results);
  const meetsHtml = meets.length
    ? `<ul class="meets">${meets.map((m) => `<li><strong>${escapeHtml(m.name)}</strong>${m.condition ? ' (a condition)' : ''} meets the goal ${m.where === null ? '<strong class="bad">at no point</strong>' : `at <strong>${escapeHtml(m.where)}</strong>`}</li>`).join('')}</ul>`
    : '';
  let published = '';
  const summary = publishedSummary(results);
  if (summary !== null) {
    const checks = checkFigures(results);
    const manyRuns = new Set(checks.map((c) => c.run)).size > 1;
    const list = (cs: FigureCheck[], cls: string): string => `<ul class="${cls}">${cs.map((c) => `<li>${escapeHtml(describeCheck(c, manyRuns))}</li>`).join('')}</ul>`;
    const contra = checks.filter((c) => c.verdict === 'contradicted');
    const off = checks.filter((c) => c.verdict === 'off' || c.verdict === 'missing');
    const n = tally(checks);
    const counts = comparable(results)
      ? `<p class="verdict"><strong>Published figures: ${n.reproduced} of ${checks.length} reproduced</strong>, <strong${n.contradicted ? ' class="bad"' : ''}>${n.contradicted} contradicted</strong>, ${n.off} off by more than the tolerance${n.missing ? `, ${n.missing} not measured` : ''}. Reproduced means ${escapeHtml(TOLERANCE_TEXT)}.</p>`
      : `<p class="verdict changed">${escapeHtml(summary)}</p>`;
    published = [
      counts,
      contra.length ? `<p class="sub">Contradicted (the change against the baseline goes the other way):</p>${list(contra, 'contradicted')}` : '',
      off.length ? `<details class="off"><summary>Off by more than the tolerance (${off.length})</summary>${list(off, 'off')}</details>` : '',
    ].join('\n');
    const pc = publishedChart(results);
    if (pc) published += `\n<div class="charts">${chart(pc)}</div>`;
  }
  return `<section class="answer" id="answer">
<h2>The answer</h2>
${lead}
${meetsHtml}
${table}
${published}
</section>`;
}

/**
 * The report page: one self-contained HTML file (vega, vega-lite and vega-embed inlined, every
 * chart's data inlined) that opens from file:// with no network. It answers first (the answer
 * section), then the scenario's notes, then each run's table and the charts that say something
 * about it, then the runs side by side.
 */
export function htmlReport(results: Results, facts: PageFacts): string {
  const specs: TopLevelSpec[] = [];
  const chart = (spec: TopLevelSpec): string => {
    specs.push(spec);
    return `<figure class="chart ${chartSize(spec)}"><div class="vega" data-spec="spec-${specs.length}"></div></figure>`;
  };
  const pal = palette(results.runs);
  // A compact table's title says how to read it; the plain one only repeats the heading.
  const table = (t: Table, heading: string): string => tableHtml(t, t.title !== heading ? t.title : undefined);
  const answer = answerHtml(results, chart);
  const toc: [string, string][] = answer ? [['answer', 'The answer']] : [];
  const notes = results.notes?.length
    ? `<section class="notes" id="notes">
<h2>Notes</h2>
${results.notes.map((n) => `<p>${escapeHtml(n.trim()).replace(/\n/g, '<br>')}</p>`).join('\n')}
</section>`
    : '';
  if (notes) toc.push(['notes', 'Notes']);
  const sections: string[] = [];
  const across = runsChart(results, pal);
  // A sweep shows its summary first, full sections only for the points with published figures,
  // and every point's table folded away (a point's charts are one `--set` run away).
  // A serving sweep (one option per point) has nothing to compare within a point: its sweep chart
  // and the published-against-simulated chart carry every point, and the tables stay folded.
  const shownRuns = results.sweep ? (servingAnswer(results) ? [] : referencedRuns(results)) : results.runs;
  if (results.sweep) {
    const summary = sweepTable(results);
    const every = results.runs
      .map((run, i) => `<h3 id="point-${i + 1}">${escapeHtml(run.name)}</h3>\n${table(comparison(results, run), run.name)}`)
      .join('\n');
    sections.push(`<section class="run" id="across-runs">
<h2>The sweep</h2>
<p class="sweep-fields">${results.runs.length} points over ${results.sweep.fields.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}; the best option at each point by ${escapeHtml(bestBy(goalOf(results)))}.</p>
${splitColumns(summary, PAGE_COLUMNS).map((b) => tableHtml(b, b.title || undefined)).join('\n')}
<div class="charts">
${across ? chart(across) : ''}
</div>
<details class="points"><summary>Every point's full table (${results.runs.length})</summary>
${every}
</details>
</section>`);
    toc.push(['across-runs', 'The sweep']);
  }
  for (const run of shownRuns) {
    const i = results.runs.indexOf(run);
    const groups = runChartGroups(run, pal);
    const charts = groups.run.map(chart).join('\n');
    // The workload's own figures folded under one line; its charts beside the run's on a page of one
    // run, folded with the figures when there are several (so every run stays within reach).
    const line = offeredLine(run);
    const tables = [offeredTable(run), burstTable(run)].flatMap((t) => (t ? [tableHtml(t, t.title, 'workload')] : [])).join('\n');
    const workloadCharts = groups.workload.length ? `<div class="charts">\n${groups.workload.map(chart).join('\n')}\n</div>` : '';
    const fold = shownRuns.length > 1;
    const workload = line
      ? `<details class="workload"><summary>${escapeHtml(line)}</summary>\n${tables}${fold ? `\n${workloadCharts}` : ''}\n</details>${fold ? '' : `\n${workloadCharts}`}`
      : workloadCharts;
    sections.push(`<section class="run" id="run-${i + 1}">
<h2>${escapeHtml(run.name)}</h2>
${table(comparison(results, run), run.name)}
${workload}
${charts ? `<div class="charts">\n${charts}\n</div>` : ''}
</section>`);
    toc.push([`run-${i + 1}`, run.name]);
  }
  if (!results.sweep && across) {
    sections.push(`<section class="run" id="across-runs">
<h2>Across the runs</h2>
<div class="charts">
${chart(across)}
</div>
</section>`);
    toc.push(['across-runs', 'Across the runs']);
  }
  const shards = shardsTable(results);
  if (shards) {
    sections.push(`<section class="run" id="shards">\n<h2>Shards</h2>\n${table(shards, 'Shards')}\n</section>`);
    toc.push(['shards', 'Shards']);
  }
  const mode = facts.mode ?? results.mode;
  const changed = results.changed?.length ? results.changed : null;
  const factRows: [string, string][] = [
    ['seed', String(results.seed)],
    ['mode', MODES[mode] ?? mode],
    ...(results.timeScale !== undefined ? ([['time scale', `${results.timeScale} (times shown in scenario time)`]] as [string, string][]) : []),
    ...(results.partial ? ([['PARTIAL', 'the run was interrupted; it covers the requests started before']] as [string, string][]) : []),
    ['baseline', results.baseline],
    ['scenario file', results.file],
    ...(changed ? ([['changed', `${changed.join(' ')} (published figures not compared)`]] as [string, string][]) : []),
    ...(!changed && facts.overrides?.length ? ([['overrides', facts.overrides.map((o) => `--set ${o}`).join('  ')]] as [string, string][]) : []),
    ...(facts.ranAt ? ([['results written', utc(facts.ranAt)]] as [string, string][]) : []),
    ['page generated', utc(facts.generatedAt)],
    ['gatesim', facts.version],
  ];
  // results.json's own copy is the text that ran (already redacted); the file on disk may have changed since.
  const sourceText = results.source ?? (facts.source !== undefined ? redact(facts.source) : undefined);
  const sourceNote = results.source === undefined ? facts.sourceNote : undefined;
  const source =
    sourceText !== undefined
      ? `<details class="source"><summary>The scenario as run (YAML${sourceNote ? `, ${escapeHtml(sourceNote)}` : ''}; secrets shown as fingerprints)</summary>
<pre><code>${escapeHtml(sourceText)}</code></pre></details>`
      : '';
  const nav = toc.map(([id, text]) => `<a href="#${id}">${escapeHtml(text)}</a>`);
  const specScripts = specs.map((s, i) => `<script type="application/json" id="spec-${i + 1}">${scriptJson(s)}</script>`).join('\n');
  const vendorTags = vendorScripts()
    .map((code) => `<script>${code}</script>`)
    .join('\n');
  return `${pageHead('report', results.scenario, results.description, factRows, facts.version, CSS)}
${source}
<nav class="toc" aria-label="Contents"><span class="toc-title">Contents</span>${nav.join('')}</nav>
</header>
<main>
${answer}
${notes}
${sections.join('\n')}
</main>
<footer>
<p>Latency runs from a request's arrival (when it was meant to start) to its final outcome, over successful requests; percentiles are exact (nearest rank). Changes are relative (%) for times and throughput, in percentage points (pp) for rates, and absolute ("46 more", "51.40 s more") for counts and detection times against a zero or tiny baseline; <span class="ne">≠</span> marks a change whose direction disagrees with the published figures. Published figures are shown in grey beside the simulated ones, only when this run is the scenario as written. Colours: a variant or a provider has one colour on every chart of the page.</p>
</footer>
${specScripts}
${vendorTags}
<script>${BOOT}</script>
</body>
</html>
`;
}

/** Draws every chart; `window.gatesimCharts` resolves to the vega views once all are drawn (the browser test waits on it). */
export const BOOT = `
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

export const CSS = `
:root { --ink: #1f2328; --muted: #6a737d; --line: #d8dee4; --soft: #f6f8fa; --accent: #0b5cad; --warn: #b3261e; --good: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 18px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.kicker { margin: 0; color: var(--muted); font-size: 12px; letter-spacing: .06em; text-transform: uppercase; }
h1 { margin: 2px 0 4px; font-size: 26px; line-height: 1.25; overflow-wrap: anywhere; }
h2 { margin: 26px 0 8px; font-size: 20px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); overflow-wrap: anywhere; }
.description { margin: 0 0 8px; font-size: 15px; max-width: 90ch; }
.facts { display: flex; flex-wrap: wrap; gap: 2px 22px; margin: 0 0 6px; font-size: 13px; }
.facts div { display: flex; gap: 6px; min-width: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
details.source { margin: 0 0 6px; font-size: 14px; }
details.source summary { cursor: pointer; color: var(--accent); }
details.source pre { max-height: 420px; overflow: auto; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; font-size: 12.5px; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
details.workload { margin: 6px 0 10px; font-size: 14px; }
details.workload summary { cursor: pointer; color: var(--accent); }
nav.toc { display: flex; flex-wrap: wrap; gap: 2px 16px; padding: 6px 0; font-size: 14px; }
nav.toc .toc-title { color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
section.answer .lead { margin: 0 0 10px; max-width: 110ch; }
section.answer p.verdict { margin: 14px 0 6px; max-width: 110ch; }
section.answer strong.bad { color: var(--warn); }
section.answer p.sub { margin: 6px 0 2px; color: var(--warn); }
section.answer ul.contradicted { margin: 0 0 6px; color: var(--warn); font-size: 14px; }
section.answer details.off { font-size: 14px; margin: 4px 0; }
section.answer details.off summary { cursor: pointer; color: var(--accent); }
section.answer ul.off { margin: 4px 0; }
.table-wrap { overflow-x: auto; }
table.comparison { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13.5px; line-height: 1.4; }
table.comparison th, table.comparison td { padding: 2px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
/* Headers and a compact cell's change may wrap, and do only when the table would not fit the column otherwise. */
table.comparison thead th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid var(--ink); font-weight: 600; vertical-align: bottom; white-space: normal; overflow-wrap: break-word; max-width: 12em; }
table.comparison td.num { white-space: normal; }
table.comparison tbody tr:nth-child(even) { background: var(--soft); }
table.comparison tbody th { text-align: left; font-weight: 500; white-space: normal; min-width: 14em; max-width: 22em; }
.table-wrap + .table-wrap, ul + .table-wrap { margin-top: 12px; }
table.comparison thead th.metric { max-width: none; white-space: nowrap; }
table.comparison .chg { display: inline-block; white-space: nowrap; font-size: 12px; color: var(--muted); }
.num { text-align: right; }
table.comparison td.text { white-space: normal; min-width: 16em; }
th.num { text-align: right; }
table.comparison td.text { white-space: normal; min-width: 16em; }
.published { color: var(--muted); font-style: italic; }
thead .published { font-weight: 500; }
.gain { border-left: 1px solid var(--line); }
.table-title { margin: 0 0 6px; color: var(--muted); font-size: 14px; }
td.disagree { background: #fde7e4 !important; color: var(--warn); font-weight: 600; }
td.disagree .chg { color: var(--warn); }
.ne { color: var(--warn); font-weight: 700; }
ul.notes { list-style: none; padding: 0; margin: 8px 0 0; color: var(--warn); font-size: 14px; }
ul.remarks { list-style: none; padding: 0; margin: 6px 0 0; color: var(--muted); font-size: 13px; max-width: 110ch; }
section.notes p { max-width: 100ch; white-space: normal; }
.sweep-fields { color: var(--muted); margin: 0 0 10px; }
details.points { margin-top: 20px; }
details.points summary { cursor: pointer; color: var(--accent); }
h3 { margin: 22px 0 8px; font-size: 16px; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px 28px; margin-top: 16px; }
figure.chart { margin: 0; min-width: 0; }
figure.chart.full { grid-column: 1 / -1; }
.vega.failed { color: var(--warn); }
footer { margin-top: 36px; padding-top: 12px; padding-bottom: 36px; border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; }
footer p { max-width: 110ch; }
`;
