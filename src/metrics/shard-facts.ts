import type { F64Column, I32Column, U8Column } from '../core/typed.js';
import type { KeyPoolStats } from '../keys/key-pool.js';
import type { StoreReport } from '../keys/store/store.js';
import type { ConnectionStats, HealthChange, ProviderStats } from './facts.js';
import { Recorder } from './recorder.js';
import type { RunEnd } from './variant.js';

/**
 * What one shard of a real run measured, as JSON: the recorder's columns for its own requests
 * (merged by request id) and its logs, and the counters of its key pool, health checks,
 * connections and providers (merged by adding up). Times are scenario ms on the shard's own clock,
 * rounded to the microsecond; NaN (not measured) is null. Only what variantResult reads travels,
 * so a merge builds the report with the very code a single process uses.
 */
export interface ShardFacts {
  /** Requests that had their final outcome (the others were never started: an interrupted run). */
  finished: number;
  /** Global request id of each record (the columns below are in this order). */
  id: number[];
  arrival: number[];
  end: number[];
  outcome: number[];
  attempts: number[];
  /** Time per phase: keyWait, providerQueue, connect, service, retryWait. */
  phases: [number[], number[], number[], number[], number[]];
  /** The attempt log: start, end, key, provider, outcome. */
  attemptLog: { start: number[]; end: number[]; key: number[]; provider: number[]; outcome: number[] };
  /** The admission log: when, which key. */
  admissions: { at: number[]; key: number[] };
  keyRateLimited: number[];
  tokens?: {
    prompt: number[];
    output: number[];
    ttft: (number | null)[];
    tpot: (number | null)[];
    gapMs: number[];
    gapCount: number[];
    usedAt: number[];
    usedKey: number[];
    usedTokens: number[];
    usedAdmission: number[];
    limitedBy: number[];
    reservedUnused: number;
    quota: (number | null)[];
  };
  pool: { admitted: number[]; stats: KeyPoolStats };
  health: { changes: HealthChange[]; checksSent: number[]; unhealthyMs: number[] };
  connections: ConnectionStats;
  providers: ProviderStats[];
  endMs: number;
  /** The parts of a run's end that come from the scenario (the same in every shard). */
  scenario: Pick<RunEnd, 'keyNames' | 'providerNames' | 'workers' | 'faults' | 'tokenQuota' | 'slo' | 'keyLimit' | 'adaptive'>;
}

/** Scenario ms as stored: to the microsecond. */
const us = (ms: number): number => Math.round(ms * 1000) / 1000;
const nums = (a: ArrayLike<number>, f: (x: number) => number = (x) => x): number[] => Array.from(a, f);
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);
const fromNull = (x: number | null): number => (x === null ? NaN : x);

/**
 * A shard's facts from its run's end: the records of its `size` requests (local ids 0…size−1, whose
 * global ids `globalId` gives), times less `origin` (the clock's time of the shared start), so
 * they count from it.
 */
export function encodeFacts(e: RunEnd, size: number, globalId: (local: number) => number, origin: number): ShardFacts {
  const r = e.recorder;
  const t = (x: number): number => us(x - origin);
  const ids = Array.from({ length: size }, (_, j) => j);
  const col = (a: ArrayLike<number>, f: (x: number) => number = (x) => x): number[] => ids.map((j) => f(a[j]!));
  const tk = r.tokens;
  const p = e.providerNames.length;
  const view = <C extends F64Column | I32Column | U8Column>(c: C, f?: (x: number) => number): number[] => nums(c.view().subarray(0, c.length), f);
  return {
    finished: r.finished,
    id: ids.map(globalId),
    arrival: col(r.arrival, t),
    end: col(r.end, t),
    outcome: col(r.outcome),
    attempts: col(r.attempts),
    phases: [col(r.phases[0], us), col(r.phases[1], us), col(r.phases[2], us), col(r.phases[3], us), col(r.phases[4], us)],
    attemptLog: { start: view(r.attemptStart, t), end: view(r.attemptEnd, t), key: view(r.attemptKey), provider: view(r.attemptProvider), outcome: view(r.attemptOutcome) },
    admissions: { at: view(r.admissionAt, t), key: view(r.admissionKey) },
    keyRateLimited: nums(r.keyRateLimited),
    ...(tk
      ? {
          tokens: {
            prompt: col(tk.prompt),
            output: col(tk.output),
            ttft: ids.map((j) => orNull(us(tk.ttft[j]!))),
            tpot: ids.map((j) => orNull(us(tk.tpot[j]!))),
            gapMs: view(tk.gapMs, us),
            gapCount: view(tk.gapCount),
            usedAt: view(tk.usedAt, t),
            usedKey: view(tk.usedKey),
            usedTokens: view(tk.usedTokens),
            usedAdmission: view(tk.usedAdmission),
            limitedBy: nums(tk.limitedBy),
            reservedUnused: tk.reservedUnused,
            quota: nums(tk.quota).map(orNull),
          },
        }
      : {}),
    pool: { admitted: nums(e.pool.admitted), stats: { ...e.pool.stats, ...(e.pool.stats.store ? { store: { ...e.pool.stats.store } } : {}) } },
    health: {
      changes: e.health.changes.map((c) => ({ ...c, atMs: t(c.atMs) })),
      checksSent: nums(e.health.checksSent),
      unhealthyMs: Array.from({ length: p }, (_, i) => us(e.health.unhealthyMs(i, e.endMs))),
    },
    connections: { ...e.connections },
    providers: e.providers.map((s) => ({ ...s })),
    endMs: t(e.endMs),
    scenario: {
      keyNames: e.keyNames,
      providerNames: e.providerNames,
      workers: e.workers,
      faults: e.faults,
      tokenQuota: e.tokenQuota,
      ...(e.slo ? { slo: e.slo } : {}),
      keyLimit: e.keyLimit,
      adaptive: e.adaptive,
    },
  };
}

/** Sums of counters, field by field (the fields of the first). */
function added<T extends object>(all: readonly T[]): T {
  const out = { ...all[0]! } as Record<string, unknown>;
  for (const k of Object.keys(out)) {
    if (typeof out[k] === 'number') out[k] = all.reduce((s, x) => s + ((x as Record<string, unknown>)[k] as number), 0);
  }
  return out as T;
}

function mergedStore(all: readonly (StoreReport | undefined)[]): StoreReport | undefined {
  const s = all.filter((x): x is StoreReport => x !== undefined);
  if (s.length === 0) return undefined;
  const out: StoreReport = {
    ...s[0]!,
    errors: s.reduce((a, x) => a + x.errors, 0),
    localDecisions: s.reduce((a, x) => a + x.localDecisions, 0),
    notify: s.some((x) => x.notify === 'poll') ? 'poll' : 'pubsub',
  };
  delete out.degraded;
  delete out.outageGaveUp;
  delete out.outageMs;
  if (s.some((x) => x.degraded)) {
    out.degraded = true;
    out.outageGaveUp = s.reduce((a, x) => a + (x.outageGaveUp ?? 0), 0);
    out.outageMs = Math.max(...s.map((x) => x.outageMs ?? 0));
  }
  return out;
}

/** Appends `src` to `dst` (a loop: a spread of a long array would overflow the stack). */
function append(dst: number[], src: readonly number[]): void {
  for (const x of src) dst.push(x);
}

/** Indices 0…n−1 ordered by `key`, ties kept in order (a stable sort). */
function order(key: readonly number[]): Uint32Array {
  const idx = Uint32Array.from({ length: key.length }, (_, i) => i);
  return idx.sort((a, b) => key[a]! - key[b]! || a - b);
}

/**
 * The run's end of the whole schedule from its shards' facts: each record at its request id, each
 * log concatenated and put in time order (attempts by end, admissions by time), counters added up.
 * `shiftMs[i]` moves shard i's times onto the common time line (its clock offset, scenario ms).
 * Providers' peaks in service and in queue are the shards' peaks added up (a bound: the shards' own
 * peaks need not coincide); a provider's unhealthy time is the longest any shard's health rules
 * saw; each key's last reported quota is the last shard's that reported it.
 */
export function mergeFacts(shards: readonly ShardFacts[], requests: number, shiftMs: readonly number[]): RunEnd {
  const first = shards[0]!;
  const keys = first.scenario.keyNames.length;
  const np = first.scenario.providerNames.length;
  const sized = first.tokens !== undefined;
  const rec = new Recorder(requests, keys, sized);
  const shift = (i: number) => (x: number) => x + shiftMs[i]!;
  // Attempts and admissions of every shard, put in time order below.
  const att = { start: [] as number[], end: [] as number[], key: [] as number[], provider: [] as number[], outcome: [] as number[] };
  const adm = { at: [] as number[], key: [] as number[] };
  const used = { at: [] as number[], key: [] as number[], tokens: [] as number[], admission: [] as number[] };
  // Where each request's record goes: its id, except in an interrupted run, whose started requests
  // come first in id order (summaries read the first `finished` records, as one process leaves them).
  const started = new Uint8Array(requests);
  for (const s of shards) for (let j = 0; j < s.finished; j++) started[s.id[j]!] = 1;
  const at = new Int32Array(requests);
  const total = shards.reduce((n, s) => n + s.finished, 0);
  for (let id = 0, a = 0, b = total; id < requests; id++) at[id] = started[id] ? a++ : b++;
  shards.forEach((s, i) => {
    const sh = shift(i);
    const base = adm.at.length;
    s.id.forEach((g, j) => {
      const id = at[g]!;
      rec.arrival[id] = sh(s.arrival[j]!);
      rec.end[id] = sh(s.end[j]!);
      rec.outcome[id] = s.outcome[j]!;
      rec.attempts[id] = s.attempts[j]!;
      for (let ph = 0; ph < 5; ph++) (rec.phases[ph] as Float64Array)[id] = s.phases[ph]![j]!;
      if (s.tokens && rec.tokens) {
        rec.tokens.prompt[id] = s.tokens.prompt[j]!;
        rec.tokens.output[id] = s.tokens.output[j]!;
        rec.tokens.ttft[id] = fromNull(s.tokens.ttft[j]!);
        rec.tokens.tpot[id] = fromNull(s.tokens.tpot[j]!);
      }
    });
    rec.finished += s.finished;
    append(att.start, s.attemptLog.start.map(sh));
    append(att.end, s.attemptLog.end.map(sh));
    append(att.key, s.attemptLog.key);
    append(att.provider, s.attemptLog.provider);
    append(att.outcome, s.attemptLog.outcome);
    append(adm.at, s.admissions.at.map(sh));
    append(adm.key, s.admissions.key);
    s.keyRateLimited.forEach((n, k) => (rec.keyRateLimited[k]! += n));
    const t = s.tokens;
    if (t && rec.tokens) {
      t.gapMs.forEach((g, k) => {
        rec.tokens!.gapMs.push(g);
        rec.tokens!.gapCount.push(t.gapCount[k]!);
      });
      append(used.at, t.usedAt.map(sh));
      append(used.key, t.usedKey);
      append(used.tokens, t.usedTokens);
      append(used.admission, t.usedAdmission.map((a) => (a < 0 ? a : a + base)));
      t.limitedBy.forEach((n, d) => (rec.tokens!.limitedBy[d]! += n));
      rec.tokens.reservedUnused += t.reservedUnused;
      t.quota.forEach((q, k) => {
        if (q !== null) rec.tokens!.quota[k] = q;
      });
    }
  });
  for (const i of order(att.end)) {
    rec.attemptStart.push(att.start[i]!);
    rec.attemptEnd.push(att.end[i]!);
    rec.attemptKey.push(att.key[i]!);
    rec.attemptProvider.push(att.provider[i]!);
    rec.attemptOutcome.push(att.outcome[i]!);
  }
  const byTime = order(adm.at);
  const newIndex = new Int32Array(byTime.length);
  byTime.forEach((old, k) => {
    newIndex[old] = k;
    rec.admissionAt.push(adm.at[old]!);
    rec.admissionKey.push(adm.key[old]!);
  });
  if (rec.tokens) {
    used.at.forEach((at, k) => {
      const a = used.admission[k]!;
      rec.tokens!.usedAt.push(at);
      rec.tokens!.usedKey.push(used.key[k]!);
      rec.tokens!.usedTokens.push(used.tokens[k]!);
      rec.tokens!.usedAdmission.push(a < 0 ? a : newIndex[a]!);
    });
  }
  const admitted = new Float64Array(keys);
  for (const s of shards) s.pool.admitted.forEach((n, k) => (admitted[k]! += n));
  const statsAll = shards.map((s) => s.pool.stats);
  const stats: KeyPoolStats = {
    checks: statsAll.reduce((a, x) => a + x.checks, 0),
    wastedChecks: statsAll.reduce((a, x) => a + x.wastedChecks, 0),
    wakeups: statsAll.reduce((a, x) => a + x.wakeups, 0),
    entriesPeak: Math.max(...statsAll.map((x) => x.entriesPeak)),
    ...(statsAll.some((x) => x.localRejects !== undefined) ? { localRejects: statsAll.reduce((a, x) => a + (x.localRejects ?? 0), 0) } : {}),
  };
  const store = mergedStore(statsAll.map((x) => x.store));
  if (store) stats.store = store;
  const changes = shards.flatMap((s, i) => s.health.changes.map((c) => ({ ...c, atMs: shift(i)(c.atMs) })));
  const changeOrder = order(changes.map((c) => c.atMs));
  const unhealthy = Array.from({ length: np }, (_, p) => Math.max(...shards.map((s) => s.health.unhealthyMs[p]!)));
  const checksSent = new Float64Array(np);
  for (const s of shards) s.health.checksSent.forEach((n, p) => (checksSent[p]! += n));
  const sc = first.scenario;
  return {
    recorder: rec,
    keyNames: sc.keyNames,
    providerNames: sc.providerNames,
    pool: { admitted, stats },
    health: { changes: Array.from(changeOrder, (i) => changes[i]!), checksSent, unhealthyMs: (p) => unhealthy[p]! },
    connections: added(shards.map((s) => s.connections)),
    providers: Array.from({ length: np }, (_, p) => added(shards.map((s) => s.providers[p]!))),
    remaps: undefined,
    workers: sc.workers,
    endMs: Math.max(...shards.map((s, i) => shift(i)(s.endMs))),
    faults: sc.faults,
    tokenQuota: sc.tokenQuota,
    ...(sc.slo ? { slo: sc.slo } : {}),
    keyLimit: sc.keyLimit,
    adaptive: sc.adaptive,
  };
}
