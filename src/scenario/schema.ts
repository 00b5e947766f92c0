/**
 * The zod schema of a scenario file. Three views of one set of fields:
 * - `scenarioSchema`: one fully merged (run × variant) scenario → the resolved `Scenario` (minus seed);
 * - `overrideSchema`: a `variants` / `runs` entry — every field optional (deep), still strict and typed;
 * - `fileSchema`: the file as written: base scenario + variants, runs, baseline, reference.
 */
import { z } from 'zod';
import { balancers } from '../balancers/index.js';
import { named, type Named } from '../core/registry.js';
import { faultKindNames, faultKinds } from '../providers/faults.js';
import { distribution, tokenDistribution } from '../sim/dist.js';
import { MAX_DATASET_ROWS } from './dataset.js';
import { traceSchema } from './trace-schema.js';
import { learningNames, learns, limiterNames, limiters, redisForm, weighted } from '../limiters/index.js';
import { keyChoiceNames } from '../keys/choice.js';
import { storeKinds } from '../keys/store/kinds.js';
import {
  DEFAULT_GOAL, GoalError, describeGoal, objectives, parseConstraint, parseGoal, parseObjective, type Constraint, type Goal, type Objective,
} from '../core/goal.js';
import type { Fault, Health, Keys, KeyStore, Provider, RequestTemplate, Retry, RetryOn, Scenario, Slo, WaitMode, Workload } from './types.js';
import type { Charge } from '../core/outcome.js';
import type { Serving, Tenant } from '../providers/spec.js';
import type { QuotaStep } from '../limiters/stepped.js';
import { quantumRate } from '../limiters/quota.js';
import { didYouMean, show } from './errors.js';
import { isReferenceKey, referenceKeys } from '../core/reference-keys.js';
import { sweepPathProblems, sweepPoints } from './sweep.js';
import { formatJson, shareDefinitions } from './json-schema.js';
import {
  MAX_ATTEMPTS, MAX_ATTEMPT_LOG, MAX_CLIENTS, MAX_CONCURRENCY, MAX_COOLDOWN_FAILS, MAX_COUNT, MAX_KEYS,
  MAX_GOAL_CONSTRAINTS, MAX_KEY_PROVIDER_PAIRS, MAX_POLLS_PER_WAIT, MAX_PROVIDERS, MAX_REQUESTS, MAX_WEIGHT, MAX_WINDOW_ENTRIES,
} from '../core/limits.js';
import {
  arrivalRate, duration, intIn, positiveUpTo, probability, rate, seedSchema, timerInterval, tokenRate, type Rate,
} from '../core/units.js';

const retryOn = ['rateLimited', 'serverError', 'timeout', 'connectFailed', 'unavailable'] as const satisfies readonly RetryOn[];

const workload = z
  .strictObject({
    requests: intIn(1, MAX_REQUESTS).optional().describe(`Total requests (default 100, at most ${MAX_REQUESTS}; with a trace: at most this many of its requests, default all)`),
    concurrency: intIn(1, MAX_CONCURRENCY).optional()
      .describe('Closed model: workers (default 10). With arrivals: optional cap on requests in flight (default none)'),
    think: distribution.optional().describe("Closed model: pause between a worker's requests (default 0ms)"),
    arrivals: z
      .strictObject({
        process: z.enum(['poisson', 'constant']).default('poisson').describe('Arrival process (default poisson)'),
        rate: arrivalRate.describe('Arrival rate such as 20/s or 120/min (fractional counts allowed: 0.9/s; a bare number is per second)'),
      })
      .optional()
      .describe('Open model: requests arrive at this rate instead of coming from workers (default: closed model)'),
    clients: intIn(1, MAX_CLIENTS).default(1000).describe(`Distinct client ids carried by requests (default 1000, at most ${MAX_CLIENTS})`),
    tokens: z
      .strictObject({
        prompt: tokenDistribution.optional().describe('Prompt tokens of a request: a number or a distribution (required unless a dataset gives them)'),
        output: tokenDistribution.optional().describe('Output tokens of a request, at most its maxTokens (required unless a dataset gives them)'),
        maxTokens: tokenDistribution.optional().describe("max_tokens of a request (default: its own output, nothing reserved beyond it)"),
      })
      .optional()
      .describe('The size of each request in tokens, drawn from its own stream (default: requests have no size)'),
    dataset: z.union([
      z.string().min(1),
      z.strictObject({
        file: z.string().min(1).describe('The file (relative to the scenario file)'),
        order: z.enum(['sample', 'sequential', 'shuffle']).default('sample')
          .describe('sample: a row drawn uniformly per request, with replacement (default); sequential: the rows in file order, from the first again after the last; shuffle: every row once in a seeded random order, then again in another'),
      }),
    ], { error: 'expected a file name, or { file, order: sample | sequential | shuffle }' }).optional()
      .describe(`A JSONL or CSV file of prompt_tokens, output_tokens rows (relative to the scenario file): a name (rows sampled uniformly) or { file, order }; at most ${MAX_DATASET_ROWS} rows`),
    trace: traceSchema.optional(),
  })
  .superRefine((w, ctx) => {
    if (w.arrivals && w.think) {
      ctx.addIssue({ code: 'custom', path: ['think'], message: 'think applies to the closed model only, not with arrivals' });
    }
    if (w.dataset === undefined && w.tokens) {
      for (const f of ['prompt', 'output'] as const) if (!w.tokens[f]) ctx.addIssue({ code: 'custom', path: ['tokens', f], message: 'required field missing (or give workload.dataset)' });
    }
    if (w.dataset !== undefined && (w.tokens?.prompt || w.tokens?.output)) {
      ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'expected either a dataset or tokens.prompt and tokens.output, not both (tokens.maxTokens may go with a dataset)' });
    }
    // A trace gives the arrivals and the sizes.
    if (w.trace) for (const f of ['arrivals', 'think', 'dataset', 'tokens'] as const) if (w[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `expected no ${f} beside a trace (its rows give ${f === 'arrivals' || f === 'think' ? 'the arrivals' : 'the sizes: columns.prompt, output, maxTokens'})` });
  })
  .transform((w): Workload => ({
    // With a trace the loader sets the count its rows make (workload.requests caps it).
    requests: w.requests ?? 100,
    concurrency: w.concurrency ?? (w.arrivals || w.trace ? undefined : 10),
    think: w.think ?? { dist: 'constant', value: 0 },
    arrivals: w.arrivals && { process: w.arrivals.process, perMs: w.arrivals.rate },
    clients: w.clients,
    ...(w.trace ? { trace: { ...w.trace, ...(w.requests !== undefined ? { cap: w.requests } : {}) } } : {}),
    ...(w.trace?.columns.prompt !== undefined ? { tokens: { prompt: undefined, output: undefined, maxTokens: undefined } } : {}),
    // No sizes: the field is absent, so resolved scenarios (and results) look as before tokens.
    ...(w.tokens || w.dataset !== undefined
      ? {
          tokens: {
            prompt: w.tokens?.prompt,
            output: w.tokens?.output,
            maxTokens: w.tokens?.maxTokens,
            // The loader reads the file (relative to the scenario) and fills the rows.
            ...(w.dataset !== undefined
              ? {
                  rows: {
                    file: typeof w.dataset === 'string' ? w.dataset : w.dataset.file,
                    prompt: new Int32Array(0),
                    output: new Int32Array(0),
                    // sample is the absence of the field: resolved scenarios (and results) look as before
                    ...(typeof w.dataset === 'object' && w.dataset.order !== 'sample' ? { order: w.dataset.order } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
  }));

const wait = z
  .union([
    z.literal('notify', { error: 'expected notify or { poll: interval }' }),
    z.strictObject({ poll: timerInterval('each waiting request re-checks at this interval').describe('Polling interval, at least 1ms') }),
  ])
  .transform((v): WaitMode => (v === 'notify' ? { mode: 'notify' } : { mode: 'poll', intervalMs: v.poll }));

const store = z
  .union([
    z.literal('memory', { error: 'expected memory or { redis: redis://host:port }' }),
    ...Object.values(storeKinds).map((k) => k.options),
  ])
  .transform((v): KeyStore => (v === 'memory' ? { kind: 'memory' } : storeKinds.redis.resolve(v as z.output<typeof storeKinds.redis.options>)));

const limiterChoice = named(limiters, 'limiter');

const charge = z.enum(['reserve', 'actual', 'prompt']).default('reserve')
  .describe('When tokens count: reserve (prompt + max_tokens when admitted, corrected to actual use at the end, as OpenAI documents), actual (what was used, at the end) or prompt (default reserve)');

/** Steps a quota may take in a run: each is a window per key (or per organisation) kept from its moment on. */
export const MAX_STEPS = 100;

const steps = z
  .array(z.strictObject({
    at: duration.describe('When the step happens, from the start of the run (required)'),
    requests: rate.describe('Requests per window from then on, such as 200/min (required)'),
  }))
  .min(1, { error: 'expected at least one step { at, requests }' })
  .max(MAX_STEPS, { error: (iss) => `expected at most ${MAX_STEPS} steps, got ${(iss.input as unknown[]).length}` })
  .superRefine((list, ctx) => {
    list.forEach((st, i) => {
      const before = i === 0 ? 0 : list[i - 1]!.at;
      if (!(st.at > before)) ctx.addIssue({ code: 'custom', path: [i, 'at'], message: `expected a time after ${i === 0 ? 'the start (0)' : `the step before (${before}ms)`}, got ${st.at}ms` });
    });
  })
  .transform((list): QuotaStep[] => list.map((st) => ({ atMs: st.at, requests: st.requests })));

/** A quota in one or more dimensions: a rate (requests), or `{ requests, tokens, concurrent, charge }` (a provider's adds `algorithm` and `scope`). */
function quota(provider: boolean) {
  const dims = {
    requests: rate.optional().describe('Requests per window, such as 500/min'),
    steps: steps.optional().describe(`How the requests limit changes: [{ at: 2m, requests: 200/min }, …], times increasing, at most ${MAX_STEPS}; each period's window starts empty (default: it never changes)`),
    tokens: tokenRate.optional().describe('Tokens per window, such as 30000/min (requests need sizes: workload.tokens)'),
    concurrent: intIn(1, MAX_COUNT).optional().describe(`Requests in flight at once (at most ${MAX_COUNT})`),
    charge,
    quantum: duration.optional().describe(
      'The same limits also enforced over this shorter period, the count scaled and rounded down: 600/min with quantum: 1s admits at most 10 in any second, as OpenAI quantises (at least 1ms, shorter than each window, and the scaled count at least 1; not with steps) (default: none)',
    ),
  };
  const object = provider
    ? z.strictObject({
        ...dims,
        refused: z.enum(['counts', 'free']).default('counts').describe(
          'Whether a request this quota refuses still counts in it: counts (default: OpenAI documents that "unsuccessful requests contribute to your per-minute limit", so retrying at once only keeps the window full) or free',
        ),
        algorithm: limiterChoice.optional().describe("The provider's limiter for its quotas, any registered one with its options (default sliding-log: an exact window)"),
        scope: z.enum(['key', 'all']).default('key').describe('key: a quota per API key; all: one quota for every key (an organisation\'s) (default key)'),
      })
    : z.strictObject(dims);
  return z
    .union([rate, object], { error: 'expected a rate such as 3/min or { requests, tokens, concurrent, charge }' })
    .superRefine((q, ctx) => {
      if (typeof q === 'object' && 'charge' in q && q.requests === undefined && q.tokens === undefined && q.concurrent === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected at least one of requests, tokens or concurrent' });
      }
      if (typeof q === 'object' && 'charge' in q && q.steps && q.requests === undefined) {
        ctx.addIssue({ code: 'custom', path: ['steps'], message: 'expected requests beside steps (the limit before the first step)' });
      }
      if (typeof q === 'object' && 'charge' in q && q.quantum !== undefined) {
        const quantum = q.quantum;
        if (q.steps) ctx.addIssue({ code: 'custom', path: ['quantum'], message: 'expected no quantum beside steps (a stepping quota is enforced over its window only)' });
        if (quantum < 1) ctx.addIssue({ code: 'custom', path: ['quantum'], message: `expected a quantum of at least 1ms, got ${quantum}ms` });
        for (const [dim, r] of [['requests', q.requests], ['tokens', q.tokens]] as const) {
          if (r === undefined) continue;
          if (!(quantum < r.windowMs)) ctx.addIssue({ code: 'custom', path: ['quantum'], message: `expected a quantum shorter than the ${dim} window (${r.windowMs}ms), got ${quantum}ms` });
          else if (quantumRate(r, quantum).count < 1) {
            ctx.addIssue({ code: 'custom', path: ['quantum'], message: `expected a quantum long enough to admit one of ${r.count} ${dim} per ${r.windowMs}ms (at least ${Math.ceil(r.windowMs / r.count)}ms), got ${quantum}ms` });
          }
        }
      }
    })
    .transform((q) =>
      'count' in q
        ? { requests: q, charge: 'reserve' as const }
        : (q as { requests?: Rate; steps?: QuotaStep[]; tokens?: Rate; concurrent?: number; charge: Charge; quantum?: number; refused?: 'counts' | 'free'; algorithm?: Named; scope?: 'key' | 'all' }),
    );
}

const keys = z
  .strictObject({
    count: intIn(1, MAX_KEYS).default(1).describe(`Number of API keys (default 1, at most ${MAX_KEYS}; real mode: the keys in \`env\`)`),
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name such as GATESIM_KEYS' }).optional()
      .describe('Real mode: environment variable holding the keys, comma-separated (keys never go in the file)'),
    limit: quota(false).optional()
      .describe('Client-side limit per key: requests such as 3/min, or { requests, tokens, concurrent, charge } (default: no limit)'),
    guard: duration.prefault('0ms')
      .describe("Added to the limiter's window to absorb the spread between taking a key and the provider counting the request (connection setup, network); default 0ms"),
    limiter: limiterChoice.prefault('sliding-log')
      .describe('Limiter enforcing the per-key limit, every dimension unless tokenLimiter is given: a name or { type: name, …options } (default sliding-log)'),
    tokenLimiter: limiterChoice.optional()
      .describe('Limiter of the tokens dimension, when it differs from limiter: a name or { type: name, …options } (default: limiter)'),
    choice: z.enum(keyChoiceNames).default('least-used')
      .describe(`How a free key is chosen: ${keyChoiceNames.join(' | ')} (default least-used)`),
    exclusive: z.boolean().default(false).describe('A key serves one request at a time (default false)'),
    wait: wait.prefault('notify').describe('How a request waits for a key: notify, or { poll: interval } (default notify)'),
    acquireTimeout: duration.prefault('5m').describe('Give up waiting for a key after this long (default 5m)'),
    cooldown: z.enum(['retry-after', 'none']).default('retry-after').describe(
      "What a provider's 429 does to its key: retry-after (default) — it is not handed out again before the 429's retry-after; none — it is handed out again at once, as a client that ignores retry-after (the seeds' Python clients)",
    ),
    store: store.prefault('memory')
      .describe('Where the pool keeps its state: memory (default) or { redis: URL, prefix, failOpen } shared across processes (real mode; the simulation always uses memory)'),
  })
  .superRefine((k, ctx) => {
    const requests = k.limiter;
    const tokens = k.tokenLimiter ?? k.limiter;
    // A shared pool decides in Redis: only limiters with a Redis form can, for requests only (refused here, not at connect time).
    if (k.store.kind === 'redis' && k.limit?.requests && !redisForm(requests)) {
      const able = limiterNames.filter((n) => redisForm({ type: n, options: {} }));
      ctx.addIssue({ code: 'custom', path: ['limiter'], message: `expected a limiter the Redis store runs (${able.join(' | ')}) with keys.store: redis, got ${JSON.stringify(requests.type)}` });
    }
    if (k.store.kind === 'redis' && learns(requests)) {
      ctx.addIssue({ code: 'custom', path: ['limiter'], message: `expected keys.store: memory with a limiter that learns (${requests.type} learns from this process's answers; the Redis store shares fixed limits only)` });
    }
    if (k.store.kind === 'redis' && (k.limit?.tokens || k.limit?.concurrent)) {
      ctx.addIssue({ code: 'custom', path: ['store'], message: 'expected keys.store: memory with a tokens or concurrent limit (the Redis store shares request limits only)' });
    }
    if (k.limit?.tokens && !weighted(tokens)) {
      ctx.addIssue({ code: 'custom', path: ['limiter'], message: `expected a limiter that weighs admissions for the tokens limit (${limiterNames.filter((n) => weighted({ type: n, options: {} })).join(' | ')}), got ${JSON.stringify(tokens.type)}` });
    }
  })
  .transform(({ acquireTimeout, guard, store, limit, tokenLimiter, cooldown, ...k }): Keys => ({
    ...k,
    // retry-after is the absence of the field: resolved scenarios (and results) look as before
    ...(cooldown === 'none' ? { cooldown } : {}),
    limit: limit?.requests,
    ...(limit?.steps ? { steps: limit.steps } : {}),
    ...(limit?.tokens ? { tokens: limit.tokens, charge: limit.charge } : {}),
    ...(limit?.tokens && tokenLimiter ? { tokenLimiter } : {}),
    ...(limit?.quantum !== undefined ? { quantumMs: limit.quantum } : {}),
    ...(limit?.concurrent !== undefined ? { concurrent: limit.concurrent } : {}),
    guardMs: guard,
    acquireTimeoutMs: acquireTimeout,
    // memory is the absence of a store: resolved scenarios (and results) look as before
    ...(store.kind === 'redis' ? { store } : {}),
  }));

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

/** Other tenants per provider: each schedules its own requests. */
export const MAX_TENANTS = 100;
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
    serving: serving.optional()
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


const providers = z
  .array(provider)
  .min(1, { error: 'expected at least one provider' })
  .max(MAX_PROVIDERS, { error: (iss) => `expected at most ${MAX_PROVIDERS} providers, got ${(iss.input as unknown[]).length}` })
  .describe(`Upstream providers (required, at least one and at most ${MAX_PROVIDERS}, unique names)`);

const retry = z
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

const health = z
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

const request = z
  .strictObject({
    model: z.string().default('gpt-4o-mini').describe('Model asked for (default gpt-4o-mini)'),
    maxTokens: intIn(1, MAX_COUNT).default(16).describe('max_tokens of each request (default 16)'),
    prompt: z.string().default('Reply with the word ok.').describe('The user message (default a one-word request)'),
    body: z.record(z.string(), z.unknown()).optional().describe('A whole JSON body to send instead (default none)'),
    stream: z.boolean().default(false).describe('Ask for the answer as server-sent events, one chunk per token; time to first token and between tokens are measured (default false)'),
  })
  .transform((r): RequestTemplate => ({ model: r.model, maxTokens: r.maxTokens, prompt: r.prompt, body: r.body, stream: r.stream }));

const SLO_BOUND = 'expected a positive duration such as 2s or 300ms';
const sloBound = duration.refine((ms) => ms > 0, { error: SLO_BOUND });
/** `slo: { latency, ttft, tpot }`: per-request bounds goodput counts against. */
const slo = z
  .strictObject({
    latency: sloBound.optional().describe('A request meets it when its latency (arrival to answer) is at most this (default: no bound)'),
    ttft: sloBound.optional().describe('…when its time to first token is at most this; applies where TTFT is measured (needs request sizes; default: no bound)'),
    tpot: sloBound.optional().describe('…when its time per output token after the first is at most this (needs request sizes; default: no bound)'),
  })
  .transform((o): Slo => ({
    ...(o.latency !== undefined ? { latencyMs: o.latency } : {}),
    ...(o.ttft !== undefined ? { ttftMs: o.ttft } : {}),
    ...(o.tpot !== undefined ? { tpotMs: o.tpot } : {}),
  }));

/**
 * `goal:` — the goal's text (`maximise goodput subject to 429s = 0, p99 ttft <= 2s`), or the same
 * as `{ maximise, constraints: [text, …] }`; parsed by core/goal.ts, each problem at its place.
 */
const goalSchema = z
  .union([
    z.string(),
    z.strictObject({
      maximise: z.string().optional().describe(`What to maximise: ${objectives.join(' | ')} (default goodput)`),
      constraints: z.array(z.string()).max(MAX_GOAL_CONSTRAINTS).optional()
        .describe('Each METRIC OP VALUE, such as "429s = 0", "p99 latency <= 2s", "success >= 99%" (default none)'),
    }),
  ], { error: 'expected a goal such as "maximise goodput subject to 429s = 0" or { maximise, constraints }' })
  .transform((g, ctx): Goal => {
    const issue = (e: unknown, path: (string | number)[]): never => {
      if (!(e instanceof GoalError)) throw e;
      ctx.addIssue({ code: 'custom', path, message: e.message.replace(/^goal: /, '') });
      return z.NEVER;
    };
    if (typeof g === 'string') {
      try {
        return parseGoal(g);
      } catch (e) {
        return issue(e, []);
      }
    }
    let maximise: Objective = 'goodput';
    try {
      if (g.maximise !== undefined) maximise = parseObjective(g.maximise);
    } catch (e) {
      return issue(e, ['maximise']);
    }
    const constraints: Constraint[] = [];
    for (const [i, text] of (g.constraints ?? []).entries()) {
      try {
        constraints.push(parseConstraint(text, i + 1));
      } catch (e) {
        return issue(new GoalError(((e as Error).message ?? '').replace(/^goal: constraint \d+(?: \(\w+\))?: /, '')), ['constraints', i]);
      }
    }
    return { maximise, constraints };
  })
  .describe(`What the verdict ranks by: "maximise OBJECTIVE subject to METRIC OP VALUE, …" (docs/goals.md; default: ${describeGoal(DEFAULT_GOAL)})`);

/** The fields a variant or run may override. */
const overridable = {
  description: z.string().optional().describe('Free text (default none)'),
  workload: workload.prefault({}).describe('Who sends requests and how fast (default 100 requests, 10 workers)'),
  keys: keys.prefault({}).describe('The client-side API key pool (default: one key, no limit)'),
  balancer: named(balancers, 'balancer').prefault('round-robin')
    .describe('How a provider is picked: a name or { type: name, …options } (default round-robin)'),
  providers,
  connections: z.enum(['pooled', 'fresh']).default('pooled')
    .describe('pooled: reuse connections; fresh: a handshake per request (default pooled)'),
  retry: retry.prefault({}).describe('Retries of failed attempts (default: none)'),
  request: request.prefault({}).describe('Real mode: what each request asks for (default: a one-word completion)'),
  health: health.prefault({}).describe('How providers are judged healthy: passive, cooldown, breaker, active checks (default: all healthy)'),
  slo: slo.optional().describe('Per-request SLOs: a request counts toward goodput when it succeeded within every bound given (default: every success counts)'),
};

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
function tokenProblems(s: Pick<Scenario, 'workload' | 'keys' | 'providers' | 'slo'>, ctx: z.RefinementCtx): void {
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

function sizeProblems(s: Pick<Scenario, 'workload' | 'keys' | 'providers' | 'retry'>, ctx: z.RefinementCtx): void {
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

/** One merged scenario (seed is the file's, added by the loader). */
export const scenarioSchema = z
  .strictObject({ name: z.string().describe('Scenario name (required)'), ...overridable })
  .superRefine(sizeProblems)
  .superRefine(tokenProblems)
  .transform((s): Omit<Scenario, 'seed'> => ({ ...s, description: s.description }));

/**
 * The deep-partial twin of a schema: objects rebuilt strict with every field optional, wrappers and
 * transforms peeled (an override's output is never used, only its issues), null allowed (it unsets
 * the field when merged), cross-field checks dropped
 * (they need the merged values). Arrays replace on merge, so their items keep the full schema;
 * discriminated unions keep their discriminator required.
 */
function deepPartial(s: z.ZodType): z.ZodType {
  let out: z.ZodType = s;
  if (z.globalRegistry.get(s)?.id) return s; // a named unit (duration, rate…): a leaf, checked whole
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
    out = deepPartial(s.unwrap() as z.ZodType);
  } else if (s instanceof z.ZodPipe) {
    out = deepPartial(s.in as z.ZodType);
  } else if (s instanceof z.ZodDiscriminatedUnion) {
    const disc = s._zod.def.discriminator;
    const options = (s.options as z.ZodObject[]).map((o) => partialObject(o, disc));
    out = z.discriminatedUnion(disc, options as [z.ZodObject, ...z.ZodObject[]]);
  } else if (s instanceof z.ZodUnion) {
    out = z.union((s.options as z.ZodType[]).map(deepPartial), { error: s._zod.def.error as never });
  } else if (s instanceof z.ZodObject) {
    out = partialObject(s);
  }
  return s.description && out !== s ? out.describe(s.description) : out;
}

function partialObject(o: z.ZodObject, keep?: string): z.ZodObject {
  const shape = Object.fromEntries(
    Object.entries(o.shape).map(([k, v]) => [k, k === keep ? v : deepPartial(v as z.ZodType).nullable().optional()]),
  );
  return z.strictObject(shape);
}

/** A `variants` or `runs` entry: a name and any overridable field. */
export const overrideSchema = z.strictObject({
  name: z.string().describe('Variant or run name (required, unique)'),
  ...partialObject(z.strictObject(overridable)).shape,
}).meta({ id: 'override', description: 'A name and any scenario field (except name and seed) overriding the base' });

/** A `variants` entry: an override that may also say it is a condition of the world rather than a choice. */
export const variantSchema = overrideSchema.extend({
  condition: z.boolean().optional().describe(
    'This variant changes the world (a quota removed, a provider down), not a choice a user makes: it is compared, never picked as the best (default false)',
  ),
  oracle: z.boolean().optional().describe(
    'This variant is told the truth at each moment (a limit stepping with the provider\'s quota): every other variant of its run gets its throughput as a share of this one\'s, metrics.oracleShare (default false; at most one per file)',
  ),
}).meta({ id: 'variant', description: 'A name, whether it is a condition or the oracle, and any scenario field (except name and seed) overriding the base' });

/** A problem found by `nameProblems`, at a path of the raw file. */
export interface NameProblem {
  path: (string | number)[];
  message: string;
  /** Point at the key node (a name used as a key), not at its value. */
  key: boolean;
}

const namesOf = (list: unknown): string[] =>
  Array.isArray(list) ? list.flatMap((x) => (typeof x?.name === 'string' ? [x.name as string] : [])) : ['default'];

function duplicateNames(list: unknown, path: (string | number)[], what: string): NameProblem[] {
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  return list.flatMap((item, i) => {
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return [];
    const dup = seen.has(name);
    seen.add(name);
    return dup ? [{ path: [...path, i, 'name'], key: false, message: `expected a unique ${what} name, got ${show(name)}` }] : [];
  });
}

/**
 * Cross-references checked on the raw file, outside zod so they are reported alongside every other
 * problem (zod skips refinements once a field failed): unique provider / variant / run names, and
 * names used elsewhere must exist: baseline → a variant; reference → runs and their variants.
 */
export function nameProblems(file: Record<string, unknown>): NameProblem[] {
  const out: NameProblem[] = [
    ...duplicateNames(file.providers, ['providers'], 'provider'),
    ...duplicateNames(file.variants, ['variants'], 'variant'),
    ...duplicateNames(file.runs, ['runs'], 'run'),
  ];
  for (const key of ['variants', 'runs']) {
    const list = file[key];
    if (Array.isArray(list)) list.forEach((o, i) => out.push(...duplicateNames(o?.providers, [key, i, 'providers'], 'provider')));
  }
  const variants = namesOf(file.variants);
  const sweep = file.sweep !== null && typeof file.sweep === 'object' && !Array.isArray(file.sweep) ? (file.sweep as Record<string, unknown>) : undefined;
  if (sweep && file.runs !== undefined) {
    out.push({ path: ['sweep'], key: true, message: "expected either runs or a sweep, not both (a sweep's points are its runs)" });
  }
  const expanded = sweep ? sweepPoints(sweep) : undefined;
  if (expanded) out.push(...expanded.problems);
  if (sweep) out.push(...sweepPathProblems(sweep, Array.isArray(file.variants) ? file.variants.length : 0));
  const runs = expanded ? expanded.points.map((p) => p.name) : namesOf(file.runs);
  const unknown = (path: (string | number)[], got: string, names: string[], what: string, key = false) =>
    out.push({ path, key, message: `expected a ${what} name (one of ${names.join(' | ')}), got ${show(got)}${didYouMean(got, names)}` });
  if (typeof file.baseline === 'string' && !variants.includes(file.baseline)) {
    unknown(['baseline'], file.baseline, variants, 'variant');
  }
  const reference = file.reference;
  if (!reference || typeof reference !== 'object') return out;
  // Provider rows (share.<name>, …) may name a provider of any variant or run.
  const providers = [file, ...(Array.isArray(file.variants) ? file.variants : []), ...(Array.isArray(file.runs) ? file.runs : [])]
    .flatMap((o) => namesOf((o as { providers?: unknown } | null)?.providers ?? []));
  for (const [run, byVariant] of Object.entries(reference)) {
    if (sweep && runs.length === 0) continue; // the sweep's own problem is reported
    if (!runs.includes(run) && sweep && runs.length > 8) {
      out.push({ path: ['reference', run], key: true, message: `expected a run name (a sweep point such as ${show(runs[0])}), got ${show(run)}${didYouMean(run, runs)}` });
    } else if (!runs.includes(run)) unknown(['reference', run], run, runs, 'run', true);
    if (!byVariant || typeof byVariant !== 'object') continue;
    for (const [v, metrics] of Object.entries(byVariant)) {
      if (!variants.includes(v)) unknown(['reference', run, v], v, variants, 'variant', true);
      if (!metrics || typeof metrics !== 'object') continue;
      for (const key of Object.keys(metrics)) {
        if (isReferenceKey(key, providers)) continue;
        out.push({ path: ['reference', run, v, key], key: true, message: `unknown metric ${show(key)}${didYouMean(key, referenceKeys(providers))}` });
      }
    }
  }
  return out;
}

const sweepValues = z.array(z.unknown()).min(1).describe('Values the field takes, one point each');
/** `sweep:` — field paths (as `--set`) → values; `zip` → paths whose lists vary together. */
const sweepSchema = z
  .object({ zip: z.record(z.string(), sweepValues).optional().describe('Fields whose lists (of equal length) vary together, as one dimension') })
  .catchall(sweepValues);

const markSchema = z.union([
  z.strictObject({ x: z.number().describe('A swept value'), label: z.string().describe('What the line marks') }),
  z.strictObject({
    metric: z.string().describe('A table metric key such as throughputPerS'),
    y: z.number().describe("The value, in the metric's own unit (fractions, ms, requests/s)"),
    label: z.string().describe('What the line marks'),
  }),
], { error: 'expected { x, label } or { metric, y, label }' });

/** The file as written. */
export const fileSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored'),
    name: z.string().describe('Scenario name (required)'),
    seed: seedSchema.default(1).describe('Random seed (default 1; --seed overrides)'),
    ...overridable,
    variants: z.array(variantSchema).min(1)
      .refine((vs) => vs.filter((v) => v.oracle === true).length <= 1, { error: 'expected at most one variant with oracle: true' })
      .optional()
      .describe('Alternatives compared side by side, each { name, …fields overriding the base } (default: one, "default")'),
    baseline: z.string().optional().describe('The variant others are compared against (default: the first variant)'),
    runs: z.array(overrideSchema).min(1).optional()
      .describe('The whole comparison repeated with other overrides, each { name, …fields } (default: one, "default")'),
    reference: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.number()))).optional()
      .describe('Published figures: run name → variant name → metric → number (a sweep\'s runs are its points, named like `workload.concurrency=20`)'),
    sweep: sweepSchema.optional()
      .describe('Run the comparison at every point of a grid: field path → list of values (cartesian product); `zip: { path: [...], … }` varies lists together. Not with `runs`'),
    notes: z.array(z.string()).optional().describe('Remarks shown in the report under the tables (default none)'),
    goal: goalSchema.optional(),
    marks: z.array(markSchema).optional()
      .describe('Reference lines on the sweep charts: { x, label } a vertical line at a swept value; { metric, y, label } a horizontal line on that metric\'s chart, in its own unit'),
  });

/**
 * The JSON Schema of a scenario file (for editors; printed by `gatesim schema`), each repeated
 * subschema written once in `$defs` (see json-schema.ts).
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(fileSchema, { io: 'input', unrepresentable: 'any' }) as Parameters<typeof shareDefinitions>[0];
  const schema = shareDefinitions(generated, ['override', 'variant']);
  return {
    $schema: schema.$schema,
    title: 'gatesim scenario',
    description: 'A gatesim scenario: workload, API keys, balancer, providers, retries, and variants to compare.',
    ...schema,
  };
}

/** `scenarios/scenario.schema.json` as committed and printed by `gatesim schema`. */
export const scenarioJsonSchemaText = (): string => formatJson(scenarioJsonSchema());
