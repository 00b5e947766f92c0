/**
 * The configuration of the gateway's policies — retries (`retry:`) and provider health (`health:`) —
 * beside their spec (spec.ts). Their runtime (gateway/retry.ts, gateway/health.ts) sits above the
 * scenario floor, since it consumes the resolved scenario; the configuration sits below it, so that
 * scenario/schema.ts only composes.
 */
import { z } from 'zod';
import { MAX_ATTEMPTS, MAX_COOLDOWN_FAILS, MAX_COUNT } from '../core/limits.js';
import { duration, intIn, probability, timerInterval } from '../core/units.js';
import type { Health, Retry, RetryOn } from './spec.js';

const retryOn = ['rateLimited', 'serverError', 'timeout', 'connectFailed', 'unavailable'] as const satisfies readonly RetryOn[];

/** `retry:` — retries of failed attempts. */
export const retrySchema = z
  .strictObject({
    attempts: intIn(1, MAX_ATTEMPTS).default(1).describe(`Total attempts including the first (default 1 = no retry; at most ${MAX_ATTEMPTS})`),
    fallback: z.boolean().default(false).describe('A retry goes to another provider than the failed attempt when a healthy one exists (default false)'),
    backoff: duration.prefault('1s').describe('Base backoff, doubled per retry (default 1s)'),
    maxBackoff: duration.prefault('30s').describe('Backoff cap (default 30s)'),
    jitter: z.enum(['full', 'equal', 'none']).default('full').describe('Backoff jitter (default full)'),
    on: z.array(z.enum(retryOn)).prefault([...retryOn])
      .describe('Failures that are retried (default all: rateLimited, serverError, timeout, connectFailed, unavailable)'),
  })
  .transform((r): Retry => ({
    attempts: r.attempts, fallback: r.fallback, backoffMs: r.backoff, maxBackoffMs: r.maxBackoff, jitter: r.jitter, on: r.on,
  }));

/** `health:` — how providers are judged healthy. */
export const healthSchema = z
  .strictObject({
    passive: z
      .strictObject({
        threshold: probability.default(0.5).describe('Unhealthy while the failure-rate EMA is above this (default 0.5, as the Go router)'),
        recover: duration.optional().describe('Back to healthy this long after being marked (default never, as the Go router)'),
      })
      .optional()
      .describe("the Go router's failure-rate rule: success ×0.5, failure ×0.9+0.1 (default off)"),
    cooldown: z
      .strictObject({
        fails: intIn(1, MAX_COOLDOWN_FAILS).default(3).describe(`Failures allowed within the window (default 3, at most ${MAX_COOLDOWN_FAILS})`),
        window: duration.prefault('1m').describe('Window the failures are counted in (default 1m)'),
        for: duration.prefault('30s').describe('How long the provider is out (default 30s)'),
      })
      .optional()
      .describe('LiteLLM-style cooldown: too many failures in a window → out for a while (default off)'),
    breaker: z
      .strictObject({
        failures: intIn(1, MAX_COUNT).default(5).describe('Consecutive failures that open the breaker (default 5)'),
        open: duration.prefault('30s').describe('How long it stays open before probing (default 30s)'),
        probes: intIn(1, MAX_COUNT).default(1).describe('Attempts let through while half-open (default 1)'),
      })
      .optional()
      .describe('Circuit breaker with half-open probing (default off)'),
    active: z
      .strictObject({
        interval: timerInterval('every provider is checked at this interval').describe('Time between checks of each provider, at least 1ms (required)'),
        cost: duration.prefault('100ms').describe('Capacity one check takes at the provider (default 100ms)'),
        timeout: duration.prefault('5s').describe('A check slower than this fails (default 5s)'),
      })
      .optional()
      .describe('Active health checks (default off)'),
  })
  .transform((h): Health => ({
    passive: h.passive ? { threshold: h.passive.threshold, recoverMs: h.passive.recover ?? Infinity } : undefined,
    cooldown: h.cooldown ? { fails: h.cooldown.fails, windowMs: h.cooldown.window, forMs: h.cooldown.for } : undefined,
    breaker: h.breaker ? { failures: h.breaker.failures, openMs: h.breaker.open, probes: h.breaker.probes } : undefined,
    active: h.active ? { intervalMs: h.active.interval, costMs: h.active.cost, timeoutMs: h.active.timeout } : undefined,
  }));

