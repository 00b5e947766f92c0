/**
 * A search over several fields (`search.json`, `gatesim.configsearch/v1`) and how it reads: the
 * answer first (the configuration, its goal metric with a 95% interval, the gain over the file as
 * written, its keys, and whether it is separable from the runner-up), then the frontier of the
 * goal's metric against keys, then every configuration at every rung.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { VariantMetrics } from '../metrics/results.js';
import { axisText } from './axis.js';
import { frontierChart, type FrontierPoint } from './charts/frontier.js';
import { BOOT, CSS, escapeHtml, pageHead, scriptJson, tableHtml, utc, vendorScripts, type PageFacts } from './html.js';
import { redact } from './redact.js';
import type { SearchMiss } from './search-page.js';
import type { Table } from './table.js';

/** A mean over seeds with its 95% interval (Student's t; null bounds with one seed). */
export interface IntervalJson {
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
}

/** A difference a − b paired by seed, and whether its interval excludes 0. */
export interface DifferenceJson extends IntervalJson {
  separable: boolean;
}

export type DimensionJson =
  | { kind: 'choice'; field: string; values: string[] }
  | { kind: 'range'; field: string; low: number; high: number; step: number; rate: boolean; integer: boolean };

/** One simulation: configuration (null: the file as written), rung, seed, the goal's check, the keys it used, its metrics. */
export interface ConfigTrialJson {
  config: number | null;
  rung: number;
  requests: number;
  seed: number;
  met: boolean;
  value: number | null;
  keys: number;
  failed: SearchMiss[];
  metrics: VariantMetrics;
}

/** One configuration at one rung, over every seed: its rank in the rung (1 = best) and whether it went on. */
export interface ConfigEntryJson {
  config: number;
  rung: number;
  requests: number;
  rank: number;
  promoted: boolean;
  keys: number;
  seeds: number;
  heldIn: number;
  held: boolean;
  mean: number | null;
}

/** A configuration's full-fidelity summary. */
export interface ConfigSummaryJson {
  config: number;
  values: Record<string, string | number>;
  keys: number;
  held: boolean;
  heldIn: number;
  metric: IntervalJson | null;
}

export interface ConfigSearchResults {
  schema: 'gatesim.configsearch/v1';
  scenario: string;
  description: string | null;
  file: string;
  seed: number;
  seeds: number[];
  goal: { text: string; metric: string; unit: string };
  /** The grid: every choice and range, and how many configurations it holds. */
  space: { dimensions: DimensionJson[]; size: number };
  method: {
    name: 'successive halving';
    eta: number;
    tolerance: number;
    /** Each rung's requests per simulation and configurations run. */
    rungs: { requests: number; configs: number }[];
    /** As asked; a CPU budget is converted to requests simulated from the file as written's own timing. */
    budget: { kind: 'simulations'; asked: string; simulations: number } | { kind: 'cpu'; asked: string; requests: number };
    simulations: number;
    requestsSimulated: number;
  };
  /** The file as written (its first variant that is not a condition), at full length over every seed. */
  current: { name: string; keys: number; held: boolean; heldIn: number; metric: IntervalJson | null };
  answer: ConfigSummaryJson & {
    vsCurrent: DifferenceJson | null;
    runnerUp: (ConfigSummaryJson & { difference: DifferenceJson | null }) | null;
  };
  /** Every configuration drawn, in draw order. */
  configs: { config: number; values: Record<string, string | number> }[];
  /** Every configuration at every rung, each rung best first. */
  entries: ConfigEntryJson[];
  /** Every simulation: the file as written's first, then each rung's in configuration and seed order. */
  trials: ConfigTrialJson[];
  changed?: string[];
  source: string;
}

/** 4 significant figures, – when not measured. */
const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : String(Number(v.toPrecision(4))));
const signed = (v: number): string => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${fmt(Math.abs(v))}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** A value of a dimension as written: a rate with /s. */
function showValue(r: ConfigSearchResults, field: string, v: string | number): string {
  const d = r.space.dimensions.find((x) => x.field === field);
  return typeof v === 'number' && d?.kind === 'range' && d.rate ? axisText(v, { kind: 'rate', per: 's' }) : String(v);
}

/** `keys.limiter=sliding-log, keys.count=3`. */
export const describeConfig = (r: ConfigSearchResults, values: Record<string, string | number>): string =>
  Object.entries(values).map(([f, v]) => `${f}=${showValue(r, f, v)}`).join(', ');

/** `9.98 (95% CI 9.95 to 10.01, 3 seeds)`. */
export function showInterval(iv: IntervalJson | null, unit: string): string {
  if (!iv) return 'not measured';
  if (iv.low === null || iv.high === null) return `${fmt(iv.mean)} ${unit} (one seed: no interval)`;
  return `${fmt(iv.mean)} ${unit} (95% CI ${fmt(iv.low)} to ${fmt(iv.high)}, ${plural(iv.n, 'seed')})`;
}

function showDifference(d: DifferenceJson | null, unit: string): string {
  if (!d) return 'not measured';
  const ci = d.low === null || d.high === null ? 'one seed: no interval' : `95% CI ${signed(d.low)} to ${signed(d.high)}`;
  return `${signed(d.mean)} ${unit} (${ci})`;
}

/** A difference of exactly 0 in every seed: the two behave alike here, and more seeds would not separate them. */
const same = (d: DifferenceJson | null): boolean => d !== null && d.mean === 0 && (d.low ?? 0) === 0 && (d.high ?? 0) === 0;

const heldText = (heldIn: number, of: number): string => (heldIn === of ? `met in all ${of} seeds` : `met in ${heldIn} of ${of} seeds`);

/** The answer's lines as [what, value] rows. */
export function configAnswerTable(r: ConfigSearchResults): Table {
  const a = r.answer;
  const unit = r.goal.unit;
  const rows: string[][] = [
    ['configuration', describeConfig(r, a.values)],
    ['goal', `${heldText(a.heldIn, r.seeds.length)}${a.held ? '' : ' — no configuration tried met it in every seed; this one came closest'}`],
    [r.goal.metric, showInterval(a.metric, unit)],
    ['vs the file as written', `${a.held && !r.current.held ? `meets the goal, which the file as written misses in ${r.seeds.length - r.current.heldIn} of ${r.seeds.length} seeds; ` : ''}${showDifference(a.vsCurrent, unit)}${a.vsCurrent && !a.vsCurrent.separable ? (same(a.vsCurrent) ? ', the same in every seed' : ', not separable') : ''}; the file as written (${r.current.name}): ${showInterval(r.current.metric, unit)}, goal ${heldText(r.current.heldIn, r.seeds.length)}`],
    ['keys', `${a.keys} (the file as written: ${r.current.keys}${a.keys !== r.current.keys ? `, ${Math.abs(a.keys - r.current.keys)} ${a.keys < r.current.keys ? 'fewer' : 'more'}` : ''})`],
  ];
  const ru = a.runnerUp;
  if (ru) {
    const sep = ru.difference?.separable ?? false;
    const byCost = ru.held && a.held && ru.keys > a.keys;
    const verdict = a.held && !ru.held
      ? `and the runner-up misses the goal in ${r.seeds.length - ru.heldIn} of ${r.seeds.length} seeds`
      : sep
        ? 'separable: the interval excludes 0'
        : `not separable${byCost ? `; the answer uses fewer keys (${a.keys} against ${ru.keys})` : same(ru.difference) ? ': the same in every seed' : ' over these seeds: more seeds (--seeds) may tell them apart'}`;
    rows.push(['vs the runner-up', `${showDifference(ru.difference, unit)}, ${verdict}; runner-up: ${describeConfig(r, ru.values)}, ${ru.keys} keys, goal ${heldText(ru.heldIn, r.seeds.length)}`]);
  }
  const m = r.method;
  rows.push(['search', `${plural(m.rungs[0]!.configs, 'configuration')} of ${plural(r.space.size, 'in the grid', 'in the grid')}, rungs of ${m.rungs.map((x) => `${x.configs} × ${x.requests.toLocaleString('en')} requests`).join(', ')}; ${plural(m.simulations, 'simulation')} (budget ${m.budget.kind === 'simulations' ? plural(m.budget.simulations, 'simulation') : `${m.budget.asked} of CPU, about ${m.budget.requests.toLocaleString('en')} requests`})`]);
  return {
    title: `The answer: the configuration with the most ${r.goal.metric} that meets the goal`,
    header: ['', 'answer'],
    rows,
    notes: [],
    remarks: [
      `goal: ${r.goal.text}`,
      `seeds ${r.seeds.join(', ')}; differences are paired by seed; configurations within ${fmt(m.tolerance * 100)}% of the best ${r.goal.metric} are ranked by keys, fewest first`,
    ],
    textColumns: [1],
  };
}

/** Every configuration at every rung, in rung order, best first. */
export function configEntriesTable(r: ConfigSearchResults): Table {
  const fields = r.space.dimensions.map((d) => d.field);
  // The keys a configuration costs, unless a field already says it.
  const keys = !fields.includes('keys.count');
  const rows = r.entries.map((e) => {
    const c = r.configs[e.config]!.values;
    return [String(e.rung + 1), e.requests.toLocaleString('en'), String(e.rank), ...fields.map((f) => showValue(r, f, c[f]!)), ...(keys ? [String(e.keys)] : []), `${e.heldIn} of ${e.seeds}`, fmt(e.mean), e.promoted ? 'on' : e.rung === r.method.rungs.length - 1 ? (e.rank === 1 ? 'answer' : '–') : 'out'];
  });
  return {
    title: `Every configuration at every rung (${rows.length}; ${r.trials.length} simulations in search.json)`,
    header: ['rung', 'requests', 'rank', ...fields, ...(keys ? ['keys'] : []), 'goal held in', `${r.goal.metric} (${r.goal.unit})`, 'next'],
    rows,
    notes: [],
    remarks: [],
    keyColumns: 3,
    textColumns: [...r.space.dimensions.flatMap((d, i) => (d.kind === 'choice' ? [3 + i] : [])), 3 + fields.length + (keys ? 1 : 0) + 2],
  };
}

export const configSearchTables = (r: ConfigSearchResults): Table[] => [configAnswerTable(r), configEntriesTable(r)];

/** The frontier chart's data: every entry, the staircase of the best held metric per keys, the current file and the answer. */
export function configFrontierChart(r: ConfigSearchResults): TopLevelSpec | null {
  const rungName = (i: number): string => `${r.method.rungs[i]!.requests.toLocaleString('en')} requests`;
  // Each configuration at the longest run it reached (a short run's figures are not a long run's);
  // the frontier is the best that met the goal there with at most k keys.
  const top = new Map<number, ConfigEntryJson>();
  for (const e of r.entries) if ((top.get(e.config)?.rung ?? -1) < e.rung) top.set(e.config, e);
  const points: FrontierPoint[] = [...top.values()].sort((a, b) => a.config - b.config).flatMap((e) =>
    e.mean === null ? [] : [{ keys: e.keys, y: e.mean, rung: rungName(e.rung), ok: e.held, config: describeConfig(r, r.configs[e.config]!.values), held: heldText(e.heldIn, e.seeds) }],
  );
  const held = [...top.values()].filter((e) => e.held && e.mean !== null).sort((a, b) => a.keys - b.keys || a.config - b.config);
  const frontier: { keys: number; y: number }[] = [];
  for (const e of held) if (!frontier.length || e.mean! > frontier.at(-1)!.y) frontier.push({ keys: e.keys, y: e.mean! });
  const yTitle = `${r.goal.metric} (${r.goal.unit})`;
  return frontierChart({
    title: `${r.goal.metric} against keys`,
    subtitle: [
      'Each configuration at the longest run it reached (colour), mean over the seeds; filled: the goal held in every seed, hollow: it failed in some',
      'Line: the most reached with at most that many keys, among those that met the goal; cross: the file as written (full length); ring: the answer',
    ],
    yTitle,
    rungs: r.method.rungs.map((_, i) => rungName(i)),
    points,
    frontier,
    current: r.current.metric ? { keys: r.current.keys, y: r.current.metric.mean } : null,
    answer: r.answer.metric ? { keys: r.answer.keys, y: r.answer.metric.mean } : null,
  });
}

export function configSearchMarkdown(r: ConfigSearchResults, toMarkdown: (t: Table) => string): string {
  return [
    `# ${r.scenario}: search`,
    '',
    ...(r.description ? [r.description, ''] : []),
    `Seed ${r.seed} · file \`${r.file}\`${r.changed?.length ? ` · changed: \`${r.changed.join(' ')}\`` : ''} · ${r.space.dimensions.map((d) => (d.kind === 'choice' ? `${d.field} ∈ {${d.values.join(', ')}}` : `${d.field} ${showValue(r, d.field, d.low)}..${showValue(r, d.field, d.high)}`)).join(' × ')}`,
    '',
    ...configSearchTables(r).flatMap((t) => [toMarkdown(t), '']),
  ].join('\n');
}

export function configSearchHtml(r: ConfigSearchResults, facts: Pick<PageFacts, 'generatedAt' | 'version'>): string {
  const chart = configFrontierChart(r);
  const answer = configAnswerTable(r);
  const entries = configEntriesTable(r);
  const a = r.answer;
  const facts2: [string, string][] = [
    ['seeds', r.seeds.join(', ')],
    ['grid', r.space.dimensions.map((d) => (d.kind === 'choice' ? `${d.field}: ${d.values.join(' | ')}` : `${d.field}: ${showValue(r, d.field, d.low)}..${showValue(r, d.field, d.high)}`)).join('; ')],
    ['scenario file', r.file],
    ...(r.changed?.length ? ([['changed', r.changed.join(' ')]] as [string, string][]) : []),
    ['page generated', utc(facts.generatedAt)],
    ['gatesim', facts.version],
  ];
  const card = (label: string, value: string, note: string): string =>
    `<div class="bound"><p class="variant">${escapeHtml(label)}</p><p class="value">${escapeHtml(value)}</p><p class="confidence">${escapeHtml(note)}</p></div>`;
  const cards = [
    card('configuration', describeConfig(r, a.values), heldText(a.heldIn, r.seeds.length)),
    card(`${r.goal.metric} (${r.goal.unit})`, fmt(a.metric?.mean), showInterval(a.metric, r.goal.unit)),
    card('vs the file as written', a.vsCurrent ? `${signed(a.vsCurrent.mean)} ${r.goal.unit}` : '–', `${showDifference(a.vsCurrent, r.goal.unit)}; ${a.held && !r.current.held ? `the answer meets the goal, which the file as written misses in ${r.seeds.length - r.current.heldIn} of ${r.seeds.length} seeds` : `the file as written: goal ${heldText(r.current.heldIn, r.seeds.length)}`}`),
    card('keys', String(a.keys), `the file as written: ${r.current.keys}`),
  ].join('\n');
  return `${pageHead('search', r.scenario, r.description, facts2, facts.version, CSS + CARD_CSS)}
</header>
<main>
<section class="answer" id="answer">
<h2>${escapeHtml(answer.title)}</h2>
<p class="lead">Goal: <strong>${escapeHtml(r.goal.text)}</strong>.</p>
<div class="bounds">
${cards}
</div>
${tableHtml(answer, 'The answer in full')}
${chart ? `<div class="charts"><figure class="chart full"><div class="vega" data-spec="spec-1"></div></figure></div>` : ''}
</section>
<section class="run" id="trials">
<h2>Every configuration at every rung</h2>
${tableHtml(entries, entries.title)}
</section>
<details class="source"><summary>The scenario as run (YAML; secrets shown as fingerprints)</summary>
<pre><code>${escapeHtml(redact(r.source))}</code></pre></details>
</main>
<footer>
<p>Successive halving: every configuration drawn runs a short simulation (the first rung's requests) with every seed; the best third go on to a run three times longer, and so on to the file's full length. A rung is ranked only when all its simulations are in. search.json beside this page keeps every simulation's metrics.</p>
</footer>
${chart ? `<script type="application/json" id="spec-1">${scriptJson(chart)}</script>` : ''}
${vendorScripts().map((code) => `<script>${code}</script>`).join('\n')}
<script>${BOOT}</script>
</body>
</html>
`;
}

const CARD_CSS = `
.bounds { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px 12px; margin: 8px 0 4px; }
.bound { border: 1px solid var(--line); border-left: 4px solid var(--good); border-radius: 6px; padding: 4px 10px; min-width: 0; }
.bound p { margin: 0; }
.bound .variant { font-weight: 600; overflow-wrap: anywhere; }
.bound .value { font-size: 19px; line-height: 1.3; font-weight: 700; overflow-wrap: anywhere; }
.bound .confidence { font-size: 12px; line-height: 1.35; color: var(--muted); }
`;
