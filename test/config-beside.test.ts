import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scenarioSchema } from '../src/scenario/schema.js';
import { workloadSchema } from '../src/workload/schema.js';
import { keysSchema } from '../src/keys/schema.js';
import { providersSchema, requestSchema } from '../src/providers/schema.js';
import { healthSchema, retrySchema } from '../src/policies/schema.js';
import { sloSchema } from '../src/core/goal-schema.js';

/** The schema under a field's default, prefault or optional wrappers (each `.describe` keeps the object). */
function unwrap(s: z.ZodType): z.ZodType {
  let out = s;
  while (out instanceof z.ZodDefault || out instanceof z.ZodPrefault || out instanceof z.ZodOptional) out = out.unwrap() as z.ZodType;
  return out;
}

/**
 * Each component owns its configuration (issue 20): scenario/schema.ts composes the schemas its
 * components export and defines none of them itself. A field re-declared in scenario/schema.ts is a
 * different object and fails here.
 */
describe('configuration beside its component', () => {
  const shape = (scenarioSchema.in as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  const owners: Record<string, z.ZodType> = {
    workload: workloadSchema,
    keys: keysSchema,
    providers: providersSchema,
    retry: retrySchema,
    health: healthSchema,
    request: requestSchema,
    slo: sloSchema,
  };

  it.each(Object.keys(owners))('%s is the schema its component exports', (field) => {
    const inner = unwrap(shape[field]!);
    // `.describe()` clones a schema: compare what the clone shares with the component's export (a
    // pipe's input object, or the definition itself).
    const core = (s: z.ZodType): unknown => (s instanceof z.ZodPipe ? s.in : s._zod.def);
    expect(core(inner)).toBe(core(owners[field]!));
  });

  it('every field of a scenario is a component export or a plain value', () => {
    const composed = new Set([...Object.keys(owners), 'balancer']);
    const plain = Object.keys(shape).filter((f) => !composed.has(f));
    // What is left are values with no component behind them: the name, free text, a choice of two.
    expect(plain.sort()).toEqual(['connections', 'description', 'name']);
  });
});
