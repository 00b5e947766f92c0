/**
 * A search's results (`search.json`, `gatesim.search/v1`) and how they read: the answer first (the
 * bound per variant with its unit, the goal's metric there and the confidence), then the chart of
 * the goal's metric against the varied field with each bound marked, then every probe.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { VariantMetrics } from '../metrics/results.js';
import { type AxisKind, axisText, axisTitle } from './axis.js';
import { searchChart } from './charts/search.js';
import { BOOT, CSS, escapeHtml, pageHead, scriptJson, tableHtml, utc, vendorScripts, type PageFacts } from './html.js';
import { redact } from './redact.js';
import type { Table } from './table.js';

/** A constraint a simulation missed: the constraint as the goal writes it, the value measured (null: not measured) in the metric's unit, and by how much it missed (null: not measured). */
export interface SearchMiss {
  constraint: string;
  actual: string | null;
  by: number | null;
}

/** One simulation of a probe: its seed, whether it met the goal, the goal's metric, the constraints it missed, its metrics. */
export interface SearchRunJson {
  seed: number;
  met: boolean;
  value: number | null;
  failed: SearchMiss[];
  metrics: VariantMetrics;
}

/** One probed value of the field, run with every seed. */
export interface SearchProbeJson {
  /** 1-based: the order it was probed in (per variant). */
  order: number;
  value: number;
  /** The goal held in every seed. */
  held: boolean;
  heldIn: number;
  /** The goal's metric, mean over the seeds that measured it. */
  mean: number | null;
  runs: SearchRunJson[];
}

/** One variant's answer. `found`: the bound lies in the range; `none`: the goal fails already at the near end; `all`: it holds at the far end too. */
export interface SearchVariantJson {
  name: string;
  condition?: true;
  status: 'found' | 'none' | 'all';
  /** The largest (smallest) value where the goal held in every seed. */
  value: number | null;
  /** The next step beyond it, where it failed. */
  next: number | null;
  /** Seeds that failed at `next`. */
  failedAtNext: number | null;
  /** The confidence in words: held in k of k seeds at the answer, failed in j of k at the next step. */
  confidence: string;
  probes: SearchProbeJson[];
}

export interface SearchResults {
  schema: 'gatesim.search/v1';
  scenario: string;
  description: string | null;
  file: string;
  seed: number;
  /** Every probe ran with each of these seeds. */
  seeds: number[];
  /** The varied field: rates are per second. */
  vary: { field: string; rate: boolean; integer: boolean; low: number; high: number; step: number; want: 'largest' | 'smallest' };
  /** The goal in words, and its metric (what it maximises) with the unit of its values. */
  goal: { text: string; metric: string; unit: string };
  variants: SearchVariantJson[];
  /** The command line's changes to the file (`--set …`), as results record them. */
  changed?: string[];
  /** The scenario YAML as run, redacted. */
  source: string;
}

/** How the varied field's values read as numbers. */
export const searchAxis = (vary: Pick<SearchResults['vary'], 'rate'>): AxisKind => (vary.rate ? { kind: 'rate', per: 's' } : { kind: 'number' });

/** A varied value with its unit: `2.5/s`, `8`. */
export const showSearchValue = (vary: Pick<SearchResults['vary'], 'rate'>, v: number): string => axisText(v, searchAxis(vary));

/** The goal's metric as a cell: 4 significant figures (rates and shares alike), – when not measured. */
const fmt = (v: number | null): string => (v === null ? '–' : String(Number(v.toPrecision(4))));

/** What the answer is the bound of, in words: "the largest workload.arrivals.rate (requests per s) where the goal holds". */
export function searchQuestion(r: SearchResults): string {
  return `the ${r.vary.want} ${axisTitle(r.vary.field, searchAxis(r.vary))} where the goal holds`;
}

/** The answer's cell: the value with its unit, or what the range says when the bound is outside it. */
function answerCell(r: SearchResults, v: SearchVariantJson): string {
  const show = (x: number): string => showSearchValue(r.vary, x);
  if (v.status === 'none') return `none in ${show(r.vary.low)}..${show(r.vary.high)}`;
  if (v.status === 'all') return `${r.vary.want === 'largest' ? '≥' : '≤'} ${show(v.value!)}`;
  return show(v.value!);
}

/** The probe at the answer (its goal metric), if any. */
const atAnswer = (v: SearchVariantJson): SearchProbeJson | undefined => v.probes.find((p) => p.value === v.value);

/** The answer first: a row per variant with its bound, the goal's metric there, and the confidence. */
export function searchAnswerTable(r: SearchResults): Table {
  const rows = r.variants.map((v) => [v.name, answerCell(r, v), fmt(atAnswer(v)?.mean ?? null), v.confidence]);
  const remarks = [
    `goal: ${r.goal.text}`,
    `each probe ran with ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} (${r.seeds.join(', ')}) and held only if the goal held in all of them; step ${showSearchValue(r.vary, r.vary.step)}`,
  ];
  return {
    title: `The answer: ${searchQuestion(r)}`,
    header: ['variant', r.vary.field, `${r.goal.metric} (${r.goal.unit})`, 'confidence'],
    rows,
    notes: [],
    remarks,
    textColumns: [3],
  };
}

/** What a probe missed, per constraint: in how many seeds, and the worst value measured ("429s = 0%: 2 of 3, up to 0.067%"). */
function missed(p: SearchProbeJson): string {
  const by = new Map<string, SearchMiss[]>();
  for (const m of p.runs.flatMap((x) => x.failed)) by.set(m.constraint, [...(by.get(m.constraint) ?? []), m]);
  if (by.size === 0) return '–';
  return [...by]
    .map(([c, ms]) => {
      const worst = ms.reduce((a, b) => ((b.by ?? Infinity) > (a.by ?? Infinity) ? b : a));
      return `${c}: ${ms.length} of ${p.runs.length}, ${worst.actual === null ? 'not measured' : `${ms.length > 1 ? 'up to ' : ''}${worst.actual}`}`;
    })
    .join('; ');
}

/** Every probe, per variant in the order probed: the value, how many seeds held, the goal's metric, what failed. */
export function searchProbesTable(r: SearchResults): Table {
  const rows = r.variants.flatMap((v) =>
    v.probes.map((p) => [v.name, String(p.order), showSearchValue(r.vary, p.value), `${p.heldIn} of ${p.runs.length}`, fmt(p.mean), missed(p)]),
  );
  return {
    title: `Every probe (${rows.length}), in the order probed`,
    header: ['variant', '#', r.vary.field, 'goal held in', `${r.goal.metric} (${r.goal.unit})`, 'missed (seeds, worst)'],
    rows,
    notes: [],
    remarks: [],
    keyColumns: 3,
    textColumns: [5],
  };
}

/** The tables of a search, in the order stdout shows them: the answer first. */
export const searchTables = (r: SearchResults): Table[] => [searchAnswerTable(r), searchProbesTable(r)];

/** The chart of the goal's metric against the varied field, each variant's bound marked. */
export function searchChartOf(r: SearchResults): TopLevelSpec | null {
  const xTitle = axisTitle(r.vary.field, searchAxis(r.vary));
  const points = r.variants.flatMap((v) =>
    [...v.probes].sort((a, b) => a.value - b.value).map((p) => ({
      variant: v.name,
      x: p.value,
      y: p.mean,
      held: p.held ? `held in ${p.heldIn} of ${p.runs.length} seeds` : `failed in ${p.runs.length - p.heldIn} of ${p.runs.length} seeds`,
      ok: p.held,
    })),
  );
  const bounds = r.variants.flatMap((v) => (v.value === null ? [] : [{ variant: v.name, x: v.value }]));
  return searchChart({
    title: `${r.goal.metric} against ${r.vary.field}`,
    subtitle: [
      `Mean over ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} at each probe; filled: the goal held in every seed, hollow: it failed in some`,
      `Dashed: each variant's bound, ${searchQuestion(r)}`,
    ],
    xTitle,
    integer: r.vary.integer,
    yTitle: `${r.goal.metric} (${r.goal.unit})`,
    points,
    bounds,
  });
}

/** search.md: the answer, the probes, the goal. */
export function searchMarkdown(r: SearchResults, toMarkdown: (t: Table) => string): string {
  return [
    `# ${r.scenario}: search`,
    '',
    ...(r.description ? [r.description, ''] : []),
    `Seed ${r.seed} · file \`${r.file}\`${r.changed?.length ? ` · changed: \`${r.changed.join(' ')}\`` : ''} · ${r.vary.field} from ${showSearchValue(r.vary, r.vary.low)} to ${showSearchValue(r.vary, r.vary.high)}, step ${showSearchValue(r.vary, r.vary.step)}`,
    '',
    ...searchTables(r).flatMap((t) => [toMarkdown(t), '']),
  ].join('\n');
}

/** The search page: one self-contained file (vega inlined), the answer in its first screen. */
export function searchHtml(r: SearchResults, facts: Pick<PageFacts, 'generatedAt' | 'version'>): string {
  const specs: TopLevelSpec[] = [];
  const chart = searchChartOf(r);
  if (chart) specs.push(chart);
  const show = (x: number): string => showSearchValue(r.vary, x);
  const answers = r.variants
    .map((v) => {
      const m = atAnswer(v)?.mean ?? null;
      const metric = m === null ? '' : `<p class="metric">${escapeHtml(r.goal.metric)} there: ${escapeHtml(fmt(m))} ${escapeHtml(r.goal.unit)}</p>`;
      return `<div class="bound${v.status === 'found' ? '' : ` ${v.status}`}"><p class="variant">${escapeHtml(v.name)}</p><p class="value">${escapeHtml(answerCell(r, v))}</p>${metric}<p class="confidence">${escapeHtml(v.confidence)}</p></div>`;
    })
    .join('\n');
  const facts2: [string, string][] = [
    ['seeds', r.seeds.join(', ')],
    ['range', `${show(r.vary.low)} .. ${show(r.vary.high)}, step ${show(r.vary.step)}`],
    ['scenario file', r.file],
    ...(r.changed?.length ? ([['changed', r.changed.join(' ')]] as [string, string][]) : []),
    ['page generated', utc(facts.generatedAt)],
    ['gatesim', facts.version],
  ];
  const probes = searchProbesTable(r);
  return `${pageHead('search', r.scenario, r.description, facts2, facts.version, CSS + SEARCH_CSS)}
</header>
<main>
<section class="answer" id="answer">
<h2>The answer: ${escapeHtml(searchQuestion(r))}</h2>
<p class="lead">Goal: <strong>${escapeHtml(r.goal.text)}</strong>. Each probe ran with ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} and held only if the goal held in all of them.</p>
<div class="bounds">
${answers}
</div>
${chart ? `<div class="charts"><figure class="chart full"><div class="vega" data-spec="spec-1"></div></figure></div>` : ''}
</section>
<section class="run" id="probes">
<h2>Every probe</h2>
${tableHtml(probes, probes.title)}
</section>
<details class="source"><summary>The scenario as run (YAML; secrets shown as fingerprints)</summary>
<pre><code>${escapeHtml(redact(r.source))}</code></pre></details>
</main>
<footer>
<p>A probe is one value of ${escapeHtml(r.vary.field)} simulated once per seed; the search probes both ends of the range, then halves the bracket between the last value that held and the first that failed until they are one step apart. search.json beside this page keeps every probe's metrics.</p>
</footer>
${specs.map((s, i) => `<script type="application/json" id="spec-${i + 1}">${scriptJson(s)}</script>`).join('\n')}
${vendorScripts().map((code) => `<script>${code}</script>`).join('\n')}
<script>${BOOT}</script>
</body>
</html>
`;
}

const SEARCH_CSS = `
.bounds { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px 12px; margin: 8px 0 4px; }
.bound { border: 1px solid var(--line); border-left: 4px solid var(--good); border-radius: 6px; padding: 4px 10px; min-width: 0; }
.bound.none { border-left-color: var(--warn); }
.bound.all { border-left-color: var(--accent); }
.bound p { margin: 0; }
.bound .variant { font-weight: 600; overflow-wrap: anywhere; }
.bound .value { font-size: 21px; line-height: 1.3; font-weight: 700; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.bound .metric, .bound .confidence { font-size: 12px; line-height: 1.35; color: var(--muted); }
`;
