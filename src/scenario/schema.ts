/**
 * The zod schema of a scenario file, composed from each component's own configuration schema
 * (workload/, keys/, providers/, policies/, core/goal-schema.ts, the limiter and balancer
 * registries) plus the checks across components. Three views of one set of fields:
 * - `scenarioSchema`: one fully merged (run × variant) scenario → the resolved `Scenario` (minus seed);
 * - `overrideSchema`: a `variants` / `runs` entry — every field optional (deep), still strict and typed;
 * - `fileSchema`: the file as written: base scenario + variants, runs, baseline, reference.
 */
import { z } from 'zod';
import { balancers } from '../balancers/index.js';
import { named } from '../core/registry.js';
import { goalSchema, sloSchema } from '../core/goal-schema.js';
import { keysSchema } from '../keys/schema.js';
import { providersSchema, requestSchema } from '../providers/schema.js';
import { workloadSchema } from '../workload/schema.js';
import { healthSchema, retrySchema } from '../policies/schema.js';
import type { Scenario } from './types.js';
import { sizeProblems, tokenProblems } from './checks.js';
import { formatJson, overridesFromBase, shareDefinitions, type JsonObject } from './json-schema.js';
import { seedSchema } from '../core/units.js';

/** The fields a variant or run may override. */
const overridable = {
  description: z.string().optional().describe('Free text (default none)'),
  workload: workloadSchema.prefault({}).describe('Who sends requests and how fast (default 100 requests, 10 workers)'),
  keys: keysSchema.prefault({}).describe('The client-side API key pool (default: one key, no limit)'),
  balancer: named(balancers, 'balancer').prefault('round-robin')
    .describe('How a provider is picked: a name or { type: name, …options } (default round-robin)'),
  providers: providersSchema,
  connections: z.enum(['pooled', 'fresh']).default('pooled')
    .describe('pooled: reuse connections; fresh: a handshake per request (default pooled)'),
  retry: retrySchema.prefault({}).describe('Retries of failed attempts (default: none)'),
  request: requestSchema.prefault({}).describe('Real mode: what each request asks for (default: a one-word completion)'),
  health: healthSchema.prefault({}).describe('How providers are judged healthy: passive, cooldown, breaker, active checks (default: all healthy)'),
  slo: sloSchema.optional().describe('Per-request SLOs: a request counts toward goodput when it succeeded within every bound given (default: every success counts)'),
};

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
 * discriminated unions keep their discriminator required. The JSON Schema's twin of it is
 * json-schema.ts's `partialOf` (test/json-schema.test.ts checks that they agree): change both.
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
  const generated = z.toJSONSchema(fileSchema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  // zod writes an override's fields as new schemas; rewritten from the base's, they share its leaves.
  const entries = ['override', 'variant'];
  const schema = shareDefinitions(overridesFromBase(generated, entries, Object.keys(overridable)), entries);
  return {
    $schema: schema.$schema,
    title: 'gatesim scenario',
    description: 'A gatesim scenario: workload, API keys, balancer, providers, retries, and variants to compare.',
    ...schema,
  };
}

/** `scenarios/scenario.schema.json` as committed and printed by `gatesim schema`. */
export const scenarioJsonSchemaText = (): string => formatJson(scenarioJsonSchema());

export { nameProblems, type NameProblem } from './names.js';
