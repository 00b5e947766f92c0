import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { longTimeout } from '../core/long-timer.js';
import { WallClock } from '../sim/wall-clock.js';
import type { Provider } from './spec.js';
import { RESET_HEADER, RESET_PATH, resetTokenProblem } from './reset.js';
import { AnswerWriter, type AnswerStats } from './answer.js';
import { isLoopback, ResetGuard } from './reset-guard.js';
import { Endpoint, zeroTotals, type Totals } from './endpoint.js';
import { clientErrorAnswer, MAX_MODEL_CHARS, readBody, sendError, sendJson } from './serve-wire.js';

// Where serve's parts live: the wire (reading requests, envelopes) in serve-wire.ts, one provider's
// requests and answers in endpoint.ts, stream pacing in stream.ts, non-streamed answers in
// answer.ts, the reset guard in reset-guard.ts; this file is the server's lifecycle and routes.
export { isLoopback, MAX_MODEL_CHARS };
export type { Totals };

/** Options of `gatesim serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  /** Scenario time per wall time: 0.01 serves a 60 s window in 0.6 s. */
  timeScale: number;
  seed: number;
  /** Where the per-minute totals go (stderr by default; tests pass a no-op). */
  log: (line: string) => void;
  /**
   * Distinct keys (Authorization headers) each provider remembers, with their windows; beyond it
   * the least recently used one is forgotten and counted as evicted. Default 10,000.
   */
  maxKeys?: number;
  /** The token `POST /gatesim/reset` requires in `x-gatesim-reset`; without one, reset is off (404). */
  resetToken?: string;
}

/** Default and bounds of `maxKeys` (`--max-keys`). */
export const MAX_KEYS = { default: 10_000, min: 1, max: 1_000_000 } as const;

/** Largest request head (request line and headers) the server reads: beyond it, 431. Node's default, stated. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** What `gatesim serve` has done since it started: per provider, and resets. */
export interface ServeTotals {
  providers: Record<string, Totals>;
  /** Resets done through `POST /gatesim/reset`. */
  resets: number;
  /** Requests the server could not parse or route (4xx before any provider saw them), and internal errors (500). */
  rejected: number;
}

/** One line of totals per provider: what the per-minute log and the last line on stopping say. */
export function formatTotals(t: ServeTotals): string {
  const parts = Object.entries(t.providers).map(
    ([name, p]) =>
      `${name}: ${p.requests} requests, ${p.ok} ok, ${p.rateLimited} 429, ${p.serverError} 5xx, ${p.keys} keys${p.evicted ? ` (${p.evicted} evicted)` : ''}`,
  );
  const extra = [t.rejected ? `${t.rejected} rejected` : '', t.resets ? `${t.resets} resets` : ''].filter(Boolean);
  return [...parts, ...extra].join(' · ');
}

/** A running `gatesim serve`. */
export interface Serving {
  url: string;
  server: Server;
  /** Totals since start (keys: remembered now). */
  totals(): ServeTotals;
  /** What `POST /gatesim/reset` does: every window, queue and counter starts afresh, the clock at 0. */
  reset(): void;
  /** Streams open now (head written, not ended) and the timers they hold: both 0 once every client has gone. */
  streams(): { open: number; timers: number };
  /** Non-streamed answers being written now and the bytes they hold (bounded per answer; all 0 once their clients have gone). */
  answers(): AnswerStats;
  close(): Promise<void>;
}

/** The providers as they stand since the last reset. */
interface State {
  clock: WallClock;
  endpoints: Map<string, Endpoint>;
  /** With one provider, `/v1/…` reaches it too. */
  only: Endpoint | undefined;
}

/**
 * `gatesim serve`: the scenario's providers as an OpenAI-compatible HTTP server on loopback —
 * `/v1/chat/completions` and `/v1/models`, under `/<provider>/v1/…` each (and `/v1/…` too when
 * there is one). Latency, failures, capacity, per-key limits (429 + retry-after), faults, the
 * connection cap and the handshake cost are the scenario's, scaled by `timeScale`.
 *
 * No request can stop it: a path it cannot decode, a head over MAX_HEADER_BYTES, a body over
 * 1 MiB, a bad method or JSON each get a 4xx and the server carries on; memory per distinct key is
 * bounded by `maxKeys`. `POST /gatesim/reset` (loopback only, with the token) starts every
 * provider afresh, so a study of several variants needs no wait between them.
 */
export async function serve(providers: readonly Provider[], opts: ServeOptions): Promise<Serving> {
  const weak = opts.resetToken === undefined ? undefined : resetTokenProblem(opts.resetToken);
  if (weak) throw new RangeError(`resetToken: ${weak}`);
  const maxKeys = opts.maxKeys ?? MAX_KEYS.default;
  if (!Number.isInteger(maxKeys) || maxKeys < MAX_KEYS.min || maxKeys > MAX_KEYS.max) {
    throw new RangeError(`maxKeys must be an integer from ${MAX_KEYS.min} to ${MAX_KEYS.max}, got ${maxKeys}`);
  }
  // Outlives resets: an answer being written when one comes is finished (its model already answered).
  const answers = new AnswerWriter();
  const build = (): State => {
    const clock = new WallClock(opts.timeScale);
    const endpoints = new Map<string, Endpoint>();
    for (const p of providers) endpoints.set(p.name, new Endpoint(p, clock, opts.seed, maxKeys, answers));
    return { clock, endpoints, only: providers.length === 1 ? endpoints.get(providers[0]!.name)! : undefined };
  };
  let state = build();
  // Totals of the endpoints that resets replaced, so the log still counts since start.
  const before = new Map<string, Totals>(providers.map((p) => [p.name, zeroTotals()]));
  let resets = 0;
  let rejected = 0;

  const totals = (): ServeTotals => {
    const out: Record<string, Totals> = {};
    for (const [name, e] of state.endpoints) {
      const b = before.get(name)!;
      const t = e.totals;
      out[name] = {
        requests: b.requests + t.requests,
        ok: b.ok + t.ok,
        rateLimited: b.rateLimited + t.rateLimited,
        serverError: b.serverError + t.serverError,
        refused: b.refused + t.refused,
        keys: t.keys,
        evicted: b.evicted + t.evicted,
      };
    }
    return { providers: out, resets, rejected };
  };

  const reset = (): void => {
    const old = state;
    for (const [name, t] of Object.entries(totals().providers)) before.set(name, { ...t, keys: 0 });
    state = build();
    old.clock.stop();
    for (const e of old.endpoints.values()) e.drop();
    resets++;
  };

  // A new connection is usable only after the scenario's handshake (scaled): fresh connections pay it.
  const handshakeMs = Math.max(...providers.map((p) => p.connect.handshakeMs)) * opts.timeScale;
  const readyAt = new WeakMap<Socket, number>();

  /** The provider a path names and the rest of the path; throws URIError on a malformed escape. */
  const route = (url: string): { endpoint: Endpoint | undefined; path: string } => {
    const m = /^\/([^/]+)(\/v1\/.*)$/.exec(url);
    if (m) {
      const named = state.endpoints.get(decodeURIComponent(m[1]!));
      if (named) return { endpoint: named, path: m[2]! };
    }
    return { endpoint: state.only, path: url };
  };

  const guard = new ResetGuard(opts.resetToken);
  const resetRoute = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    const refused = guard.check(req.method, req.socket.remoteAddress, req.headers[RESET_HEADER]);
    if (refused) return sendError(res, refused.status, refused.message, refused.type, refused.headers);
    reset();
    sendJson(res, 200, { reset: true, resets });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === RESET_PATH) return resetRoute(req, res);
    let endpoint: Endpoint | undefined;
    let path: string;
    try {
      ({ endpoint, path } = route(url));
    } catch {
      rejected++;
      req.resume();
      return sendError(res, 400, 'Malformed percent-escape in the path.', 'invalid_request_error');
    }
    if (!endpoint) {
      rejected++;
      req.resume();
      return sendError(res, 404, `No provider here; known: ${[...state.endpoints.keys()].map((n) => `/${n}/v1`).join(', ')}`, 'invalid_request_error');
    }
    if (req.method === 'GET' && path === '/v1/models') {
      req.resume();
      return sendJson(res, 200, { object: 'list', data: [{ id: 'gatesim-mock', object: 'model', owned_by: endpoint.spec.name }] });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      rejected++;
      req.resume();
      return sendError(res, 404, `Unknown route ${req.method} ${path}`, 'invalid_request_error');
    }
    readBody(
      req,
      res,
      (body) => {
        const wait = (readyAt.get(req.socket) ?? 0) - performance.now();
        if (wait > 0) longTimeout(() => endpoint.chat(req, res, body), wait);
        else endpoint.chat(req, res, body);
      },
      () => {
        rejected++;
      },
    );
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    // A client that goes away mid-request is not an error of the server's.
    req.on('error', () => {});
    res.on('error', () => {});
    try {
      handle(req, res);
    } catch {
      rejected++;
      sendError(res, 500, 'The server failed on this request.', 'server_error');
    }
  });
  server.on('connection', (socket: Socket) => readyAt.set(socket, performance.now() + handshakeMs));
  // A request node could not parse never reaches the handler: answer it here, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    rejected++;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorAnswer(err.code));
  });
  const cap = providers.reduce((a, p) => a + p.connect.max, 0);
  if (Number.isFinite(cap)) server.maxConnections = cap;
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const started = Date.now();
  const minute = setInterval(() => opts.log(`[${Math.round((Date.now() - started) / 60_000)} min] ${formatTotals(totals())}`), 60_000);
  minute.unref();
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    server,
    totals,
    reset,
    streams: () => {
      let open = 0;
      let timers = 0;
      for (const e of state.endpoints.values()) {
        open += e.streams;
        timers += e.timers;
      }
      return { open, timers };
    },
    answers: () => answers.stats(),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(minute);
        state.clock.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
