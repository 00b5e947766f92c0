import type { Rate } from '../core/units.js';
import type { Dist } from '../sim/dist.js';
import type { Fault } from './faults.js';

/** One provider as the scenario resolves it (what the mock model, the HTTP client and serve need). */
export interface Provider {
  name: string;
  /** Real mode: the OpenAI-compatible base URL (requests go to `{url}/chat/completions`). */
  url?: string;
  weight: number;
  latency: Dist;
  /** Probability a request fails with a 5xx. */
  failure: number;
  /** Requests served at once; Infinity = unlimited. */
  capacity: number;
  /** The provider's own per-key limit (exact sliding window → 429 + retry-after). */
  limit: Rate | undefined;
  /** Client-side timeout of one attempt; Infinity = none. */
  timeoutMs: number;
  /**
   * Cost of a new connection, the most the provider accepts open at once, and how long a new one
   * waits in the provider's accept backlog when that many are open before it fails (0 = refused at once),
   * and how long a closed connection still counts against `max` at the provider.
   */
  connect: { handshakeMs: number; max: number; timeoutMs: number; lingerMs: number };
  faults: Fault[];
}

/** Real mode: what each request asks for. */
export interface RequestTemplate {
  model: string;
  maxTokens: number;
  prompt: string;
  /** Replaces the whole JSON body when given. */
  body: Record<string, unknown> | undefined;
}
