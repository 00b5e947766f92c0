import { Dimension, type DimensionCode } from '../core/outcome.js';
import type { Window } from './window.js';

/**
 * One subject's quotas as dimensions — a key's on the client, a key's or an organisation's at a
 * provider: a window of requests, a window of tokens (weighed by what each request charges), and
 * the requests in flight. The same class decides on both sides of the wire, so a provider modelled
 * with the algorithm the client runs decides exactly as the client expects. An admission needs
 * every dimension; its next admit time is the latest of theirs.
 */
export class Quota {
  /** Requests in flight (counted only when `maxInFlight` is finite). */
  inFlight = 0;

  constructor(
    readonly requests: Window | undefined,
    readonly tokens: Window | undefined,
    /** The most requests in flight at once (Infinity: not counted); a learning limiter moves it. */
    public maxInFlight: number,
  ) {}

  /** May an admission charging `tokens` (0: the tokens window only has to have room) go now? */
  admits(now: number, tokens: number): boolean {
    if (this.inFlight >= this.maxInFlight) return false;
    if (this.requests !== undefined && !this.requests.admits(now)) return false;
    return this.tokens === undefined || this.tokens.admits(now, tokens > 0 ? tokens : 1);
  }

  /** The first dimension refusing an admission that charges `tokens` now (0: the tokens window only has to have room), or Dimension.none. */
  refuses(now: number, tokens: number): DimensionCode {
    if (this.requests !== undefined && !this.requests.admits(now)) return Dimension.requests;
    if (this.tokens !== undefined && !this.tokens.admits(now, tokens > 0 ? tokens : 1)) return Dimension.tokens;
    if (this.inFlight >= this.maxInFlight) return Dimension.concurrent;
    return Dimension.none;
  }

  /** Records an admission charging `tokens` now (the caller checked `refuses`). */
  record(now: number, tokens: number): void {
    this.requests?.record(now);
    if (tokens > 0) this.tokens?.record(now, tokens);
    if (this.maxInFlight < Infinity) this.inFlight++;
  }

  /** A request ended; true when that frees room (the subject was at its bound). */
  release(): boolean {
    if (this.maxInFlight === Infinity || this.inFlight <= 0) return false;
    return this.inFlight-- >= this.maxInFlight;
  }

  /** A reservation of `reserved` tokens made at `at` used `actual` (charge: reserve). */
  settle(at: number, reserved: number, actual: number, now: number): void {
    this.tokens?.settle(at, reserved, actual, now);
  }

  /** Tokens used, counted when the answer ends (charge: actual). */
  charge(now: number, tokens: number): void {
    if (tokens > 0) this.tokens?.record(now, tokens);
  }

  /**
   * Earliest time the windows admit a request charging `tokens` if nothing else happens: the
   * latest of the dimensions' (Infinity when only a release can help, or never).
   */
  nextAdmitAt(now: number, tokens: number): number {
    if (this.inFlight >= this.maxInFlight) return Infinity;
    let at = this.requests !== undefined ? this.requests.nextAdmitAt(now) : now;
    if (this.tokens !== undefined) {
      const t = this.tokens.nextAdmitAt(now, tokens > 0 ? tokens : 1);
      if (t > at) at = t;
    }
    return at;
  }

  /** Entries its windows hold now (the memory figure). */
  footprint(): number {
    return (this.requests?.footprint() ?? 0) + (this.tokens?.footprint() ?? 0);
  }
}
