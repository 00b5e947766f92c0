import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dimension, Outcome, type DimensionCode, type OutcomeCode } from '../src/core/outcome.js';
import type { Results } from '../src/metrics/results.js';
import { fingerprint } from '../src/modes/real.js';
import { HttpProvider, type HttpOptions } from '../src/providers/http.js';
import type { ReplySink, Usage } from '../src/providers/port.js';
import { serve, type Serving } from '../src/providers/server.js';
import type { Provider, RequestTemplate } from '../src/scenario/types.js';
import { WallClock } from '../src/sim/wall-clock.js';
import { gatesim, gatesimServe, loopDelayProbe, tmp } from './helpers/cli.js';
import { scenario } from './helpers/scenario.js';
import { schemaErrors } from './helpers/schema.js';

/** A reply as the dispatcher would see it, the reused Usage copied at the call. */
interface Reply {
  outcome: OutcomeCode;
  retryAfterMs: number;
  limitedBy: DimensionCode | undefined;
  usage: Usage | undefined;
  at: number;
}

/** The dispatcher's side of the port: what it is told, in order (no HTTP here; the HTTP is real). */
class Sink implements ReplySink {
  readonly replies = new Map<number, Reply>();
  readonly gaps = new Map<number, number[]>();
  readonly sentAt = new Map<number, number>();
  private readonly waiting = new Map<number, (r: Reply) => void>();
  constructor(private readonly clock: WallClock) {}
  started(token: number): void {
    this.sentAt.set(token, this.clock.now());
  }
  live(): boolean {
    return true;
  }
  gap(token: number, ms: number): void {
    this.gaps.set(token, [...(this.gaps.get(token) ?? []), ms]);
  }
  reply(token: number, outcome: OutcomeCode, retryAfterMs: number, limitedBy?: DimensionCode, usage?: Usage): void {
    const r = { outcome, retryAfterMs, limitedBy, usage: usage && { ...usage }, at: this.clock.now() };
    this.replies.set(token, r);
    this.waiting.get(token)?.(r);
  }
  /** Resolves with the reply to `token` once it comes. */
  next(token: number): Promise<Reply> {
    const r = this.replies.get(token);
    return r ? Promise.resolve(r) : new Promise((resolve) => this.waiting.set(token, resolve));
  }
}

const TEMPLATE: RequestTemplate = { model: 'gpt-test', maxTokens: 16, prompt: 'Reply with the word ok.', body: undefined, stream: false };
const KEYS = ['sk-test-one-1234', 'sk-test-two-5678'];

/** An HttpProvider on `url` with a fresh wall clock at `scale` and a recording sink. */
function client(url: string, options: HttpOptions, scale = 1, template: RequestTemplate = TEMPLATE) {
  const clock = new WallClock(scale);
  const sink = new Sink(clock);
  const spec: Provider = { ...scenario().providers[0]!, url };
  const http = new HttpProvider(spec, KEYS, true, { ...template, stream: options.stream }, clock, sink, { opened: 0 }, options);
  return { clock, sink, http };
}

/** Sends one attempt and resolves with its reply. */
function attempt(c: ReturnType<typeof client>, token: number, key: number, prompt: number, output: number, maxTokens: number): Promise<Reply> {
  c.http.send(token, key, prompt, output, maxTokens);
  return c.sink.next(token);
}

const startServe = (over: Partial<Provider>, timeScale: number): Promise<Serving> =>
  serve(scenario({}, over).providers, { port: 0, host: '127.0.0.1', timeScale, seed: 1, log: () => {} });

/** A plain node:http server on loopback that records each request and answers with `answer`. */
async function capture(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('HttpProvider: what it sends', () => {
  it('without sizes or streaming the body is the template as before; with them, P words, max_tokens, the output header, stream with usage', async () => {
    const srv = await capture((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}');
    });
    try {
      const plain = client(srv.url, { sized: false, stream: false });
      expect((await attempt(plain, 1, 0, 0, 0, 0)).outcome).toBe(Outcome.ok);
      expect(JSON.parse(srv.seen[0]!.body)).toEqual({ model: 'gpt-test', max_tokens: 16, messages: [{ role: 'user', content: 'Reply with the word ok.' }] });
      expect(srv.seen[0]!.headers['x-gatesim-output-tokens']).toBeUndefined();
      await plain.http.close();

      const sized = client(srv.url, { sized: true, stream: true });
      // The event-stream answer is not what was asked for here: a JSON answer is read as one.
      expect((await attempt(sized, 1, 1, 1200, 7, 64)).outcome).toBe(Outcome.ok);
      const body = JSON.parse(srv.seen[1]!.body) as { model: string; max_tokens: number; messages: { role: string; content: string }[]; stream: boolean; stream_options: unknown };
      expect(body.model).toBe('gpt-test');
      expect(body.max_tokens).toBe(64);
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
      expect(body.messages).toHaveLength(1);
      expect(body.messages[0]!.content.split(' ')).toHaveLength(1200);
      expect(srv.seen[1]!.headers['x-gatesim-output-tokens']).toBe('7');
      expect(srv.seen[1]!.headers.authorization).toBe(`Bearer ${KEYS[1]}`);
      await sized.http.close();

      // A body of the user's own: sizes replace its prompt and max_tokens, and keep the rest.
      const own = client(srv.url, { sized: true, stream: false }, 1, { ...TEMPLATE, body: { model: 'x', temperature: 0, max_tokens: 1, messages: [] } });
      await attempt(own, 1, 0, 3, 2, 5);
      expect(JSON.parse(srv.seen[2]!.body)).toEqual({ model: 'x', temperature: 0, max_tokens: 5, messages: [{ role: 'user', content: 'tok tok tok' }] });
      await own.http.close();
    } finally {
      await srv.close();
    }
  });
});

describe('HttpProvider against gatesim serve: usage, x-ratelimit, 429 dimensions, streams', () => {
  // Scenario time at 0.1: a 40 ms wall ttft is 400 scenario ms. Quotas per key an hour long (6 min wall).
  const SCALE = 0.1;
  const TTFT = 400;
  const TPOT = 100;
  let srv: Serving;
  beforeAll(async () => {
    srv = await startServe(
      {
        serving: { ttft: { base: TTFT, perPromptToken: 0, perSequence: 0 }, tpot: { base: TPOT, perSequence: 0 }, maxSequences: 16 },
        capacity: 16,
        limit: { count: 3, windowMs: 3_600_000 },
        tokens: { count: 1000, windowMs: 3_600_000 },
        charge: 'reserve',
        // The dimensions and figures of each 429 below, with refusals costing nothing.
        refused: 'free',
      },
      SCALE,
    );
  });
  afterAll(() => srv.close());

  it('a non-streamed answer: the usage serve counted (the prompt words sent, the output asked for) and the quotas left, in scenario time', async () => {
    const c = client(`${srv.url}/v1`, { sized: true, stream: false }, SCALE);
    try {
      const r = await attempt(c, 1, 0, 12, 5, 20);
      expect(r.outcome).toBe(Outcome.ok);
      const u = r.usage!;
      expect([u.promptTokens, u.outputTokens]).toEqual([12, 5]);
      expect(u.firstTokenAt).toBeNaN();
      expect([u.limitRequests, u.remainingRequests, u.limitTokens, u.remainingTokens]).toEqual([3, 2, 1000, 1000 - 17]);
      // The hour's window less what passed since the admission, in scenario ms (the header is wall time ÷ 0.1).
      expect(u.resetRequestsMs).toBeLessThanOrEqual(3_600_000);
      expect(u.resetRequestsMs).toBeGreaterThan(3_600_000 - (r.at - c.sink.sentAt.get(1)!) - 10);
    } finally {
      await c.http.close();
    }
  });

  it('a streamed answer: first token and every gap as they arrive, none early, tokens counted, usage chunk read', async () => {
    const c = client(`${srv.url}/v1`, { sized: true, stream: true }, SCALE);
    try {
      const N = 6;
      const r = await attempt(c, 1, 1, 4, N, 10);
      expect(r.outcome).toBe(Outcome.ok);
      const u = r.usage!;
      const sent = c.sink.sentAt.get(1)!;
      const gaps = c.sink.gaps.get(1)!;
      expect(gaps).toHaveLength(N - 1);
      expect([u.promptTokens, u.outputTokens]).toEqual([4, N]);
      // No token before its time (less the 1 ms wall serve may write early, 10 scenario ms here).
      expect(u.firstTokenAt - sent).toBeGreaterThanOrEqual(TTFT - 10);
      expect(u.firstTokenAt + gaps.reduce((a, b) => a + b, 0) - sent).toBeGreaterThanOrEqual(TTFT + (N - 1) * TPOT - 10);
      expect(u.firstTokenAt).toBeLessThanOrEqual(r.at);
      expect(u.tpotMs).toBeCloseTo(gaps.reduce((a, b) => a + b, 0) / (N - 1), 6);
      // The stream's head carried the quotas as they stood when serving started.
      expect([u.limitRequests, u.remainingRequests]).toEqual([3, 2]);
    } finally {
      await c.http.close();
    }
  });

  it("429s carry their quota's dimension and retry-after: tokens, then requests", async () => {
    const c = client(`${srv.url}/v1`, { sized: true, stream: true }, SCALE);
    try {
      // Key 0 has 983 tokens and 2 requests left: 900 + 100 reserved does not fit.
      const tokens = await attempt(c, 1, 0, 900, 10, 100);
      expect([tokens.outcome, tokens.limitedBy]).toEqual([Outcome.rateLimited, Dimension.tokens]);
      expect(tokens.retryAfterMs).toBeGreaterThan(0);
      expect(tokens.usage!.remainingTokens).toBe(983);
      await attempt(c, 2, 0, 1, 1, 1);
      await attempt(c, 3, 0, 1, 1, 1);
      const requests = await attempt(c, 4, 0, 1, 1, 1);
      expect([requests.outcome, requests.limitedBy, requests.usage!.remainingRequests]).toEqual([Outcome.rateLimited, Dimension.requests, 0]);
    } finally {
      await c.http.close();
    }
  });

  it('a concurrency 429 says concurrent and no retry-after', async () => {
    const held = await startServe({ latency: { dist: 'constant', value: 3_600_000 }, concurrent: 1 }, SCALE);
    const c = client(`${held.url}/v1`, { sized: true, stream: false }, SCALE);
    try {
      c.http.send(1, 0, 1, 1, 1);
      await new Promise<void>((resolve) => {
        const look = (): void => void (held.totals().providers.main!.requests === 1 ? resolve() : setImmediate(look));
        look();
      });
      const r = await attempt(c, 2, 0, 1, 1, 1);
      expect([r.outcome, r.limitedBy, r.retryAfterMs]).toEqual([Outcome.rateLimited, Dimension.concurrent, 0]);
    } finally {
      await c.http.close();
      await held.close();
    }
  });

  it('a stream that breaks off is a serverError: an error event from serve, or a connection cut mid-stream', async () => {
    const failing = await startServe({ serving: { ttft: { base: 10, perPromptToken: 0, perSequence: 0 }, tpot: { base: 10, perSequence: 0 }, maxSequences: 4 }, capacity: 4, failure: 1 }, SCALE);
    const cut = await capture((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"tok"}}]}\n\n', () => res.socket?.destroy());
    });
    const a = client(`${failing.url}/v1`, { sized: true, stream: true }, SCALE);
    const b = client(cut.url, { sized: true, stream: true }, SCALE);
    try {
      expect((await attempt(a, 1, 0, 1, 3, 3)).outcome).toBe(Outcome.serverError);
      const r = await attempt(b, 1, 0, 1, 3, 3);
      expect(r.outcome).toBe(Outcome.serverError);
      // Nothing is said of a broken answer's tokens.
      expect(r.usage?.firstTokenAt ?? NaN).toBeNaN();
    } finally {
      await a.http.close();
      await b.http.close();
      await failing.close();
      await cut.close();
    }
  });
});

describe('sim and real agree with tokens and streaming (serve on loopback, time-scaled)', () => {
  const FILE = 'test/fixtures/real/serve-tokens.yaml';
  const SCALE = 0.2;
  const SECRETS = ['sk-live-TOKENS-alpha-1234', 'sk-live-TOKENS-bravo-5678'];

  it('TTFT p50 and output tokens/s within 15%, 429s by quota within 2, quotas reported per key', async () => {
    const out = tmp('gatesim-real-tokens-');
    const sim = JSON.parse((await gatesim([FILE, '--out', out, '--format', 'json', '-q'])).stdout) as Results;
    const serveDelay = loopDelayProbe();
    const clientDelay = loopDelayProbe();
    const own = await gatesimServe([FILE, '--port', '0', '--time-scale', String(SCALE)], { env: serveDelay.env, node: serveDelay.node });
    let real: Results;
    try {
      const run = await gatesim([FILE, '--mode', 'real', '--time-scale', String(SCALE), '--set', `providers.0.url=${own.url}/v1`, '--out', out, '--format', 'json'], {
        env: { GATESIM_KEYS: SECRETS.join(','), ...clientDelay.env },
        node: clientDelay.node,
      });
      expect(run.code, run.stderr).toBe(0);
      real = JSON.parse(run.stdout) as Results;
      for (const k of SECRETS) expect(run.stdout.includes(k) || run.stderr.includes(k)).toBe(false);
    } finally {
      await own.stop();
    }
    expect(schemaErrors(real)).toBe('');
    const s = sim.runs[0]!.variants[0]!.metrics;
    const r = real.runs[0]!.variants[0]!.metrics;
    // Each token's way from serve to the client waits its turn in both processes' event loops (the
    // serve: reading the request, the token's timer, the write; the client: sending, reading): the
    // slow side of each tolerance is widened by the sum of the two p99 delays measured during the
    // run, in scenario ms — as test/real.test.ts does for latency. The fast side never is.
    // (Arrivals are scheduled from when each was due, so a late timer delays one arrival, not
    // every later one: the run's total time is not widened by the sum of their lateness.)
    const [c, v] = [clientDelay.read(), serveDelay.read()];
    const delay = (c.p99Ms + v.p99Ms) / SCALE;
    const ttft = r.ttftMs!.p50! / s.ttftMs!.p50! - 1;
    const perS = r.tokens!.perS.output! / s.tokens!.perS.output! - 1;
    const slowTtft = delay / s.ttftMs!.p50!;
    const slowPerS = delay / s.totalTimeMs!;
    console.error(
      `serve-tokens at ${SCALE}: TTFT p50 ${s.ttftMs!.p50} sim / ${r.ttftMs!.p50?.toFixed(1)} real ms (${(100 * ttft).toFixed(1)}%; -15% … +${(15 + 100 * slowTtft).toFixed(1)}% allowed), ` +
        `output ${s.tokens!.perS.output} / ${r.tokens!.perS.output?.toFixed(3)} tokens/s (${(100 * perS).toFixed(1)}%; -${(15 + 100 * slowPerS).toFixed(1)}% … +15%), ` +
        `429s requests ${s.rateLimitedBy!.requests} / ${r.rateLimitedBy!.requests}, tokens ${s.rateLimitedBy!.tokens} / ${r.rateLimitedBy!.tokens}, concurrent ${s.rateLimitedBy!.concurrent} / ${r.rateLimitedBy!.concurrent}, ` +
        `ok ${s.ok} / ${r.ok}, TPOT p50 ${s.tpotMs!.p50} / ${r.tpotMs!.p50?.toFixed(1)} ms; total time ${s.totalTimeMs} / ${r.totalTimeMs?.toFixed(0)} ms; loop delay client mean ${c.meanMs.toFixed(2)} ms, p99 ${c.p99Ms.toFixed(1)} ms, serve p99 ${v.p99Ms.toFixed(1)} ms`,
    );
    expect(ttft, 'TTFT p50').toBeGreaterThan(-0.15);
    expect(ttft, 'TTFT p50').toBeLessThan(0.15 + slowTtft);
    expect(perS, 'output tokens/s').toBeLessThan(0.15);
    expect(perS, 'output tokens/s').toBeGreaterThan(-0.15 - slowPerS);
    for (const d of ['requests', 'tokens', 'concurrent'] as const) {
      expect(Math.abs(r.rateLimitedBy![d] - s.rateLimitedBy![d]), `429s by ${d}`).toBeLessThanOrEqual(2);
    }
    // The scenario collects 429s from both quotas: the comparison is not of zeros.
    expect(s.rateLimitedBy!.requests).toBeGreaterThan(0);
    expect(s.rateLimitedBy!.tokens).toBeGreaterThan(0);
    // What serve's x-ratelimit headers said, per key (by fingerprint), as the model's figures say in simulation.
    expect(Object.keys(r.reportedQuota!)).toEqual(SECRETS.map(fingerprint));
    for (const q of Object.values(r.reportedQuota!)) {
      expect([q.limitRequests, q.limitTokens]).toEqual([13, 4500]);
      expect(q.remainingTokens!).toBeLessThan(4500);
    }
    expect(Object.values(s.reportedQuota!).map((q) => [q.limitRequests, q.limitTokens])).toEqual([[13, 4500], [13, 4500]]);
    // Streamed answers were read as streams: gaps between tokens were measured.
    expect(r.itlMs!.p50).not.toBeNull();
  }, 90_000);
});
