import { readFileSync } from 'node:fs';
import { checkGoal, type Goal } from '../metrics/goal.js';
import type { Results, ShardsReport, VariantResult } from '../metrics/results.js';
import { mergeFacts } from '../metrics/shard-facts.js';
import { variantResult } from '../metrics/variant.js';
import { RealModeError } from './errors.js';
import { latenessOf, MAX_SHARDS, type ShardFile } from './shard.js';

/** Shard files that cannot make one report: one line (`gatesim merge: …`), exit 2. */
export class MergeError extends RealModeError {
  constructor(message: string) {
    super(`gatesim merge: ${message}`);
  }
}

/** Largest shard file merge reads (a million requests' records are about 100 MB). */
export const MAX_SHARD_FILE_BYTES = 1_000_000_000;

/** A shard file from disk, or one line saying why it is not one. */
export function readShard(path: string): ShardFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MergeError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.length > MAX_SHARD_FILE_BYTES) throw new MergeError(`${path}: larger than ${MAX_SHARD_FILE_BYTES / 1e6} MB (expected a shard file written by gatesim --shard)`);
  let f: unknown;
  try {
    f = JSON.parse(text);
  } catch {
    throw new MergeError(`${path}: not JSON (expected a shard file written by gatesim --shard)`);
  }
  const s = f as Partial<ShardFile> | null;
  if (s === null || typeof s !== 'object' || s.schema !== 'gatesim.shard/v1') throw new MergeError(`${path}: not a gatesim shard file (expected "schema": "gatesim.shard/v1")`);
  if (!s.shard || !s.scenario || !s.facts || !s.header || !s.clock || !Array.isArray(s.lateMs) || !Array.isArray(s.facts.id)) {
    throw new MergeError(`${path}: a gatesim.shard/v1 file without its shard, scenario, clock, lateMs or facts (expected a file written by gatesim --shard)`);
  }
  return s as ShardFile;
}

/** Checks that the shards are all of one run and all there; one line naming the first disagreement. */
function checkShards(files: readonly { path: string; f: ShardFile }[]): void {
  const [a, ...rest] = files;
  const same: [string, (f: ShardFile) => unknown][] = [
    ['scenario', (f) => f.scenario.name],
    ['scenario hash', (f) => f.scenario.hash],
    ['seed', (f) => f.scenario.seed],
    ['variant', (f) => `${f.scenario.run} / ${f.scenario.variant}`],
    ['shard count N', (f) => f.shard.count],
    ['time scale', (f) => f.timeScale],
    ['start time', (f) => f.startAt],
    ['keys (fingerprints)', (f) => f.facts.scenario.keyNames.join(',')],
  ];
  for (const b of rest) {
    for (const [what, get] of same) {
      if (get(a!.f) !== get(b.f)) throw new MergeError(`${a!.path} and ${b.path} are not shards of one run: ${what} ${String(get(a!.f))} vs ${String(get(b.f))}`);
    }
  }
  const n = a!.f.shard.count;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) throw new MergeError(`${a!.path}: shard count ${String(n)} (expected 1 to ${MAX_SHARDS})`);
  const seen = new Map<number, string>();
  for (const { path, f } of files) {
    const i = f.shard.index;
    if (!Number.isInteger(i) || i < 1 || i > n) throw new MergeError(`${path}: shard ${String(i)} of ${n} (expected 1 to ${n})`);
    if (seen.has(i)) throw new MergeError(`${path} and ${seen.get(i)!} are both shard ${i} of ${n}`);
    seen.set(i, path);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new MergeError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${n}: the report would leave out their requests`);
  const total = a!.f.scenario.requests;
  const ids = new Uint8Array(total);
  for (const { path, f } of files) {
    for (const id of f.facts.id) {
      if (!Number.isInteger(id) || id < 0 || id >= total) throw new MergeError(`${path}: request id ${String(id)} outside 0…${total - 1}`);
      if (ids[id]) throw new MergeError(`${path}: request ${id} is in another shard too`);
      ids[id] = 1;
    }
  }
}

/**
 * One results.json from every shard of a run: the records merged by request id and built into the
 * same results a single process writes (variantResult), plus `shards`: each shard's clock offset
 * and lateness. A shard that knew its offset against the key pool's Redis TIME started at
 * --start-at on Redis's clock; without Redis, on its own (the clocks are then taken as synchronised).
 */
export function mergeShards(paths: readonly string[]): Results {
  if (paths.length === 0) throw new MergeError('expected one or more shard files');
  return mergeShardFiles(paths.map((path) => ({ path, f: readShard(path) })));
}

/**
 * `mergeShards` on shard files already parsed (a queue's messages, say), each named by `path` in
 * what the checks say. They are checked as from disk only for agreement, not for shape.
 */
export function mergeShardFiles(files: { path: string; f: ShardFile }[]): Results {
  if (files.length === 0) throw new MergeError('expected one or more shard files');
  checkShards(files);
  const shards = [...files].sort((x, y) => x.f.shard.index - y.f.shard.index).map((x) => x.f);
  const first = shards[0]!;
  // Every shard started at --start-at on its own time line (Redis's, or its own clock's): records
  // count from that instant in each, so they line up as they are.
  const timed = shards.every((s) => s.clock.offset !== null);
  const end = mergeFacts(
    shards.map((s) => s.facts),
    first.scenario.requests,
    shards.map(() => 0),
  );
  const h = first.header;
  const result: VariantResult = {
    ...variantResult(first.variant.name, end),
    cooldown: { ms: 0, wallMs: 0, by: 'none' },
    ...(shards.some((s) => s.truncated) ? { truncated: true as const } : {}),
    ...(first.variant.condition ? { condition: true as const } : {}),
    ...(first.variant.oracle ? { oracle: true as const } : {}),
  };
  const { text: _text, ...goal } = h.goal!;
  const report: ShardsReport = {
    count: first.shard.count,
    startAt: first.startAt,
    offsetMethod: timed ? 'redis-time' : 'none',
    lateness: stats(latenessOf(shards.flatMap((s) => s.lateMs))),
    shards: shards.map((s) => ({
      index: s.shard.index,
      requests: s.facts.id.length,
      startedAt: s.clock.startedAt,
      startLateMs: s.clock.startLateMs,
      offsetMs: s.clock.offset?.ms ?? null,
      offsetErrorMs: s.clock.offset?.errorMs ?? null,
      offsetAfterMs: s.clock.offsetAfter?.ms ?? null,
      lateness: stats(s.lateness),
    })),
  };
  return {
    ...h,
    ...(shards.some((s) => s.interrupted) ? { partial: true } : {}),
    ...(shards.some((s) => s.degraded) ? { degraded: true as const } : {}),
    runs: [{ name: first.run.name, ...(first.run.point ? { point: first.run.point } : {}), variants: [{ ...result, goal: checkGoal(goal as Goal, result.metrics) }] }],
    shards: report,
  };
}

const stats = (l: { p50: number | null; p99: number | null; max: number | null }): ShardsReport['lateness'] => ({ p50: l.p50, p99: l.p99, max: l.max });
