import { Fifo } from '../core/fifo.js';
import type { Clock } from '../sim/clock.js';

/** What the connection layer tells its owner about an attempt (`token`). */
export interface ConnectionSink {
  /** The attempt has a connection now (after a handshake or a wait). */
  connected(token: number): void;
  /** A queued attempt got a new connection, now handshaking (its owner holds a connection). */
  opened(token: number): void;
  /** The provider never accepted the attempt's connection (connectFailed). */
  refused(token: number): void;
  /** Is the attempt still waiting? Stale tokens are skipped. */
  live(token: number): boolean;
}

export type { ConnectionStats } from '../metrics/facts.js';
import type { ConnectionStats } from '../metrics/facts.js';

export const enum Connect {
  /** A connection is ready now. */
  Ready = 0,
  /** A new connection is handshaking; `connected(token)` follows. */
  Handshake = 1,
  /** Waiting for a pooled connection or for the provider to accept; `connected` or `refused` follows. */
  Queued = 2,
  /** The provider accepts no more connections (and `connect.timeout` is 0). */
  Refused = 3,
}

/** What the dispatcher needs of the connection layer (simulated here, or the real network's). */
export interface ConnectionLayer {
  readonly stats: ConnectionStats;
  connect(token: number, key: number, provider: number): Connect;
  release(key: number, provider: number, broken: boolean): void;
}

/**
 * Real mode: the network and the HTTP client own the connections, so every attempt is ready at
 * once; clients are counted as the simulation counts them, and sockets where they are opened.
 */
export class DirectConnections implements ConnectionLayer {
  readonly stats: ConnectionStats = { created: 0, reused: 0, clientsCreated: 0, clientsReused: 0, refused: 0 };
  private readonly seen: Uint8Array;
  constructor(
    private readonly pooled: boolean,
    private readonly providers: number,
    keys: number,
  ) {
    this.seen = new Uint8Array(providers * keys);
  }
  connect(_token: number, key: number, provider: number): Connect {
    const pool = key * this.providers + provider;
    if (this.pooled && this.seen[pool]) this.stats.clientsReused++;
    else {
      this.seen[pool] = 1;
      this.stats.clientsCreated++;
    }
    return Connect.Ready;
  }
  release(): void {}
  /** Sockets opened (from the client's connector) against attempts sent: the rest reused one. */
  settle(socketsOpened: number, attemptsSent: number): void {
    this.stats.created = socketsOpened;
    this.stats.reused = Math.max(0, attemptsSent - socketsOpened);
  }
}

export interface ConnectSpec {
  handshakeMs: number;
  max: number;
  timeoutMs: number;
  lingerMs: number;
}

/**
 * Connections between the gateway and each provider. `pooled`: keep-alive connections per
 * (key, provider), reused when idle; when none is idle a new one is opened, or, if the provider is
 * full and the pool has connections in use, the request waits for one to come back. `fresh`: a new
 * connection (and its handshake) per attempt, closed after it. A provider accepts at most `max`
 * open connections; a new one beyond that waits in its accept backlog for up to `connect.timeout`
 * and then fails (connectFailed) — how fresh connections lose requests under load. A closed
 * connection keeps counting against `max` for `connect.linger` (the provider side still tracks it,
 * as a load balancer's connection table or TLS teardown does), so churning connections crowd it.
 */
export class Connections implements ConnectionLayer {
  readonly stats: ConnectionStats = { created: 0, reused: 0, clientsCreated: 0, clientsReused: 0, refused: 0 };
  private readonly open: Float64Array;
  private readonly idle: Float64Array;
  private readonly inPool: Float64Array;
  private readonly clientSeen: Uint8Array;
  private readonly poolWaiters: Fifo[];
  private readonly backlog: Fifo[];
  /** Backlog timers and pools by token, while in a backlog. */
  private readonly backlogTimer = new Map<number, number>();
  private readonly backlogPool = new Map<number, number>();
  private readonly kHandshake: number;
  private readonly kBacklogTimeout: number;
  private readonly kLingerEnd: number;
  private readonly nProviders: number;

  constructor(
    private readonly pooled: boolean,
    private readonly providers: readonly ConnectSpec[],
    keys: number,
    private readonly clock: Clock,
    private readonly sink: ConnectionSink,
  ) {
    const n = (this.nProviders = providers.length);
    this.open = new Float64Array(n);
    this.idle = new Float64Array(n * keys);
    this.inPool = new Float64Array(n * keys);
    this.clientSeen = new Uint8Array(n * keys);
    this.poolWaiters = Array.from({ length: n * keys }, () => new Fifo());
    this.backlog = Array.from({ length: n }, () => new Fifo());
    this.kHandshake = clock.on((token) => this.sink.connected(token));
    this.kBacklogTimeout = clock.on((token) => this.backlogExpired(token));
    this.kLingerEnd = clock.on((provider) => this.closed(provider));
  }

  /** Connections open at `provider` now (idle ones included). */
  openAt(provider: number): number {
    return this.open[provider]!;
  }

  connect(token: number, key: number, provider: number): Connect {
    const pool = key * this.nProviders + provider;
    if (!this.pooled) {
      this.stats.clientsCreated++;
    } else {
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
    }
    const spec = this.providers[provider]!;
    if (this.open[provider]! < spec.max) return this.dial(token, provider, pool);
    if (this.pooled && this.inPool[pool]! > 0) {
      this.poolWaiters[pool]!.push(token);
      return Connect.Queued;
    }
    if (spec.timeoutMs <= 0) {
      this.stats.refused++;
      return Connect.Refused;
    }
    this.backlog[provider]!.push(token);
    this.backlogPool.set(token, pool);
    this.backlogTimer.set(token, this.clock.after(spec.timeoutMs, this.kBacklogTimeout, token));
    return Connect.Queued;
  }

  /** The attempt is done with its connection; `broken` (a timeout) closes a pooled one too. */
  release(key: number, provider: number, broken: boolean): void {
    const pool = key * this.nProviders + provider;
    if (this.pooled && !broken) {
      const q = this.poolWaiters[pool]!;
      while (q.size > 0) {
        const token = q.shift();
        if (!this.sink.live(token)) continue;
        this.stats.reused++;
        this.sink.connected(token);
        return;
      }
      this.idle[pool]!++;
      return;
    }
    if (this.pooled) this.inPool[pool]!--;
    const linger = this.providers[provider]!.lingerMs;
    if (linger > 0) this.clock.after(linger, this.kLingerEnd, provider);
    else this.closed(provider);
  }

  /** A closed connection stops counting against the provider's `max`. */
  private closed(provider: number): void {
    this.open[provider]!--;
    this.admitBacklog(provider);
  }

  /** A slot freed at `provider`: the oldest live connection attempt in its backlog gets it. */
  private admitBacklog(provider: number): void {
    const q = this.backlog[provider]!;
    while (q.size > 0 && this.open[provider]! < this.providers[provider]!.max) {
      const token = q.shift();
      const timer = this.backlogTimer.get(token);
      const pool = this.backlogPool.get(token)!;
      this.backlogTimer.delete(token);
      this.backlogPool.delete(token);
      if (timer !== undefined) this.clock.cancel(timer);
      if (!this.sink.live(token)) continue;
      if (this.dial(token, provider, pool) === Connect.Ready) this.sink.connected(token);
      else this.sink.opened(token);
    }
  }

  private backlogExpired(token: number): void {
    if (!this.backlogTimer.delete(token)) return;
    this.backlogPool.delete(token);
    this.stats.refused++;
    // The entry stays in the FIFO; it is stale now and skipped when reached.
    if (this.sink.live(token)) this.sink.refused(token);
  }

  private dial(token: number, provider: number, pool: number): Connect {
    const spec = this.providers[provider]!;
    this.open[provider]!++;
    if (this.pooled) this.inPool[pool]!++;
    this.stats.created++;
    if (spec.handshakeMs <= 0) return Connect.Ready;
    this.clock.after(spec.handshakeMs, this.kHandshake, token);
    return Connect.Handshake;
  }
}
