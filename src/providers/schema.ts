/**
 * The configuration of providers (`providers:`: latency, failures, quota, serving model, faults,
 * tenants, connections) and of what real mode sends them (`request:`), beside their spec (spec.ts);
 * composed by scenario/schema.ts.
 */
import { z } from 'zod';
import { MAX_COUNT, MAX_PROVIDERS, MAX_REQUESTS, MAX_TENANTS, MAX_WEIGHT } from '../core/limits.js';
import { arrivalRate, duration, intIn, positiveUpTo, probability } from '../core/units.js';
import { distribution } from '../sim/dist.js';
import { learningNames, learns } from '../limiters/index.js';
import { quota } from '../limiters/quota-schema.js';
import { faultKindNames, faultKinds, type Fault } from './faults.js';
import type { Provider, RequestTemplate, Serving, Tenant } from './spec.js';
import { servingForms } from './serving-schema.js';

/** A fault: when, how long, and a kind from the fault table with that kind's options. */
const fault = z
  .discriminatedUnion(
    'kind',
    faultKindNames.map((name) =>
      z.strictObject({
        at: duration.describe('When the fault starts, from the start of the run (required)'),
        for: duration.describe('How long it lasts (required)'),
        kind: z.literal(name).describe(`${name}: ${faultKinds[name].means}`),
        ...faultKinds[name].options.shape,
      }),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
    { error: `expected a fault { at, for, kind: ${faultKindNames.join(' | ')}, … }` },
  )
  .transform((f): Fault => {
    const { at, for: forMs, kind, ...options } = f as { at: number; for: number; kind: Fault['kind'] } & Record<string, unknown>;
    return { kind, atMs: at, forMs, ...options } as Fault;
  });

/** `ttft` or `tpot`: a distribution, or its linear model (base + per prompt token + per running sequence). */
function servingTime(perPromptToken: boolean) {
  const linear = z.strictObject({
    base: duration.prefault('0ms').describe('Fixed part (default 0ms)'),
    ...(perPromptToken ? { perPromptToken: duration.prefault('0ms').describe('Added per prompt token: prefill (default 0ms)') } : {}),
    perSequence: duration.prefault('0ms').describe('Added per sequence decoding at the same time: contention (default 0ms)'),
  });
  return z.union([distribution, linear], { error: 'expected a duration, a distribution, or { base, perPromptToken, perSequence }' }).transform((v) =>
    'dist' in v
      ? { dist: v, base: 0, perPromptToken: 0, perSequence: 0 }
      : { base: v.base, perPromptToken: (v as { perPromptToken?: number }).perPromptToken ?? 0, perSequence: v.perSequence },
  );
}

const serving = z
  .strictObject({
    ttft: servingTime(true).describe('Prefill: time from a sequence slot to the first token'),
    tpot: servingTime(false).describe('Time per output token after the first'),
    maxSequences: intIn(1, MAX_COUNT).describe(`Sequences decoded at once; the rest queue for a slot (at most ${MAX_COUNT})`),
  })
  .transform((s): Serving => ({ ttft: s.ttft, tpot: { ...(s.tpot.dist ? { dist: s.tpot.dist } : {}), base: s.tpot.base, perSequence: s.tpot.perSequence }, maxSequences: s.maxSequences }));

/** A tenant's requests in all (rate × its span): each is an event, like one of ours. */
const MAX_TENANT_REQUESTS = MAX_REQUESTS;

const tenant = z
  .strictObject({
    rate: arrivalRate.describe('Its requests per time, such as 150/min (from 1/8760h to 1000000/s)'),
    from: duration.prefault('0ms').describe('When it starts (default 0)'),
    to: duration.describe('When it stops (required: its requests are bounded)'),
  })
  .superRefine((t, ctx) => {
    if (!(t.to > t.from)) ctx.addIssue({ code: 'custom', path: ['to'], message: `expected a time after from (${t.from}ms), got ${t.to}ms` });
    else if (t.rate * (t.to - t.from) > MAX_TENANT_REQUESTS) {
      ctx.addIssue({ code: 'custom', path: ['rate'], message: `expected rate × (to − from) ≤ ${MAX_TENANT_REQUESTS} requests, got ${Math.round(t.rate * (t.to - t.from))}` });
    }
  })
  .transform((t): Tenant => ({ perMs: t.rate, fromMs: t.from, toMs: t.to }));

const provider = z
  .strictObject({
    name: z.string().min(1).describe('Provider name (required, unique)'),
    url: z.string().regex(/^https?:\/\/\S+$/, { error: 'expected an http(s) URL such as http://127.0.0.1:8080/v1' })
      .refine((u) => !/^https?:\/\/\S+$/.test(u) || URL.canParse(u), {
        error: 'expected a URL that parses, such as http://127.0.0.1:8080/v1 (percent-encode / @ : # ? in a password)',
      })
      .optional()
      .describe('Real mode: OpenAI-compatible base URL; requests go to {url}/chat/completions'),
    weight: positiveUpTo(MAX_WEIGHT).default(1).describe(`Balancer weight (default 1, at most ${MAX_WEIGHT})`),
    latency: distribution.optional().describe('Latency of one request: a duration or a distribution (required unless the provider has a serving model)'),
    failure: probability.default(0).describe('Probability a request fails with a 5xx, such as 1% (default 0)'),
    capacity: intIn(1, MAX_COUNT).optional().describe(`Requests served at once (default unlimited; at most ${MAX_COUNT})`),
    limit: quota(true).optional()
      .describe("The provider's own quota: requests per key such as 3/min, or { requests, tokens, concurrent, charge, algorithm, scope }; excess gets 429 saying which (default none)"),
    serving: servingForms(serving).optional()
      .describe('An LLM server: time to first token and per output token, slower with more sequences at once (default: one latency draw per request)'),
    timeout: duration.optional().describe('Client-side timeout of one attempt (default none)'),
    connect: z
      .strictObject({
        handshake: duration.prefault('0ms').describe('Time to open a connection (default 0ms)'),
        max: intIn(1, MAX_COUNT).optional().describe(`Connections the provider accepts open at once (default unlimited; at most ${MAX_COUNT})`),
        timeout: duration
          .prefault('0ms')
          .describe('How long a new connection waits for the provider to accept it when `max` are open before failing with connectFailed (default 0ms: refused at once)'),
        linger: duration
          .prefault('0ms')
          .describe('How long a closed connection still counts against `max` at the provider (default 0ms)'),
      })
      .prefault({})
      .describe('Connection setup (default: instant, unlimited)'),
    faults: z.array(fault).default([]).describe('Faults injected into this provider (default none)'),
    tenants: z.array(tenant).min(1).max(MAX_TENANTS, { error: `expected at most ${MAX_TENANTS} tenants` }).optional()
      .describe(`Other tenants of the organisation's quota (limit.scope: all), at most ${MAX_TENANTS}: [{ rate: 150/min, from: 8m, to: 11m }], each a request every 1/rate counted in the quota when it admits it, never in the results (default none)`),
  })
  .superRefine((p, ctx) => {
    // A serving model times every answer itself; any other provider needs a latency.
    if (!p.serving && p.latency === undefined) ctx.addIssue({ code: 'custom', path: ['latency'], message: 'required field missing' });
    const algorithm = p.limit && typeof p.limit === 'object' && 'algorithm' in p.limit ? p.limit.algorithm : undefined;
    if (algorithm && learns(algorithm)) {
      ctx.addIssue({ code: 'custom', path: ['limit', 'algorithm'], message: `expected a fixed limiter for a provider's quota (not one that learns: ${learningNames().join(' | ')}), got ${JSON.stringify(algorithm.type)}` });
    }
    if (p.tenants && !(p.limit && typeof p.limit === 'object' && 'scope' in p.limit && p.limit.scope === 'all' && p.limit.requests)) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: 'expected limit: { requests, scope: all } with tenants (another tenant shares the organisation\'s requests quota)' });
    }
    if (p.serving && p.capacity !== undefined) ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'expected either capacity or serving.maxSequences, not both (a serving model serves maxSequences at once)' });
  })
  .transform((p): Provider => ({
    name: p.name,
    url: p.url?.replace(/\/+$/, ''),
    weight: p.weight,
    // Unused with a serving model (it times each answer); a constant draws nothing from the stream.
    latency: p.latency ?? { dist: 'constant', value: 0 },
    failure: p.failure,
    capacity: p.serving ? p.serving.maxSequences : (p.capacity ?? Infinity),
    limit: p.limit?.requests,
    ...(p.limit?.steps ? { steps: p.limit.steps } : {}),
    ...(p.tenants ? { tenants: p.tenants } : {}),
    ...(p.limit?.tokens ? { tokens: p.limit.tokens, charge: p.limit.charge } : {}),
    ...(p.limit?.concurrent !== undefined ? { concurrent: p.limit.concurrent } : {}),
    ...(p.limit?.quantum !== undefined ? { quantumMs: p.limit.quantum } : {}),
    ...(p.limit?.refused === 'free' ? { refused: 'free' as const } : {}),
    ...(p.limit?.algorithm ? { algorithm: p.limit.algorithm } : {}),
    ...(p.limit?.scope === 'all' ? { scope: 'all' as const } : {}),
    ...(p.serving ? { serving: p.serving } : {}),
    timeoutMs: p.timeout ?? Infinity,
    connect: { handshakeMs: p.connect.handshake, max: p.connect.max ?? Infinity, timeoutMs: p.connect.timeout, lingerMs: p.connect.linger },
    faults: p.faults,
  }));


/** `providers:` — the upstreams, at least one. */
export const providersSchema = z
  .array(provider)
  .min(1, { error: 'expected at least one provider' })
  .max(MAX_PROVIDERS, { error: (iss) => `expected at most ${MAX_PROVIDERS} providers, got ${(iss.input as unknown[]).length}` })
  .describe(`Upstream providers (required, at least one and at most ${MAX_PROVIDERS}, unique names)`);

/** `request:` — what real mode asks each provider for. */
export const requestSchema = z
  .strictObject({
    model: z.string().default('gpt-4o-mini').describe('Model asked for (default gpt-4o-mini)'),
    maxTokens: intIn(1, MAX_COUNT).default(16).describe('max_tokens of each request (default 16)'),
    prompt: z.string().default('Reply with the word ok.').describe('The user message (default a one-word request)'),
    body: z.record(z.string(), z.unknown()).optional().describe('A whole JSON body to send instead (default none)'),
    stream: z.boolean().default(false).describe('Ask for the answer as server-sent events, one chunk per token; time to first token and between tokens are measured (default false)'),
  })
  .transform((r): RequestTemplate => ({ model: r.model, maxTokens: r.maxTokens, prompt: r.prompt, body: r.body, stream: r.stream }));

