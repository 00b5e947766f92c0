/**
 * The resolved scenario: what the loader hands the engine after YAML parsing, schema checks,
 * unit conversion and defaults. Every time is in milliseconds, every rate is a count per window.
 */

export type { Dist } from '../sim/dist.js';

export type { Rate } from '../core/units.js';

export type { Named } from '../core/registry.js';
import type { Named } from '../core/registry.js';
import type { Goal, Slo } from '../core/goal.js';
export type { Slo } from '../core/goal.js';
export type { Workload, TokenMix } from '../workload/spec.js';
import type { Workload } from '../workload/spec.js';
export type { Retry, RetryOn, Health } from '../policies/spec.js';
import type { Retry, Health } from '../policies/spec.js';

export type { Keys, KeyStore, WaitMode } from '../keys/spec.js';
import type { Keys } from '../keys/spec.js';
export type { Provider, RequestTemplate } from '../providers/spec.js';
export type { Fault } from '../providers/faults.js';
import type { Provider, RequestTemplate } from '../providers/spec.js';

export interface Scenario {
  name: string;
  description: string | undefined;
  seed: number;
  workload: Workload;
  keys: Keys;
  balancer: Named;
  providers: Provider[];
  connections: 'pooled' | 'fresh';
  retry: Retry;
  health: Health;
  request: RequestTemplate;
  /** Per-request SLOs goodput counts against (absent: every success counts). */
  slo?: Slo;
}

export interface PlanVariant {
  name: string;
  /**
   * The variant changes the world (a quota removed, a provider down), not a choice a user makes:
   * compared, never picked as the best. Present only when the file says `condition: true`.
   */
  condition?: true;
  /**
   * The variant told the truth at each moment (a fixed limit that steps with the provider's quota):
   * every other variant of its run gets its throughput as a share of this one's. Present only when
   * the file says `oracle: true`.
   */
  oracle?: true;
  scenario: Scenario;
}

export interface PlanRun {
  name: string;
  variants: PlanVariant[];
  /** A sweep point: swept field path → its value here, as written in the file. */
  point?: Record<string, unknown>;
}

/** A reference line on the sweep charts: at a swept value (x), or at a metric's value in its own unit (y). */
export type Mark = { x: number; label: string } | { metric: string; y: number; label: string };

/** A whole scenario file: every (run × variant) fully resolved. */
export interface Plan {
  file: string;
  name: string;
  description: string | undefined;
  seed: number;
  /** Variant name the improvement column compares against. */
  baseline: string;
  runs: PlanRun[];
  /** Published figures: run name → variant name → metric key → value. */
  reference: Record<string, Record<string, Record<string, number>>>;
  /** The YAML text as read (for reports). */
  source: string;
  /** A sweep: the swept field paths in order (its runs are the points). */
  sweep?: { fields: string[]; dimensions: number };
  /** Remarks for the report. */
  notes?: string[];
  marks?: Mark[];
  /** What the study wants (`goal:`, or `--goal`); absent: the default goal. */
  goal?: Goal;
  /** The command line's changes to the file (`--seed 3`, `--set …`), as results record them (set by the CLI). */
  changed?: string[];
}
