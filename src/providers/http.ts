import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { Outcome, type OutcomeCode } from '../core/outcome.js';
import type { WallClock } from '../sim/wall-clock.js';
import type { Provider, RequestTemplate } from './spec.js';
import type { ProviderPort, ProviderStats, ReplySink } from './port.js';

/** Sockets opened, counted where they are opened (undici's connector), not assumed. */
export interface SocketCounter {
  opened: number;
}

/** A connector that counts every socket it opens. */
function countingConnector(counter: SocketCounter): buildConnector.connector {
  const connect = buildConnector({});
  return (opts, callback) => {
    counter.opened++;
    return connect(opts, callback);
  };
}

/** 429's wait, in scenario ms: OpenAI's `retry-after-ms` if present, else `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, scale: number): number {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const ms = Number(one(headers['retry-after-ms']));
  if (Number.isFinite(ms) && ms >= 0) return ms / scale;
  const raw = one(headers['retry-after']);
  if (raw === undefined) return 0;
  const s = Number(raw);
  if (Number.isFinite(s) && s >= 0) return (s * 1000) / scale;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) / scale : 0;
}

/** An HTTP status as a gatesim outcome. */
export function classify(status: number): OutcomeCode {
  if (status >= 200 && status < 300) return Outcome.ok;
  if (status === 429) return Outcome.rateLimited;
  return Outcome.serverError;
}

/** Errors that mean the request never reached a server that answered. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * Real mode's provider port: OpenAI-compatible `POST {url}/chat/completions` over undici, each
 * request carrying its key as `Authorization: Bearer …`. `pooled`: one keep-alive agent per key
 * (the Python review client's client per (key, URL)); `fresh`: every request opens its own connection and
 * closes it. Replies are classified as in the simulation (2xx ok, 429 with retry-after, other
 * statuses 5xx-like, socket errors connectFailed). The dispatcher's own timer handles timeouts and
 * calls `abandon`, which aborts the request.
 */
export class HttpProvider implements ProviderPort {
  readonly stats: ProviderStats = { requests: 0, ok: 0, failed: 0, rateLimited: 0, busyPeak: 0, queuePeak: 0 };
  private readonly agents: Dispatcher[];
  private readonly inFlight = new Map<number, AbortController>();
  private readonly endpoint: string;
  private readonly body: string;
  private busy = 0;

  constructor(
    private readonly spec: Provider,
    private readonly keys: readonly string[],
    private readonly pooled: boolean,
    template: RequestTemplate,
    private readonly clock: WallClock,
    private readonly sink: ReplySink,
    readonly sockets: SocketCounter,
  ) {
    if (!spec.url) throw new Error(`provider ${spec.name} has no url`);
    this.endpoint = `${spec.url}/chat/completions`;
    this.body = JSON.stringify(
      template.body ?? { model: template.model, max_tokens: template.maxTokens, messages: [{ role: 'user', content: template.prompt }] },
    );
    const connect = countingConnector(sockets);
    const make = (): Dispatcher =>
      new Agent({ connect, keepAliveTimeout: 60_000, connections: pooled ? null : undefined, pipelining: pooled ? 1 : 0 });
    // Pooled: an agent per key. Fresh: one agent whose requests each ask for their own connection.
    this.agents = pooled ? keys.map(make) : [make()];
  }

  send(token: number, key: number): void {
    this.stats.requests++;
    if (++this.busy > this.stats.busyPeak) this.stats.busyPeak = this.busy;
    const abort = new AbortController();
    this.inFlight.set(token, abort);
    this.sink.started(token);
    request(this.endpoint, {
      method: 'POST',
      dispatcher: this.agents[this.pooled ? key : 0],
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.keys[key]}` },
      body: this.body,
      signal: abort.signal,
      reset: !this.pooled,
    }).then(
      async (res) => {
        await res.body.dump();
        this.done(token, classify(res.statusCode), res.statusCode === 429 ? retryAfterMs(res.headers, this.clock.scale) : 0);
      },
      (err: { code?: string; name?: string }) => {
        if (err?.name === 'AbortError' || abort.signal.aborted) return this.done(token, -1, 0);
        this.done(token, CONNECT_ERRORS.has(err?.code ?? '') ? Outcome.connectFailed : Outcome.serverError, 0);
      },
    );
  }

  /** The dispatcher gave up on the attempt (timeout): stop waiting for it. */
  abandon(token: number): void {
    this.inFlight.get(token)?.abort();
  }

  check(_costMs: number, done: (ok: boolean) => void): void {
    request(`${this.spec.url}/models`, { dispatcher: this.agents[0], headers: { authorization: `Bearer ${this.keys[0]}` } }).then(
      async (res) => {
        await res.body.dump();
        done(res.statusCode === 200);
      },
      () => done(false),
    );
  }

  async close(): Promise<void> {
    for (const a of this.inFlight.values()) a.abort();
    await Promise.all(this.agents.map((a) => a.close().catch(() => undefined)));
  }

  private done(token: number, outcome: OutcomeCode | -1, retryAfter: number): void {
    this.inFlight.delete(token);
    this.busy--;
    if (outcome === -1) return;
    if (outcome === Outcome.ok) this.stats.ok++;
    else if (outcome === Outcome.rateLimited) this.stats.rateLimited++;
    else this.stats.failed++;
    this.sink.reply(token, outcome, retryAfter);
  }
}
