/**
 * The metric keys a scenario's `reference:` may give published figures for: the one list the
 * loader checks them against and the comparison table can import. A key the table never shows
 * is a typo the user should hear about, not a figure silently dropped.
 */

/**
 * The comparison table's catalogue rows (src/report/catalogue.ts), by key. Listed here, below the
 * scenario loader that checks `reference:` against them; test/report-table.test.ts keeps the two equal.
 */
export const CATALOGUE_KEYS: readonly string[] = [
  'sent',
  'successRate',
  'sentSuccessRate',
  'meanLatencyMs',
  'p50LatencyMs',
  'p99LatencyMs',
  'minLatencyMs',
  'maxLatencyMs',
  'throughputPerS',
  'totalTimeMs',
  'ok',
  'rateLimited',
  'quotaViolations',
  'rateLimitedRequests',
  'rateLimitedTokens',
  'rateLimitedConcurrent',
  'serverError',
  'timeout',
  'connectFailed',
  'unavailable',
  'gaveUp',
  'tooLarge',
  'promptTokens',
  'outputTokens',
  'promptTokensPerS',
  'outputTokensPerS',
  'totalTokensPerS',
  'reservedUnusedTokens',
  'ttftMeanMs',
  'ttftP50Ms',
  'ttftP99Ms',
  'tpotP50Ms',
  'itlMeanMs',
  'itlP50Ms',
  'itlP99Ms',
  'keyWaitMeanMs',
  'clientsCreated',
  'clientsReused',
  'clientReuseRate',
  'connectionsCreated',
  'limiterChecks',
  'limiterWastedChecks',
  'limiterWakeups',
  'limiterEntriesPeak',
];

/** Rows shown only in some runs (src/report/table.ts): balance, the parallel-workers rows, the health rows. */
export const RUN_KEYS: readonly string[] = [
  'goodputPerS', 'sloAttainment', 'imbalance', 'timePerTaskMs', 'theoreticalSpeedup', 'speedup', 'parallelEfficiency', 'failedRequests', 'healthChecks',
];

/** Rows per provider, keyed `<prefix>.<provider name>`. */
export const PROVIDER_PREFIXES: readonly string[] = ['share', 'unhealthy', 'detectedAfterMs', 'restoredAfterMs'];

/** Every key that does not name a provider: the table's catalogue and the run-dependent rows. */
export const STATIC_REFERENCE_KEYS: readonly string[] = [...CATALOGUE_KEYS, ...RUN_KEYS];

/** Does `key` name a table row, given the providers of the scenario (any run or variant)? */
export function isReferenceKey(key: string, providerNames: readonly string[]): boolean {
  if (STATIC_REFERENCE_KEYS.includes(key)) return true;
  const dot = key.indexOf('.');
  return dot > 0 && PROVIDER_PREFIXES.includes(key.slice(0, dot)) && providerNames.includes(key.slice(dot + 1));
}

/** Every accepted key, for "did you mean". */
export function referenceKeys(providerNames: readonly string[]): string[] {
  return [...STATIC_REFERENCE_KEYS, ...PROVIDER_PREFIXES.flatMap((p) => providerNames.map((n) => `${p}.${n}`))];
}
