import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../../metrics/results.js';
import { flowChart } from './parts.js';

/**
 * Requests per minute the workload offered against what the keys admitted and what was refused
 * with a 429, the burst behind the longest key wait shaded (parts.ts's flowChart says when it draws).
 */
export function offeredChart(run: RunResult): TopLevelSpec | null {
  return flowChart(run, 'requests');
}
