/**
 * npm run bench:limiters — the decision cost of every limiter, side by side with
 * rate-limiter-flexible's RateLimiterMemory.consume. Prints three markdown tables: requests
 * (weight 1), tokens (weighted admissions), and a requests + tokens decision.
 *
 * A decision is what the key pool does for one request: 5 keys, least-used choice (the first
 * admissible key with the fewest admissions so far), record on the chosen key; the clock moves
 * 100 ms per call. Weighted decisions ask for a request's tokens, 200…4,000 (a fixed
 * pseudo-random sequence), on one window per key; the requests + tokens decision is the key
 * pool's own (MemoryKeys.take: a requests and a tokens sliding log per key, both must admit). Each row is timed in its own
 * process so that V8's call-site caches see one window class, as in a single simulation run, and
 * not whichever classes ran before it. rate-limiter-flexible reads Date.now and answers with a
 * promise, so it runs on the wall clock, one `consume` per call, awaited: the cost a caller pays.
 *
 * Figures are the median batch time, the best of three processes per row: shared machines run
 * other work, and interference only ever adds time.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Bench } from 'tinybench';
import { choose } from '../src/core/registry.js';
import { createWindow, limiterNames, limiters, type LimiterName } from '../src/limiters/index.js';
import type { Window } from '../src/limiters/window.js';
import { MemoryKeys } from '../src/keys/store/memory.js';
import type { Keys } from '../src/keys/spec.js';
import { stream } from '../src/sim/random.js';
import type { Rate } from '../src/scenario/types.js';

const KEYS = 5;
const BATCH = 1_000;
const STEP_MS = 100;
const ROUNDS = 3;
const RLF = 'rate-limiter-flexible (RateLimiterMemory.consume)';
const MINUTE = 60_000;

const NAMES: readonly string[] = limiterNames;
const make = (name: string, limit: Rate): Window => createWindow(choose(limiters, name as LimiterName), limit);

/** A case: the per-key limits (requests, tokens) and its column label. */
interface Case {
  label: string;
  requests: Rate;
  tokens: Rate;
}

const TABLES = {
  /** Mostly refused (the document's limit: 5 keys × 3/min against 10 calls/s), and always admitting. */
  requests: [
    { label: '3/min per key (mostly refused)', requests: { count: 3, windowMs: MINUTE }, tokens: { count: 1, windowMs: MINUTE } },
    { label: '600/min per key (all admitted)', requests: { count: 600, windowMs: MINUTE }, tokens: { count: 1, windowMs: MINUTE } },
  ],
  /** 5 keys × 40,000 tokens/min against 10 calls/s × ~2,100 tokens: mostly refused; then a limit never reached. */
  tokens: [
    { label: '40,000 tokens/min per key (mostly refused)', requests: { count: 1, windowMs: MINUTE }, tokens: { count: 40_000, windowMs: MINUTE } },
    { label: '10⁹ tokens/min per key (all admitted)', requests: { count: 1, windowMs: MINUTE }, tokens: { count: 1e9, windowMs: MINUTE } },
  ],
  pair: [
    { label: '60/min and 40,000 tokens/min per key (mostly refused)', requests: { count: 60, windowMs: MINUTE }, tokens: { count: 40_000, windowMs: MINUTE } },
    { label: '600/min and 10⁹ tokens/min per key (all admitted)', requests: { count: 600, windowMs: MINUTE }, tokens: { count: 1e9, windowMs: MINUTE } },
  ],
} satisfies Record<string, Case[]>;
type Table = keyof typeof TABLES;

/** Tokens per request: 200…4,000, a fixed sequence (Knuth's multiplicative hash of the index). */
const WEIGHTS = new Float64Array(1_024).map((_, i) => 200 + (Math.imul(i + 1, 2654435761) >>> 0) % 3_801);

/** One key pool's decision loop over plain fields (no closure state, no allocation per call). */
abstract class Decisions {
  protected readonly used = new Float64Array(KEYS);
  protected now = 0;
  protected i = 0;
  admitted = 0;
  calls = 0;
  abstract batch(): void;
}

/** Requests: weight 1 on one window per key. */
class Unit extends Decisions {
  private readonly windows: Window[] = [];
  constructor(name: string, c: Case) {
    super();
    for (let k = 0; k < KEYS; k++) this.windows.push(make(name, c.requests));
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

/** Tokens: a request's weight on one window per key. */
class Weighted extends Decisions {
  private readonly windows: Window[] = [];
  constructor(name: string, c: Case) {
    super();
    for (let k = 0; k < KEYS; k++) this.windows.push(make(name, c.tokens));
  }
  batch(): void {
    for (let i = 0; i < BATCH; i++) {
      this.now += STEP_MS;
      const w = WEIGHTS[this.i++ & 1_023]!;
      let key = -1;
      let best = Infinity;
      for (let k = 0; k < KEYS; k++) {
        if (this.used[k]! < best && this.windows[k]!.admits(this.now, w)) {
          best = this.used[k]!;
          key = k;
        }
      }
      if (key >= 0) {
        this.windows[key]!.record(this.now, w);
        this.used[key]!++;
        this.admitted++;
      }
    }
    this.calls += BATCH;
  }
}

/** Requests + tokens: the key pool's own decision (MemoryKeys.take over a Quota per key: both windows must admit). */
class Pair extends Decisions {
  private readonly keys: MemoryKeys;
  constructor(name: string, c: Case) {
    super();
    const limiter = { type: name, options: {} } as Keys['limiter'];
    const spec: Keys = {
      count: KEYS, limit: c.requests, tokens: c.tokens, charge: 'reserve', guardMs: 0, limiter, choice: 'least-used',
      exclusive: false, wait: { mode: 'notify' }, acquireTimeoutMs: Infinity,
    };
    this.keys = new MemoryKeys(spec, stream(1, 'bench'));
  }
  batch(): void {
    for (let i = 0; i < BATCH; i++) {
      this.now += STEP_MS;
      if (this.keys.take(this.now, WEIGHTS[this.i++ & 1_023]!) >= 0) this.admitted++;
    }
    this.calls += BATCH;
  }
}

const DECISIONS: Record<Table, new (name: string, c: Case) => Decisions> = { requests: Unit, tokens: Weighted, pair: Pair };

interface Figures {
  name: string;
  /** ns per decision and share of calls admitted, per case. */
  cases: { ns: number; admitted: number }[];
}

const nsPerCall = (t: { result?: unknown }): number => {
  const r = t.result as { latency?: { p50: number } };
  return ((r.latency?.p50 ?? NaN) * 1e6) / BATCH;
};

async function measure(table: Table, name: string): Promise<Figures> {
  const bench = new Bench({ time: 1_000, warmup: true });
  const shares: (() => number)[] = [];
  for (const c of TABLES[table]) {
    if (name === RLF) {
      const rl = new RateLimiterMemory({ points: c.requests.count === 3 ? 3 : 1e9, duration: 60 });
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
      const d = new DECISIONS[table](name, c);
      bench.add(c.label, () => d.batch());
      shares.push(() => d.admitted / d.calls);
    }
  }
  await bench.run();
  return { name, cases: bench.tasks.map((t, i) => ({ ns: nsPerCall(t), admitted: shares[i]!() })) };
}

/** Best of ROUNDS processes for one row. */
function row(table: Table, name: string): Figures {
  let best: Figures | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', table, name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${table} ${name}: ${r.stderr}`);
    const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as Figures;
    if (!best) best = f;
    else best.cases.forEach((c, i) => (c.ns = Math.min(c.ns, f.cases[i]!.ns)));
  }
  return best!;
}

function print(table: Table, title: string, rows: Figures[], against?: Figures): void {
  const head = TABLES[table].map((c) => `${c.label}: ns / decision (admitted${against ? ', × faster than RLF' : ''})`);
  console.log(`\n${title}\n`);
  console.log(`| limiter | ${head.join(' | ')} |`);
  console.log(`| --- |${TABLES[table].map(() => ' ---: |').join('')}`);
  for (const r of rows) {
    const cells = r.cases.map((c, i) => {
      const share = `${(c.admitted * 100).toFixed(1)}%`;
      const ratio = against && r !== against ? `, ${(against.cases[i]!.ns / c.ns).toFixed(0)}×` : '';
      return `${c.ns.toFixed(1)} (${share}${ratio})`;
    });
    console.log(`| ${r.name} | ${cells.join(' | ')} |`);
  }
}

const one = process.argv.indexOf('--one');
if (one >= 0) {
  console.log(JSON.stringify(await measure(process.argv[one + 1] as Table, process.argv[one + 2]!)));
} else {
  const only = process.argv[2] as Table | undefined;
  console.log(`Decision cost: ${KEYS} keys, least-used, clock +${STEP_MS} ms per call, batches of ${BATCH.toLocaleString('en')} (tinybench median, best of ${ROUNDS} processes).`);
  if (!only || only === 'requests') {
    const rows = [...NAMES, RLF].map((n) => row('requests', n));
    print('requests', 'Requests (weight 1):', rows, rows.find((r) => r.name === RLF));
  }
  if (!only || only === 'tokens') {
    const weighted = NAMES.filter((n) => make(n, { count: 1, windowMs: 1 }).weighted);
    print('tokens', 'Tokens (weights 200…4,000 on one window per key):', weighted.map((n) => row('tokens', n)));
  }
  if (!only || only === 'pair') {
    print('pair', 'Requests + tokens (the key pool’s decision, MemoryKeys.take: two sliding logs per key, both must admit; aim ≤ 60 ns):', [row('pair', 'sliding-log')]);
  }
}
