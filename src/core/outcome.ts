/** Outcome codes of one attempt: how an attempt (and, finally, a request) ended. Shared by every floor. */
export const Outcome = {
  ok: 0,
  rateLimited: 1,
  serverError: 2,
  timeout: 3,
  connectFailed: 4,
  gaveUp: 5,
  /** No provider was healthy when the attempt needed one. */
  unavailable: 6,
  /**
   * The request charges more than a quota can ever admit (its tokens above the window's capacity):
   * refused at once and never retried, by the key pool before sending or by the provider as
   * OpenAI answers it ("Request too large … Limit …, Requested …").
   */
  tooLarge: 7,
} as const;
export type OutcomeCode = (typeof Outcome)[keyof typeof Outcome];
export const outcomeNames = ['ok', 'rateLimited', 'serverError', 'timeout', 'connectFailed', 'gaveUp', 'unavailable', 'tooLarge'] as const;

/** Which quota answered a 429 (x-ratelimit's dimensions, and concurrency); none for a 429 no quota gave (a throttle fault). */
export const Dimension = { none: -1, requests: 0, tokens: 1, concurrent: 2 } as const;
export type DimensionCode = (typeof Dimension)[keyof typeof Dimension];
export const dimensionNames = ['requests', 'tokens', 'concurrent'] as const;

/**
 * When a request's tokens count against a tokens quota (what providers document): `reserve` — the
 * prompt plus max_tokens when admitted, corrected to what it used when its answer ends;
 * `actual` — what it used, when its answer ends; `prompt` — its prompt, when admitted.
 */
export type Charge = 'reserve' | 'actual' | 'prompt';
