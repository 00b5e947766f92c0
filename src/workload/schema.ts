/** The configuration of the workload (`workload:`), beside its spec (spec.ts); composed by scenario/schema.ts. */
import { z } from 'zod';
import { MAX_CLIENTS, MAX_CONCURRENCY, MAX_DATASET_ROWS, MAX_REQUESTS } from '../core/limits.js';
import { arrivalRate, intIn } from '../core/units.js';
import { distribution, tokenDistribution } from '../sim/dist.js';
import type { Workload } from './spec.js';

/** `workload:` — who sends requests and how fast. */
export const workloadSchema = z
  .strictObject({
    requests: intIn(1, MAX_REQUESTS).default(100).describe(`Total requests (default 100, at most ${MAX_REQUESTS})`),
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
    dataset: z.string().min(1).optional()
      .describe(`A JSONL or CSV file of prompt_tokens, output_tokens rows (relative to the scenario file), sampled uniformly; at most ${MAX_DATASET_ROWS} rows`),
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
  })
  .transform((w): Workload => ({
    requests: w.requests,
    concurrency: w.concurrency ?? (w.arrivals ? undefined : 10),
    think: w.think ?? { dist: 'constant', value: 0 },
    arrivals: w.arrivals && { process: w.arrivals.process, perMs: w.arrivals.rate },
    clients: w.clients,
    // No sizes: the field is absent, so resolved scenarios (and results) look as before tokens.
    ...(w.tokens || w.dataset !== undefined
      ? {
          tokens: {
            prompt: w.tokens?.prompt,
            output: w.tokens?.output,
            maxTokens: w.tokens?.maxTokens,
            // The loader reads the file (relative to the scenario) and fills the rows.
            ...(w.dataset !== undefined ? { rows: { file: w.dataset, prompt: new Int32Array(0), output: new Int32Array(0) } } : {}),
          },
        }
      : {}),
  }));

