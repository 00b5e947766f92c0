import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../src/metrics/results.js';
import { fingerprint } from '../src/modes/real.js';
import { tablesOf, toText } from '../src/report/table.js';
import { gatesim, gatesimServe, loopDelayProbe, tmp } from './helpers/cli.js';
import { schemaErrors } from './helpers/schema.js';

/**
 * A short trace with bursts, two tenants each with its own key, replayed at its own times in
 * simulation and for real against `gatesim serve` at a time scale. The client's limit (2 per 4 s
 * per key) makes the bursts wait; the waits follow from the rows' times alone.
 */
const ROWS: [number, string, number, number][] = [
  [0, 'a', 120, 20], [0.1, 'a', 80, 10], [0.2, 'a', 300, 40], [0.3, 'b', 50, 5], [0.4, 'a', 90, 12],
  [0.5, 'b', 60, 8], [0.6, 'b', 70, 9], [3, 'a', 100, 10], [3.2, 'b', 40, 4], [6, 'a', 60, 6],
  [6.1, 'a', 60, 6], [6.2, 'b', 60, 6], [9, 'b', 30, 3], [9.05, 'b', 30, 3], [9.1, 'a', 30, 3], [9.15, 'b', 30, 3],
];
const SCALE = 0.5;
const SECRETS = ['sk-live-TRACE-alpha-1234', 'sk-live-TRACE-bravo-5678'];

describe('real mode replays a trace at the wall clock (serve on loopback, time-scaled)', () => {
  it('the same arrivals, routes and key waits as the simulation, drift measured and reported', async () => {
    const dir = tmp('gatesim-real-trace-');
    writeFileSync(join(dir, 't.csv'), `t,who,in,out\n${ROWS.map((r) => r.join(',')).join('\n')}\n`);
    const file = join(dir, 'trace.yaml');
    writeFileSync(file, `name: trace-real
seed: 3
workload:
  trace: { file: t.csv, columns: { time: t, tenant: who, prompt: in, output: out }, tenants: { a: 1, b: 2 } }
keys: { count: 2, env: GATESIM_KEYS, limit: 2/4s }
providers:
  - { name: llm, latency: 300ms }
`);
    const out = join(dir, 'out');
    const simRun = await gatesim([file, '--out', out, '--format', 'json', '-q']);
    expect(simRun.code, simRun.stderr).toBe(0);
    const sim = JSON.parse(simRun.stdout) as Results;
    const serveDelay = loopDelayProbe();
    const clientDelay = loopDelayProbe();
    const own = await gatesimServe([file, '--port', '0', '--time-scale', String(SCALE)], { env: serveDelay.env, node: serveDelay.node });
    let real: Results;
    let stdout: string;
    try {
      const run = await gatesim([file, '--mode', 'real', '--time-scale', String(SCALE), '--set', `providers.0.url=${own.url}/v1`, '--out', out, '--format', 'json'], {
        env: { GATESIM_KEYS: SECRETS.join(','), ...clientDelay.env },
        node: clientDelay.node,
      });
      expect(run.code, run.stderr).toBe(0);
      stdout = run.stdout;
      real = JSON.parse(run.stdout) as Results;
    } finally {
      await own.stop();
    }
    for (const k of SECRETS) expect(stdout.includes(k)).toBe(false);
    expect(schemaErrors(real)).toBe('');
    const s = sim.runs[0]!.variants[0]!.metrics;
    const r = real.runs[0]!.variants[0]!.metrics;
    // Counts: every row sent, and each tenant's rows on its own key (a: key 1, b: key 2).
    expect(s.requests).toBe(ROWS.length);
    expect(r.requests).toBe(ROWS.length);
    expect(r.ok).toBe(s.ok);
    const perTenant = (who: string) => ROWS.filter((x) => x[1] === who).length;
    expect(Object.values(s.keys).map((k) => k.admitted)).toEqual([perTenant('a'), perTenant('b')]);
    expect(Object.keys(r.keys)).toEqual(SECRETS.map(fingerprint));
    expect(Object.values(r.keys).map((k) => k.admitted)).toEqual([perTenant('a'), perTenant('b')]);
    // Drift: measured for every arrival, reported in results.json; the simulation has none.
    expect(s.arrivalDriftMs).toBeUndefined();
    const d = r.arrivalDriftMs!;
    expect(d.arrivals).toBe(ROWS.length);
    expect(d.p50!).toBeLessThanOrEqual(d.p99!);
    expect(d.p99!).toBeLessThanOrEqual(d.max!);
    // Timers may fire up to a millisecond early (Node rounds them), never more.
    expect(d.p50!).toBeGreaterThan(-2 / SCALE);
    // The waits come from the rows' times: mean key wait and latency p50 within the tolerances of
    // the other sim↔real tests (15%), the slow side widened by the loop delays measured during the
    // run (as test/real-tokens.test.ts does), and by the drift measured (a late arrival is late
    // for its key too).
    const [c, v] = [clientDelay.read(), serveDelay.read()];
    const slow = (c.p99Ms + v.p99Ms) / SCALE + Math.max(0, d.max!);
    const wait = r.phasesMs.keyWait.mean! - s.phasesMs.keyWait.mean!;
    const p50 = r.latencyMs.p50! - s.latencyMs.p50!;
    console.error(
      `trace at ${SCALE}: key wait mean ${s.phasesMs.keyWait.mean} sim / ${r.phasesMs.keyWait.mean?.toFixed(1)} real ms, latency p50 ${s.latencyMs.p50} / ${r.latencyMs.p50?.toFixed(1)} ms, ` +
        `drift p50 ${d.p50} p99 ${d.p99} max ${d.max} ms; loop delay client p99 ${c.p99Ms.toFixed(1)}, serve p99 ${v.p99Ms.toFixed(1)} wall ms`,
    );
    expect(s.phasesMs.keyWait.mean!).toBeGreaterThan(1000);
    expect(wait).toBeGreaterThan(-0.15 * s.phasesMs.keyWait.mean!);
    expect(wait).toBeLessThan(0.15 * s.phasesMs.keyWait.mean! + slow);
    expect(p50).toBeGreaterThan(-0.15 * s.latencyMs.p50!);
    expect(p50).toBeLessThan(0.15 * s.latencyMs.p50! + slow);
    // The text summary shows the drift in real mode, not in simulation.
    expect(tablesOf(real).map((t) => toText(t)).join('\n')).toMatch(/arrival drift p99/);
    expect(tablesOf(sim).map((t) => toText(t)).join('\n')).not.toMatch(/arrival drift/);
  }, 90_000);

  it('a tenant naming a key beyond the keys of keys.env is one line before anything is sent', async () => {
    const dir = tmp('gatesim-real-trace-');
    writeFileSync(join(dir, 't.csv'), 't,who\n0,a\n1,b\n');
    const file = join(dir, 'trace.yaml');
    writeFileSync(file, 'name: few\nworkload: { trace: { file: t.csv, columns: { time: t, tenant: who }, tenants: { a: 1, b: 2 } } }\nkeys: { count: 2, env: GATESIM_KEYS }\nproviders: [{ name: llm, latency: 1ms }]\n');
    const run = await gatesim([file, '--mode', 'real', '--set', 'providers.0.url=http://127.0.0.1:9/v1', '--out', join(dir, 'out')], { env: { GATESIM_KEYS: SECRETS[0]! } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/workload\.trace: the trace's tenants take keys up to number 2, but GATESIM_KEYS holds 1/);
    expect(run.stderr.includes(SECRETS[0]!)).toBe(false);
  }, 30_000);
});
