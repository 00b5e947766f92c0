import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../core/outcome.js';
import { createWindow } from '../limiters/index.js';
import { Quota, quantumRate } from '../limiters/quota.js';
import { steppedWindow } from '../limiters/stepped.js';
import type { Clock } from '../sim/clock.js';
import { sampler, type Sampler } from '../sim/dist.js';
import type { Random } from '../sim/random.js';
import { faultKind, type Fault } from './faults.js';
import type { Provider, Serving } from './spec.js';
import { IterationEngine, type StepHost } from './iteration.js';
import { Fifo } from '../core/fifo.js';
import { grown } from '../core/typed.js';
import { blankUsage, type ProviderPort, type ProviderStats, type ReplySink, type Usage } from './port.js';

/** What the model reports besides outcomes. */
export interface MockOptions {
  /** Requests have sizes (workload.tokens): answers carry usage and the quotas' x-ratelimit figures. */
  sized: boolean;
  /** Answers stream (request.stream): usage says when the first token arrived. */
  stream: boolean;
  /** Answers carry the quotas' x-ratelimit figures even without sizes (a client limiter learns from them). */
  figures?: boolean;
}

const SILENT: MockOptions = { sized: false, stream: false };

/**
 * The provider model: `capacity` servers with a FIFO queue, service times from `latency` — or,
 * with `serving`, an LLM server's: `maxSequences` sequence slots, prefill (time to first token,
 * growing with the prompt and the sequences running) then one output token per `tpot` (growing with
 * the sequences running), computed once per request when it gets a slot — a `failure` probability
 * of a 5xx, and its own quotas: requests, tokens and requests in flight, per key or one for the
 * whole organisation (`scope: all`), each run by a registered limiter (`algorithm`, sliding-log by
 * default: an exact window). A request over a quota gets an immediate 429 saying which dimension,
 * with retry-after = when the quota next admits it. Queued work whose client has gone (timed out)
 * is dropped when it reaches a server. Faults (down, slow, errors, throttle) change all of this while
 * they last. Health checks queue and take capacity like requests.
 *
 * With `serving.model: iteration` the server runs in steps instead (src/providers/iteration.ts): the
 * engine holds the queue and the sequences, and tells this model when each request is admitted,
 * gets its first token and ends; a health check is a request of one prompt token and one output token.
 */

// Health checks ride the same queue and job slots as requests under this token.
const CHECK = -1;
export class MockProvider implements ProviderPort, StepHost {
  readonly stats: ProviderStats = { requests: 0, ok: 0, failed: 0, rateLimited: 0, busyPeak: 0, queuePeak: 0 };
  private readonly latency: Sampler;
  private readonly ttft: Sampler | undefined;
  private readonly tpot: Sampler | undefined;
  /** One per key, or one for every key (`scope: all`); undefined without a quota. */
  private readonly quotas: Quota[] = [];
  private readonly quoted: boolean;
  private readonly shared: boolean;
  private busy = 0;
  // Queued jobs (requests, and health checks), served in order.
  private readonly queue = new Fifo(64);
  // Requests from admission to answer: attempt token, outcome, a 429's retry-after and dimension,
  // the key, sizes, what the quota was charged and when, and when the first token came.
  private jobToken = new Float64Array(64);
  private jobOutcome = new Uint8Array(64);
  private jobRetryAfter = new Float64Array(64);
  private jobLimitedBy = new Int32Array(64);
  private jobKey = new Int32Array(64);
  private jobPrompt = new Int32Array(64);
  private jobOutput = new Int32Array(64);
  private jobCharged = new Float64Array(64);
  private jobAdmittedAt = new Float64Array(64);
  private jobFirstAt = new Float64Array(64);
  private jobTpot = new Float64Array(64);
  private jobFree: number[] = [];
  private jobSlots = 0;
  private readonly kDone: number;
  private readonly kReject: number;
  private readonly capacity: number;
  private readonly faults: readonly Fault[];
  private readonly usage: Usage = blankUsage();
  private checkDone: ((ok: boolean) => void) | undefined;
  private checkCost = 0;
  /** The simple serving model, if that is the provider's. */
  private readonly linear: Serving | undefined;
  /** The iteration model's engine, if that is the provider's. */
  private readonly engine: IterationEngine | undefined;

  constructor(
    private readonly spec: Provider,
    keys: number,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly sink: ReplySink,
    private readonly options: MockOptions = SILENT,
  ) {
    this.latency = sampler(spec.latency, random);
    const serving = spec.serving?.model === 'iteration' ? undefined : spec.serving;
    this.linear = serving;
    if (spec.serving?.model === 'iteration') this.engine = new IterationEngine(spec.serving, clock, this);
    if (serving?.ttft.dist) this.ttft = sampler(serving.ttft.dist, random);
    if (serving?.tpot.dist) this.tpot = sampler(serving.tpot.dist, random);
    this.capacity = spec.capacity;
    this.faults = spec.faults;
    this.quoted = spec.limit !== undefined || spec.tokens !== undefined || spec.concurrent !== undefined;
    this.shared = spec.scope === 'all';
    if (this.quoted) for (let k = 0; k < (this.shared ? 1 : keys); k++) this.quotas.push(this.newQuota());
    this.kDone = clock.on((job) => this.done(job));
    this.kReject = clock.on((job) => this.rejected(job));
    const tenants = spec.tenants ?? [];
    if (tenants.length > 0) {
      this.kTenant = clock.on((i) => this.tenant(i));
      tenants.forEach((t, i) => clock.at(t.fromMs, this.kTenant, i));
    }
  }

  /**
   * Another tenant's requests on the organisation's quota: each counts in it, admitted or not (the
   * quota is shared, and the provider serves its other customers as it sees fit), so the tenant
   * takes its share whatever we do; `over` counts those the quota had no room for.
   */
  readonly tenantRequests = { sent: 0, over: 0 };
  private kTenant = -1;
  /** A request the quota refuses still counts in it (limit.refused: counts, the default). */
  private get countsRefused(): boolean {
    return this.spec.refused !== 'free';
  }

  /** One request of tenant `i`, then the next one 1 / rate later while it lasts (never in our results). */
  private tenant(i: number): void {
    const t = this.spec.tenants![i]!;
    const now = this.clock.now();
    if (now >= t.toMs) return;
    const w = this.quota(0).requests!;
    if (!w.admits(now)) this.tenantRequests.over++;
    // Recorded even without room: a bucket goes into debt (we wait it out); a log keeps its newest entries.
    w.record(now);
    this.tenantRequests.sent++;
    this.clock.at(now + 1 / t.perMs, this.kTenant, i);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Requests in service now. */
  get inService(): number {
    return this.busy;
  }

  /** Requests queued now. */
  get queued(): number {
    return this.engine ? this.engine.queued : this.queue.size;
  }

  /** Forgets a key's quotas (gatesim serve reuses the number of a key it evicted for a new one). */
  forget(key: number): void {
    if (!this.shared && key < this.quotas.length) this.quotas[key] = this.newQuota();
  }

  private newQuota(): Quota {
    const s = this.spec;
    const algorithm = s.algorithm ?? { type: 'sliding-log', options: {} };
    const q = s.quantumMs;
    return new Quota(
      s.limit ? steppedWindow(s.limit, s.steps, (r) => createWindow(algorithm, r)) : undefined,
      s.tokens ? createWindow(algorithm, s.tokens) : undefined,
      s.concurrent ?? Infinity,
      q !== undefined && s.limit ? createWindow(algorithm, quantumRate(s.limit, q)) : undefined,
      q !== undefined && s.tokens ? createWindow(algorithm, quantumRate(s.tokens, q)) : undefined,
    );
  }

  /** The quota a key's request counts against (a server meets new keys as they come; the simulation knows them up front). */
  private quota(key: number): Quota {
    if (this.shared) return this.quotas[0]!;
    while (key >= this.quotas.length) this.quotas.push(this.newQuota());
    return this.quotas[key]!;
  }

  /** The fault in force at `now`, if any (the first listed wins when they overlap). */
  private fault(now: number): Fault | undefined {
    for (const f of this.faults) if (now >= f.atMs && now < f.atMs + f.forMs) return f;
    return undefined;
  }

  send(token: number, key: number, prompt = 0, output = 0, maxTokens = 0): void {
    const now = this.clock.now();
    this.stats.requests++;
    const j = this.job(token, key, prompt, output);
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    const refused = fault ? (faultKind(fault).refuse?.(fault, this.random) ?? -1) : -1;
    if (refused >= 0) {
      // A 429 from a fault comes back when the fault ends.
      this.jobOutcome[j] = refused;
      this.jobRetryAfter[j] = refused === Outcome.rateLimited ? fault!.atMs + fault!.forMs - now : 0;
      this.clock.at(now, this.kReject, j);
      return;
    }
    if (this.quoted) {
      const quota = this.quota(key);
      const charge = this.spec.charge;
      const tokens = charge === 'reserve' ? prompt + maxTokens : charge === 'prompt' ? prompt : 0;
      // More than the quota can ever admit: refused at once, as OpenAI's "Request too large", counting nothing.
      const large = tokens > 0 ? quota.tooLarge(tokens) : Dimension.none;
      const no = large !== Dimension.none ? large : quota.refuses(now, tokens);
      if (no !== Dimension.none) {
        this.jobOutcome[j] = large !== Dimension.none ? Outcome.tooLarge : Outcome.rateLimited;
        this.jobLimitedBy[j] = no;
        // A refused request still counts in the quota (OpenAI: "unsuccessful requests contribute to your per-minute limit").
        if (large === Dimension.none && this.countsRefused) quota.count(now, tokens);
        // Requests in flight free up when an answer ends, which a quota cannot foresee: no retry-after.
        this.jobRetryAfter[j] = no === Dimension.concurrent || large !== Dimension.none ? 0 : quota.nextAdmitAt(now, tokens) - now;
        this.clock.at(now, this.kReject, j);
        return;
      }
      quota.record(now, tokens);
      this.jobCharged[j] = tokens;
      this.jobAdmittedAt[j] = now;
    }
    if (this.engine) {
      this.engine.enqueue(j, prompt, output);
      if (this.engine.queued > this.stats.queuePeak) this.stats.queuePeak = this.engine.queued;
    } else if (this.busy < this.capacity) this.start(j, now);
    else this.push(j);
  }

  /** A health check: queued and served like a request, costing `costMs` (× a slow fault). */
  check(costMs: number, done: (ok: boolean) => void): void {
    const now = this.clock.now();
    this.checkDone = done;
    this.checkCost = costMs;
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    if (fault && faultKind(fault).failsChecks) {
      done(false);
      return;
    }
    const j = this.job(CHECK, -1, 1, 1);
    if (this.engine) this.engine.enqueue(j, 1, 1);
    else if (this.busy < this.capacity) this.start(j, now);
    else this.push(j);
  }

  private start(j: number, now: number): void {
    this.busy++;
    if (this.busy > this.stats.busyPeak) this.stats.busyPeak = this.busy;
    const token = this.jobToken[j]!;
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    const serving = this.linear;
    let prefill = 0;
    let tpot = 0;
    let service: number;
    if (token === CHECK) service = this.checkCost;
    else if (serving) {
      // Sequences decoding now, this one included: contention slows prefill and every output token.
      const running = this.busy;
      prefill = this.ttft ? this.ttft.sample() : serving.ttft.base + serving.ttft.perPromptToken * this.jobPrompt[j]! + serving.ttft.perSequence * running;
      tpot = this.tpot ? this.tpot.sample() : serving.tpot.base + serving.tpot.perSequence * running;
      const output = this.jobOutput[j]!;
      service = prefill + (output > 1 ? output - 1 : 0) * tpot;
    } else service = this.latency.sample();
    let failure = this.spec.failure;
    const serve = fault ? faultKind(fault).serve : undefined;
    if (serve) {
      const base = service;
      ({ service, failure } = serve(fault!, service, failure));
      // A slow fault stretches every part of an answer alike.
      if (base > 0) {
        prefill *= service / base;
        tpot *= service / base;
      }
    }
    this.jobOutcome[j] = failure > 0 && this.random() < failure ? Outcome.serverError : Outcome.ok;
    this.jobFirstAt[j] = serving ? now + prefill : NaN;
    this.jobTpot[j] = tpot;
    if (token !== CHECK) this.sink.started(token, this.jobFirstAt[j]!, serving ? tpot : NaN);
    this.clock.after(service, this.kDone, j);
  }

  /** The iteration model admits job `j` to run (StepHost): a request whose client left is dropped here, as a queued one is. */
  admit(j: number): boolean {
    const token = this.jobToken[j]!;
    if (token !== CHECK && !this.sink.live(token)) {
      if (this.admitted(j)) this.settle(j, Outcome.timeout);
      this.jobFree.push(j);
      return false;
    }
    this.busy++;
    if (this.busy > this.stats.busyPeak) this.stats.busyPeak = this.busy;
    const now = this.clock.now();
    const fault = this.faults.length > 0 ? this.fault(now) : undefined;
    let failure = this.spec.failure;
    const serve = fault ? faultKind(fault).serve : undefined;
    if (serve) failure = serve(fault!, 0, failure).failure;
    this.jobOutcome[j] = failure > 0 && this.random() < failure ? Outcome.serverError : Outcome.ok;
    this.jobFirstAt[j] = NaN;
    this.jobTpot[j] = NaN;
    if (token !== CHECK) this.sink.started(token);
    return true;
  }

  /** Job `j`'s first token came now (StepHost): a stream is paced from here by the step time. */
  first(j: number): void {
    const now = this.clock.now();
    this.jobFirstAt[j] = now;
    const token = this.jobToken[j]!;
    if (token !== CHECK) this.sink.firstToken?.(token, now, this.engine!.lastStepMs);
  }

  /** Job `j`'s answer ended now (StepHost): its time per output token is the mean gap since its first. */
  finished(j: number): void {
    const output = this.jobOutput[j]!;
    this.jobTpot[j] = output > 1 ? (this.clock.now() - this.jobFirstAt[j]!) / (output - 1) : NaN;
    this.done(j);
  }

  /** A step's duration under the fault in force now (StepHost). */
  stretch(ms: number): number {
    const fault = this.faults.length > 0 ? this.fault(this.clock.now()) : undefined;
    const serve = fault ? faultKind(fault).serve : undefined;
    return serve ? serve(fault!, ms, 0).service : ms;
  }

  private done(j: number): void {
    const token = this.jobToken[j]!;
    const outcome = this.jobOutcome[j]! as OutcomeCode;
    this.busy--;
    if (token === CHECK) {
      this.jobFree.push(j);
      this.checkDone?.(outcome === Outcome.ok);
    } else {
      if (outcome === Outcome.ok) this.stats.ok++;
      else this.stats.failed++;
      this.answer(j, outcome, 0, Dimension.none);
    }
    this.serveNext();
  }

  private rejected(j: number): void {
    const outcome = this.jobOutcome[j]! as OutcomeCode;
    if (outcome === Outcome.rateLimited) this.stats.rateLimited++;
    else this.stats.failed++;
    this.answer(j, outcome, this.jobRetryAfter[j]!, this.jobLimitedBy[j]! as DimensionCode);
  }

  /** A request's answer: the quota settles what it was charged (what a failure used: nothing), then the client hears. */
  private answer(j: number, outcome: OutcomeCode, retryAfterMs: number, limitedBy: DimensionCode): void {
    const token = this.jobToken[j]!;
    const key = this.jobKey[j]!;
    if (this.admitted(j)) this.settle(j, outcome);
    this.jobFree.push(j);
    if (!this.options.sized && !this.options.figures) {
      this.sink.reply(token, outcome, retryAfterMs, limitedBy);
      return;
    }
    const u = blankUsage(this.usage);
    if (outcome === Outcome.ok && this.options.sized) {
      u.promptTokens = this.jobPrompt[j]!;
      u.outputTokens = this.jobOutput[j]!;
      // Only a streamed answer shows its tokens' timing; otherwise the client sees the whole answer at once.
      if (this.options.stream) {
        u.firstTokenAt = this.jobFirstAt[j]!;
        u.tpotMs = this.spec.serving ? this.jobTpot[j]! : NaN;
      }
    }
    if (this.quoted) this.quotaFigures(u, this.quota(key));
    this.sink.reply(token, outcome, retryAfterMs, limitedBy, u);
  }

  /** Did the quota admit (and charge) this request? (Refusals and fault answers never reached it.) */
  private admitted(j: number): boolean {
    return this.quoted && !Number.isNaN(this.jobAdmittedAt[j]!);
  }

  private settle(j: number, outcome: OutcomeCode): void {
    const now = this.clock.now();
    const quota = this.quota(this.jobKey[j]!);
    quota.release();
    const used = outcome === Outcome.ok ? this.jobPrompt[j]! + this.jobOutput[j]! : 0;
    const charge = this.spec.charge;
    if (charge === 'reserve') quota.settle(this.jobAdmittedAt[j]!, this.jobCharged[j]!, used, now);
    else if (charge === 'actual') quota.charge(now, used);
  }

  /** What is left of `key`'s quotas now, into `u` (gatesim serve's x-ratelimit headers of a stream, sent when it starts). */
  quotaOf(key: number, u: Usage): Usage {
    if (this.quoted) this.quotaFigures(u, this.quota(key));
    return u;
  }

  /** The x-ratelimit figures of a quota now: its limits, what is left, and when each is whole again. */
  private quotaFigures(u: Usage, q: Quota): void {
    const now = this.clock.now();
    if (q.requests) {
      // remaining first: a stepping quota's capacity is the period's that was last asked about.
      u.remainingRequests = q.requests.remaining(now);
      u.limitRequests = q.requests.capacity();
      u.resetRequestsMs = q.requests.resetAt(now) - now;
    }
    if (q.tokens) {
      u.limitTokens = q.tokens.capacity();
      u.remainingTokens = q.tokens.remaining(now);
      u.resetTokensMs = q.tokens.resetAt(now) - now;
    }
  }

  private serveNext(): void {
    const now = this.clock.now();
    while (this.queue.size > 0 && this.busy < this.capacity) {
      const j = this.queue.shift();
      const token = this.jobToken[j]!;
      if (token !== CHECK && !this.sink.live(token)) {
        // Its client left: the request never runs, and gives back what its quota was charged.
        if (this.admitted(j)) this.settle(j, Outcome.timeout);
        this.jobFree.push(j);
        continue;
      }
      this.start(j, now);
    }
  }

  private push(j: number): void {
    this.queue.push(j);
    if (this.queue.size > this.stats.queuePeak) this.stats.queuePeak = this.queue.size;
  }

  /** A slot for a request from its arrival to its answer (reused once answered). */
  private job(token: number, key: number, prompt: number, output: number): number {
    let j = this.jobFree.pop();
    if (j === undefined) {
      j = this.jobSlots++;
      if (j === this.jobToken.length) this.grow(j * 2);
    }
    this.jobToken[j] = token;
    this.jobOutcome[j] = Outcome.ok;
    this.jobRetryAfter[j] = 0;
    this.jobLimitedBy[j] = Dimension.none;
    this.jobKey[j] = key;
    this.jobPrompt[j] = prompt;
    this.jobOutput[j] = output;
    this.jobCharged[j] = 0;
    this.jobAdmittedAt[j] = NaN;
    return j;
  }

  private grow(cap: number): void {
    this.jobToken = grown(this.jobToken, cap);
    this.jobOutcome = grown(this.jobOutcome, cap);
    this.jobRetryAfter = grown(this.jobRetryAfter, cap);
    this.jobLimitedBy = grown(this.jobLimitedBy, cap);
    this.jobKey = grown(this.jobKey, cap);
    this.jobPrompt = grown(this.jobPrompt, cap);
    this.jobOutput = grown(this.jobOutput, cap);
    this.jobCharged = grown(this.jobCharged, cap);
    this.jobAdmittedAt = grown(this.jobAdmittedAt, cap);
    this.jobFirstAt = grown(this.jobFirstAt, cap);
    this.jobTpot = grown(this.jobTpot, cap);
  }
}
