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
  /** Nothing is admitted before this time (a 429's retry-after: the client's cooldown of a key). */
  coolUntil = -Infinity;

  constructor(
    readonly requests: Window | undefined,
    readonly tokens: Window | undefined,
    /** The most requests in flight at once (Infinity: not counted); a learning limiter moves it. */
    public maxInFlight: number,
    /**
     * The same quotas also enforced over a shorter period (`quantum`: 600/min as 10 per second, as
     * OpenAI quantises): an admission needs room in these too. A request heavier than a quantum's
     * capacity counts as that capacity there (it fills an empty quantum, never waits for ever).
     */
    readonly requestsQuantum?: Window,
    readonly tokensQuantum?: Window,
  ) {}

  /** May an admission charging `tokens` (0: the tokens window only has to have room) go now? */
  admits(now: number, tokens: number): boolean {
    // The hot path of every key choice: each check inline, cheapest first.
    if (now < this.coolUntil || this.inFlight >= this.maxInFlight) return false;
    if (this.requests !== undefined && !this.requests.admits(now)) return false;
    if (this.requestsQuantum !== undefined && !this.requestsQuantum.admits(now)) return false;
    if (this.tokens === undefined) return true;
    const w = tokens > 0 ? tokens : 1;
    if (!this.tokens.admits(now, w)) return false;
    return this.tokensQuantum === undefined || this.tokensQuantum.admits(now, quantumWeight(this.tokensQuantum, w));
  }

  /** The first dimension refusing an admission that charges `tokens` now (0: the tokens window only has to have room), or Dimension.none. */
  refuses(now: number, tokens: number): DimensionCode {
    const d = this.refusesWindow(now, tokens);
    if (d !== Dimension.none) return d;
    if (this.inFlight >= this.maxInFlight) return Dimension.concurrent;
    return Dimension.none;
  }

  private refusesWindow(now: number, tokens: number): DimensionCode {
    if (this.requests !== undefined && !this.requests.admits(now)) return Dimension.requests;
    if (this.requestsQuantum !== undefined && !this.requestsQuantum.admits(now)) return Dimension.requests;
    const w = tokens > 0 ? tokens : 1;
    if (this.tokens !== undefined && !this.tokens.admits(now, w)) return Dimension.tokens;
    if (this.tokensQuantum !== undefined && !this.tokensQuantum.admits(now, quantumWeight(this.tokensQuantum, w))) return Dimension.tokens;
    return Dimension.none;
  }

  /**
   * The dimension whose capacity an admission charging `tokens` exceeds, whatever happens (too
   * large: it can never be admitted), or Dimension.none.
   */
  tooLarge(tokens: number): DimensionCode {
    if (this.tokens !== undefined && tokens > this.tokens.capacity()) return Dimension.tokens;
    return Dimension.none;
  }

  /** Records an admission charging `tokens` now (the caller checked `refuses`). */
  record(now: number, tokens: number): void {
    this.count(now, tokens);
    if (this.maxInFlight < Infinity) this.inFlight++;
  }

  /**
   * Counts a request charging `tokens` in every window without admitting it: a refused request at
   * a provider that counts refusals (OpenAI: "unsuccessful requests contribute to your per-minute
   * limit"). Every window tolerates being counted past its capacity: it then refuses longer.
   */
  count(now: number, tokens: number): void {
    this.requests?.record(now);
    this.requestsQuantum?.record(now);
    if (tokens > 0) {
      this.tokens?.record(now, tokens);
      if (this.tokensQuantum !== undefined) this.tokensQuantum.record(now, quantumWeight(this.tokensQuantum, tokens));
    }
  }

  /** A request ended; true when that frees room (the subject was at its bound). */
  release(): boolean {
    if (this.maxInFlight === Infinity || this.inFlight <= 0) return false;
    return this.inFlight-- >= this.maxInFlight;
  }

  /** A reservation of `reserved` tokens made at `at` used `actual` (charge: reserve). */
  settle(at: number, reserved: number, actual: number, now: number): void {
    this.tokens?.settle(at, reserved, actual, now);
    const q = this.tokensQuantum;
    if (q !== undefined) q.settle(at, quantumWeight(q, reserved), Math.min(actual, q.capacity()), now);
  }

  /** Tokens used, counted when the answer ends (charge: actual). */
  charge(now: number, tokens: number): void {
    if (tokens <= 0) return;
    this.tokens?.record(now, tokens);
    if (this.tokensQuantum !== undefined) this.tokensQuantum.record(now, quantumWeight(this.tokensQuantum, tokens));
  }

  /**
   * Earliest time the windows admit a request charging `tokens` if nothing else happens: the
   * latest of the dimensions' (Infinity when only a release can help, or never).
   */
  nextAdmitAt(now: number, tokens: number): number {
    if (this.inFlight >= this.maxInFlight) return Infinity;
    // Each window, once it admits, admits until something else happens: the latest of theirs.
    let at = this.coolUntil > now ? this.coolUntil : now;
    const w = tokens > 0 ? tokens : 1;
    if (this.requests !== undefined) at = Math.max(at, this.requests.nextAdmitAt(now));
    if (this.requestsQuantum !== undefined) at = Math.max(at, this.requestsQuantum.nextAdmitAt(now));
    if (this.tokens !== undefined) at = Math.max(at, this.tokens.nextAdmitAt(now, w));
    if (this.tokensQuantum !== undefined) at = Math.max(at, this.tokensQuantum.nextAdmitAt(now, quantumWeight(this.tokensQuantum, w)));
    return at;
  }

  /** Entries its windows hold now (the memory figure). */
  footprint(): number {
    return (this.requests?.footprint() ?? 0) + (this.tokens?.footprint() ?? 0) + (this.requestsQuantum?.footprint() ?? 0) + (this.tokensQuantum?.footprint() ?? 0);
  }
}

/** What an admission of `w` weighs in a quantum window: at most its capacity, so a large request fills an empty quantum. */
function quantumWeight(q: Window, w: number): number {
  const c = q.capacity();
  return w < c ? w : c;
}

/**
 * A quota of `r` also enforced over the shorter `quantumMs` (OpenAI: "60,000 requests/minute may be
 * enforced as 1,000 requests/second"): the count scaled to the quantum, rounded down (the provider
 * is never more generous than its quota). Validation refuses a quantum whose scaled count is 0.
 */
export function quantumRate(r: { count: number; windowMs: number }, quantumMs: number): { count: number; windowMs: number } {
  return { count: Math.floor((r.count * quantumMs) / r.windowMs + 1e-9), windowMs: quantumMs };
}
