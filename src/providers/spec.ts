import type { Named } from '../core/registry.js';
import type { Rate } from '../core/units.js';
import type { Charge } from '../core/outcome.js';
import type { Dist } from '../sim/dist.js';
import type { Fault } from './faults.js';
import type { QuotaStep } from '../limiters/stepped.js';
import type { IterationServing } from './iteration.js';

/** Another tenant of a shared quota: a request every 1 / `perMs` ms from `fromMs` until `toMs`. */
export interface Tenant {
  perMs: number;
  fromMs: number;
  toMs: number;
}

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
  /** The provider's own limit of requests (per key, or per organisation with `scope: all`) → 429 + retry-after. */
  limit: Rate | undefined;
  /** How its requests limit changes over the run (each period's window starts empty). */
  steps?: QuotaStep[];
  /** Other tenants of the organisation's quota (`scope: all`): their requests count in it, not in our results. */
  tenants?: Tenant[];
  /** Its limit of tokens. */
  tokens?: Rate;
  /** Requests it serves at once per key (or per organisation). */
  concurrent?: number;
  /** How it charges tokens (present with `tokens`). */
  charge?: Charge;
  /** Its limits also enforced over this shorter period, scaled (limit.quantum; absent: none). */
  quantumMs?: number;
  /**
   * Whether a request its quota refuses still counts in it: `counts` (default, as OpenAI documents:
   * "unsuccessful requests contribute to your per-minute limit") or `free`.
   */
  refused?: 'counts' | 'free';
  /** The algorithm of its quotas; absent: an exact sliding window (sliding-log). */
  algorithm?: Named;
  /** `all`: one quota shared by every key (an organisation's); absent: one per key. */
  scope?: 'all';
  /** How it serves LLM requests: time to first token and per output token, with a sequence budget; or in steps (the iteration model). */
  serving?: Serving | IterationServing;
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

/**
 * An LLM server's serving model, per request and without an event per token: a request waits for one
 * of `maxSequences` sequence slots (the provider's queue), then prefills — time to first token
 * `ttft` — then decodes its output tokens one per `tpot`, which grows with the sequences decoding at once.
 */
export interface Serving {
  model?: undefined;
  /** Prefill time: a draw from `dist`, or base + perPromptToken × prompt tokens + perSequence × sequences running. */
  ttft: { dist?: Dist; base: number; perPromptToken: number; perSequence: number };
  /** Time per output token: a draw from `dist`, or base + perSequence × sequences running (this one included). */
  tpot: { dist?: Dist; base: number; perSequence: number };
  maxSequences: number;
}

/** Real mode: what each request asks for. */
export interface RequestTemplate {
  model: string;
  maxTokens: number;
  prompt: string;
  /** Replaces the whole JSON body when given. */
  body: Record<string, unknown> | undefined;
  /** Ask for the answer as a stream of server-sent events (time to first token is measured then). */
  stream: boolean;
}
