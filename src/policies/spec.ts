/** The gateway's policies, resolved: retries and provider health. Every time in ms. */

export type RetryOn = 'rateLimited' | 'serverError' | 'timeout' | 'connectFailed' | 'unavailable';

export interface Retry {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** A retry goes to another provider than the failed attempt's when a healthy one exists. */
  fallback: boolean;
  backoffMs: number;
  maxBackoffMs: number;
  jitter: 'full' | 'equal' | 'none';
  on: RetryOn[];
}

/**
 * How providers are judged healthy. An attempt ending serverError, timeout or connectFailed is a
 * failure; ok is a success; 429s count for neither. A provider is picked only while every enabled
 * rule says it is healthy.
 */
export interface Health {
  /** the Go router's rule: failure-rate EMA (success ×0.5, failure ×0.9+0.1); unhealthy above `threshold`; `recover` brings it back after that long (the Go router never does: Infinity). */
  passive: { threshold: number; recoverMs: number } | undefined;
  /** LiteLLM-style cooldown: `fails` failures within `windowMs` → out for `forMs`. */
  cooldown: { fails: number; windowMs: number; forMs: number } | undefined;
  /** Circuit breaker: `failures` in a row → open for `openMs`, then half-open letting `probes` attempts through; a success closes it, a failure reopens it. */
  breaker: { failures: number; openMs: number; probes: number } | undefined;
  /** Active checks: every `intervalMs` each provider gets a check costing `costMs` of its capacity; a check that fails or takes longer than `timeoutMs` marks it unhealthy, one that passes marks it healthy. */
  active: { intervalMs: number; costMs: number; timeoutMs: number } | undefined;
}
