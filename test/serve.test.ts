import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isLoopback, MAX_HEADER_BYTES, serve, type Serving } from '../src/providers/server.js';
import { isGatesimServe, resetServe, RESET_HEADER } from '../src/providers/reset.js';
import { RESET_WRONG_TRIES } from '../src/providers/reset-guard.js';
import { gatesim, gatesimServe, kill, output, track, waitFor } from './helpers/cli.js';
import { scenario } from './helpers/scenario.js';

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
const TOKEN = 'test-reset-token-0123456789';

/** One request over a raw socket: whatever bytes, then whatever came back (the status line's code, or 0 for none). */
function raw(port: number, chunks: (string | Buffer)[], opts: { abortAfter?: number; slow?: boolean } = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    let sent = 0;
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
    const next = (): void => {
      if (opts.abortAfter !== undefined && sent === opts.abortAfter) return void socket.destroy();
      if (sent === chunks.length) return void socket.end();
      socket.write(chunks[sent++]!, () => (opts.slow ? setTimeout(next, 5) : setImmediate(next)));
    };
    socket.on('connect', next);
  });
}

const chat = (url: string, auth: string, path = '/v1/chat/completions') =>
  request(`${url}${path}`, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json', authorization: auth } }).then(async (r) => {
    await r.body.dump();
    return r.statusCode;
  });

describe('gatesim serve: no request stops it', () => {
  let srv: Serving;
  let port: number;
  beforeAll(async () => {
    const s = scenario({}, { latency: { dist: 'constant', value: 1 } });
    srv = await serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 0.01, seed: 1, log: () => {} });
    port = Number(new URL(srv.url).port);
  });
  afterAll(() => srv.close());

  it('answers a malformed percent-escape in the path with 400, and keeps serving', async () => {
    const r = await request(`${srv.url}/%E0%A4%A/v1/chat/completions`, { method: 'POST', body: BODY, headers: { authorization: 'Bearer k' } });
    expect(r.statusCode).toBe(400);
    expect(((await r.body.json()) as { error: { message: string } }).error.message).toBe('Malformed percent-escape in the path.');
    expect(await chat(srv.url, 'Bearer k')).toBe(200);
  });

  it(`answers a head over ${MAX_HEADER_BYTES} bytes with 431 (not a reset), and keeps serving`, async () => {
    const status = await raw(port, [`GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(MAX_HEADER_BYTES + 1)}\r\n\r\n`]);
    expect(status).toBe(431);
    expect(await raw(port, ['GARBAGE\r\n\r\n'])).toBe(400);
    expect(await chat(srv.url, 'Bearer k2')).toBe(200);
    expect(srv.totals().rejected).toBeGreaterThanOrEqual(2);
  });

  it('says it is a gatesim serve on every answer', async () => {
    expect(await isGatesimServe(`${srv.url}/v1`)).toBe(true);
    const r = await request(`${srv.url}/nowhere`);
    await r.body.dump();
    expect(r.statusCode).toBe(404);
    expect(r.headers['x-gatesim-serve']).toBe('1');
  });

  it('survives a few hundred random and malformed requests, then still answers a good one', async () => {
    const line = fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'BREW', 'G E T', '', '\u0000').chain((m) =>
        fc
          .constantFrom('/v1/chat/completions', '/v1/models', '/%E0%A4%A/v1/chat/completions', '/mock/v1/chat/completions', '/%/v1/x', '//', '*', '/gatesim/reset', 'http://x/v1/models', '/v1/chat/completions?%zz')
          .map((p) => `${m} ${p} HTTP/1.1\r\n`),
      ),
      fc.string({ maxLength: 40 }).map((s) => `${s}\r\n`),
    );
    const header = fc.oneof(
      fc.constantFrom('host: x', 'authorization: Bearer k', 'authorization: Bearer', 'authorization: Basic zz', 'content-type: application/json', 'transfer-encoding: chunked', 'content-length: 5', 'content-length: -1', 'content-length: 99999999', 'x-gatesim-reset: nope', ': empty'),
      fc.string({ maxLength: 30 }).map((s) => `x-${s}: v`),
      fc.constant(`x-huge: ${'h'.repeat(20_000)}`),
    );
    const body = fc.oneof(fc.constant(''), fc.constant(BODY), fc.constant('{not json'), fc.constant('{"model": 1}'), fc.constant('[]'), fc.string({ maxLength: 60 }), fc.constant('0\r\n\r\n'));
    const req = fc.record({
      line,
      headers: fc.array(header, { maxLength: 6 }),
      body,
      split: fc.integer({ min: 1, max: 4 }),
      abort: fc.option(fc.nat(3), { nil: undefined }),
      slow: fc.boolean(),
    });
    const samples = fc.sample(req, { numRuns: 300, seed: 42 });
    const statuses = new Map<number, number>();
    // In its own process, an exception escaping a handler ends the server; here it would only be reported.
    const escaped: unknown[] = [];
    const onEscape = (e: unknown): void => void escaped.push(e);
    process.on('uncaughtException', onEscape);
    onTestFinished(() => void process.removeListener('uncaughtException', onEscape));
    // Eight at a time: a slow or abrupt client must not hold up the others either.
    for (let i = 0; i < samples.length; i += 8) {
      const batch = samples.slice(i, i + 8).map((r) => {
        const text = `${r.line}${r.headers.join('\r\n')}${r.headers.length ? '\r\n' : ''}\r\n${r.body}`;
        const size = Math.ceil(text.length / r.split);
        const chunks = Array.from({ length: r.split }, (_, k) => text.slice(k * size, (k + 1) * size));
        return raw(port, chunks, { abortAfter: r.abort, slow: r.slow });
      });
      for (const s of await Promise.all(batch)) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    // Every answer given was a status the server means to give, never a 5xx of its own.
    for (const s of statuses.keys()) expect([0, 200, 400, 401, 404, 405, 408, 413, 429, 431]).toContain(s);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(escaped).toEqual([]);
    expect(await chat(srv.url, 'Bearer after-the-fuzz')).toBe(200);
  }, 60_000);
});

describe('gatesim serve: keys remembered are bounded', () => {
  it('keeps at most maxKeys keys, least recently used out first, and counts the evictions', async () => {
    // One request per hour per key (longer than the test, however slow the machine): a remembered
    // key answers 429, a forgotten one starts afresh.
    const s = scenario({}, { latency: { dist: 'constant', value: 1 }, limit: { count: 1, windowMs: 3_600_000 } });
    const srv = await serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {}, maxKeys: 50 });
    try {
      // 8 KB tokens: what the server keeps per key must not be the header.
      const token = (i: number) => `Bearer ${String(i).padStart(8, '0')}${'x'.repeat(8192)}`;
      expect(await chat(srv.url, token(0))).toBe(200);
      for (let i = 1; i < 50; i++) expect(await chat(srv.url, token(i))).toBe(200);
      // 0 is the least recently used; touching it makes 1 the oldest.
      expect(await chat(srv.url, token(0))).toBe(429);
      expect(await chat(srv.url, token(50))).toBe(200); // evicts 1
      expect(await chat(srv.url, token(0))).toBe(429); // still remembered
      expect(await chat(srv.url, token(1))).toBe(200); // forgotten with its window (evicts 2)
      for (let i = 51; i < 120; i++) expect(await chat(srv.url, token(i))).toBe(200);
      const t = srv.totals().providers.main!;
      expect(t.keys).toBe(50);
      // First sights: 0…119, and 1 a second time after it was forgotten; all but the 50 kept were evicted.
      expect(t.evicted).toBe(121 - 50);
    } finally {
      await srv.close();
    }
  });

  it('refuses a cap outside 1 … 1,000,000', async () => {
    const s = scenario();
    await expect(serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {}, maxKeys: 0 })).rejects.toThrow(/maxKeys must be an integer from 1 to 1000000, got 0/);
  });
});

describe('gatesim serve: reset', () => {
  // One request per hour per key: only a reset lets a second one through during the test.
  const s = scenario({}, { latency: { dist: 'constant', value: 1 }, limit: { count: 1, windowMs: 3_600_000 } });

  it('clears every window and counter for the right token from loopback, and refuses the rest', async () => {
    const srv = await serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {}, resetToken: TOKEN });
    try {
      expect(await chat(srv.url, 'Bearer a')).toBe(200);
      expect(await chat(srv.url, 'Bearer a')).toBe(429);
      const post = (headers: Record<string, string>, method: 'POST' | 'GET' = 'POST') =>
        request(`${srv.url}/gatesim/reset`, { method, headers }).then(async (r) => {
          await r.body.dump();
          return r.statusCode;
        });
      expect(await post({})).toBe(401);
      expect(await post({ [RESET_HEADER]: 'wrong-token-wrong-token' })).toBe(403);
      expect(await post({ [RESET_HEADER]: TOKEN }, 'GET')).toBe(405);
      // Refused resets changed nothing.
      expect(await chat(srv.url, 'Bearer a')).toBe(429);
      expect(await resetServe(`${srv.url}/v1`, 'wrong-token-wrong-token')).toBe('HTTP 403 (wrong token or not from loopback)');
      expect(await resetServe(`${srv.url}/v1`, TOKEN)).toBeNull();
      expect(srv.totals().resets).toBe(1);
      expect(await chat(srv.url, 'Bearer a')).toBe(200);
      expect(await chat(srv.url, 'Bearer a')).toBe(429);
      // Totals still count since start.
      expect(srv.totals().providers.main).toMatchObject({ requests: 5, ok: 2, rateLimited: 3, keys: 1 });
    } finally {
      await srv.close();
    }
  });

  it(`throttles wrong tokens: ${RESET_WRONG_TRIES} a minute, then 429 with retry-after for every reset, the right token's too`, async () => {
    const srv = await serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {}, resetToken: TOKEN });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 200; i++) codes.push(Number((await resetServe(`${srv.url}/v1`, `guess-${i}-0123456789abcdef`))!.slice(5, 8)));
      expect(codes.filter((c) => c === 403)).toHaveLength(RESET_WRONG_TRIES);
      expect(codes.slice(RESET_WRONG_TRIES).every((c) => c === 429)).toBe(true);
      expect(await resetServe(`${srv.url}/v1`, TOKEN)).toBe('HTTP 429 (too many wrong tokens lately)');
      expect(srv.totals().resets).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('refuses a reset token without real entropy', async () => {
    await expect(serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {}, resetToken: 'aaaaaaaaaaaaaaaa' })).rejects.toThrow(
      'resetToken: too easy to guess: about 0 bits of entropy, at least 64 needed',
    );
  });

  it('is off without a token (404)', async () => {
    const srv = await serve(s.providers, { port: 0, host: '127.0.0.1', timeScale: 1, seed: 1, log: () => {} });
    try {
      expect(await resetServe(`${srv.url}/v1`, TOKEN)).toBe('HTTP 404 (reset is off on that server)');
    } finally {
      await srv.close();
    }
  });

  it('tells loopback addresses from others', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '1270.0.0.1', '', undefined]) expect(isLoopback(a), String(a)).toBe(false);
  });

  // A peer that is not loopback: this machine's own non-loopback address, when it has one.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.skipIf(!external)(`refuses a reset from a non-loopback peer with 403${external ? '' : ' (skipped: no non-loopback IPv4 address here)'}`, async () => {
    const srv = await serve(s.providers, { port: 0, host: '0.0.0.0', timeScale: 1, seed: 1, log: () => {}, resetToken: TOKEN });
    try {
      const port = new URL(srv.url).port;
      const r = await request(`http://${external}:${port}/gatesim/reset`, { method: 'POST', headers: { [RESET_HEADER]: TOKEN } });
      expect(((await r.body.json()) as { error: { message: string } }).error.message).toBe('Reset is accepted from loopback only.');
      expect(r.statusCode).toBe(403);
      expect(srv.totals().resets).toBe(0);
    } finally {
      await srv.close();
    }
  });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('gatesim serve: signals', () => {
  it('`npm run serve … &` then `kill $!` stops the server itself, which prints its totals', async () => {
    const npm = spawn('npm', ['run', 'serve', '--', 'scenarios/serve-check.yaml', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(npm);
    onTestFinished(() => kill(npm));
    const exited = new Promise<number | null>((resolve) => npm.on('close', (code) => resolve(code)));
    const [, url, pid] = await waitFor(npm, /listening on (http:\/\/127\.0\.0\.1:\d+) \(time scale 1, pid (\d+)\)/);
    try {
      expect(Number(pid)).not.toBe(npm.pid);
      expect(await chat(url!, 'Bearer k')).toBe(200);
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output(npm)).toMatch(/gatesim serve: stopped; totals: mock: 1 requests, 1 ok, 0 429, 0 5xx, 1 keys/);
      // npm exits after its child: the server is gone too, not left behind.
      expect(alive(Number(pid))).toBe(false);
    } finally {
      if (alive(Number(pid))) process.kill(Number(pid), 'SIGKILL');
    }
  }, 30_000);

  it('Ctrl-C prints the totals too, and the reset token once (none when it comes from the environment)', async () => {
    let p!: ChildProcess;
    const first = gatesim(['serve', 'scenarios/serve-check.yaml', '--port', '0'], { env: { GATESIM_RESET_TOKEN: '' }, onStart: (c) => (p = c) });
    const [, token] = await waitFor(p, /reset token: ([0-9a-f]{32}) /);
    p.kill('SIGINT');
    const stopped = await first;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout + stopped.stderr).toMatch(/gatesim serve: stopped; totals: mock: 0 requests/);
    expect((stopped.stdout + stopped.stderr).split(token!).length - 1).toBe(1);

    const q = await gatesimServe(['scenarios/serve-check.yaml', '--port', '0'], { env: { GATESIM_RESET_TOKEN: TOKEN } });
    const v = await q.stop();
    expect(v.code).toBe(0);
    expect(v.stdout + v.stderr).toContain('gatesim serve: stopped');
    expect(v.stdout + v.stderr).not.toContain('reset token');
    expect(v.stdout + v.stderr).not.toContain(TOKEN);
  }, 30_000);

  it('a bad --max-keys or token is one line and exit 2', async () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => gatesim(['serve', 'scenarios/serve-check.yaml', '--port', '0', ...args], { env });
    const zero = await run(['--max-keys', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr.split('\n')[0]).toBe('gatesim: --max-keys: expected an integer from 1 to 1,000,000, got 0');
    const short = await run([], { GATESIM_RESET_TOKEN: 'short' });
    expect(short.code).toBe(2);
    expect(short.stderr.split('\n')[0]).toBe('gatesim: GATESIM_RESET_TOKEN: expected 16 to 256 letters, digits or . _ ~ -, got 5 characters');
    const weak = await run([], { GATESIM_RESET_TOKEN: 'aaaaaaaaaaaaaaaa' });
    expect(weak.code).toBe(2);
    expect(weak.stderr).toBe(
      'gatesim: GATESIM_RESET_TOKEN: too easy to guess: about 0 bits of entropy, at least 64 needed (repeats and runs such as aaaa or 1234 add none); make one with openssl rand -hex 16\n',
    );
  }, 30_000);
});
