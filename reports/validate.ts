// Schema validation with ajv (JSON Schema 2020-12, strict, all errors, formats). Errors are
// returned as `path: message` lines, the path a JSON Pointer into the document. The unit kinds
// (their result and settings schemas) are handed in once by the harness's workload registry
// (useUnitKinds); without them unit results and settings are checked only for their shape.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { commercializationSchema, COMMERCIALIZATION_ID } from './schemas/commercialization.js';
import { runReportSchemaFor, RUN_REPORT_ID, type KindSchema } from './schemas/run-report.js';
import { criteriaSchemaFor, CRITERIA_ID, suiteSchemaFor, SUITE_ID, SUITE_IDS_ACCEPTED } from './schemas/suite.js';
import type { Schema } from './schemas/common.js';

// ajv-formats is CommonJS: its function is the module itself, and also `.default`.
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export type SchemaName = 'run-report' | 'commercialization-report' | 'suite' | 'criteria';

const SCHEMA_IDS: Readonly<Record<SchemaName, string>> = {
  'run-report': RUN_REPORT_ID,
  'commercialization-report': COMMERCIALIZATION_ID,
  suite: SUITE_ID,
  criteria: CRITERIA_ID,
};

let kinds: readonly KindSchema[] = [];

/** The unit kinds every later validation checks against (the harness's registered workloads). */
export function useUnitKinds(list: readonly KindSchema[]): void {
  kinds = list;
  compiled.clear();
  ajv = null;
}

/** The schema called `name`, built for the unit kinds in use. */
export function schemaOf(name: SchemaName): { id: string; schema: Schema } {
  const build: Record<SchemaName, () => Schema> = {
    'run-report': () => runReportSchemaFor(kinds),
    'commercialization-report': () => commercializationSchema,
    suite: () => suiteSchemaFor(kinds),
    criteria: () => criteriaSchemaFor(kinds),
  };
  return { id: SCHEMA_IDS[name], schema: build[name]() };
}

export const SCHEMA_NAMES = Object.keys(SCHEMA_IDS) as SchemaName[];

// strictRequired is off only because if/then branches name properties declared beside them.
let ajv: Ajv2020 | null = null;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    ajv ??= addFormats(new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true }));
    fn = ajv.compile(schemaOf(name).schema);
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
  for (const name of SCHEMA_NAMES) if (SCHEMA_IDS[name] === id) return name;
  if (SUITE_IDS_ACCEPTED.includes(id as string)) return 'suite';
  return null;
}
