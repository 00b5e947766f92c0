import { createBalancer } from './balancers/index.js';
import { Connections } from './gateway/connections.js';
import { Dispatcher } from './gateway/dispatcher.js';
import { RetryPolicy } from './gateway/retry.js';
import { KeyPool } from './limiters/key-pool.js';
import { Recorder } from './metrics/recorder.js';
import type { VariantResult } from './metrics/results.js';
import { series, summarize } from './metrics/summary.js';
import { MockProvider } from './providers/mock.js';
import { sampler } from './sim/dist.js';
import { Engine } from './sim/engine.js';
import { stream } from './sim/random.js';
import type { Scenario } from './scenario/types.js';

/** Names of simulated keys (real keys are never named; they get fingerprints). */
export const keyName = (k: number): string => `key-${k + 1}`;

/** What one simulated variant took to run (wall-clock facts stay out of results.json). */
export interface SimStats {
  events: number;
  virtualMs: number;
}

/**
 * Runs one fully resolved scenario in virtual time. Each component gets its own random stream
 * derived from the seed and its name, so adding a provider does not change the arrivals.
 */
export function simulate(s: Scenario, name: string): { result: VariantResult; stats: SimStats; recorder: Recorder } {
  const engine = new Engine(1024);
  const seed = s.seed;
  const recorder = new Recorder(s.workload.requests, s.keys.count);
  const pool = new KeyPool(s.keys, engine, stream(seed, 'keys'), {
    granted: (w, k) => dispatcher.granted(w, k),
    gaveUp: (w) => dispatcher.gaveUp(w),
  });
  const balancer = createBalancer(
    s.balancer.type,
    { weights: s.providers.map((p) => p.weight), names: s.providers.map((p) => p.name), random: stream(seed, 'balancer') },
    s.balancer.options,
  );
  let providers: MockProvider[] = [];
  let connections: Connections | undefined;
  const dispatcher: Dispatcher = new Dispatcher(s, {
    clock: engine,
    pool,
    balancer,
    connections: (sink) =>
      (connections = new Connections(
        s.connections === 'pooled',
        s.providers.map((p) => p.connect),
        s.keys.count,
        engine,
        sink,
      )),
    providers: (sink) =>
      (providers = s.providers.map((p) => new MockProvider(p, s.keys.count, engine, stream(seed, `provider:${p.name}`), sink))),
    retry: new RetryPolicy(s.retry, stream(seed, 'retry')),
    think: sampler(s.workload.think, stream(seed, 'think')),
    workloadRandom: stream(seed, 'workload'),
    recorder,
  });
  dispatcher.start();
  engine.run();
  const keyNames = Array.from({ length: s.keys.count }, (_, k) => keyName(k));
  const metrics = summarize(recorder, {
    keyNames,
    providerNames: s.providers.map((p) => p.name),
    admitted: pool.admitted,
    connections: connections!.stats,
    providers: providers.map((p) => p.stats),
    limiter: pool.stats,
  });
  return {
    result: { name, metrics, series: series(recorder, keyNames, metrics.totalTimeMs ?? 0) },
    stats: { events: engine.processed, virtualMs: engine.now() },
    recorder,
  };
}
