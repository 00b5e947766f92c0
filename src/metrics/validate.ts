import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { projectRoot } from '../core/paths.js';

let validate: ValidateFunction | undefined;

/**
 * Checks a parsed results.json against scenarios/results.schema.json (gatesim.results/v1).
 * Returns null when it conforms, else the first problem in one line (`/runs/0/name: must be string`).
 */
export function validateResults(value: unknown): string | null {
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(
    JSON.parse(readFileSync(join(projectRoot(), 'scenarios', 'results.schema.json'), 'utf8')) as object,
  );
  if (validate(value)) return null;
  const e = validate.errors?.[0];
  if (!e) return 'does not conform';
  const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
  return `${e.instancePath || '/'}: ${e.message ?? 'does not conform'}${extra}`;
}
