// JSON Schema (2020-12) of suite files (JSON or YAML) and of acceptance-criteria files. The unit
// kinds, their required fields and their `settings` come from the workloads (KindSchema), so a
// suite is checked against exactly the settings each kind declares.
import { METRIC_NAMES } from '../metrics.js';
import { arrayOf, nonEmpty, num, str, strictObject, type Schema } from './common.js';
import { kindEnum, type KindSchema } from './run-report.js';
import { productSchema } from './commercialization.js';

// 1.1.0: each kind's `settings` checked against the settings its workload declares.
export const SUITE_VERSION = '1.1.0';
export const SUITE_ID = `https://npuval.dev/schemas/suite/${SUITE_VERSION}.json`;
/** Suites written for 1.0.0 are still read: 1.1.0 only checks their settings more closely. */
export const SUITE_IDS_ACCEPTED = [SUITE_ID, 'https://npuval.dev/schemas/suite/1.0.0.json'];
export const CRITERIA_VERSION = '1.0.0';
export const CRITERIA_ID = `https://npuval.dev/schemas/criteria/${CRITERIA_VERSION}.json`;

const deviceList: Schema = {
  anyOf: [{ const: 'available' }, { type: 'array', items: nonEmpty, minItems: 1 }],
};

const suiteUnit = (kinds: readonly KindSchema[]): Schema => ({
  ...strictObject(
    {
      kind: kindEnum(kinds),
      id: { type: 'string', pattern: '^[A-Za-z0-9._:/-]+$' },
      title: str,
      devices: deviceList,
      deviceKinds: { type: 'array', items: { enum: ['ort', 'tfjs', 'endpoint', 'proc'] }, minItems: 1, uniqueItems: true },
      model: nonEmpty,
      scenario: { enum: ['single-stream', 'multi-stream', 'server', 'offline'] },
      reference: nonEmpty,
      filter: nonEmpty,
      onnxTests: arrayOf(nonEmpty),
      samples: { type: 'integer', minimum: 1 },
      timeoutS: { type: 'number', exclusiveMinimum: 0 },
      settings: { type: 'object' },
    },
    ['id', 'title', 'devices', 'deviceKinds', 'model', 'scenario', 'reference', 'filter', 'onnxTests', 'samples', 'timeoutS', 'settings'],
  ),
  allOf: kinds.map((k) => ({
    if: { properties: { kind: { const: k.kind } }, required: ['kind'] },
    then: { properties: { settings: k.settings }, ...(k.required.length ? { required: [...k.required] } : {}) },
  })),
});

export const criterionSchemaFor = (kinds: readonly KindSchema[]): Schema =>
  strictObject(
    {
      id: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
      description: str,
      metric: { enum: [...METRIC_NAMES] },
      op: { enum: ['>=', '<='] },
      threshold: num,
      select: strictObject({ kind: kindEnum(kinds), device: nonEmpty, model: nonEmpty, scenario: nonEmpty, unit: nonEmpty }, [
        'kind',
        'device',
        'model',
        'scenario',
        'unit',
      ]),
      aggregate: { enum: ['min', 'max', 'mean'] },
      relativeTo: { const: 'baseline' },
    },
    ['description', 'select', 'aggregate', 'relativeTo'],
  );

export const criteriaSchemaFor = (kinds: readonly KindSchema[]): Schema => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: CRITERIA_ID,
  title: 'npuval acceptance criteria',
  ...strictObject({ $schema: { const: CRITERIA_ID }, criteria: { type: 'array', items: criterionSchemaFor(kinds), minItems: 1 } }, [
    '$schema',
  ]),
});

export const suiteSchemaFor = (kinds: readonly KindSchema[]): Schema => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: SUITE_ID,
  title: 'npuval suite',
  ...strictObject(
    {
      $schema: { enum: SUITE_IDS_ACCEPTED },
      name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
      description: str,
      seed: { type: 'integer', minimum: 0 },
      unitTimeoutS: { type: 'number', exclusiveMinimum: 0 },
      devices: deviceList,
      units: { type: 'array', items: suiteUnit(kinds), minItems: 1 },
      baseline: nonEmpty,
      criteria: { anyOf: [nonEmpty, { type: 'array', items: criterionSchemaFor(kinds), minItems: 1 }] },
      product: productSchema,
      // measuredBy: the run device whose measured rate stands for the catalog device (e.g. a CPU stand-in in a dry run).
      fleet: arrayOf(strictObject({ device: nonEmpty, count: { type: 'integer', minimum: 1 }, measuredBy: nonEmpty }, ['measuredBy'])),
      targetDate: { type: 'string', format: 'date' },
    },
    ['$schema', 'description', 'seed', 'unitTimeoutS', 'devices', 'baseline', 'criteria', 'product', 'fleet', 'targetDate'],
  ),
});
