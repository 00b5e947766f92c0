import type { OfferedMetrics, Results, RunResult, WorstWait } from '../metrics/results.js';
import {
  bestBy, bestVariant, checkFigures, comparable, describeCheck, goalOf, pointList, publishedSummary, runAnswer, SERVING_BY, servingAnswer, type ServingPoint,
} from './answer.js';
import { checkGoal, describeGoal, describeMiss, goalMetric, goalValue, type Goal } from '../metrics/goal.js';
import { change, isAbsolute, type MetricRow, rowsOf } from './catalogue.js';
import { shardsTable } from './shards.js';

/** One table: header and rows of cells, rendered as text, markdown or HTML. */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** `≠` lines: changes whose direction disagrees with the published one. */
  notes: string[];
  /** Plain lines under the table: what it left out, and why. */
  remarks: string[];
  /** Leading columns that name a row (default 1): a table cut to the terminal's width repeats them in every block. */
  keyColumns?: number;
  /** Columns of words rather than numbers, aligned left in text (the first always is). */
  textColumns?: number[];
}

export { healthRows, parallelRows, providerRows } from './catalogue.js';
export { BEST_BY, bestBy, bestVariant } from './answer.js';

const fmt = (row: MetricRow, v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : (v * row.scale).toFixed(row.digits);

/**
 * The published tables' shape (seed 001): a row per metric, a column per variant (with the published figure
 * beside it where the scenario gives one and this run is the scenario as written), and a change
 * column per variant against the baseline. With more than two variants the change goes in
 * brackets beside each value, so the table stays readable. A `≠` marks a change whose direction
 * disagrees with the published one. Success rate, throughput, total time and the ok count always
 * show, and so does every other outcome that happened; a row that is zero or not measured in
 * every variant is left out and named in the remarks.
 */
export function comparison(results: Results, run: RunResult): Table {
  const published = comparable(results);
  const ref = published ? (results.reference[run.name] ?? {}) : {};
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
  const zero: string[] = [];
  const absent: string[] = [];
  for (const row of rowsOf(run, base)) {
    const hasRef = run.variants.some((v) => ref[v.name]?.[row.key] !== undefined);
    const values = run.variants.map((v) => row.value(v.metrics));
    if (!row.always && !hasRef && values.every((v) => v === null || v === 0)) {
      (values.every((v) => v === null) ? absent : zero).push(row.label);
      continue;
    }
    const b = row.value(base.metrics);
    const pb = ref[base.name]?.[row.key] ?? null;
    const gains = new Map<string, string>();
    const publishedGains = new Map<string, string>();
    for (const v of others) {
      const x = row.value(v.metrics);
      const pv = ref[v.name]?.[row.key] ?? null;
      // A cell's simulated and published changes read alike: both absolute if either needs it.
      const abs = (x !== null && b !== null && isAbsolute(row, x, b)) || (pv !== null && pb !== null && isAbsolute(row, pv, pb));
      const g = change(row, x, b, abs);
      const pg = pv !== null && pb !== null ? change(row, pv, pb, abs) : null;
      const disagree = g !== null && pg !== null && g.direction * pg.direction < 0;
      gains.set(v.name, (g?.text ?? '–') + (disagree ? ' ≠' : ''));
      publishedGains.set(v.name, pg?.text ?? '–');
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
        if (withRef.has(v.name) && withRef.has(base.name)) cells.push(publishedGains.get(v.name)!);
      }
    }
    rows.push(cells);
  }
  const goal = goalOf(results);
  const checks = run.variants.map((v) => checkGoal(goal, v.metrics));
  const remarks: string[] = [];
  if (!published && results.reference[run.name]) {
    remarks.push(`published figures left out: they describe the scenario as written, and this run changed it (${results.changed!.join(' ')})`);
  }
  if (zero.length) remarks.push(`left out, zero in every variant: ${zero.join(', ')}`);
  if (absent.length) remarks.push(`left out, not measured in any variant: ${absent.join(', ')}`);
  // One line, whatever the number of options (the goal itself heads the answer): which met it, and
  // what each of the others missed, by how much.
  const met = run.variants.filter((_, i) => checks[i]!.met).map((v) => v.name);
  const missed = run.variants.flatMap((v, i) => (checks[i]!.met ? [] : [`${v.name}: ${checks[i]!.failed.map(describeMiss).join(', ')}`]));
  if (!missed.length) remarks.push('every variant meets the goal');
  else remarks.push(`${met.length ? `goal met by ${met.join(', ')}; not` : 'goal not'} met by ${missed.join('; ')}`);
  const title = compact ? `${run.name} — (brackets: change vs ${base.name})` : run.name;
  return { title, header, rows, notes, remarks };
}

/** A swept value as the sweep table shows it. */
const cell = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '–');

/** The goal's objective as a column title: "goodput (req/s)". */
function objectiveTitle(goal: Goal): string {
  const unit = goal.maximise === 'tokensPerS' ? 'tokens/s' : goal.maximise === 'successRate' ? '%' : 'req/s';
  return `${goalMetric(goal.maximise)?.label ?? goal.maximise} (${unit})`;
}

/** The goal's objective of a variant as a cell: "1.23", "99.0" (a share in %), "–". */
function objectiveCell(goal: Goal, v: number | null): string {
  if (v === null) return '–';
  return goal.maximise === 'successRate' ? (v * 100).toFixed(1) : v.toFixed(2);
}

/**
 * A sweep's summary: a row per point with its swept values; per variant the goal's objective,
 * marked ✓ where the variant meets the goal and ✗ where it does not, and its 429s as a share of its
 * attempts (output tokens/s beside them with request sizes); then the best option there (by the
 * goal; a condition is never the best), whether it meets the goal, its success rate and mean latency.
 */
export function sweepTable(results: Results): Table {
  const fields = results.sweep?.fields ?? [];
  const variants = results.runs[0]?.variants ?? [];
  const goal = goalOf(results);
  // With request sizes, each variant's output tokens/s beside its objective.
  const sized = goal.maximise !== 'tokensPerS' && results.runs.some((r) => r.variants.some((v) => v.metrics.tokens !== undefined));
  const name = (v: { name: string; condition?: true }): string => `${v.name}${v.condition ? ' [condition]' : ''}`;
  const header = [
    ...fields,
    ...variants.flatMap((v) => [`${name(v)}: ${objectiveTitle(goal)}`, `${name(v)}: 429s (%)`, ...(sized ? [`${name(v)} (output tokens/s)`] : [])]),
    'best',
    'best: meets the goal',
    'best: success rate (%)',
    'best: mean latency (s)',
  ];
  const rows = results.runs.map((run) => {
    const best = bestVariant(run, goal);
    const m = best?.metrics;
    return [
      ...fields.map((f) => cell(run.point?.[f])),
      ...variants.flatMap(({ name }) => {
        const m = run.variants.find((v) => v.name === name)?.metrics;
        if (!m) return ['–', '–', ...(sized ? ['–'] : [])];
        const check = checkGoal(goal, m);
        const o = m.tokens?.perS.output;
        return [
          `${objectiveCell(goal, check.value)} ${check.met ? '✓' : '✗'}`,
          ((goalValue('rateLimited', m) ?? 0) * 100).toFixed(1),
          ...(sized ? [o === null || o === undefined ? '–' : o.toFixed(1)] : []),
        ];
      }),
      best?.name ?? '–',
      m === undefined ? '–' : checkGoal(goal, m).met ? 'yes' : 'no',
      m?.successRate === null || m === undefined ? '–' : (m.successRate * 100).toFixed(1),
      m?.latencyMs.mean === null || m === undefined ? '–' : (m.latencyMs.mean / 1000).toFixed(3),
    ];
  });
  const conditions = variants.filter((v) => v.condition).map((v) => v.name);
  const remarks = [`✓ meets the goal, ✗ does not; goal: ${describeGoal(goal)}`];
  if (conditions.length) remarks.push(`never the best (conditions, not options): ${conditions.join(', ')}`);
  return { title: `${results.runs.length} points: ${objectiveTitle(goal)} and 429s of each variant, and the best by the goal`, header, rows, notes: [], remarks, keyColumns: Math.max(1, fields.length) };
}

/**
 * The answer first: per run the best option by BEST_BY, its throughput and success rate and its
 * margin over the next best (a sweep: which option is best at how many points); under it, how
 * many published figures the simulation reproduces, and each one it does not. Null when there is
 * nothing to compare (one variant) and nothing published.
 */
/**
 * A sweep's variants each on their own, options and conditions alike: the points where it meets
 * the goal (null: none). "How many keys does this traffic need" is where the first one comes.
 */
export function sweepMeets(results: Results): { name: string; condition: boolean; where: string | null }[] {
  if (!results.sweep) return [];
  const goal = goalOf(results);
  const names = [...new Set(results.runs.flatMap((r) => r.variants.map((v) => v.name)))];
  return names.map((name) => {
    const meets = results.runs.filter((r) => {
      const v = r.variants.find((x) => x.name === name);
      return v !== undefined && checkGoal(goal, v.metrics).met;
    });
    const condition = results.runs.some((r) => r.variants.some((v) => v.name === name && v.condition));
    return { name, condition, where: meets.length ? pointList(results, meets) : null };
  });
}

export function answerTable(results: Results): Table | null {
  // Something is compared: two options, or an option beside a condition.
  const picks = results.runs.some((r) => r.variants.length > 1);
  const summary = publishedSummary(results);
  if (!picks && summary === null && servingAnswer(results) === null) return null;
  const goal = goalOf(results);
  const remarks: string[] = [];
  const conditions = [...new Set(results.runs.flatMap((r) => r.variants.filter((v) => v.condition).map((v) => v.name)))];
  if (conditions.length) remarks.push(`compared, never picked (conditions, not options): ${conditions.join(', ')}`);
  if (summary) remarks.push(summary);
  const checks = checkFigures(results);
  const manyRuns = new Set(checks.map((c) => c.run)).size > 1;
  for (const c of checks.filter((x) => x.verdict === 'contradicted')) remarks.push(`  contradicted: ${describeCheck(c, manyRuns)}`);
  for (const c of checks.filter((x) => x.verdict === 'off' || x.verdict === 'missing')) remarks.push(`  ${c.verdict === 'off' ? 'off' : 'not measured'}: ${describeCheck(c, manyRuns)}`);
  const serving = servingAnswer(results);
  if (serving) {
    const { axis, knee, before, peak } = serving;
    const ms = (v: number | null): string => (v === null ? '–' : v.toFixed(1));
    const line = (what: string, p: ServingPoint): string[] => [what, String(p.x), p.outputPerS.toFixed(1), ((p.outputPerS / peak.outputPerS) * 100).toFixed(1), ms(p.ttftP50Ms), ms(p.itlP50Ms)];
    const rows = [line('run here', knee), ...(before ? [line('one step less', before)] : []), ...(peak !== knee ? [line('the most output tokens/s', peak)] : [])];
    return {
      title: `The answer: where to run, by ${SERVING_BY}`,
      header: ['', axis, 'output tokens/s', 'of the most (%)', 'p50 time to first token (ms)', 'p50 inter-token latency (ms)'],
      rows,
      notes: [],
      remarks,
    };
  }
  if (results.sweep) {
    const wins = new Map<string, RunResult[]>();
    const met = new Map<string, number>();
    for (const run of results.runs) {
      const a = runAnswer(run, goal);
      const best = a.winner?.name ?? '–';
      wins.set(best, [...(wins.get(best) ?? []), run]);
      if (a.check?.met) met.set(best, (met.get(best) ?? 0) + 1);
    }
    const rows = [...wins].map(([name, points]) => [name, `${points.length} of ${results.runs.length}`, `${met.get(name) ?? 0} of ${points.length}`, pointList(results, points)]);
    for (const m of sweepMeets(results)) remarks.push(`${m.condition ? `${m.name} (condition)` : m.name} meets the goal ${m.where === null ? 'at no point' : `at ${m.where}`}`);
    return { title: `The answer: the best option at each point, by ${bestBy(goal)}`, header: ['best', 'points', 'meets the goal at', 'where'], rows, notes: [], remarks };
  }
  const rows = results.runs.map((run) => {
    const a = runAnswer(run, goal);
    const m = a.winner?.metrics;
    return [
      run.name,
      a.winner?.name ?? '–',
      a.check === null ? '–' : a.check.met ? 'yes' : 'no',
      a.check === null ? '–' : objectiveCell(goal, a.check.value),
      m === undefined ? '–' : ((goalValue('rateLimited', m) ?? 0) * 100).toFixed(1),
      m?.successRate === null || m === undefined ? '–' : (m.successRate * 100).toFixed(1),
      a.margin,
    ];
  });
  return {
    title: `The answer: the best option of each run, by ${bestBy(goal)}`,
    header: ['run', 'best', 'meets the goal', objectiveTitle(goal), '429s (%)', 'success rate (%)', 'by how much'],
    rows,
    notes: [],
    remarks,
  };
}

/** The runs whose full tables are shown beside a sweep's summary: those with published figures. */
export const referencedRuns = (results: Results): RunResult[] => results.runs.filter((r) => results.reference[r.name]);

/** Every table of a results file, in the order stdout and results.md show them: the answer first. */
export function tablesOf(results: Results): Table[] {
  const answer = answerTable(results);
  const rest = results.sweep ? [sweepTable(results), ...referencedRuns(results).map((r) => comparison(results, r))] : results.runs.map((r) => comparison(results, r));
  const shards = shardsTable(results);
  return [...(answer ? [answer] : []), ...rest, ...(shards ? [shards] : [])];
}

/**
 * A wide table as several narrower ones, each with the key columns and at most `max` others, in
 * order (the page shows them one under another instead of a table that scrolls out of sight).
 * The title and remarks stay with the first and the last.
 */
export function splitColumns(t: Table, max: number): Table[] {
  const keys = Math.max(1, Math.min(t.keyColumns ?? 1, t.header.length));
  const rest = t.header.length - keys;
  if (rest <= max) return [t];
  const blocks: Table[] = [];
  for (let from = keys; from < t.header.length; from += max) {
    const cols = [...Array.from({ length: keys }, (_, i) => i), ...Array.from({ length: Math.min(max, t.header.length - from) }, (_, i) => from + i)];
    const pick = <T>(xs: readonly T[]): T[] => cols.map((i) => xs[i]!);
    const last = from + max >= t.header.length;
    blocks.push({
      title: from === keys ? t.title : '',
      header: pick(t.header),
      rows: t.rows.map(pick),
      notes: last ? t.notes : [],
      remarks: last ? t.remarks : [],
      keyColumns: keys,
      ...(t.textColumns ? { textColumns: t.textColumns.map((c) => cols.indexOf(c)).filter((c) => c >= 0) } : {}),
    });
  }
  return blocks;
}

/** Text broken at spaces into lines of at most `width` characters (a word longer than that is cut). */
export function wrapText(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(' ')) {
    while (word.length > width) {
      if (line) lines.push(line);
      lines.push(word.slice(0, width));
      word = word.slice(width);
      line = '';
    }
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** The narrowest a wrapped column gets: a number and a short word fit. */
const MIN_COLUMN = 12;

/**
 * A table as terminal text, no line longer than `width` (default: no limit). A table too wide is
 * cut into blocks of columns, each repeating the key columns (a sweep's swept values, a table's
 * metric) so every block reads alone; a cell too long for what is left beside them wraps at
 * spaces; the title and remarks wrap too.
 */
export function toText(t: Table, width = Infinity): string {
  const n = t.header.length;
  const keys = Math.max(1, Math.min(t.keyColumns ?? 1, n));
  const natural = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.length)));
  const keyWidth = natural.slice(0, keys).reduce((a, w) => a + w + 2, 0);
  const cap = Math.max(MIN_COLUMN, width - keyWidth);
  const widths = natural.map((w, i) => (i < keys ? Math.min(w, Math.max(MIN_COLUMN, width)) : Math.min(w, cap)));
  const span = (cols: number[]): number => cols.reduce((a, i) => a + widths[i]!, 0) + 2 * (cols.length - 1);
  const keyCols = Array.from({ length: keys }, (_, i) => i);
  const groups: number[][] = [];
  for (let i = keys; i < n; i++) {
    const cur = groups.at(-1);
    if (cur && span([...keyCols, ...cur, i]) <= width) cur.push(i);
    else groups.push([i]);
  }
  if (groups.length === 0) groups.push([]);
  const render = (cols: number[]): string[] => {
    const line = (cells: string[]): string[] => {
      const wrapped = cols.map((i) => wrapText(cells[i]!, widths[i]!));
      const height = Math.max(...wrapped.map((w) => w.length));
      return Array.from({ length: height }, (_, l) =>
        wrapped.map((w, j) => (j === 0 || t.textColumns?.includes(cols[j]!) ? (w[l] ?? '').padEnd(widths[cols[j]!]!) : (w[l] ?? '').padStart(widths[cols[j]!]!))).join('  ').trimEnd(),
      );
    };
    return [...line(t.header), cols.map((i) => '─'.repeat(widths[i]!)).join('  '), ...t.rows.flatMap(line)];
  };
  const out = wrapText(t.title, width);
  groups.forEach((g, i) => {
    if (i > 0) out.push('');
    out.push(...render([...keyCols, ...g]));
  });
  const para = (text: string): string[] => {
    const indent = /^ */.exec(text)![0];
    // Continuation lines are indented two more: every line keeps within the width.
    return wrapText(text.trimStart(), Math.max(MIN_COLUMN, width - indent.length - 2)).map((l, i) => (i === 0 ? indent : `${indent}  `) + l);
  };
  for (const note of t.notes) out.push(...para(`≠ ${note}`));
  for (const r of t.remarks) out.push(...para(r));
  return out.join('\n');
}

export function toMarkdown(t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const out = [`### ${esc(t.title)}`, '', `| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 || t.textColumns?.includes(i) ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of t.rows) out.push(`| ${r.map(esc).join(' | ')} |`);
  if (t.notes.length) out.push('', ...t.notes.map((n) => `- ≠ ${esc(n)}`));
  if (t.remarks.length) out.push('', ...t.remarks.map((n) => (n.startsWith('  ') ? `  - ${esc(n.trim())}` : `- ${esc(n)}`)));
  return out.join('\n');
}

/** results.md: the answer, then every run's table, with the units stated. */
export function markdownReport(results: Results): string {
  const parts = [
    `# ${results.scenario}`,
    '',
    ...(results.description ? [results.description, ''] : []),
    `Mode: ${results.mode}${results.timeScale !== undefined ? ` (time scale ${results.timeScale}, scenario time)` : ''} · seed: ${results.seed} · baseline: ${results.baseline} · file: \`${results.file}\`${results.changed?.length ? ` · changed: \`${results.changed.join(' ')}\`` : ''}`,
    '',
    ...(results.partial ? ['**Partial**: the run was interrupted; these figures cover the requests started before.', ''] : []),
    "Latency is measured from a request's arrival to its final outcome, over successful requests; percentiles are exact (nearest rank). Changes are relative (%) for times and throughput, in percentage points (pp) for rates, and absolute for counts and detection times against a zero or tiny baseline.",
    '',
  ];
  if (results.sweep) {
    parts.push(
      `A sweep of ${results.sweep.fields.join(', ')}: one point per ${results.sweep.dimensions > 1 ? 'combination' : 'value'}. The answer and the summary table sum up every point; full tables follow for the points with published figures (results.json has every point).`,
      '',
    );
  }
  for (const t of tablesOf(results)) parts.push(toMarkdown(t), '');
  if (results.notes?.length) parts.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  return parts.join('\n');
}

/** A number as the offered-workload tables show it: grouped thousands, at most `digits` decimals ('–': not measured). */
const num = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/**
 * What the workload offered, whatever became of it (metrics.offered): a row per figure with its
 * unit, a column per variant, or one column when every variant was offered the same (an open
 * workload). null for results from before these figures existed.
 */
export function offeredTable(run: RunResult): Table | null {
  const vs = run.variants.filter((v) => v.metrics.offered);
  if (vs.length === 0) return null;
  const same = vs.every((v) => JSON.stringify(v.metrics.offered) === JSON.stringify(vs[0]!.metrics.offered));
  const cols = same ? [vs[0]!] : vs;
  const rows: string[][] = [];
  const add = (label: string, f: (o: OfferedMetrics) => string): void => {
    rows.push([label, ...cols.map((v) => f(v.metrics.offered!))]);
  };
  add('requests', (o) => num(o.requests));
  add('first to last arrival (min)', (o) => num(o.durationMs === null ? null : o.durationMs / 60_000, 1));
  add('requests per minute, mean', (o) => num(o.requestsPerMin.mean, 1));
  add('requests per minute, peak minute', (o) => num(o.requestsPerMin.peak));
  const sized = cols.some((v) => v.metrics.offered!.tokensPerMin);
  if (sized) {
    for (const k of ['prompt', 'output', 'total'] as const) {
      add(`${k} tokens per minute, mean`, (o) => num(o.tokensPerMin?.[k].mean));
      add(`${k} tokens per minute, peak minute`, (o) => num(o.tokensPerMin?.[k].peak));
    }
    for (const k of ['prompt', 'output'] as const) {
      for (const p of ['p50', 'p90', 'p99', 'max'] as const) add(`${k} tokens per request, ${p === 'max' ? 'largest' : p}`, (o) => num(o.sizes?.[k][p]));
    }
  }
  return {
    title: 'Workload offered',
    header: ['workload offered', ...(same ? [vs.length > 1 ? 'every variant' : vs[0]!.name] : vs.map((v) => v.name))],
    rows,
    notes: [],
    remarks: [
      `Mean per minute: (requests − 1) ÷ the time from the first arrival to the last${sized ? '; in tokens, that rate × the mean size' : ''}. Peak minute: the most in one whole minute of the run, minutes counted from its start.${sized ? ' Output tokens: what each answer would have, whatever became of the request.' : ''}`,
    ],
  };
}

/**
 * The longest key wait of each variant and the burst that decided it (metrics.worstWait); null
 * when no request waited for a key.
 */
export function burstTable(run: RunResult): Table | null {
  if (!run.variants.some((v) => v.metrics.worstWait)) return null;
  const col = (f: (w: WorstWait) => string): string[] => run.variants.map((v) => (v.metrics.worstWait ? f(v.metrics.worstWait) : '–'));
  return {
    title: 'The burst behind the longest key wait',
    header: ['longest key wait', ...run.variants.map((v) => v.name)],
    rows: [
      ['longest key wait (s)', ...col((w) => num(w.waitMs / 1000, 2))],
      ['that request arrived at (s)', ...col((w) => num(w.arrivalMs / 1000, 1))],
      ['busy since (s)', ...col((w) => num(w.burst.fromMs / 1000, 1))],
      ['requests arriving since, itself included', ...col((w) => num(w.burst.requests))],
      ['their rate (requests/min)', ...col((w) => num(w.burst.requestsPerMin, 1))],
    ],
    notes: [],
    remarks: [
      "The burst: from the start of the busy period that held that request's arrival (some request waiting for a key throughout) to its admission, or to when it gave up waiting; its requests arrived from that start up to and including it.",
    ],
  };
}

/**
 * The offered workload in one line, for the summary of the page's folded workload tables: the
 * first variant's figures when every variant was offered the same, else that they differ (a
 * closed workload sends as fast as it is served); the longest key wait of the run. null for
 * results from before these figures existed.
 */
export function offeredLine(run: RunResult): string | null {
  const vs = run.variants.filter((v) => v.metrics.offered);
  if (vs.length === 0) return null;
  const o = vs[0]!.metrics.offered!;
  const same = vs.every((v) => JSON.stringify(v.metrics.offered) === JSON.stringify(o));
  const parts = [
    same
      ? `${num(o.requests)} requests over ${num(o.durationMs === null ? null : o.durationMs / 60_000, 1)} min, ${num(o.requestsPerMin.mean, 1)} a minute on average, ${num(o.requestsPerMin.peak)} in the busiest minute`
      : `${num(o.requests)} requests, arriving differently in each variant (as fast as each was served)`,
  ];
  const waits = run.variants.flatMap((v) => (v.metrics.worstWait ? [v.metrics.worstWait.waitMs] : []));
  if (waits.length) parts.push(`longest key wait ${num(Math.max(...waits) / 1000, 2)} s`);
  return `Workload offered: ${parts.join('; ')}.`;
}
