import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { F64Column, I32Column, U8Column } from '../core/typed.js';
import type { Usage } from '../providers/port.js';

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
  // Attempt log, for the time series: sized for one attempt per request, so a run without retries never grows it.
  readonly attemptStart: F64Column;
  readonly attemptEnd: F64Column;
  readonly attemptKey: I32Column;
  readonly attemptProvider: I32Column;
  readonly attemptOutcome: U8Column;
  /** The request each attempt belongs to (-1: not said), so an attempt's tokens can be counted. */
  readonly attemptRequest: I32Column;
  readonly admissionAt: F64Column;
  readonly admissionKey: I32Column;
  /** With request sizes only (`workload.tokens`): what each request carried and how its answer came. */
  readonly tokens: TokenFacts | undefined;

  constructor(
    readonly requests: number,
    readonly keys: number,
    sized = false,
  ) {
    this.tokens = sized ? new TokenFacts(requests, keys) : undefined;
    const log = Math.max(1024, requests);
    this.attemptStart = new F64Column(log);
    this.attemptEnd = new F64Column(log);
    this.attemptKey = new I32Column(log);
    this.attemptProvider = new I32Column(log);
    this.attemptOutcome = new U8Column(log);
    this.attemptRequest = new I32Column(log);
    this.admissionAt = new F64Column(log);
    this.admissionKey = new I32Column(log);
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

  /** `key` admitted an attempt at `now`; returns the admission's ordinal in the log. */
  admission(key: number, now: number): number {
    this.admissionAt.push(now);
    this.admissionKey.push(key);
    return this.admissionAt.length - 1;
  }

  /** An attempt of request `id`, admitted and sent at `sentAt`, ended at `now`. */
  attempt(sentAt: number, now: number, key: number, provider: number, outcome: OutcomeCode, id = -1): void {
    this.attemptRequest.push(id);
    this.attemptStart.push(sentAt);
    this.attemptEnd.push(now);
    this.attemptKey.push(key);
    this.attemptProvider.push(provider);
    this.attemptOutcome.push(outcome);
    if (outcome === Outcome.rateLimited && key >= 0) this.keyRateLimited[key]!++;
  }

  /** A provider's 429 from quota `dimension` (Dimension.none: no quota's). */
  limitedBy(dimension: number): void {
    if (this.tokens && dimension >= 0) this.tokens.limitedBy[dimension]!++;
  }

  /**
   * Request `id` succeeded: its first token came `ttftMs` after it reached the provider, then one
   * every `tpotMs`, `output` tokens in all. Unless its gaps were recorded one by one as they streamed
   * (`streamed`), its output − 1 gaps between tokens are all `tpotMs`.
   */
  answered(id: number, ttftMs: number, tpotMs: number, output: number, streamed: boolean): void {
    const t = this.tokens;
    if (!t) return;
    t.output[id] = output;
    t.ttft[id] = ttftMs;
    t.tpot[id] = tpotMs;
    if (!streamed && output > 1 && tpotMs === tpotMs) {
      t.gapMs.push(tpotMs);
      t.gapCount.push(output - 1);
    }
  }

  /** One gap between two streamed tokens (real mode). */
  gap(ms: number): void {
    const t = this.tokens;
    if (!t) return;
    t.gapMs.push(ms);
    t.gapCount.push(1);
  }

  /** Tokens reserved and not used (a reservation corrected down). */
  unused(tokens: number): void {
    if (this.tokens && tokens > 0) this.tokens.reservedUnused += tokens;
  }

  /** What a provider said is left of `key`'s quotas (the last answer wins). */
  quota(key: number, u: Usage): void {
    const q = this.tokens?.quota;
    if (!q || key < 0) return;
    const at = key * QUOTA_FIELDS;
    // NaN (not said) keeps the last figure.
    if (u.limitRequests === u.limitRequests) q[at] = u.limitRequests;
    if (u.remainingRequests === u.remainingRequests) q[at + 1] = u.remainingRequests;
    if (u.resetRequestsMs === u.resetRequestsMs) q[at + 2] = u.resetRequestsMs;
    if (u.limitTokens === u.limitTokens) q[at + 3] = u.limitTokens;
    if (u.remainingTokens === u.remainingTokens) q[at + 4] = u.remainingTokens;
    if (u.resetTokensMs === u.resetTokensMs) q[at + 5] = u.resetTokensMs;
  }

  /** Request `id` carries `prompt` tokens and asks for an answer of `output` tokens. */
  sized(id: number, prompt: number, output = 0): void {
    const t = this.tokens;
    if (!t) return;
    t.prompt[id] = prompt;
    t.offeredOutput[id] = output;
  }

  /**
   * `key`, admitted `at` (the admission log's entry `admission`; -1: not in it), stays charged
   * `tokens` by its tokens quota once the attempt ended: its tokens over time.
   */
  used(key: number, at: number, tokens: number, admission = -1): void {
    const t = this.tokens;
    if (!t) return;
    t.usedAt.push(at);
    t.usedKey.push(key);
    t.usedTokens.push(tokens);
    t.usedAdmission.push(admission);
  }

  finish(id: number, now: number, outcome: OutcomeCode, attempts: number): void {
    this.end[id] = now;
    this.outcome[id] = outcome;
    this.attempts[id] = attempts;
    this.finished++;
  }
}

/** What a provider's x-ratelimit headers say per key: limit, remaining, reset (ms) for requests, then tokens. */
export const QUOTA_FIELDS = 6;

/** The token facts of a run with request sizes, per request and per streamed gap. */
export class TokenFacts {
  /** Prompt tokens of each request, and the output tokens of each successful one (0 otherwise). */
  readonly prompt: Int32Array;
  readonly output: Int32Array;
  /** The output tokens each request's answer would have (what the workload offered, whatever became of it). */
  readonly offeredOutput: Int32Array;
  /** Time to first token (from reaching the provider) and per output token of each successful request (NaN: not known). */
  readonly ttft: Float64Array;
  readonly tpot: Float64Array;
  /** Gaps between tokens: a value and how many gaps had it (a simulated answer's are all its tpot). */
  readonly gapMs: F64Column;
  readonly gapCount: F64Column;
  /** Tokens used per successful answer, by which key and when it was admitted (not in time order: answers end out of order). */
  readonly usedAt: F64Column;
  readonly usedKey: I32Column;
  readonly usedTokens: F64Column;
  /** Each entry's ordinal in the admission log (-1: not in it), so the entries can be read in admission order without a sort. */
  readonly usedAdmission: I32Column;
  /** The providers' 429s by quota dimension: requests, tokens, concurrent. */
  readonly limitedBy = new Float64Array(3);
  reservedUnused = 0;
  /** Per key, the last QUOTA_FIELDS values the providers reported (NaN: never said). */
  readonly quota: Float64Array;

  constructor(requests: number, keys: number) {
    this.prompt = new Int32Array(requests);
    this.output = new Int32Array(requests);
    this.offeredOutput = new Int32Array(requests);
    this.ttft = new Float64Array(requests).fill(NaN);
    this.tpot = new Float64Array(requests).fill(NaN);
    this.quota = new Float64Array(keys * QUOTA_FIELDS).fill(NaN);
    // One entry per successful request when simulated (real mode's streamed gaps grow them).
    const log = Math.max(1024, requests);
    this.gapMs = new F64Column(log);
    this.gapCount = new F64Column(log);
    this.usedAt = new F64Column(log);
    this.usedKey = new I32Column(log);
    this.usedTokens = new F64Column(log);
    this.usedAdmission = new I32Column(log);
  }
}
