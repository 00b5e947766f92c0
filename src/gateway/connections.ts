import type { Clock } from '../sim/clock.js';

/** What the connection layer tells its owner about a request's attempt (`token`). */
export interface ConnectionSink {
  /** The attempt has a connection now (after a handshake or a wait for a pooled one). */
  connected(token: number): void;
  /** Is the attempt still waiting for this connection? Stale tokens are skipped. */
  live(token: number): boolean;
}

/** Counted as the document counts: a client per (key, provider) when pooled, one per request when fresh. */
export interface ConnectionStats {
  created: number;
  reused: number;
  clientsCreated: number;
  clientsReused: number;
  /** Attempts refused because the provider had `connect.max` connections open. */
  refused: number;
}

export const enum Connect {
  /** A connection is ready now. */
  Ready = 0,
  /** A new connection is handshaking; `connected(token)` follows. */
  Handshake = 1,
  /** Waiting for one of the pool's connections to come back; `connected(token)` follows. */
  Queued = 2,
  /** The provider accepts no more connections. */
  Refused = 3,
}

/**
 * Connections between the gateway and each provider. `pooled`: keep-alive connections per
 * (key, provider) — reused when idle, opened when none is idle and the provider accepts more,
 * otherwise the request waits for one of its pool's connections. `fresh`: a new connection (and its
 * handshake) per request, closed after it. A provider accepts at most `max` open connections;
 * beyond that a connection attempt is refused (connectFailed).
 */
export class Connections {
  readonly stats: ConnectionStats = { created: 0, reused: 0, clientsCreated: 0, clientsReused: 0, refused: 0 };
  private readonly open: Float64Array;
  private readonly idle: Float64Array;
  private readonly inPool: Float64Array;
  private readonly clientSeen: Uint8Array;
  /** Per pool FIFO of attempt tokens waiting for a connection to come back. */
  private readonly waiters: number[][];
  private readonly kHandshake: number;

  constructor(
    private readonly pooled: boolean,
    private readonly providers: readonly { handshakeMs: number; max: number }[],
    keys: number,
    private readonly clock: Clock,
    private readonly sink: ConnectionSink,
  ) {
    const n = providers.length;
    this.open = new Float64Array(n);
    this.idle = new Float64Array(n * keys);
    this.inPool = new Float64Array(n * keys);
    this.clientSeen = new Uint8Array(n * keys);
    this.waiters = Array.from({ length: n * keys }, () => []);
    this.kHandshake = clock.on((token) => this.sink.connected(token));
  }

  /** Connections open at `provider` now (idle ones included). */
  openAt(provider: number): number {
    return this.open[provider]!;
  }

  connect(token: number, key: number, provider: number): Connect {
    const pool = key * this.providers.length + provider;
    if (!this.pooled) {
      this.stats.clientsCreated++;
      return this.dial(token, provider, pool);
    }
    if (this.clientSeen[pool]) this.stats.clientsReused++;
    else {
      this.clientSeen[pool] = 1;
      this.stats.clientsCreated++;
    }
    if (this.idle[pool]! > 0) {
      this.idle[pool]!--;
      this.stats.reused++;
      return Connect.Ready;
    }
    const r = this.dial(token, provider, pool);
    if (r !== Connect.Refused || this.inPool[pool] === 0) return r;
    // The provider is full but this pool has connections in use: wait for one to come back.
    this.stats.refused--;
    this.waiters[pool]!.push(token);
    return Connect.Queued;
  }

  /** The attempt is done with its connection; `broken` (timeout, cancelled handshake) closes it. */
  release(key: number, provider: number, broken: boolean): void {
    const pool = key * this.providers.length + provider;
    if (this.pooled && !broken) {
      const q = this.waiters[pool]!;
      while (q.length > 0) {
        const token = q.shift()!;
        if (!this.sink.live(token)) continue;
        this.stats.reused++;
        this.sink.connected(token);
        return;
      }
      this.idle[pool]!++;
      return;
    }
    this.open[provider]!--;
    if (this.pooled) this.inPool[pool]!--;
  }

  private dial(token: number, provider: number, pool: number): Connect {
    const p = this.providers[provider]!;
    if (this.open[provider]! >= p.max) {
      this.stats.refused++;
      return Connect.Refused;
    }
    this.open[provider]!++;
    if (this.pooled) this.inPool[pool]!++;
    this.stats.created++;
    if (p.handshakeMs <= 0) return Connect.Ready;
    this.clock.after(p.handshakeMs, this.kHandshake, token);
    return Connect.Handshake;
  }
}
