import type { Provider, Scenario } from '../../src/scenario/types.js';

/** A resolved scenario with small defaults, for tests that bypass the YAML loader. */
export function scenario(over: Partial<Scenario> = {}, provider: Partial<Provider> = {}): Scenario {
  return {
    name: 'test',
    description: undefined,
    seed: 1,
    workload: { requests: 100, concurrency: 10, think: { dist: 'constant', value: 0 }, arrivals: undefined, clients: 100 },
    keys: {
      count: 1,
      limit: undefined,
      limiter: { type: 'sliding-log', options: {} },
      choice: 'least-used',
      exclusive: false,
      wait: { mode: 'notify' },
      guardMs: 0,
      acquireTimeoutMs: 300_000,
    },
    balancer: { type: 'round-robin', options: {} },
    providers: [
      {
        name: 'main',
        weight: 1,
        latency: { dist: 'constant', value: 100 },
        failure: 0,
        capacity: Infinity,
        limit: undefined,
        timeoutMs: Infinity,
        connect: { handshakeMs: 0, max: Infinity, timeoutMs: 0, lingerMs: 0 },
        faults: [],
        ...provider,
      },
    ],
    connections: 'pooled',
    health: { passive: undefined, cooldown: undefined, breaker: undefined, active: undefined },
    request: { model: 'gpt-4o-mini', maxTokens: 16, prompt: 'Reply with the word ok.', body: undefined, stream: false },
    retry: { attempts: 1, fallback: false, backoffMs: 1000, maxBackoffMs: 30_000, jitter: 'full', on: ['rateLimited', 'serverError', 'timeout', 'connectFailed', 'unavailable'] },
    ...over,
  };
}

/** A closed workload: `requests` sent by `concurrency` workers with no think time. */
export const closed = (requests: number, concurrency: number): Scenario['workload'] => ({
  requests,
  concurrency,
  think: { dist: 'constant', value: 0 },
  arrivals: undefined,
  clients: 10,
});
