import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(readFileSync('scenarios/results.schema.json', 'utf8')) as object);

/** A results.json against scenarios/results.schema.json: '' when it conforms, else why not. */
export function schemaErrors(results: unknown): string {
  return validate(results) ? '' : ajv.errorsText(validate.errors);
}
