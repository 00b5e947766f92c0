/**
 * npm run bench:limiters — the decision cost of every limiter, side by side with
 * rate-limiter-flexible's RateLimiterMemory.consume. Prints a markdown table.
 *
 * A decision is what the key pool does for one request: 5 keys, least-used choice (the first
 * admissible key with the fewest admissions so far), record on the chosen key; the clock moves
 * 100 ms per call. Each limiter is timed in its own process so that V8's call-site caches see one
 * window class, as in a single simulation run, and not whichever classes ran before it.
 * rate-limiter-flexible reads Date.now and answers with a promise, so it runs on the wall clock,
 * one `consume` per call, awaited: the cost a caller pays.
 *
 * Figures are the median batch time, the best of three processes per limiter: shared machines
 * run other work, and interference only ever adds time.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Bench } from 'tinybench';
import { choose } from '../src/core/registry.js';
import { createWindow, limiterNames, limiters, type LimiterName } from '../src/limiters/index.js';
import type { Window } from '../src/limiters/window.js';
import type { Rate } from '../src/scenario/types.js';

const KEYS = 5;
const BATCH = 1_000;
const STEP_MS = 100;
/** Mostly refused (the document's limit: 5 keys × 3/min against 10 calls/s), and always admitting. */
const CASES = [
  { label: '3/min per key (mostly refused)', limit: { count: 3, windowMs: 60_000 } },
  { label: '600/min per key (all admitted)', limit: { count: 600, windowMs: 60_000 } },
] as const;
const RLF = 'rate-limiter-flexible (RateLimiterMemory.consume)';

/** One key pool's decision loop over plain fields (no closure state, no allocation per call). */
class Decisions {
  private readonly windows: Window[] = [];
  private readonly used = new Float64Array(KEYS);
  private now = 0;
  admitted = 0;
  calls = 0;

  constructor(type: string, limit: Rate) {
    for (let k = 0; k < KEYS; k++) this.windows.push(createWindow(choose(limiters, type as LimiterName), limit));
  }

  batch(): void {
    for (let i = 0; i < BATCH; i++) {
      this.now += STEP_MS;
      let key = -1;
      let best = Infinity;
      for (let k = 0; k < KEYS; k++) {
        if (this.used[k]! < best && this.windows[k]!.admits(this.now)) {
          best = this.used[k]!;
          key = k;
        }
      }
      if (key >= 0) {
        this.windows[key]!.record(this.now);
        this.used[key]!++;
        this.admitted++;
      }
    }
    this.calls += BATCH;
  }
}

interface Figures {
  name: string;
  /** ns per decision and share of calls admitted, per case. */
  cases: { ns: number; admitted: number }[];
}

const nsPerCall = (t: { result?: unknown }): number => {
  const r = t.result as { latency?: { p50: number } };
  return ((r.latency?.p50 ?? NaN) * 1e6) / BATCH;
};
const ROUNDS = 3;

async function measure(name: string): Promise<Figures> {
  const bench = new Bench({ time: 1_000, warmup: true });
  const shares: (() => number)[] = [];
  for (const c of CASES) {
    if (name === RLF) {
      const rl = new RateLimiterMemory({ points: c.limit.count === 3 ? 3 : 1e9, duration: 60 });
      const keys = Array.from({ length: KEYS }, (_, k) => `key-${k}`);
      const n = { admitted: 0, calls: 0 };
      bench.add(c.label, async () => {
        for (let i = 0; i < BATCH; i++) {
          try {
            await rl.consume(keys[i % KEYS]!);
            n.admitted++;
          } catch {
            // refused: RateLimiterRes as the rejection
          }
        }
        n.calls += BATCH;
      });
      shares.push(() => n.admitted / n.calls);
    } else {
      const d = new Decisions(name, c.limit);
      bench.add(c.label, () => d.batch());
      shares.push(() => d.admitted / d.calls);
    }
  }
  await bench.run();
  return { name, cases: bench.tasks.map((t, i) => ({ ns: nsPerCall(t), admitted: shares[i]!() })) };
}

const one = process.argv.indexOf('--one');
if (one >= 0) {
  console.log(JSON.stringify(await measure(process.argv[one + 1]!)));
} else {
  const rows: Figures[] = [];
  for (const name of [...limiterNames, RLF]) {
    let best: Figures | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', name], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
      const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as Figures;
      if (!best) best = f;
      else best.cases.forEach((c, i) => (c.ns = Math.min(c.ns, f.cases[i]!.ns)));
    }
    rows.push(best!);
  }
  const rlf = rows.find((r) => r.name === RLF)!;
  const head = CASES.map((c) => `${c.label}: ns / decision (admitted, × faster than RLF)`);
  console.log(`Decision cost: ${KEYS} keys, least-used, clock +${STEP_MS} ms per call, batches of ${BATCH.toLocaleString('en')} (tinybench median, best of ${ROUNDS} processes).\n`);
  console.log(`| limiter | ${head.join(' | ')} |`);
  console.log(`| --- |${CASES.map(() => ' ---: |').join('')}`);
  for (const r of rows) {
    const cells = r.cases.map((c, i) => {
      const share = `${(c.admitted * 100).toFixed(1)}%`;
      const ratio = r === rlf ? '' : `, ${(rlf.cases[i]!.ns / c.ns).toFixed(0)}×`;
      return `${c.ns.toFixed(1)} (${share}${ratio})`;
    });
    console.log(`| ${r.name} | ${cells.join(' | ')} |`);
  }
}
