/** The configuration of the workload (`workload:`), beside its spec (spec.ts); composed by scenario/schema.ts. */
import { z } from 'zod';
import { MAX_CLIENTS, MAX_CONCURRENCY, MAX_DATASET_ROWS, MAX_REQUESTS } from '../core/limits.js';
import { arrivalRate, intIn } from '../core/units.js';
import { distribution, tokenDistribution } from '../sim/dist.js';
import type { Workload } from './spec.js';
import { traceSchema } from './trace-schema.js';

/** `workload:` — who sends requests and how fast. */
export const workloadSchema = z
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

