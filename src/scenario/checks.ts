/**
 * Checks across components, run on the merged scenario (each field alone is checked by its
 * component's schema): sizes that multiply (what the recorder, pools and windows allocate) and
 * sizes a quota or serving model needs.
 */
import type { z } from 'zod';
import { learns, weighted } from '../limiters/index.js';
import { MAX_ATTEMPT_LOG, MAX_KEY_PROVIDER_PAIRS, MAX_POLLS_PER_WAIT, MAX_WINDOW_ENTRIES } from '../core/limits.js';
import type { Keys, Scenario } from './types.js';

/** Window entries a key holds under a limiter: sliding-log keeps the last N times, the bucket counters one per bucket. */
function entriesPerKey(k: Keys): number {
  if (!k.limit) return 0;
  // A stepping limit keeps a window per period; a learning limiter's ceiling is a sliding log.
  const counts = [k.limit.count, ...(k.steps ?? []).map((s) => s.requests.count)].reduce((a, b) => a + b, 0);
  if (k.limiter.type === 'sliding-log' || learns(k.limiter)) return counts;
  if (k.limiter.type.startsWith('bucket-')) return ((k.limiter.options.buckets as number | undefined) ?? 6) * (1 + (k.steps?.length ?? 0));
  return 1 + (k.steps?.length ?? 0);
}

/**
 * Bounds on products of fields, checked on the merged scenario (each field alone is bounded by
 * its own schema): what the recorder, the connection pools and the windows allocate from them.
 */
/** Quotas of tokens and serving models need requests with sizes; a provider's tokens quota needs a limiter that weighs. */
export function tokenProblems(s: Pick<Scenario, 'workload' | 'keys' | 'providers' | 'slo'>, ctx: z.RefinementCtx): void {
  const sized = s.workload.tokens !== undefined;
  const need = (path: (string | number)[], what: string) =>
    ctx.addIssue({ code: 'custom', path, message: `${what} needs workload.tokens or workload.dataset (requests have no size without them)` });
  if (!sized && s.keys.tokens) need(['keys', 'limit', 'tokens'], 'a tokens limit');
  if (!sized && s.slo?.ttftMs !== undefined) need(['slo', 'ttft'], 'an SLO on time to first token');
  if (!sized && s.slo?.tpotMs !== undefined) need(['slo', 'tpot'], 'an SLO on time per output token');
  s.providers.forEach((p, i) => {
    if (!sized && p.tokens) need(['providers', i, 'limit', 'tokens'], 'a tokens limit');
    if (!sized && p.serving) need(['providers', i, 'serving'], 'a serving model');
    const algorithm = p.algorithm ?? { type: 'sliding-log', options: {} };
    if (p.tokens && !weighted(algorithm)) {
      ctx.addIssue({ code: 'custom', path: ['providers', i, 'limit', 'algorithm'], message: `expected an algorithm that weighs admissions for a tokens limit, got ${JSON.stringify(algorithm.type)}` });
    }
  });
}

export function sizeProblems(s: Pick<Scenario, 'workload' | 'keys' | 'providers' | 'retry'>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const { requests } = s.workload;
  const { attempts } = s.retry;
  if (requests * attempts > MAX_ATTEMPT_LOG) {
    issue(['retry', 'attempts'], `expected workload.requests × retry.attempts ≤ ${MAX_ATTEMPT_LOG} (the attempts recorded if every one fails), got ${requests} × ${attempts}`);
  }
  const keys = s.keys.count;
  const n = s.providers.length;
  if (keys * n > MAX_KEY_PROVIDER_PAIRS) {
    issue(['keys', 'count'], `expected keys.count × providers ≤ ${MAX_KEY_PROVIDER_PAIRS} (a connection pool per key and provider), got ${keys} × ${n}`);
  }
  const { wait, acquireTimeoutMs } = s.keys;
  if (wait.mode === 'poll' && acquireTimeoutMs / wait.intervalMs > MAX_POLLS_PER_WAIT) {
    issue(['keys', 'wait', 'poll'], `expected keys.acquireTimeout ÷ poll ≤ ${MAX_POLLS_PER_WAIT} (a waiter re-checks that often before it gives up), got ${Number((acquireTimeoutMs / wait.intervalMs).toPrecision(7))}`);
  }
  const perKey = entriesPerKey(s.keys);
  if (keys * perKey > MAX_WINDOW_ENTRIES) {
    issue(['keys', 'limit'], `expected keys.count × the limit's count ≤ ${MAX_WINDOW_ENTRIES} (${s.keys.limiter.type} keeps the last N times of each key), got ${keys} × ${perKey}`);
  }
  // Each provider with a limit keeps an exact sliding log per key.
  let held = 0;
  for (const [i, p] of s.providers.entries()) {
    held += p.limit ? keys * [p.limit, ...(p.steps ?? []).map((st) => st.requests)].reduce((a, r) => a + r.count, 0) : 0;
    if (held > MAX_WINDOW_ENTRIES) {
      issue(['providers', i, 'limit'], `expected keys.count × the providers' limit counts ≤ ${MAX_WINDOW_ENTRIES} (a provider keeps the last N times of each key), got ${held} up to this provider`);
      break;
    }
  }
}

