import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../metrics/results.js';

/**
 * The report's vega kit, the lowest floor of report/: the charts' look (sizes, palette, shared
 * config), small helpers every chart uses, and `vegaSpec`, the one place a chart becomes a
 * vega-lite `TopLevelSpec`.
 *
 * Why one builder and one cast: the charts write their specs as plain data (nested records, spread
 * and filtered as each chart needs), which vega-lite's types cannot follow through spreads and
 * unions without a cast per chart. The builder takes what every chart must have (a title; its size
 * on the page when it is half) and adds what every chart shares ($schema, config), so the cast is written once and
 * test/report-floors.test.ts fails if a second one appears. vega-lite itself checks the spec
 * when the page draws it (test/studies.test.ts draws every shipped scenario's page in Chromium and
 * fails on a console warning).
 *
 * This file imports nothing else from report/: everything above may use it, it uses nothing above.
 * A new chart: a file under charts/ that builds its body with vegaSpec (or parts.ts's single /
 * timeFacets / cdfChart), and a line in charts.ts's RUN_CHARTS with its order and size.
 */

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * Width budget of a chart in px, axes and legend included: the page's content column is 1132 px
 * and vega-embed's action button takes 38 px beside the chart. HALF is one of two charts side by side.
 */
export const FULL = 1060;
export const HALF = 520;
/** Room a y axis takes (labels and title) beside a panel. */
export const Y_AXIS = 62;
/** Room a legend takes to the right of a chart (its labels are cut at LEGEND_LABEL px). */
export const LEGEND = 175;
export const LEGEND_LABEL = 140;
/** Gap between small multiples (vega-lite's default spacing). */
export const GAP = 20;

/**
 * Shared look: titles flush left like the page's headings, quieter subtitles, legends to the right
 * within the width budget (each chart leaves LEGEND px for it). Charts with many panels and one
 * legend put it on top instead (LEGEND_TOP).
 */
export const CONFIG = {
  title: { anchor: 'start', fontSize: 15, subtitleFontSize: 12, subtitleColor: '#57606a', offset: 8 },
  axis: { titleFontWeight: 'normal', titleFontSize: 12, labelFontSize: 11 },
  legend: { titleFontWeight: 'normal', labelFontSize: 11, labelLimit: LEGEND_LABEL, symbolLimit: 60 },
  header: { labelFontSize: 12, labelFontWeight: 'bold' },
  view: { stroke: '#d8dee4' },
} as const;

/** Variant colours (vega's tableau10, then tableau20's light shades) and provider colours (dark2), in page order. */
export const VARIANT_COLOURS = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#9ecae9', '#ffbf79', '#88d27a', '#b79a20', '#f2cf5b', '#d6a5c9', '#fcbfd2', '#d8b5a5'];
export const PROVIDER_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];

/** Page-wide colours: a variant or a provider keeps its colour on every chart of a page. */
export interface Palette {
  variants: Map<string, string>;
  providers: Map<string, string>;
}

/** Colours for every variant and provider of the runs, in the order they first appear. */
export function palette(runs: readonly RunResult[]): Palette {
  const variants = new Map<string, string>();
  const providers = new Map<string, string>();
  for (const run of runs) {
    for (const v of run.variants) {
      if (!variants.has(v.name)) variants.set(v.name, VARIANT_COLOURS[variants.size % VARIANT_COLOURS.length]!);
      for (const p of Object.keys(v.metrics.providers)) if (!providers.has(p)) providers.set(p, PROVIDER_COLOURS[providers.size % PROVIDER_COLOURS.length]!);
    }
  }
  return { variants, providers };
}

/** A colour scale over the names shown, each in its page colour. */
export const scaleOf = (colours: Map<string, string>, names: readonly string[]) => ({ domain: [...names], range: names.map((n) => colours.get(n) ?? '#888888') });

/** Rounded to 3 decimals (a spec's data stays short); `seconds` turns ms into s so rounded. */
export const r3 = (v: number): number => Math.round(v * 1000) / 1000;
export const seconds = (ms: number): number => r3(ms / 1000);

/** Small multiples per variant: up to 6 to a row (a panel stays at least ~150 px wide), rows as even as they can be. */
export function facetColumns(n: number): number {
  return n <= 6 ? n : Math.ceil(n / Math.ceil(n / 6));
}
/** Width of one panel of `columns` across the content column, each with its own y axis or only the first, and room for a legend at the right. */
export const panelWidth = (columns: number, axes: number, legend = LEGEND): number => Math.floor((FULL - legend - axes * Y_AXIS - (columns - 1) * GAP) / columns);
/** The legend above the panels, for charts whose panels take the whole width. */
export const LEGEND_TOP = { legend: { orient: 'top', direction: 'horizontal', columns: 8 } } as const;

/** A chart's width on the page: `half` charts sit two to a row. */
export const chartSize = (spec: TopLevelSpec): 'half' | 'full' => (spec.usermeta?.size === 'half' ? 'half' : 'full');


/** A chart's title: what it shows, and subtitle lines saying how to read it. */
export interface ChartTitle {
  text: string;
  subtitle?: string | string[];
  [key: string]: unknown;
}

/** A chart's body as the charts write it: vega-lite's fields, with the title every chart must have. */
export interface ChartBody {
  title: ChartTitle;
  /** `half` charts sit two to a row on the page (chartSize), `full` ones (the default) take the column. */
  usermeta?: { size: 'half' | 'full' };
  /** Added to the shared CONFIG (such as LEGEND_TOP). */
  config?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The one builder of a vega-lite spec: `$schema` and the shared config first, then the chart's own
 * fields in the order it wrote them (so a page's spec JSON reads the same as before the kit).
 */
export function vegaSpec(body: ChartBody): TopLevelSpec {
  const { config, ...rest } = body;
  const spec = { $schema: SCHEMA, config: config ? { ...CONFIG, ...config } : CONFIG, ...rest };
  return spec as unknown as TopLevelSpec;
}

/** Items joined with "; " into lines of at most `width` characters (an item longer than that has a line of its own), the first line led by `lead`, the last ending in a full stop. */
export function wrapList(lead: string, items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = lead;
  for (const [i, item] of items.entries()) {
    const piece = item + (i === items.length - 1 ? '.' : ';');
    if (line.length > lead.length && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else line = line === lead ? lead + piece : `${line} ${piece}`;
  }
  lines.push(line);
  return lines;
}

/** A name broken into lines of at most `width` characters at spaces (axis labels wrap instead of overlapping). */
export function wrap(name: string, width = 22): string[] {
  const lines: string[] = [];
  for (const word of name.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}
