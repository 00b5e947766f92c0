import { TraceReader } from '../workload/trace-reader.js';
import type { TraceSpec } from '../workload/trace-schema.js';
import type { Random } from '../sim/random.js';

/**
 * The routes of a trace's rows, resolved once: each tenant name to a key group (a set of keys
 * that is a pool of its own) and each model name to a provider group (the providers its requests
 * may go to). Names are looked up per row in a Map; groups are indexes, so a request carries two
 * integers.
 */
export interface TraceRoutes {
  /** Key groups (0-based key indexes); empty: no tenant column, every request may take every key. */
  keyGroups: number[][];
  /** Provider groups (provider indexes); empty: no model column. */
  providerGroups: number[][];
  tenantGroup: Map<string, number>;
  modelGroup: Map<string, number>;
}

/** Builds the routes of `t` for keys.count `keys` and the providers' names (the loader has checked every name the file holds). */
export function traceRoutes(t: TraceSpec, keys: number, providers: readonly string[]): TraceRoutes {
  const keyGroups: number[][] = [];
  const tenantGroup = new Map<string, number>();
  if (t.columns.tenant !== undefined) {
    const byList = new Map<string, number>();
    const entries: [string, number[]][] = t.tenants ? Object.entries(t.tenants) : Array.from({ length: keys }, (_, k) => [String(k + 1), [k]]);
    for (const [name, list] of entries) {
      const sorted = [...new Set(list)].sort((a, b) => a - b);
      const id = sorted.join(',');
      let g = byList.get(id);
      if (g === undefined) {
        g = keyGroups.length;
        keyGroups.push(sorted);
        byList.set(id, g);
      }
      tenantGroup.set(name, g);
    }
  }
  const providerGroups: number[][] = [];
  const modelGroup = new Map<string, number>();
  if (t.columns.model !== undefined) {
    const entries: [string, string[]][] = t.models ? Object.entries(t.models) : providers.map((p) => [p, [p]]);
    for (const [name, list] of entries) {
      modelGroup.set(name, providerGroups.length);
      providerGroups.push([...new Set(list.map((p) => providers.indexOf(p)))].sort((a, b) => a - b));
    }
  }
  return { keyGroups, providerGroups, tenantGroup, modelGroup };
}

/**
 * A trace's requests in order, one per `next()`: each row of the window `scale` times (the
 * whole part always, one more with the fractional part's probability, drawn per row on the
 * `trace` stream), its time from the window's start divided by `speed`.
 */
export class TraceFeed {
  /** When the request arrives, in ms from the run's start. */
  at = 0;
  prompt = 0;
  output = 0;
  /** max_tokens: the row's, or its output when the trace has no such column. */
  maxTokens = 0;
  /** Key group (-1: any key) and provider group (-1: any provider). */
  keyGroup = -1;
  providerGroup = -1;
  private readonly reader: TraceReader;
  private copies = 0;
  private readonly whole: number;
  private readonly frac: number;

  constructor(
    private readonly t: TraceSpec,
    private readonly routes: TraceRoutes,
    private readonly random: Random,
  ) {
    this.reader = new TraceReader(t);
    this.whole = Math.floor(t.scale);
    this.frac = t.scale - this.whole;
  }

  /** The next request into the fields; false after the last. */
  next(): boolean {
    while (this.copies === 0) {
      const r = this.reader;
      if (!r.next()) return false;
      this.copies = this.whole + (this.frac > 0 && this.random() < this.frac ? 1 : 0);
      this.at = (r.timeMs - this.t.fromMs) / this.t.speed;
      this.prompt = r.prompt;
      this.output = r.output;
      this.maxTokens = r.maxTokens >= 0 ? r.maxTokens : r.output;
      // A row asking more than its max_tokens gets max_tokens, as a provider would stop it.
      if (this.output > this.maxTokens) this.output = this.maxTokens;
      this.keyGroup = this.routes.keyGroups.length ? this.routes.tenantGroup.get(r.tenant)! : -1;
      this.providerGroup = this.routes.providerGroups.length ? this.routes.modelGroup.get(r.model)! : -1;
    }
    this.copies--;
    return true;
  }

  /** Stops reading (the run stopped early). */
  close(): void {
    this.reader.close();
  }
}
