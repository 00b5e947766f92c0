import type { Balancer, Route } from '../balancers/balancer.js';
import { createBalancer } from '../balancers/index.js';
import type { KeyPoolSink, Pool } from '../keys/key-pool.js';
import type { ConnectionStats, PoolFacts } from '../metrics/facts.js';
import { Recorder } from '../metrics/recorder.js';
import type { VariantResult } from '../metrics/results.js';
import { variantResult, type RunEnd } from '../metrics/variant.js';
import type { ProviderPort, ProviderStats, ReplySink } from '../providers/port.js';
import type { Keys, Scenario } from '../scenario/types.js';
import { GroupedPool } from '../keys/grouped-pool.js';
import type { Clock } from '../sim/clock.js';
import { sampler } from '../sim/dist.js';
import { stream } from '../sim/random.js';
import type { ConnectionLayer, ConnectionSink } from './connections.js';
import { Dispatcher, type ProviderGroup } from './dispatcher.js';
import { HealthMonitor } from './health.js';
import { RetryPolicy } from './retry.js';
import { WorkloadSource } from './workload.js';
import { TraceFeed, traceRoutes, type TraceRoutes } from './trace.js';
import { traceCount } from '../workload/trace-schema.js';
import type { AdaptiveFacts } from '../metrics/adaptive.js';
import { learns } from '../limiters/index.js';

/**
 * Believed against true limits, for a scenario where they can differ: a key limiter that learns,
 * or a quota that steps or is shared with other tenants. The truth is the first provider with a
 * requests limit; the belief is the learning limiters' log, or the fixed limit the keys were told.
 */
function adaptiveFacts(s: Scenario, pool: PoolFacts): AdaptiveFacts | undefined {
  const p = s.providers.find((x) => x.limit);
  const changing = learns(s.keys.limiter) || s.keys.steps || s.providers.some((x) => x.steps || x.tenants);
  if (!p?.limit || !changing) return undefined;
  const beliefs = pool.beliefs;
  return {
    truth: { limit: p.limit, steps: p.steps, tenants: p.tenants, scope: p.scope, keys: s.keys.count },
    belief: beliefs ? { kind: 'learnt', ...beliefs } : s.keys.limit ? { kind: 'told', limit: s.keys.limit, steps: s.keys.steps } : undefined,
    localRejects: pool.stats.localRejects,
  };
}

/** A trace's model's providers (`list`), with a balancer of their own drawing from its own stream. */
function providerGroup(s: Scenario, list: readonly number[], g: number): ProviderGroup {
  const health = new Uint8Array(list.length).fill(1);
  const load = new Float64Array(list.length);
  const local = new Int32Array(s.providers.length).fill(-1);
  list.forEach((p, i) => (local[p] = i));
  const balancer = createBalancer(s.balancer, {
    weights: list.map((p) => s.providers[p]!.weight),
    names: list.map((p) => s.providers[p]!.name),
    random: stream(s.seed, `balancer:${g}`),
    healthy: health,
    inFlight: load,
  });
  return { balancer, providers: Int32Array.from(list), local, health, load };
}

/** A provider port that counts what it saw (the mock model, the HTTP client). */
export type CountingPort = ProviderPort & { readonly stats: ProviderStats };

/**
 * What differs between simulation and real mode: the clock, how the key pool keeps its state,
 * who owns connections, what a provider is, and how keys are named in results. Everything else —
 * workload, dispatcher, balancer, health, retries, recording — is built once, here, for both.
 */
export interface ModeParts {
  clock: Clock;
  /** Key names in results: `key-1`… in simulation, fingerprints in real mode. */
  keyNames: readonly string[];
  /**
   * The key pool. With `keys` and `part`: the pool of one key group of a trace's tenants (`keys.count`
   * its size), drawing from a stream of its own; assemble joins the groups into one pool.
   */
  pool(sink: KeyPoolSink, keys?: Keys, part?: number): Pool & PoolFacts;
  connections(sink: ConnectionSink): ConnectionLayer & { readonly stats: ConnectionStats };
  providers(sink: ReplySink): CountingPort[];
  /** Consistent hashing: measure the share of clients that move at each health change. */
  trackRemaps: boolean;
  /** Called once, when the last request has its final outcome. */
  onDone?: () => void;
  /** Who sends the requests, instead of the scenario's workload source (a shard of a schedule split over processes). */
  source?: () => WorkloadSource;
  /** A trace's arrivals: measure how late each ran against its row's time (real mode). */
  measureDrift?: boolean;
}

/** The assembled gateway of one variant. */
export interface Gateway {
  readonly dispatcher: Dispatcher<Pool & PoolFacts, ConnectionLayer & { readonly stats: ConnectionStats }, CountingPort>;
  readonly source: WorkloadSource;
  readonly recorder: Recorder;
  readonly pool: Pool & PoolFacts;
  readonly providers: readonly CountingPort[];
  readonly connections: ConnectionLayer & { readonly stats: ConnectionStats };
  /** Starts the health checks and the workload. */
  start(): void;
  /** This variant's results, at scenario time `endMs`. */
  result(name: string, endMs: number): VariantResult;
  /** What the results are built from, at scenario time `endMs` (a shard hands these over to be merged). */
  facts(endMs: number): RunEnd;
}

/**
 * For hashing balancers: the provider every client maps to now, and at each health change the
 * fraction of clients whose provider changed.
 */
class RemapTracker {
  readonly changes: { atMs: number; fraction: number }[] = [];
  private readonly map: Int32Array;
  private readonly route: Route = { client: 0, attempt: 1, previous: -1, avoid: -1 };
  constructor(
    private readonly balancer: Balancer,
    clients: number,
  ) {
    this.map = new Int32Array(clients);
    this.remap();
  }
  /** Maps every client again; returns how many moved. */
  private remap(): number {
    let moved = 0;
    for (let c = 0; c < this.map.length; c++) {
      this.route.client = c;
      const p = this.balancer.peek(this.route, 0);
      if (p !== this.map[c]) moved++;
      this.map[c] = p;
    }
    return moved;
  }
  changed(now: number): void {
    this.changes.push({ atMs: now, fraction: this.remap() / this.map.length });
  }
}

/**
 * The one composition root: a resolved scenario and a mode's parts → a gateway ready to start.
 * Built in dependency order (the dispatcher builds the parts that report to it, bound to it);
 * each component draws from its own random stream, named after it, so adding a provider does not
 * change the arrivals.
 */
export function assemble(scenario: Scenario, mode: ModeParts): Gateway {
  const clock = mode.clock;
  // A trace makes as many requests as its rows × scale with this seed (a search may change the seed after loading).
  const t = scenario.workload.trace;
  const s = t ? { ...scenario, workload: { ...scenario.workload, requests: traceCount(t, scenario.seed) } } : scenario;
  const routes: TraceRoutes | undefined = t && traceRoutes(t, mode.keyNames.length, s.providers.map((p) => p.name));
  const feed = t && new TraceFeed(t, routes!, stream(s.seed, 'trace'));
  const n = s.providers.length;
  const recorder = new Recorder(s.workload.requests, mode.keyNames.length, s.workload.tokens !== undefined);
  // State shared across parts, each with one writer: the health monitor writes `healthy`, the
  // dispatcher `inFlight`; the balancer (and the dispatcher, for healthy) get read-only views.
  const healthy = new Uint8Array(n).fill(1);
  const inFlight = new Float64Array(n);
  const balancer = createBalancer(s.balancer, {
    weights: s.providers.map((p) => p.weight),
    names: s.providers.map((p) => p.name),
    random: stream(s.seed, 'balancer'),
    healthy,
    inFlight,
  });
  const remaps = mode.trackRemaps && s.balancer.type === 'consistent-hash' ? new RemapTracker(balancer, s.workload.clients) : undefined;
  const source =
    mode.source?.() ??
    new WorkloadSource(
      s.workload, clock, stream(s.seed, 'workload'), sampler(s.workload.think, stream(s.seed, 'think')), stream(s.seed, 'tokens'), feed, mode.measureDrift,
    );
  const dispatcher = new Dispatcher({
    clock,
    source,
    pool: (sink) =>
      routes?.keyGroups.length
        ? new GroupedPool(routes.keyGroups, mode.keyNames.length, sink, (g, part) => mode.pool(part, { ...s.keys, count: routes.keyGroups[g]!.length }, g))
        : mode.pool(sink),
    balancer,
    connections: (sink) => mode.connections(sink),
    providers: (sink) => mode.providers(sink),
    health: (ports) => new HealthMonitor(s.health, n, clock, healthy, ports, remaps && (() => remaps.changed(clock.now()))),
    retry: new RetryPolicy(s.retry, stream(s.seed, 'retry')),
    recorder,
    healthy,
    inFlight,
    timeoutsMs: s.providers.map((p) => p.timeoutMs),
    fallback: s.retry.fallback,
    onDone: mode.onDone,
    ...(routes?.providerGroups.length ? { providerGroups: routes.providerGroups.map((list, g) => providerGroup(s, list, g)) } : {}),
  });
  const facts = (endMs: number): RunEnd => ({
    recorder,
    keyNames: mode.keyNames,
    providerNames: s.providers.map((p) => p.name),
    pool: dispatcher.pool,
    health: dispatcher.health,
    connections: dispatcher.connections.stats,
    providers: dispatcher.ports.map((p) => p.stats),
    remaps: remaps?.changes,
    workers: s.workload.arrivals || s.workload.trace ? null : (s.workload.concurrency ?? null),
    endMs,
    faults: s.providers.map((p) => p.faults),
    tokenQuota: s.keys.tokens ?? s.providers.find((p) => p.tokens)?.tokens,
    adaptive: adaptiveFacts(s, dispatcher.pool),
    ...(s.slo ? { slo: s.slo } : {}),
    ...(source.arrivalDrift ? { drift: source.arrivalDrift } : {}),
    keyLimit: { limit: s.keys.limit, steps: s.keys.steps, tokens: s.keys.tokens, charge: s.keys.charge },
  });
  return {
    dispatcher,
    source,
    recorder,
    pool: dispatcher.pool,
    providers: dispatcher.ports,
    connections: dispatcher.connections,
    start: () => dispatcher.start(),
    result: (name, endMs) => variantResult(name, facts(endMs)),
    facts,
  };
}
