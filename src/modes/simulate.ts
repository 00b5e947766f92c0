import { assemble } from '../gateway/assemble.js';
import { Connections } from '../gateway/connections.js';
import { KeyPool } from '../keys/key-pool.js';
import type { Recorder } from '../metrics/recorder.js';
import type { VariantResult } from '../metrics/results.js';
import { MockProvider } from '../providers/mock.js';
import { learns } from '../limiters/index.js';
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
 * Runs one fully resolved scenario in virtual time: the gateway assembled on the event engine,
 * with the key pool in memory, simulated connections and the mock provider model.
 */
export function simulate(s: Scenario, name: string): { result: VariantResult; stats: SimStats; recorder: Recorder } {
  const engine = new Engine(1024);
  const g = assemble(s, {
    clock: engine,
    keyNames: Array.from({ length: s.keys.count }, (_, k) => keyName(k)),
    pool: (sink, keys = s.keys, part) => new KeyPool(keys, engine, stream(s.seed, part === undefined ? 'keys' : `keys:${part}`), sink),
    connections: (sink) => new Connections(s.connections === 'pooled', s.providers.map((p) => p.connect), s.keys.count, engine, sink),
    providers: (sink) => {
      const options = { sized: s.workload.tokens !== undefined, stream: s.request.stream, figures: learns(s.keys.limiter) };
      return s.providers.map((p) => new MockProvider(p, s.keys.count, engine, stream(s.seed, `provider:${p.name}`), sink, options));
    },
    trackRemaps: true,
  });
  g.start();
  // Stop at the last request's outcome: health checks and lingering connections would run forever.
  engine.runUntil(() => g.dispatcher.done);
  const end = engine.now();
  return { result: g.result(name, end), stats: { events: engine.processed, virtualMs: end }, recorder: g.recorder };
}
