/**
 * The command line of real mode over several machines: `--shard I/N --start-at EPOCH_MS` on a real
 * run, and `gatesim merge SHARD.json…` (docs/distributed-real.md). Kept apart from cli.ts, which
 * calls these three functions.
 */
import { join, relative } from 'node:path';
import { printErr, reportDir, writeAll } from './core/output.js';
import type { Results } from './metrics/results.js';
import { RealModeError } from './modes/errors.js';
import { mergeShards } from './modes/merge.js';
import type { RealOptions } from './modes/real.js';
import { epochNow, MAX_SHARDS, MAX_START_AHEAD_MS, runShard, shardText, type Lateness } from './modes/shard.js';
import type { Plan } from './scenario/types.js';

/** Which shard to run: `index` from 0. */
export interface ShardFlags {
  index: number;
  count: number;
  startAt: number;
}

interface ShardArgs {
  shard?: string | undefined;
  startAt?: number | undefined;
  mode: string;
  out: string;
  file: string;
  quiet: boolean;
}

/** `--shard I/N` and `--start-at` checked (both or neither, real mode only, a start in the future): the shard, or undefined without them. */
export function checkShardFlags(argv: ShardArgs): ShardFlags | undefined {
  if (argv.shard === undefined && argv.startAt === undefined) return undefined;
  const raw = Array.isArray(argv.shard) ? String(argv.shard.at(-1)) : argv.shard;
  if (argv.mode !== 'real') throw new RealModeError('--shard and --start-at: only with --mode real (a simulation needs no shards)');
  if (raw === undefined) throw new RealModeError('--start-at: only with --shard I/N');
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && index <= count && count <= MAX_SHARDS)) throw new RealModeError(`--shard: expected I/N with 1 ≤ I ≤ N ≤ ${MAX_SHARDS}, such as 1/2, got ${raw}`);
  const at = Array.isArray(argv.startAt) ? Number(argv.startAt.at(-1)) : argv.startAt;
  if (at === undefined) throw new RealModeError('--shard: needs --start-at EPOCH_MS, the instant every shard starts sending');
  if (!Number.isFinite(at)) throw new RealModeError(`--start-at: expected epoch milliseconds, got ${String(at)}`);
  const now = epochNow();
  if (at <= now) throw new RealModeError(`--start-at: ${new Date(at).toISOString()} is ${((now - at) / 1000).toFixed(3)} s in the past (expected a time ahead, epoch ms)`);
  if (at - now > MAX_START_AHEAD_MS) throw new RealModeError(`--start-at: ${new Date(at).toISOString()} is more than a week ahead (expected epoch milliseconds, such as $(( $(date +%s%3N) + 30000 )))`);
  return { index: index - 1, count, startAt: at };
}

const ms = (x: number | null): string => (x === null ? '–' : x.toFixed(1));
const lateText = (l: Lateness): string => `lateness p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms`;

/**
 * Runs one shard and writes OUT/<scenario>/shard-I-of-N.json; says where, and how late it sent.
 * Returns true when a signal cut it short (the file is still written, marked interrupted).
 */
export async function shardFile(argv: ShardArgs, plan: Plan, shard: ShardFlags, opts: RealOptions, header: Omit<Results, 'runs'>): Promise<boolean> {
  const f = await runShard(plan, opts, shard, header);
  const name = `shard-${shard.index + 1}-of-${shard.count}.json`;
  const [path] = writeAll(reportDir(argv.out, argv.file), { [name]: shardText(f) });
  if (!argv.quiet) {
    const off = f.clock.offset ? `, clock offset ${f.clock.offset.ms.toFixed(2)} ± ${f.clock.offset.errorMs.toFixed(2)} ms against Redis` : '';
    printErr(`shard ${shard.index + 1}/${shard.count}: ${f.facts.id.length} requests, started ${f.clock.startLateMs.toFixed(1)} ms late, ${lateText(f.lateness)}${off}\nwrote ${relative(process.cwd(), path ?? join(argv.out, name))}\n`);
  }
  return f.interrupted;
}

/** `gatesim merge`: the merged results, or one line (RealModeError) on shards that do not make one run. */
export function mergeFiles(paths: readonly string[]): Results {
  return mergeShards(paths);
}
