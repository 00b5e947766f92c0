import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { flowChart } from './parts.js';

/**
 * Tokens per minute (prompt + output asked) the workload offered against what the keys admitted
 * and what was refused with a 429, the burst behind the longest key wait shaded. Only with
 * request sizes (parts.ts's flowChart says when else it draws).
 */
export function offeredTokensChart(run: RunResult): TopLevelSpec | null {
  return flowChart(run, 'tokens');
}
