// JSON Schema (2020-12) of suite files (JSON or YAML) and of acceptance-criteria files.
import { METRIC_NAMES } from '../metrics.js';
import { arrayOf, nonEmpty, num, str, strictObject, type Schema } from './common.js';
import { UNIT_KINDS } from './run-report.js';
import { productSchema } from './commercialization.js';

export const SUITE_VERSION = '1.0.0';
export const SUITE_ID = `https://npuval.dev/schemas/suite/${SUITE_VERSION}.json`;
export const CRITERIA_VERSION = '1.0.0';
export const CRITERIA_ID = `https://npuval.dev/schemas/criteria/${CRITERIA_VERSION}.json`;

const deviceList: Schema = {
  anyOf: [{ const: 'available' }, { type: 'array', items: nonEmpty, minItems: 1 }],
};

const suiteUnit: Schema = {
  ...strictObject(
    {
      kind: { enum: [...UNIT_KINDS] },
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
  allOf: [
    { if: { properties: { kind: { const: 'scenario' } } }, then: { required: ['model', 'scenario'] } },
    { if: { properties: { kind: { const: 'accuracy' } } }, then: { required: ['model', 'reference'] } },
  ],
};

export const criterionSchema: Schema = strictObject(
  {
    id: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
    description: str,
    metric: { enum: [...METRIC_NAMES] },
    op: { enum: ['>=', '<='] },
    threshold: num,
    select: strictObject(
      { kind: { enum: [...UNIT_KINDS] }, device: nonEmpty, model: nonEmpty, scenario: nonEmpty, unit: nonEmpty },
      ['kind', 'device', 'model', 'scenario', 'unit'],
    ),
    aggregate: { enum: ['min', 'max', 'mean'] },
    relativeTo: { const: 'baseline' },
  },
  ['description', 'select', 'aggregate', 'relativeTo'],
);

export const criteriaSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: CRITERIA_ID,
  title: 'npuval acceptance criteria',
  ...strictObject({ $schema: { const: CRITERIA_ID }, criteria: { type: 'array', items: criterionSchema, minItems: 1 } }, ['$schema']),
};

export const suiteSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: SUITE_ID,
  title: 'npuval suite',
  ...strictObject(
    {
      $schema: { const: SUITE_ID },
      name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
      description: str,
      seed: { type: 'integer', minimum: 0 },
      unitTimeoutS: { type: 'number', exclusiveMinimum: 0 },
      devices: deviceList,
      units: { type: 'array', items: suiteUnit, minItems: 1 },
      baseline: nonEmpty,
      criteria: { anyOf: [nonEmpty, { type: 'array', items: criterionSchema, minItems: 1 }] },
      product: productSchema,
      fleet: arrayOf(strictObject({ device: nonEmpty, count: { type: 'integer', minimum: 1 } })),
      targetDate: { type: 'string', format: 'date' },
    },
    ['$schema', 'description', 'seed', 'unitTimeoutS', 'devices', 'baseline', 'criteria', 'product', 'fleet', 'targetDate'],
  ),
};
