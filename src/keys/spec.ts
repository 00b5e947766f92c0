import type { Named } from '../core/registry.js';
import type { Charge } from '../core/outcome.js';
import type { Rate } from '../core/units.js';
import type { KeyChoiceName } from './choice.js';
import type { QuotaStep } from '../limiters/stepped.js';

/** How a request waits for a key: woken when one can be admitted (notify), or re-checking on a timer (poll). */
export type WaitMode = { mode: 'notify' } | { mode: 'poll'; intervalMs: number };

/**
 * Where the key pool keeps its state (windows, lifetime use, exclusive holds). `memory` (default):
 * this process only. `redis`: shared by every process using the same server and prefix (real mode;
 * the simulation always uses memory and virtual time).
 */
export type KeyStore =
  | { kind: 'memory' }
  | {
      kind: 'redis';
      /** redis://host:port[/db] (may carry a password; never printed). */
      url: string;
      /** Prefix of every Redis key and channel (default gatesim). */
      prefix: string;
      /** Redis unreachable or slow: false (default) sends nothing without a recorded admission; true decides on this process's own windows. */
      failOpen: boolean;
      /** Wall ms a Redis command may take before it counts as failed (default 1000). */
      timeoutMs: number;
      /** Fail closed: wall ms Redis may stay down before waiting requests give up and the run is marked degraded (default 10 × timeoutMs). */
      giveUpAfterMs?: number;
    };

export interface Keys {
  count: number;
  /** Real mode: the environment variable holding the keys, comma-separated (never the keys themselves). */
  env?: string;
  /** Client-side limit of requests per key; undefined = no limit. */
  limit: Rate | undefined;
  /** How that limit changes over the run (an oracle told the truth at each moment; each period starts empty). */
  steps?: QuotaStep[];
  /** Client-side limit of tokens per key (needs requests with sizes: `workload.tokens`). */
  tokens?: Rate;
  /** Requests one key may have in flight at once (`exclusive` is 1). */
  concurrent?: number;
  /** How tokens are charged (present with `tokens`). */
  charge?: Charge;
  /** The limits also enforced over this shorter period, scaled (limit.quantum; absent: none). */
  quantumMs?: number;
  /** The limiter of the tokens quota when it differs from `limiter` (which then runs the requests quota). */
  tokenLimiter?: Named;
  /**
   * Added to the limiter's window: the client counts a request when it takes the key, the
   * provider when the request arrives, and connection setup (or the network) delays some requests
   * more than others. A guard ≥ that spread keeps the provider's window.
   */
  guardMs: number;
  limiter: Named;
  /** Which admissible key a request takes (keys/choice.ts). */
  choice: KeyChoiceName;
  exclusive: boolean;
  wait: WaitMode;
  acquireTimeoutMs: number;
  /** `none`: a 429 does not cool its key (a client that ignores retry-after); absent: it does, until the retry-after. */
  cooldown?: 'none';
  /** Where the pool's state lives; absent means memory (the default, and always in simulation). */
  store?: KeyStore;
}
