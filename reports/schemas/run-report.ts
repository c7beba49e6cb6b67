// JSON Schema (2020-12) of report.json. Strict at the top level and in the environment, device
// and model sections (a typo fails validation). Each unit's `result` is checked against the
// result schema of the workload that produced it: the harness passes those in (KindSchema), since
// reports/ runs no workload and knows no unit kind by name.
import { METRIC_NAMES } from '../metrics.js';
import {
  arrayOf,
  bool,
  dateTime,
  int,
  mapOf,
  nonEmpty,
  nonNegInt,
  nullable,
  num,
  sha256,
  str,
  strictObject,
  type Schema,
} from './common.js';

// 2.0.0: unit results checked per kind against the workload's schema; units carry `headline`.
export const RUN_REPORT_VERSION = '2.0.0';
export const RUN_REPORT_ID = `https://npuval.dev/schemas/run-report/${RUN_REPORT_VERSION}.json`;

/** What a unit kind contributes to the schemas: its result schema and its suite-entry rules. */
export interface KindSchema {
  readonly kind: string;
  /** The JSON Schema of the unit's `result` object (its `kind` property is added here). */
  readonly result: Schema;
  /** The JSON Schema of a suite unit's `settings` object. */
  readonly settings: Schema;
  /** The JSON Schema of a unit's `settings` as the report records them (every declared key, defaults filled in). */
  readonly recordedSettings: Schema;
  /** Suite unit fields the kind requires besides `kind` (e.g. model, scenario). */
  readonly required: readonly string[];
}

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

/** Where a unit ran in a clustered run (`npuval cluster merge`): its shard, worker, node and the device spec it opened. */
const placement = strictObject({ shard: nonNegInt, worker: nonEmpty, node: nonEmpty, device: nullable(str) });

/** A merged clustered run: the launcher, the plan every shard came from, and each shard's worker. */
const cluster = strictObject({
  launcher: { enum: ['local', 'slurm', 'k8s', 'manual'] },
  planDigest: sha256,
  shards: { type: 'integer', minimum: 1 },
  workers: arrayOf(strictObject({ shard: nonNegInt, worker: nonEmpty, node: nonEmpty, units: arrayOf(str), journal: nonEmpty })),
});

/** A unit's `result` must match the schema of the unit's own kind (one if/then branch per kind, so errors name the right fields). */
function resultByKind(kinds: readonly KindSchema[]): Schema[] {
  return kinds.map((k) => ({
    if: { properties: { kind: { const: k.kind } }, required: ['kind'] },
    then: {
      properties: {
        // The settings the unit ran with: exactly the kind's declared settings, defaults filled in.
        settings: k.recordedSettings,
        result: nullable({
          ...k.result,
          type: 'object',
          properties: { ...((k.result.properties as Record<string, Schema> | undefined) ?? {}), kind: { const: k.kind } },
          required: ['kind', ...((k.result.required as string[] | undefined) ?? []).filter((r) => r !== 'kind')],
        }),
      },
    },
  }));
}

const unit = (kinds: readonly KindSchema[]): Schema => ({
  ...strictObject(
    {
      id: nonEmpty,
      workload: nonEmpty,
      kind: kindEnum(kinds),
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
      headline: arrayOf({ enum: [...METRIC_NAMES] }),
      notes: arrayOf(str),
      startedAt: dateTime,
      finishedAt: dateTime,
      durationMs: { type: 'number', minimum: 0 },
      attempts: { type: 'integer', minimum: 1 },
      result: nullable({ type: 'object', properties: { kind: str }, required: ['kind'] }),
      error: nullable(strictObject({ message: str, exitCode: nullable(int) })),
      artifacts: arrayOf(artifact),
      placement,
      details: arrayOf(str),
    },
    ['placement', 'details'],
  ),
  ...(kinds.length ? { allOf: resultByKind(kinds) } : {}),
});

/** A kind as an enum of the registered kinds (any string when none are given). */
export function kindEnum(kinds: readonly KindSchema[]): Schema {
  return kinds.length ? { enum: kinds.map((k) => k.kind) } : nonEmpty;
}

export const runReportSchemaFor = (kinds: readonly KindSchema[]): Schema => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: RUN_REPORT_ID,
  title: 'npuval run report',
  ...strictObject(
    {
      $schema: { const: RUN_REPORT_ID },
      schemaVersion: { const: RUN_REPORT_VERSION },
      tool: strictObject({
        name: { const: 'npuval' },
        version: nonEmpty,
        gitCommit: nullable({ type: 'string', pattern: '^[0-9a-f]{7,64}$' }),
      }),
      command: strictObject({ argv: arrayOf(str), cwd: str }),
      suite: strictObject({ name: nonEmpty, source: { enum: ['builtin', 'file'] }, path: nullable(str), sha256, description: str }),
      seeds: mapOf(int),
      startedAt: dateTime,
      finishedAt: dateTime,
      sessions: {
        type: 'array',
        minItems: 1,
        items: strictObject({
          startedAt: dateTime,
          endedAt: nullable(dateTime),
          outcome: { enum: ['completed', 'interrupted', 'crashed'] },
          argv: arrayOf(str),
        }),
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
      devices: arrayOf(
        strictObject({
          spec: nonEmpty,
          available: bool,
          reason: nullable(str),
          description: nullable(deviceDescription),
          catalog: nullable({ type: 'object' }),
        }),
      ),
      models: arrayOf(
        strictObject({
          name: nonEmpty,
          source: { enum: ['zoo', 'file'] },
          family: nullable(str),
          sha256,
          bytes: nonNegInt,
          params: nullable(nonNegInt),
          flopsPerSample: nullable({ type: 'number', minimum: 0 }),
          dtype: nullable(str),
        }),
      ),
      units: arrayOf(unit(kinds)),
      summary: strictObject({
        units: nonNegInt,
        planned: nonNegInt,
        pass: nonNegInt,
        fail: nonNegInt,
        error: nonNegInt,
        skipped: nonNegInt,
        valid: nonNegInt,
        invalid: nonNegInt,
      }),
      targets: nullable({ type: 'object' }),
      baseline: nullable(strictObject({ path: str, sha256 })),
      notes: arrayOf(str),
      artifacts: arrayOf(artifact),
      cluster,
    },
    ['cluster'],
  ),
});
