import type { KeyPoolStats } from '../keys/key-pool.js';
import type { ProviderStats } from '../providers/port.js';

/**
 * The facts a finished run hands to its results, as plain shapes defined here (the gateway and the
 * key pool fill them): metrics depend on no part of the running gateway.
 */

/** A transition of one provider's health. */
export interface HealthChange {
  atMs: number;
  provider: number;
  healthy: boolean;
}

/** What the health rules saw: their transitions, checks sent, and time each provider was out. */
export interface HealthFacts {
  readonly changes: readonly HealthChange[];
  readonly checksSent: ArrayLike<number>;
  unhealthyMs(provider: number, now: number): number;
}

/** TCP-level connections, and clients counted as the Python review client (seed 001) counts them. */
export interface ConnectionStats {
  /** Connections opened. */
  created: number;
  /** Attempts sent on an already open connection. */
  reused: number;
  /** Pooled: one client per (key, provider) the first time it is used; fresh: one per attempt. */
  clientsCreated: number;
  clientsReused: number;
  /** Connection attempts that failed because the provider had `connect.max` open. */
  refused: number;
}

/** The key pool's admissions per key and cost figures. */
export interface PoolFacts {
  readonly admitted: Float64Array;
  readonly stats: KeyPoolStats;
  /** A learning limiter's beliefs, change by change: when, which key, requests per minute (absent: a fixed limiter). */
  readonly beliefs?: { at: Float64Array; key: Int32Array; perMin: Float64Array } | undefined;
}

export type { ProviderStats };
