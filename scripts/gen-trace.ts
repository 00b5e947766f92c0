/**
 * A synthetic, bursty LLM request trace in the Azure LLM inference trace's format (2023/2024):
 *
 *   TIMESTAMP,ContextTokens,GeneratedTokens
 *   2024-05-13 00:00:00.4912300,1843,52
 *
 * TIMESTAMP is a UTC date-time with 7 fractional digits of seconds, as Azure's files write it.
 * Deterministic: one seed, one set of options → the same bytes on any machine.
 *
 *   npx tsx scripts/gen-trace.ts [--seed 1] [--hours 3] [--rate 25] [--start 2024-05-13T00:00:00Z] [--out FILE]
 *
 * --seed   integer 0 … 2^31−1: the random streams (arrivals, bursts, sizes each its own) derive from it.
 * --hours  length of the trace, 0.1 … 168 hours; one whole day's cycle is compressed into it.
 * --rate   mean arrival rate over the whole trace, 0.1 … 10,000 requests per minute.
 * --start  the first row's earliest possible time (ISO 8601, UTC).
 * --out    file to write (default: standard output).
 *
 * The arrival process is a Markov-modulated Poisson process under a diurnal curve, drawn by
 * thinning: the rate at time t is base × diurnal(t) × burst(t), where diurnal(t) = 1 − 0.6 cos(2πt/T)
 * over the trace's length T (a night, a day's peak at the middle, a night again) and burst(t)
 * is 1 while calm and 6 during a burst; calm spells last 10 min on average and bursts 1.5 min
 * (both exponential, in trace time), so ~13% of the time is bursty. `base` is set so that the
 * expected mean is --rate. Sizes mix two kinds of traffic: chat (70%: prompts lognormal around
 * 600 tokens, answers around 250) and code (30%: prompts around 2,500, answers around 60), each
 * clipped to a range real traces show.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { stream, type Random } from '../src/sim/random.js';

export interface TraceOptions {
  seed: number;
  hours: number;
  /** Mean requests per minute over the trace. */
  rate: number;
  /** Epoch ms of the trace's start (UTC). */
  startMs: number;
}

export const DEFAULTS: TraceOptions = { seed: 1, hours: 3, rate: 25, startMs: Date.UTC(2024, 4, 13) };

/** The bounds each option is checked against (the usage above states them). */
export const BOUNDS = { seed: [0, 2 ** 31 - 1], hours: [0.1, 168], rate: [0.1, 10_000] } as const;

const DIURNAL = 0.6;
const BURST = 6;
const CALM_MS = 10 * 60_000;
const BURST_MS = 1.5 * 60_000;
/** The long-run mean of burst(t): the share of time in bursts × BURST + the rest × 1. */
const BURST_MEAN = (CALM_MS + BURST * BURST_MS) / (CALM_MS + BURST_MS);

/** The two kinds of request and their size distributions (lognormal: median, sigma of the log; clipped). */
const KINDS = [
  { share: 0.7, prompt: { median: 600, sigma: 0.9, min: 8, max: 8_000 }, output: { median: 250, sigma: 0.6, min: 4, max: 2_000 } },
  { share: 0.3, prompt: { median: 2_500, sigma: 0.7, min: 200, max: 16_000 }, output: { median: 60, sigma: 0.9, min: 1, max: 800 } },
] as const;

const exponential = (r: Random, meanMs: number): number => -Math.log(1 - r()) * meanMs;

/** A standard normal draw (Box–Muller; one of the pair, so each call takes two uniforms). */
function normal(r: Random): number {
  const u = 1 - r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

function size(r: Random, d: { median: number; sigma: number; min: number; max: number }): number {
  return Math.min(d.max, Math.max(d.min, Math.round(d.median * Math.exp(d.sigma * normal(r)))));
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `ms` after the epoch as Azure writes it: `YYYY-MM-DD HH:MM:SS.fffffff` (UTC, 100 ns ticks). */
export function azureTime(ms: number): string {
  const ticks = Math.round(ms * 10_000);
  const whole = Math.floor(ticks / 10_000_000);
  const d = new Date(whole * 1000);
  const frac = ticks - whole * 10_000_000;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(frac, 7)}`;
}

/** The trace as CSV text (header and one line per request, each ending in \n). */
export function generateTrace(o: TraceOptions = DEFAULTS): string {
  const arrivals = stream(o.seed, 'trace:arrivals');
  const bursts = stream(o.seed, 'trace:bursts');
  const sizes = stream(o.seed, 'trace:sizes');
  const spanMs = o.hours * 3_600_000;
  const base = o.rate / 60_000 / BURST_MEAN;
  const lines = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
  let t = 0;
  let bursting = false;
  let switchAt = exponential(bursts, CALM_MS);
  // Thinning within each calm or burst spell: candidates at the spell's highest rate, each kept
  // with probability diurnal(t) ÷ its highest value.
  while (t < spanMs) {
    const top = base * (1 + DIURNAL) * (bursting ? BURST : 1);
    const next = t + exponential(arrivals, 1 / top);
    if (next >= switchAt) {
      t = switchAt;
      bursting = !bursting;
      switchAt = t + exponential(bursts, bursting ? BURST_MS : CALM_MS);
      continue;
    }
    t = next;
    if (t >= spanMs) break;
    const diurnal = 1 - DIURNAL * Math.cos((2 * Math.PI * t) / spanMs);
    if (arrivals() * (1 + DIURNAL) >= diurnal) continue;
    const kind = sizes() < KINDS[0].share ? KINDS[0] : KINDS[1];
    lines.push(`${azureTime(o.startMs + t)},${size(sizes, kind.prompt)},${size(sizes, kind.output)}`);
  }
  return lines.join('\n') + '\n';
}

/** Options from `--name value` arguments; a bad one is one line naming it and what was expected. */
export function parseArgs(argv: readonly string[]): { options: TraceOptions; out: string | undefined } | { error: string } {
  const options = { ...DEFAULTS };
  let out: string | undefined;
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) return { error: `${name}: expected a value after it` };
    if (name === '--out') out = value;
    else if (name === '--start') {
      const ms = Date.parse(value);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) return { error: `--start: expected an ISO 8601 date-time such as 2024-05-13T00:00:00Z, got ${JSON.stringify(value)}` };
      options.startMs = ms;
    } else if (name === '--seed' || name === '--hours' || name === '--rate') {
      const key = name.slice(2) as 'seed' | 'hours' | 'rate';
      const n = Number(value);
      const [lo, hi] = BOUNDS[key];
      if (value.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (key === 'seed' && !Number.isInteger(n))) {
        return { error: `${name}: expected ${key === 'seed' ? 'an integer' : 'a number'} from ${lo} to ${hi}, got ${JSON.stringify(value)}` };
      }
      options[key] = n;
    } else return { error: `${name}: unknown option (expected --seed, --hours, --rate, --start or --out)` };
  }
  return { options, out };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const parsed = parseArgs(process.argv.slice(2));
  if ('error' in parsed) {
    console.error(`gen-trace: ${parsed.error}`);
    process.exit(2);
  }
  const text = generateTrace(parsed.options);
  if (parsed.out) writeFileSync(parsed.out, text);
  else process.stdout.write(text);
}
