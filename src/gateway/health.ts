import type { Clock } from '../sim/clock.js';
import type { ProviderPort } from '../providers/port.js';
import type { Health } from '../scenario/types.js';
import { Outcome, type OutcomeCode } from '../core/outcome.js';
import { failureRateUpdate } from '../balancers/ewma.js';

/** Why a provider is out; it is healthy while no reason holds. */
const enum Reason {
  Passive = 1,
  Cooldown = 2,
  Breaker = 4,
  Active = 8,
  /** Half-open breaker with every probe in flight: no more attempts until one answers. */
  Probing = 16,
}

const enum Breaker {
  Closed = 0,
  Open = 1,
  HalfOpen = 2,
}

export type { HealthChange } from '../metrics/facts.js';
import type { HealthChange, HealthFacts } from '../metrics/facts.js';

/** What health checks need from a provider: run one check costing `costMs`, answer through `done`. */
export type Checkable = Pick<ProviderPort, 'check'>;

/**
 * Which providers may be picked, from what attempts and checks show. Rules (each optional, see
 * `Health`): the Go router's passive failure rate, a LiteLLM-style cooldown, a circuit breaker with half-open
 * probing, and active checks. Writes `healthy[p]` (shared with the balancer) and keeps the
 * transitions and the time each provider spent unhealthy.
 */
export class HealthMonitor implements HealthFacts {
  readonly changes: HealthChange[] = [];
  private readonly reasons: Uint8Array;
  private readonly rate: Float64Array;
  private readonly fails: Float64Array[];
  private readonly failHead: Int32Array;
  private readonly consecutive: Float64Array;
  private readonly breaker: Uint8Array;
  private readonly probesLeft: Float64Array;
  private readonly downSince: Float64Array;
  private readonly downMs: Float64Array;
  private readonly checking: Uint8Array;
  private readonly checkTimer: Float64Array;
  private readonly kRecover: number;
  private readonly kCooldownEnd: number;
  private readonly kHalfOpen: number;
  private readonly kCheck: number;
  private readonly kCheckTimeout: number;
  readonly checksSent: Float64Array;

  constructor(
    private readonly spec: Health,
    private readonly n: number,
    private readonly clock: Clock,
    private readonly healthy: Uint8Array,
    private readonly targets: readonly Checkable[],
    private readonly onChange: (provider: number, healthy: boolean) => void = () => {},
  ) {
    this.reasons = new Uint8Array(n);
    this.rate = new Float64Array(n);
    this.fails = Array.from({ length: n }, () => new Float64Array(spec.cooldown?.fails ?? 1).fill(-Infinity));
    this.failHead = new Int32Array(n);
    this.consecutive = new Float64Array(n);
    this.breaker = new Uint8Array(n);
    this.probesLeft = new Float64Array(n);
    this.downSince = new Float64Array(n).fill(-1);
    this.downMs = new Float64Array(n);
    this.checking = new Uint8Array(n);
    this.checkTimer = new Float64Array(n).fill(-1);
    this.checksSent = new Float64Array(n);
    this.kRecover = clock.on((p) => this.clear(p, Reason.Passive, () => (this.rate[p] = 0)));
    this.kCooldownEnd = clock.on((p) => this.clear(p, Reason.Cooldown, () => this.fails[p]!.fill(-Infinity)));
    this.kHalfOpen = clock.on((p) => this.halfOpen(p));
    this.kCheck = clock.on(() => this.checkAll());
    this.kCheckTimeout = clock.on((p) => this.checked(p, false));
    healthy.fill(1);
  }

  /** Starts the active checks (if any). */
  start(): void {
    if (this.spec.active) this.clock.after(this.spec.active.intervalMs, this.kCheck, 0);
  }

  /** An attempt is about to go to `p` (half-open breakers count their probes here). */
  admit(p: number): void {
    if (this.breaker[p] !== Breaker.HalfOpen) return;
    if (--this.probesLeft[p]! <= 0) this.set(p, Reason.Probing);
  }

  /** An attempt on `p` ended. 429s say nothing about health; gaveUp never reaches a provider. */
  observe(p: number, outcome: OutcomeCode): void {
    // The provider's quota answering (a 429, a request too large for it) says nothing of its health.
    if (outcome === Outcome.rateLimited || outcome === Outcome.gaveUp || outcome === Outcome.tooLarge) return;
    const ok = outcome === Outcome.ok;
    const now = this.clock.now();
    const passive = this.spec.passive;
    if (passive) {
      this.rate[p] = failureRateUpdate(this.rate[p]!, ok);
      if (this.rate[p]! > passive.threshold && !(this.reasons[p]! & Reason.Passive)) {
        this.set(p, Reason.Passive);
        if (passive.recoverMs < Infinity) this.clock.after(passive.recoverMs, this.kRecover, p);
      }
    }
    const cooldown = this.spec.cooldown;
    if (cooldown && !ok && !(this.reasons[p]! & Reason.Cooldown)) {
      const log = this.fails[p]!;
      const head = this.failHead[p]!;
      // The oldest of the last `fails` failures is the one about to be overwritten.
      log[head] = now;
      this.failHead[p] = (head + 1) % log.length;
      if (now - log[this.failHead[p]!]! < cooldown.windowMs) {
        this.set(p, Reason.Cooldown);
        this.clock.after(cooldown.forMs, this.kCooldownEnd, p);
      }
    }
    const breaker = this.spec.breaker;
    if (breaker) {
      const state = this.breaker[p]!;
      if (state === Breaker.HalfOpen) {
        this.clear(p, Reason.Probing);
        if (ok) {
          this.breaker[p] = Breaker.Closed;
          this.consecutive[p] = 0;
        } else this.open(p);
      } else if (state === Breaker.Closed) {
        this.consecutive[p] = ok ? 0 : this.consecutive[p]! + 1;
        if (this.consecutive[p]! >= breaker.failures) this.open(p);
      }
    }
  }

  /** Time `p` has spent unhealthy up to `now` (ms). */
  unhealthyMs(p: number, now: number): number {
    return this.downMs[p]! + (this.downSince[p]! >= 0 ? now - this.downSince[p]! : 0);
  }

  private open(p: number): void {
    this.breaker[p] = Breaker.Open;
    this.set(p, Reason.Breaker);
    this.clock.after(this.spec.breaker!.openMs, this.kHalfOpen, p);
  }

  private halfOpen(p: number): void {
    this.breaker[p] = Breaker.HalfOpen;
    this.probesLeft[p] = this.spec.breaker!.probes;
    this.clear(p, Reason.Breaker);
  }

  private checkAll(): void {
    const active = this.spec.active!;
    for (let p = 0; p < this.n; p++) {
      if (this.checking[p]) continue;
      this.checking[p] = 1;
      this.checksSent[p]!++;
      this.checkTimer[p] = this.clock.after(active.timeoutMs, this.kCheckTimeout, p);
      this.targets[p]!.check(active.costMs, (ok) => this.checked(p, ok));
    }
    this.clock.after(active.intervalMs, this.kCheck, 0);
  }

  private checked(p: number, ok: boolean): void {
    if (!this.checking[p]) return; // the timeout already answered
    this.checking[p] = 0;
    this.clock.cancel(this.checkTimer[p]!);
    this.checkTimer[p] = -1;
    if (ok) this.clear(p, Reason.Active);
    else this.set(p, Reason.Active);
  }

  private set(p: number, reason: Reason): void {
    const before = this.reasons[p]!;
    this.reasons[p] = before | reason;
    if (before === 0) this.flip(p, false);
  }

  private clear(p: number, reason: Reason, reset?: () => void): void {
    reset?.();
    const before = this.reasons[p]!;
    this.reasons[p] = before & ~reason;
    if (before !== 0 && this.reasons[p] === 0) this.flip(p, true);
  }

  private flip(p: number, healthy: boolean): void {
    const now = this.clock.now();
    this.healthy[p] = healthy ? 1 : 0;
    if (healthy) {
      this.downMs[p]! += now - this.downSince[p]!;
      this.downSince[p] = -1;
    } else this.downSince[p] = now;
    this.changes.push({ atMs: now, provider: p, healthy });
    this.onChange(p, healthy);
  }
}
