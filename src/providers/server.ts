import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Outcome, type OutcomeCode } from '../balancers/balancer.js';
import { stream } from '../sim/random.js';
import { WallClock } from '../sim/wall-clock.js';
import type { Provider } from '../scenario/types.js';
import { MockProvider } from './mock.js';
import type { ReplySink } from './port.js';

/** Options of `gatesim serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  /** Scenario time per wall time: 0.01 serves a 60 s window in 0.6 s. */
  timeScale: number;
  seed: number;
  /** Where the per-minute totals go (stderr by default; tests pass a no-op). */
  log: (line: string) => void;
}

/** Totals since start, per provider. */
interface Totals {
  requests: number;
  ok: number;
  rateLimited: number;
  serverError: number;
  refused: number;
}

interface Pending {
  res: ServerResponse;
  model: string;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const error = (res: ServerResponse, status: number, message: string, type: string, headers?: Record<string, string>): void =>
  json(res, status, { error: { message, type, code: null } }, headers);

/**
 * One provider of the scenario behind HTTP: the same MockProvider model as the simulation, on the
 * wall clock. Keys are told apart by their Authorization header, in order of first sight.
 */
class Endpoint implements ReplySink {
  readonly totals: Totals = { requests: 0, ok: 0, rateLimited: 0, serverError: 0, refused: 0 };
  readonly model: MockProvider;
  private readonly keys = new Map<string, number>();
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;

  constructor(
    readonly spec: Provider,
    private readonly clock: WallClock,
    seed: number,
  ) {
    this.model = new MockProvider(spec, 0, clock, stream(seed, `provider:${spec.name}`), this);
  }

  chat(req: IncomingMessage, res: ServerResponse, body: string): void {
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S/.test(auth)) {
      error(res, 401, 'Missing bearer token in the Authorization header.', 'invalid_request_error');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      error(res, 400, 'The request body is not valid JSON.', 'invalid_request_error');
      return;
    }
    const p = parsed as { model?: unknown; messages?: unknown };
    if (!p || typeof p !== 'object' || typeof p.model !== 'string' || !Array.isArray(p.messages)) {
      error(res, 400, 'Expected a JSON object with "model" (string) and "messages" (array).', 'invalid_request_error');
      return;
    }
    let key = this.keys.get(auth);
    if (key === undefined) this.keys.set(auth, (key = this.keys.size));
    const token = this.nextToken++;
    this.pending.set(token, { res, model: p.model });
    res.on('close', () => this.pending.delete(token));
    this.totals.requests++;
    this.model.send(token, key);
  }

  live(token: number): boolean {
    return this.pending.has(token);
  }

  started(): void {}

  reply(token: number, outcome: OutcomeCode, retryAfterMs: number): void {
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    const res = p.res;
    switch (outcome) {
      case Outcome.ok:
        this.totals.ok++;
        json(res, 200, {
          id: `chatcmpl-gatesim-${token}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: p.model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
        return;
      case Outcome.rateLimited: {
        this.totals.rateLimited++;
        // Retry-after in wall time: whole seconds as HTTP says, and milliseconds as OpenAI sends.
        const wallMs = Math.max(0, retryAfterMs * this.clock.scale);
        error(res, 429, 'Rate limit reached for this key.', 'rate_limit_exceeded', {
          'retry-after': String(Math.ceil(wallMs / 1000)),
          'retry-after-ms': String(Math.ceil(wallMs)),
        });
        return;
      }
      case Outcome.connectFailed:
        // A provider that is down: the connection is reset, as a dead upstream would.
        this.totals.refused++;
        res.socket?.destroy();
        return;
      default:
        this.totals.serverError++;
        error(res, 500, 'The server had an error while processing your request.', 'server_error');
    }
  }
}

/**
 * `gatesim serve`: the scenario's providers as an OpenAI-compatible HTTP server on loopback —
 * `/v1/chat/completions` and `/v1/models`, under `/<provider>/v1/…` each (and `/v1/…` too when
 * there is one). Latency, failures, capacity, per-key limits (429 + retry-after), faults, the
 * connection cap and the handshake cost are the scenario's, scaled by `timeScale`.
 */
export async function serve(providers: readonly Provider[], opts: ServeOptions): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const clock = new WallClock(opts.timeScale);
  const endpoints = new Map<string, Endpoint>();
  for (const p of providers) endpoints.set(p.name, new Endpoint(p, clock, opts.seed));
  const only = providers.length === 1 ? endpoints.get(providers[0]!.name)! : undefined;
  // A new connection is usable only after the scenario's handshake (scaled): fresh connections pay it.
  const handshakeMs = Math.max(...providers.map((p) => p.connect.handshakeMs)) * opts.timeScale;
  const readyAt = new WeakMap<Socket, number>();

  const route = (url: string): { endpoint: Endpoint | undefined; path: string } => {
    const m = /^\/([^/]+)(\/v1\/.*)$/.exec(url);
    if (m && endpoints.has(decodeURIComponent(m[1]!))) return { endpoint: endpoints.get(decodeURIComponent(m[1]!)), path: m[2]! };
    return { endpoint: only, path: url };
  };

  const server = createServer((req, res) => {
    const { endpoint, path } = route((req.url ?? '/').split('?')[0]!);
    if (!endpoint) {
      error(res, 404, `No provider here; known: ${[...endpoints.keys()].map((n) => `/${n}/v1`).join(', ')}`, 'invalid_request_error');
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      json(res, 200, { object: 'list', data: [{ id: 'gatesim-mock', object: 'model', owned_by: endpoint.spec.name }] });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      error(res, 404, `Unknown route ${req.method} ${path}`, 'invalid_request_error');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) {
        error(res, 413, 'Request body over 1 MiB.', 'invalid_request_error');
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const wait = (readyAt.get(req.socket) ?? 0) - performance.now();
      if (wait > 0) setTimeout(() => endpoint.chat(req, res, body), wait);
      else endpoint.chat(req, res, body);
    });
  });
  server.on('connection', (socket: Socket) => readyAt.set(socket, performance.now() + handshakeMs));
  server.on('clientError', (_e, socket) => socket.destroy());
  const cap = providers.reduce((a, p) => a + p.connect.max, 0);
  if (Number.isFinite(cap)) server.maxConnections = cap;
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const started = Date.now();
  const minute = setInterval(() => {
    const parts = [...endpoints.values()].map(
      (e) => `${e.spec.name}: ${e.totals.requests} requests, ${e.totals.ok} ok, ${e.totals.rateLimited} 429, ${e.totals.serverError} 5xx`,
    );
    opts.log(`[${Math.round((Date.now() - started) / 60_000)} min] ${parts.join(' · ')}`);
  }, 60_000);
  minute.unref();
  return {
    url: `http://${opts.host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(minute);
        clock.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
