import { Outcome, type OutcomeCode } from '../../core/outcome.js';
import { nextUp } from '../float.js';
import type { Window } from '../window.js';
import { MINUTE_MS, type Adaptive, type Figures } from './adaptive.js';
import { gated } from './capped.js';
import { Pacer } from './pacer.js';

/** Options of `headers`: none; it knows nothing in advance. */
export type HeadersOptions = Record<string, never>;

/**
 * Paces each key by what its provider's last answer said (OpenAI's x-ratelimit-limit, -remaining
 * and -reset, per requests and per tokens), knowing nothing in advance. An answer at t says: R
 * more may go now, and the quota is whole (L) again at t + D. The key then holds a bucket of level
 * R refilling at (L − R) / D up to L: it spends what is left at once and what frees up as it frees
 * up, evenly until the reset. Requests sent after the answer take from the level. A provider whose
 * quota refills continuously (a token bucket, GCRA, or an exact sliding window under steady use)
 * refills at exactly that rate, so the key runs at the limit; spending only R over D would settle
 * at half of it (R falls as the rate rises: R/D = (L − rD)/D at a window's steady state gives
 * r = L/2D). A window that refills all at once at its reset (a fixed window) is met too early,
 * and answers 429.
 *
 * Tokens the same way, in requests: a request is taken to cost the mean tokens of the answers seen
 * so far (prompt + output), so the tokens figures bound the requests the key sends. A 429 with
 * retry-after empties the bucket until then (the provider's word wins); a 429 without one, until
 * the reset its figures gave. Before any figure the key is not paced. A full quota (R = L) says
 * nothing of its refill rate: the last rate seen is kept (at first, L per minute — the unit
 * providers' x-ratelimit-limit uses).
 */
export class Headers implements Adaptive {
  readonly window: Window | undefined;
  readonly maxInFlight = Infinity;
  private readonly gate: HeadersGate;
  private readonly requests: Figure;
  private readonly tokens: Figure;
  /** Mean tokens per answered request (prompt + output); NaN until one came. */
  private tokensPer = NaN;
  private answers = 0;

  constructor(ceiling: Window | undefined) {
    this.gate = new HeadersGate();
    this.requests = new Figure(this.gate.requests);
    this.tokens = new Figure(this.gate.tokens);
    this.window = gated(ceiling, this.gate);
  }

  admitted(): boolean {
    return false;
  }

  observe(now: number, outcome: OutcomeCode, _latencyMs: number, retryAfterMs: number, f: Figures | undefined): boolean {
    const before = this.gate.nextAdmitAt(now);
    if (f) {
      const used = f.promptTokens + f.outputTokens;
      if (outcome === Outcome.ok && used === used) {
        this.answers++;
        this.tokensPer = this.answers === 1 ? used : this.tokensPer + (used - this.tokensPer) / Math.min(this.answers, 100);
      }
      this.requests.said(now, f.limitRequests, f.remainingRequests, f.resetRequestsMs, 1);
      this.tokens.said(now, f.limitTokens, f.remainingTokens, f.resetTokensMs, this.tokensPer > 0 ? this.tokensPer : 1);
    }
    if (outcome === Outcome.rateLimited) {
      // Nothing more until the provider said; without its word, until the reset its figures gave.
      const wait = retryAfterMs > 0 ? retryAfterMs : f && f.resetRequestsMs > 0 ? f.resetRequestsMs : 0;
      if (wait > 0) this.gate.pauseUntil = Math.max(this.gate.pauseUntil, now + wait);
    }
    return this.gate.nextAdmitAt(now) < before;
  }

  /** The rate the figures leave this key (the tighter of requests and tokens), per minute. */
  believed(): number {
    const perMin = Math.min(this.gate.requests.rate, this.gate.tokens.rate) * MINUTE_MS;
    return perMin < Infinity ? perMin : NaN;
  }
}

/** Others' use of a shared quota is averaged over about this long (ms): the evidence of one answer is a whole unit or two. */
const OTHERS_MS = 10_000;
/** Left unspent of what the provider said remains (a share of its limit, at least 1): a tenant's request between two answers takes it, not us. */
const RESERVE = 0.01;

/**
 * One dimension's figures (requests, or tokens counted in requests of `per` tokens) → its bucket.
 * The refill the figures imply, (L − R) / D, is the quota's whole; on a quota shared with other
 * tenants (an organisation's) part of it goes to them. Between two answers the bucket predicts
 * the level from its own sends; what the provider reports below that prediction, others used. Its
 * rate, smoothed over answers, comes off the refill.
 */
class Figure {
  /** The quota's refill the figures imply (per ms, before others' use), and others' use of it. */
  private grossPerMs = NaN;
  private othersPerMs = 0;
  private lastAt = NaN;

  constructor(private readonly pacer: Pacer) {}

  said(now: number, limit: number, remaining: number, resetMs: number, per: number): void {
    if (!(limit > 0) || remaining !== remaining) return;
    const level = remaining / per;
    const cap = limit / per;
    const reserve = Math.max(1, cap * RESERVE);
    if (this.lastAt === this.lastAt && now > this.lastAt) {
      const dt = now - this.lastAt;
      const predicted = this.pacer.levelAt(now) + reserve;
      // Only a level below its cap tells: a full quota hides what anyone used. The bucket already
      // took off what it thought others use; what it missed comes on top.
      if (predicted < cap && level < cap) {
        const seen = (predicted - level) / dt + (this.othersPerMs > 0 ? this.othersPerMs : 0);
        this.othersPerMs += (dt / (dt + OTHERS_MS)) * (seen - this.othersPerMs);
      }
    }
    // Remaining is whole, the level under it is not: used − 1 < L − R ≤ used, so the rate is only
    // read when the used part is large enough for that to matter little (a tenth of the limit, and
    // at least 10 units or half of a small limit).
    if (limit - remaining >= Math.max(limit / 10, Math.min(10, limit / 2)) && resetMs > 0) this.grossPerMs = (limit - remaining) / resetMs / per;
    else if (this.grossPerMs !== this.grossPerMs) this.grossPerMs = limit / MINUTE_MS / per;
    const net = this.grossPerMs - (this.othersPerMs > 0 ? this.othersPerMs : 0);
    this.pacer.set(now, level - reserve, net > 0 ? net : 0, cap - reserve);
    this.lastAt = now;
  }
}

/**
 * The gate: a requests bucket and a tokens bucket (in requests), both set from the figures, and a
 * pause for a 429. Open (Infinity) until a figure comes.
 */
class HeadersGate implements Window {
  readonly requests = new Pacer(Infinity, Infinity);
  readonly tokens = new Pacer(Infinity, Infinity);
  pauseUntil = -Infinity;

  get weighted(): boolean {
    return true;
  }

  admits(now: number): boolean {
    return now >= this.pauseUntil && this.requests.admits(now) && this.tokens.admits(now);
  }

  record(now: number): void {
    this.requests.record(now);
    this.tokens.record(now);
  }

  nextAdmitAt(now: number, w = 1): number {
    let t = now >= this.pauseUntil ? now : this.pauseUntil;
    const a = this.requests.nextAdmitAt(t, w);
    if (a > t) t = a;
    const b = this.tokens.nextAdmitAt(t, w);
    if (b > t) t = b;
    // The buckets only fill with time: the later of their times admits in both.
    while (!(this.admitsAll(t, w)) && t < Infinity) t = nextUp(t);
    return t;
  }

  private admitsAll(t: number, w: number): boolean {
    return t >= this.pauseUntil && this.requests.admits(t, w) && this.tokens.admits(t, w);
  }

  settle(): void {}

  remaining(now: number): number {
    if (now < this.pauseUntil) return 0;
    return Math.min(this.requests.remaining(now), this.tokens.remaining(now));
  }

  resetAt(now: number): number {
    return this.nextAdmitAt(now, this.capacity());
  }

  capacity(): number {
    return Math.min(this.requests.capacity(), this.tokens.capacity());
  }

  footprint(): number {
    return 5;
  }
}

export function headers(ceiling: Window | undefined): Headers {
  return new Headers(ceiling);
}
