import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { palette, type Palette } from '../vega.js';
import { cdfChart } from './parts.js';

/** Time to first token per variant (ttftCdf): share of streamed answers whose first token came within x (log x). Only with streamed answers. */
export function ttftCdfChart(run: RunResult, pal: Palette = palette([run])): TopLevelSpec | null {
  return cdfChart(run, pal, (v) => v.ttftCdf ?? [], {
    title: 'Time to first token',
    subtitle: 'Share of streamed answers whose first token came within a time after reaching the provider (slot wait + prefill)',
    field: 'ttftS',
    xTitle: 'time to first token (s, log scale)',
    yTitle: 'first token within (%)',
    tip: 'time to first token (s)',
    within: 'within (%)',
  });
}
