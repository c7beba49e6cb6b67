// JSON Schema (2020-12) of report.json. Strict at the top level and in the environment, device
// and model sections (a typo fails validation); each unit's `result` is the producing module's
// own object, checked only for its `kind` and core fields while those modules evolve.
import { METRIC_NAMES, type UnitKind } from '../metrics.js';
import {
  arrayOf, bool, dateTime, int, mapOf, nonEmpty, nonNegInt, nullable, num, sha256, str, strictObject, type Schema,
} from './common.js';

export const RUN_REPORT_VERSION = '1.0.0';
export const RUN_REPORT_ID = `https://npuval.dev/schemas/run-report/${RUN_REPORT_VERSION}.json`;

export const UNIT_KINDS: readonly UnitKind[] = ['conformance', 'accuracy', 'scenario', 'micro', 'llm', 'cluster'];

const artifact = strictObject({ path: nonEmpty, role: nonEmpty, sha256, bytes: nonNegInt });

const host = strictObject({ hostname: str, os: str, arch: str, cpuModel: str, cores: nonNegInt, memoryBytes: nonNegInt });

const deviceDescription = strictObject({
  id: nonEmpty,
  kind: { enum: ['ort', 'tfjs', 'endpoint', 'proc'] },
  vendor: nullable(str),
  model: nullable(str),
  runtime: strictObject({ name: str, version: str }),
  backend: strictObject({ name: str, options: mapOf(str) }),
  driver: nullable(strictObject({ name: str, detail: str })),
  host: strictObject({ hostname: str, os: str, arch: str, cpuModel: str, cores: nonNegInt, memoryBytes: nonNegInt, node: str }),
  catalogId: nullable(str),
  notes: arrayOf(str),
});

/** Core fields each kind's result must carry; anything else the module adds is kept as is. */
const resultCore: Record<UnitKind, Record<string, Schema>> = {
  conformance: { counts: mapOf(nonNegInt) },
  accuracy: { reference: str },
  scenario: { scenario: str },
  micro: {},
  llm: {},
  cluster: {},
};

const unitResult: Schema = {
  anyOf: [
    { type: 'null' },
    ...UNIT_KINDS.map((kind) => ({
      type: 'object',
      properties: { kind: { const: kind }, ...resultCore[kind] },
      required: ['kind', ...Object.keys(resultCore[kind])],
    })),
  ],
};

const unit = strictObject({
  id: nonEmpty,
  kind: { enum: [...UNIT_KINDS] },
  title: str,
  device: nullable(str),
  model: nullable(str),
  settings: { type: 'object' },
  status: { enum: ['pass', 'fail', 'error', 'skipped'] },
  validity: strictObject({
    valid: nullable(bool),
    checks: arrayOf(strictObject({ name: str, passed: bool, detail: str })),
    reasons: arrayOf(str),
  }),
  metrics: { type: 'object', propertyNames: { enum: [...METRIC_NAMES] }, additionalProperties: nullable(num) },
  notes: arrayOf(str),
  startedAt: dateTime,
  finishedAt: dateTime,
  durationMs: { type: 'number', minimum: 0 },
  attempts: { type: 'integer', minimum: 1 },
  result: unitResult,
  error: nullable(strictObject({ message: str, exitCode: nullable(int) })),
  artifacts: arrayOf(artifact),
});

export const runReportSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: RUN_REPORT_ID,
  title: 'npuval run report',
  ...strictObject({
    $schema: { const: RUN_REPORT_ID },
    schemaVersion: { const: RUN_REPORT_VERSION },
    tool: strictObject({ name: { const: 'npuval' }, version: nonEmpty, gitCommit: nullable({ type: 'string', pattern: '^[0-9a-f]{7,64}$' }) }),
    command: strictObject({ argv: arrayOf(str), cwd: str }),
    suite: strictObject({ name: nonEmpty, source: { enum: ['builtin', 'file'] }, path: nullable(str), sha256, description: str }),
    seeds: mapOf(int),
    startedAt: dateTime,
    finishedAt: dateTime,
    sessions: {
      type: 'array',
      minItems: 1,
      items: strictObject({ startedAt: dateTime, endedAt: nullable(dateTime), outcome: { enum: ['completed', 'interrupted', 'crashed'] }, argv: arrayOf(str) }),
    },
    complete: bool,
    environment: strictObject({
      host,
      node: nonEmpty,
      ort: strictObject({ version: str, bundledEps: arrayOf(str) }),
      executionProviders: arrayOf(strictObject({ device: str, backend: str, options: mapOf(str) })),
      drivers: arrayOf(strictObject({ device: str, name: str, detail: str })),
      variables: mapOf(str),
    }),
    devices: arrayOf(strictObject({
      spec: nonEmpty,
      available: bool,
      reason: nullable(str),
      description: nullable(deviceDescription),
      catalog: nullable({ type: 'object' }),
    })),
    models: arrayOf(strictObject({
      name: nonEmpty,
      source: { enum: ['zoo', 'file'] },
      family: nullable(str),
      sha256,
      bytes: nonNegInt,
      params: nullable(nonNegInt),
      flopsPerSample: nullable({ type: 'number', minimum: 0 }),
      dtype: nullable(str),
    })),
    units: arrayOf(unit),
    summary: strictObject({
      units: nonNegInt, planned: nonNegInt, pass: nonNegInt, fail: nonNegInt, error: nonNegInt, skipped: nonNegInt, valid: nonNegInt, invalid: nonNegInt,
    }),
    targets: nullable({ type: 'object' }),
    baseline: nullable(strictObject({ path: str, sha256 })),
    notes: arrayOf(str),
    artifacts: arrayOf(artifact),
  }),
};
