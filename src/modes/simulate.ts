import type { Balancer, Route } from '../balancers/balancer.js';
import { HealthMonitor } from '../gateway/health.js';
import { createBalancer } from '../balancers/index.js';
import { Connections } from '../gateway/connections.js';
import { Dispatcher } from '../gateway/dispatcher.js';
import { RetryPolicy } from '../gateway/retry.js';
import { KeyPool } from '../keys/key-pool.js';
import { Recorder } from '../metrics/recorder.js';
import type { VariantResult } from '../metrics/results.js';
import { variantResult } from '../metrics/variant.js';
import { MockProvider } from '../providers/mock.js';
import { sampler } from '../sim/dist.js';
import { Engine } from '../sim/engine.js';
import { stream } from '../sim/random.js';
import type { Scenario } from '../scenario/types.js';

/** Names of simulated keys (real keys are never named; they get fingerprints). */
export const keyName = (k: number): string => `key-${k + 1}`;

/** What one simulated variant took to run (wall-clock facts stay out of results.json). */
export interface SimStats {
  events: number;
  virtualMs: number;
}

/**
 * For hashing balancers: the provider every client maps to now, and at each health change the
 * fraction of clients whose provider changed.
 */
class RemapTracker {
  readonly changes: { atMs: number; fraction: number }[] = [];
  private readonly map: Int32Array;
  private readonly route: Route = { client: 0, attempt: 1, previous: -1 };
  constructor(
    private readonly balancer: Balancer,
    clients: number,
  ) {
    this.map = new Int32Array(clients);
    this.mapAll(0, () => {});
  }
  private mapAll(now: number, moved: () => void): void {
    for (let c = 0; c < this.map.length; c++) {
      this.route.client = c;
      const p = this.balancer.peek(this.route, now);
      if (p !== this.map[c]) moved();
      this.map[c] = p;
    }
  }
  changed(now: number): void {
    let moved = 0;
    this.mapAll(now, () => moved++);
    this.changes.push({ atMs: now, fraction: moved / this.map.length });
  }
}

/**
 * Runs one fully resolved scenario in virtual time. Each component gets its own random stream
 * derived from the seed and its name, so adding a provider does not change the arrivals.
 */
export function simulate(s: Scenario, name: string): { result: VariantResult; stats: SimStats; recorder: Recorder } {
  const engine = new Engine(1024);
  const seed = s.seed;
  const n = s.providers.length;
  const recorder = new Recorder(s.workload.requests, s.keys.count);
  const healthy = new Uint8Array(n).fill(1);
  const inFlight = new Float64Array(n);
  const pool = new KeyPool(s.keys, engine, stream(seed, 'keys'), {
    granted: (w, k) => dispatcher.granted(w, k),
    gaveUp: (w) => dispatcher.gaveUp(w),
  });
  const balancer = createBalancer(s.balancer, { weights: s.providers.map((p) => p.weight), names: s.providers.map((p) => p.name), random: stream(seed, 'balancer'), healthy, inFlight });
  const remaps = s.balancer.type === 'consistent-hash' ? new RemapTracker(balancer, s.workload.clients) : undefined;
  let providers: MockProvider[] = [];
  let connections: Connections | undefined;
  let health!: HealthMonitor;
  const dispatcher: Dispatcher = new Dispatcher(s, {
    clock: engine,
    pool,
    balancer,
    connections: (sink) =>
      (connections = new Connections(s.connections === 'pooled', s.providers.map((p) => p.connect), s.keys.count, engine, sink)),
    providers: (sink) =>
      (providers = s.providers.map((p) => new MockProvider(p, s.keys.count, engine, stream(seed, `provider:${p.name}`), sink))),
    retry: new RetryPolicy(s.retry, stream(seed, 'retry')),
    health: (ports) => (health = new HealthMonitor(s.health, n, engine, healthy, ports, () => remaps?.changed(engine.now()))),
    healthy,
    inFlight,
    think: sampler(s.workload.think, stream(seed, 'think')),
    workloadRandom: stream(seed, 'workload'),
    recorder,
  });
  dispatcher.start();
  // Stop at the last request's outcome: health checks and lingering connections would run forever.
  engine.runUntil(() => dispatcher.done);
  const end = engine.now();
  const result = variantResult(name, {
    recorder,
    keyNames: Array.from({ length: s.keys.count }, (_, k) => keyName(k)),
    providerNames: s.providers.map((p) => p.name),
    pool,
    health,
    connections: connections!.stats,
    providers: providers.map((p) => p.stats),
    remaps: remaps?.changes,
    endMs: end,
    faults: s.providers.map((p) => p.faults),
  });
  return {
    result,
    stats: { events: engine.processed, virtualMs: end },
    recorder,
  };
}
