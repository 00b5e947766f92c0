import type { OutcomeCode } from '../core/outcome.js';

/** A growable column of numbers. */
class Column<T extends Float64Array | Int32Array | Uint8Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = this.make(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/**
 * Per-request and per-attempt facts, in typed columns (no object per request). Requests are indexed
 * by their ordinal; phases accumulate over a request's attempts.
 */
export class Recorder {
  readonly arrival: Float64Array;
  readonly end: Float64Array;
  readonly outcome: Uint8Array;
  readonly attempts: Uint8Array;
  readonly keyWait: Float64Array;
  readonly providerQueue: Float64Array;
  readonly connect: Float64Array;
  readonly service: Float64Array;
  readonly retryWait: Float64Array;
  /** Requests finished so far. */
  finished = 0;
  /** Per key: 429s the provider answered. */
  readonly keyRateLimited: Float64Array;
  // Attempt log, for the time series.
  readonly attemptStart = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  readonly attemptEnd = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  readonly attemptKey = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  readonly attemptProvider = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  readonly attemptOutcome = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  readonly admissionAt = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  readonly admissionKey = new Column(new Int32Array(1024), (n) => new Int32Array(n));

  constructor(
    readonly requests: number,
    readonly keys: number,
  ) {
    this.arrival = new Float64Array(requests);
    this.end = new Float64Array(requests);
    this.outcome = new Uint8Array(requests);
    this.attempts = new Uint8Array(requests);
    this.keyWait = new Float64Array(requests);
    this.providerQueue = new Float64Array(requests);
    this.connect = new Float64Array(requests);
    this.service = new Float64Array(requests);
    this.retryWait = new Float64Array(requests);
    this.keyRateLimited = new Float64Array(keys);
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
    if (outcome === 1 && key >= 0) this.keyRateLimited[key]!++;
  }

  finish(id: number, now: number, outcome: OutcomeCode, attempts: number): void {
    this.end[id] = now;
    this.outcome[id] = outcome;
    this.attempts[id] = attempts;
    this.finished++;
  }
}
