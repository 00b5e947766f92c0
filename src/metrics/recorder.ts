import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { Column } from '../core/typed.js';

/** Where a request's time goes (one column each; phases add up over its attempts). */
export const enum Phase {
  /** Waiting at the concurrency gate or for a key. */
  KeyWait = 0,
  /** In a provider's queue (and a 429's round trip). */
  ProviderQueue = 1,
  /** Handshakes and waits for a connection. */
  Connect = 2,
  /** Being served. */
  Service = 3,
  /** Backing off before a retry. */
  RetryWait = 4,
}

/**
 * Per-request and per-attempt facts, in typed columns (no object per request). Requests are indexed
 * by their ordinal; phases accumulate over a request's attempts. The dispatcher writes only
 * through these methods.
 */
export class Recorder {
  readonly arrival: Float64Array;
  readonly end: Float64Array;
  readonly outcome: Uint8Array;
  readonly attempts: Uint8Array;
  /** Time per phase and request: `phases[Phase.X][id]`. */
  readonly phases: readonly [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  /** Requests finished so far. */
  finished = 0;
  /** Per key: 429s the provider answered. */
  readonly keyRateLimited: Float64Array;
  // Attempt log, for the time series.
  readonly attemptStart = new Column(new Float64Array(1024));
  readonly attemptEnd = new Column(new Float64Array(1024));
  readonly attemptKey = new Column(new Int32Array(1024));
  readonly attemptProvider = new Column(new Int32Array(1024));
  readonly attemptOutcome = new Column(new Uint8Array(1024));
  readonly admissionAt = new Column(new Float64Array(1024));
  readonly admissionKey = new Column(new Int32Array(1024));

  constructor(
    readonly requests: number,
    readonly keys: number,
  ) {
    this.arrival = new Float64Array(requests);
    this.end = new Float64Array(requests);
    this.outcome = new Uint8Array(requests);
    this.attempts = new Uint8Array(requests);
    this.phases = [new Float64Array(requests), new Float64Array(requests), new Float64Array(requests), new Float64Array(requests), new Float64Array(requests)];
    this.keyRateLimited = new Float64Array(keys);
  }

  get keyWait(): Float64Array {
    return this.phases[Phase.KeyWait];
  }
  get providerQueue(): Float64Array {
    return this.phases[Phase.ProviderQueue];
  }
  get connect(): Float64Array {
    return this.phases[Phase.Connect];
  }
  get service(): Float64Array {
    return this.phases[Phase.Service];
  }
  get retryWait(): Float64Array {
    return this.phases[Phase.RetryWait];
  }

  /** Request `id` arrived at `arrival`; it started at `now` (the gap is time at the concurrency gate, counted as key wait). */
  arrived(id: number, arrival: number, now: number): void {
    this.arrival[id] = arrival;
    this.phases[Phase.KeyWait][id] = now - arrival;
  }

  /** Request `id` spent `ms` more in `phase`. */
  spent(id: number, phase: Phase, ms: number): void {
    this.phases[phase][id]! += ms;
  }

  admission(key: number, now: number): void {
    this.admissionAt.push(now);
    this.admissionKey.push(key);
  }

  attempt(sentAt: number, now: number, key: number, provider: number, outcome: OutcomeCode): void {
    this.attemptStart.push(sentAt);
    this.attemptEnd.push(now);
    this.attemptKey.push(key);
    this.attemptProvider.push(provider);
    this.attemptOutcome.push(outcome);
    if (outcome === Outcome.rateLimited && key >= 0) this.keyRateLimited[key]!++;
  }

  finish(id: number, now: number, outcome: OutcomeCode, attempts: number): void {
    this.end[id] = now;
    this.outcome[id] = outcome;
    this.attempts[id] = attempts;
    this.finished++;
  }
}
