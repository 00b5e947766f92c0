import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outcome } from '../src/core/outcome.js';
import { HttpProvider } from '../src/providers/http.js';
import type { ReplySink, Usage } from '../src/providers/port.js';
import { runPlanReal } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { WallClock } from '../src/sim/wall-clock.js';
import { gatesim, waitFor, tmp } from './helpers/cli.js';
import { scenario } from './helpers/scenario.js';

// Real mode against servers that misbehave on purpose, each on loopback: every wait ends, every
// answer is read within a bound, and what was measured is written.

const KEYS = 'sk-hostile-test-1,sk-hostile-test-2';
const TOKEN = 'f0c1a9e27b3d48a6c5e9b2d7a4f8e1c3'; // 32 hex digits, as `openssl rand -hex 16` makes
const dir = tmp('gatesim-hostile-');

/** What a hostile server saw, and how its routes answer. */
interface Hostile {
  url: string;
  server: Server;
  /** Requests per `METHOD path`, and the reset tokens it was sent. */
  seen: Map<string, number>;
  tokens: string[];
  /** Resolves once `METHOD path` has been asked `n` times. */
  nth(route: string, n: number): Promise<void>;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A node:http server on loopback answering `routes` (by `METHOD path`), 404 otherwise. */
async function hostile(routes: Record<string, Route>, host = '127.0.0.1'): Promise<Hostile> {
  const seen = new Map<string, number>();
  const tokens: string[] = [];
  const waiting: { route: string; n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    req.resume();
    res.on('error', () => {});
    // A path under /p<N> is the same route: many providers on one server, each at its own URL.
    const route = `${req.method} ${(req.url ?? '').split('?')[0]!.replace(/^\/p\d+\//, '/')}`;
    seen.set(route, (seen.get(route) ?? 0) + 1);
    const token = req.headers['x-gatesim-reset'];
    if (typeof token === 'string') tokens.push(token);
    for (const w of waiting.filter((x) => x.route === route && x.n <= seen.get(route)!)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
    const answer = routes[route];
    if (answer) answer(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    tokens,
    nth: (route, n) => ((seen.get(route) ?? 0) >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ route, n, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const COMPLETION = '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
const completion: Route = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(COMPLETION);
};
const claimsServe: Route = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-gatesim-serve': '1' });
  res.end('{"object":"list","data":[]}');
};
/** A 200 head (saying it is a gatesim serve), then a byte every 50 ms, forever. */
const trickle: Route = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-gatesim-serve': '1' });
  res.flushHeaders();
  const t = setInterval(() => res.write(' '), 50);
  res.on('close', () => clearInterval(t));
};

let servers: Hostile[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
const start = async (routes: Record<string, Route>, host?: string): Promise<Hostile> => {
  const s = await hostile(routes, host);
  servers.push(s);
  return s;
};

const file = (name: string, text: string): string => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, text);
  return f;
};

/** The CLI in real mode at `url`; `onStart` sees the child. */
function real(f: string, url: string, extra: string[], env: NodeJS.ProcessEnv = {}, onStart?: (p: ChildProcess) => void) {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const done = gatesim([f, '--mode', 'real', '--set', `providers.0.url=${url}/v1`, '--out', out, '--format', 'none', ...extra], {
    env: { GATESIM_KEYS: KEYS, GATESIM_RESET_TOKEN: '', ...env },
    onStart,
  });
  return { done, results: () => JSON.parse(readFileSync(join(out, f.split('/').pop()!.replace(/\.yaml$/, ''), 'results.json'), 'utf8')) };
}

describe('waits longer than Node timers hold (2^31 − 1 ms)', () => {
  const RETRY = `
name: retry-after
seed: 1
workload: { requests: 4, concurrency: 4 }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
retry: { attempts: 5, backoff: 1ms, maxBackoff: 1ms }
`;
  for (const retryAfter of ['2147484', '99999999', 'Fri, 31 Dec 9999 23:59:59 GMT']) {
    it(`retry-after: ${retryAfter} holds every retry back: 4 attempts, no burst, no Node warning (under -q)`, async () => {
      const srv = await start({
        'POST /v1/chat/completions': (_req, res) => {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter });
          res.end('{"error":{"message":"slow down","type":"requests"}}');
        },
      });
      const run = real(file('retry-after', RETRY), srv.url, ['-q', '--max-duration', '1', '--cooldown', '0']);
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      expect(srv.seen.get('POST /v1/chat/completions')).toBe(4);
      expect(r.stderr).not.toMatch(/Warning|warning/);
      const v = run.results().runs[0].variants[0];
      expect(v.truncated).toBe(true);
      expect(v.metrics.requests).toBe(4);
    }, 30_000);
  }

  /** A process-wide listener: Node's warnings while a test runs. */
  const warned: string[] = [];
  const onWarning = (w: Error): void => void warned.push(w.name);

  it('providers[].timeout: 8760h against a server that answers at once: every attempt ok, none timed out', async () => {
    const srv = await start({ 'POST /v1/chat/completions': completion });
    const f = file('timeout', `
name: timeout
workload: { requests: 20, concurrency: 4 }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms, timeout: 8760h, url: "${srv.url}/v1" }]
`);
    process.on('warning', onWarning);
    try {
      const results = await runPlanReal(loadScenario(f, {}), { timeScale: 1, env: { GATESIM_KEYS: KEYS }, maxWallMs: 30_000, guardWallMs: 0, signal: new AbortController().signal, graceMs: 100 });
      const m = results.runs[0]!.variants[0]!.metrics;
      expect(m.ok).toBe(20);
      expect(m.outcomes.timeout ?? 0).toBe(0);
      expect(warned).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('keys.acquireTimeout: 8000h with keys.limit: 1/8760h: the waiters wait (until --max-duration), none gives up early', async () => {
    const srv = await start({ 'POST /v1/chat/completions': completion });
    const f = file('acquire', `
name: acquire
workload: { requests: 5, concurrency: 5 }
keys: { env: GATESIM_KEYS, limit: 1/8760h, acquireTimeout: 8000h }
providers: [{ name: h, latency: 10ms, url: "${srv.url}/v1" }]
`);
    process.on('warning', onWarning);
    try {
      const env = { GATESIM_KEYS: 'sk-hostile-only-key' };
      const results = await runPlanReal(loadScenario(f, {}), { timeScale: 1, env, maxWallMs: 1000, guardWallMs: 0, signal: new AbortController().signal, graceMs: 100 });
      const v = results.runs[0]!.variants[0]!;
      // Before: 4 of 5 gave up within milliseconds and the variant ended long before the cap.
      expect(v.truncated).toBe(true);
      expect(v.metrics.ok).toBe(1);
      expect(srv.seen.get('POST /v1/chat/completions')).toBe(1);
      expect(warned).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('every network wait has a deadline on the whole exchange, and a signal always ends the run', () => {
  const TWO = `
name: two
seed: 1
workload: { requests: 3, concurrency: 3 }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
variants: [{ name: first }, { name: second }]
`;

  it('a reset whose body trickles forever fails at its 5 s deadline, and the run goes on: both variants measured', async () => {
    const srv = await start({ 'GET /v1/models': claimsServe, 'POST /gatesim/reset': trickle, 'POST /v1/chat/completions': completion });
    const run = real(file('trickle-reset', TWO), srv.url, [], { GATESIM_RESET_TOKEN: TOKEN });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen.get('POST /gatesim/reset')).toBe(2);
    expect(r.stderr).toContain(`reset of ${srv.url} failed (no complete answer within 5 s)`);
    expect(run.results().runs[0].variants.map((v: { name: string; metrics: { ok: number } }) => [v.name, v.metrics.ok])).toEqual([
      ['first', 3],
      ['second', 3],
    ]);
  }, 60_000);

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} while the reset before the second variant hangs: the run ends at once with the first variant written`, async () => {
      const srv = await start({ 'GET /v1/models': claimsServe, 'POST /gatesim/reset': trickle, 'POST /v1/chat/completions': completion });
      let p!: ChildProcess;
      const run = real(file(`signal-reset-${signal}`, TWO), srv.url, [], { GATESIM_RESET_TOKEN: TOKEN }, (c) => (p = c));
      await waitFor(p, /first: done/, 'stderr');
      await srv.nth('POST /gatesim/reset', 2);
      p.kill(signal);
      const r = await run.done;
      expect(r.code, r.stderr).toBe({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[signal]);
      const results = run.results();
      expect(results.partial).toBe(true);
      expect(results.runs[0].variants.map((v: { name: string }) => v.name)).toEqual(['first']);
      expect(results.runs[0].variants[0].metrics.ok).toBe(3);
    }, 60_000);
  }

  it('a model list that trickles forever: not a gatesim serve (after 5 s), no reset sent, the run goes on', async () => {
    const srv = await start({ 'GET /v1/models': trickle, 'POST /v1/chat/completions': completion });
    const run = real(file('trickle-models', TWO.replace('variants: [{ name: first }, { name: second }]', '')), srv.url, [], { GATESIM_RESET_TOKEN: TOKEN });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen.get('POST /gatesim/reset')).toBeUndefined();
    expect(run.results().runs[0].variants[0].metrics.ok).toBe(3);
  }, 60_000);

  it('health checks against a model list that trickles forever do not keep the run from ending', async () => {
    const srv = await start({ 'GET /v1/models': trickle, 'POST /v1/chat/completions': completion });
    const f = file('trickle-checks', `
name: trickle-checks
workload: { requests: 3, concurrency: 1, think: 100ms }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
health: { active: { interval: 20ms, timeout: 10ms } }
`);
    const r = await real(f, srv.url, ['--max-duration', '30']).done;
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen.get('GET /v1/models')).toBeGreaterThan(0);
  }, 60_000);

  it('an answer that trickles forever ends at the provider timeout (or --max-duration without one)', async () => {
    const srv = await start({ 'POST /v1/chat/completions': trickle });
    const f = file('trickle-answer', `
name: trickle-answer
workload: { requests: 3, concurrency: 3, tokens: { prompt: 5, output: 5 } }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
request: { stream: true }
variants: [{ name: timeout, providers: [{ name: h, latency: 10ms, timeout: 300ms, url: "${srv.url}/v1" }] }, { name: capped }]
`);
    const run = real(f, srv.url, ['--max-duration', '1', '--cooldown', '0']);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const [timeout, capped] = run.results().runs[0].variants;
    expect(timeout.metrics.outcomes.timeout).toBe(3);
    expect(capped.truncated).toBe(true);
    expect(capped.metrics.outcomes.gaveUp).toBe(3);
  }, 60_000);
});

describe('answers are read within a bound, and what is no chat completion is a server error', () => {
  const SIZE = 100 << 20;
  /** A 200 whose body is SIZE bytes of `x`, written as the client takes them; records what was written before the client left. */
  function huge(written: number[], closed: () => void): Route {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(SIZE) });
      const piece = Buffer.alloc(64 << 10, 0x78);
      let sent = 0;
      const pump = (): void => {
        while (sent < SIZE) {
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        written.push(sent);
        closed();
      });
      pump();
    };
  }

  for (const sized of [false, true]) {
    it(`${sized ? 'with' : 'without'} sizes: 100 MB bodies that are not JSON are serverError, and each is read no further than its first bytes`, async () => {
      const written: number[] = [];
      let allClosed!: () => void;
      const closed = new Promise<void>((resolve) => (allClosed = resolve));
      const srv = await start({ 'POST /v1/chat/completions': huge(written, () => written.length === 4 && allClosed()) });
      const f = file(`huge-${sized}`, `
name: huge
workload: { requests: 4, concurrency: 4${sized ? ', tokens: { prompt: 5, output: 5 }' : ''} }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
`);
      const run = real(f, srv.url, ['--max-duration', '60']);
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      const m = run.results().runs[0].variants[0].metrics;
      expect(m.ok).toBe(0);
      expect(m.outcomes.serverError).toBe(4);
      // What the server got written before the client left: the client's first read plus what the
      // sockets' buffers took, never the body (before: 64 MiB of each was read with sizes).
      await closed;
      for (const w of written) expect(w).toBeLessThan(16 << 20);
    }, 60_000);
  }
});

describe('a stream whose usage chunk is not a count', () => {
  /** A stream of 5 content events, then a usage chunk with `completion_tokens: bad`, then [DONE]. */
  const streamWith = (bad: string): Route => (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: string) => `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${delta}}}]}\n\n`;
    res.write(['"a"', '" b"', '" c"', '" d"', '" e"'].map(chunk).join(''));
    res.end(`data: {"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":${bad}}}\n\ndata: [DONE]\n\n`);
  };

  for (const bad of ['-3', '2.5', '1e30', '"5"', 'null', '{}']) {
    it(`completion_tokens: ${bad} → the 5 content events are counted`, async () => {
      const srv = await start({ 'POST /v1/chat/completions': streamWith(bad) });
      const clock = new WallClock(1);
      let got: { outcome: number; output: number; prompt: number } | undefined;
      let replied!: () => void;
      const reply = new Promise<void>((resolve) => (replied = resolve));
      const sink: ReplySink = {
        started: () => {},
        live: () => true,
        reply: (_t, outcome, _r, _l, usage?: Usage) => {
          got = { outcome, output: usage?.outputTokens ?? NaN, prompt: usage?.promptTokens ?? NaN };
          replied();
        },
      };
      const http = new HttpProvider({ ...scenario().providers[0]!, url: `${srv.url}/v1` }, ['sk-hostile-one'], true, { ...scenario().request, stream: true }, clock, sink, { opened: 0 }, { sized: true, stream: true });
      http.send(1, 0, 3, 5, 5);
      await reply;
      await http.close();
      expect(got).toEqual({ outcome: Outcome.ok, output: 5, prompt: 3 });
    });
  }
});

describe('the reset token goes only to a loopback serve the user named', () => {
  it('a provider at 0.0.0.0 (this machine, but not a loopback address) that claims to be a gatesim serve gets no token', async () => {
    const srv = await start({ 'GET /v1/models': claimsServe, 'POST /gatesim/reset': claimsServe, 'POST /v1/chat/completions': completion }, '0.0.0.0');
    const port = new URL(srv.url).port;
    const run = real(file('remote', `
name: remote
workload: { requests: 2, concurrency: 1 }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
`), `http://0.0.0.0:${port}`, [], { GATESIM_RESET_TOKEN: TOKEN });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(run.results().runs[0].variants[0].metrics.ok).toBe(2);
    expect(srv.seen.get('POST /gatesim/reset')).toBeUndefined();
    expect(srv.tokens).toEqual([]);
    expect(r.stderr).toContain(`no reset: GATESIM_RESET_TOKEN goes only to a gatesim serve on loopback (127.0.0.0/8, ::1, localhost), and http://0.0.0.0:${port} is not`);
  }, 60_000);

  it('twelve providers on one serve: each asked, one reset, no Node warning (an AbortSignal holds 10 listeners before Node warns)', async () => {
    const srv = await start({ 'GET /v1/models': claimsServe, 'POST /gatesim/reset': claimsServe, 'POST /v1/chat/completions': completion });
    const providers = Array.from({ length: 12 }, (_, i) => `{ name: p${i}, latency: 10ms, url: "${srv.url}/p${i}/v1" }`).join(', ');
    const f = file('twelve', `
name: twelve
workload: { requests: 12, concurrency: 4 }
keys: { env: GATESIM_KEYS }
providers: [${providers}]
`);
    const r = await real(f, srv.url, ['--set', `providers.0.url=${srv.url}/p0/v1`], { GATESIM_RESET_TOKEN: TOKEN }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen.get('GET /v1/models')).toBe(12);
    expect(srv.seen.get('POST /gatesim/reset')).toBe(1);
    expect(r.stderr).not.toMatch(/Warning/);
  }, 60_000);

  it('the same server at 127.0.0.1 is reset with it', async () => {
    const srv = await start({ 'GET /v1/models': claimsServe, 'POST /gatesim/reset': claimsServe, 'POST /v1/chat/completions': completion });
    const run = real(file('local', `
name: local
workload: { requests: 2, concurrency: 1 }
keys: { env: GATESIM_KEYS }
providers: [{ name: h, latency: 10ms }]
`), srv.url, [], { GATESIM_RESET_TOKEN: TOKEN });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(srv.tokens).toEqual([TOKEN]);
  }, 60_000);
});
