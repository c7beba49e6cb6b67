// Schema validation with ajv (JSON Schema 2020-12, strict, all errors, formats). Errors are
// returned as `path: message` lines, the path a JSON Pointer into the document.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { commercializationSchema, COMMERCIALIZATION_ID } from './schemas/commercialization.js';
import { runReportSchema, RUN_REPORT_ID } from './schemas/run-report.js';
import { criteriaSchema, CRITERIA_ID, suiteSchema, SUITE_ID } from './schemas/suite.js';
import type { Schema } from './schemas/common.js';

// ajv-formats is CommonJS: its function is the module itself, and also `.default`.
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export type SchemaName = 'run-report' | 'commercialization-report' | 'suite' | 'criteria';

export const SCHEMAS: Readonly<Record<SchemaName, { id: string; schema: Schema }>> = {
  'run-report': { id: RUN_REPORT_ID, schema: runReportSchema },
  'commercialization-report': { id: COMMERCIALIZATION_ID, schema: commercializationSchema },
  suite: { id: SUITE_ID, schema: suiteSchema },
  criteria: { id: CRITERIA_ID, schema: criteriaSchema },
};

// strictRequired is off only because if/then branches name properties declared beside them.
let ajv: Ajv2020 | null = null;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    ajv ??= addFormats(new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true }));
    fn = ajv.compile(SCHEMAS[name].schema);
    compiled.set(name, fn);
  }
  return fn;
}

/** Validates `doc`; returns [] when valid, else one `path: message` line per problem. */
export function validate(name: SchemaName, doc: unknown): string[] {
  const fn = validator(name);
  if (fn(doc)) return [];
  return formatErrors(fn.errors ?? []);
}

/** ajv's errors as `path: message`; anyOf/if branches are folded so each real problem shows once. */
export function formatErrors(errors: readonly ErrorObject[]): string[] {
  const lines: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    let path = e.instancePath || '/';
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      path = `${e.instancePath}/${prop}`;
      message = 'is not an allowed property';
    } else if (e.keyword === 'required') {
      path = `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    }
    const line = `${path}: ${message}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

/** Which schema a document declares through its `$schema`, if one of ours. */
export function schemaNameOf(doc: unknown): SchemaName | null {
  const id = (doc as { $schema?: unknown } | null)?.$schema;
  for (const [name, s] of Object.entries(SCHEMAS) as [SchemaName, { id: string }][]) if (s.id === id) return name;
  return null;
}
