// JSON Schema (2020-12) of the commercialization report, and of the product description a vendor
// gives (suite `product` or --product FILE). The system section uses MLPerf Inference's
// system-description field names (strings, as in an MLPerf submission's systems/*.json), so it
// maps onto a submission and back.
import { METRIC_NAMES } from '../metrics.js';
import { arrayOf, bool, dateTime, mapOf, nonEmpty, nonNegInt, nullable, num, sha256, str, strictObject, type Schema } from './common.js';

export const COMMERCIALIZATION_VERSION = '1.1.0';
export const COMMERCIALIZATION_ID = `https://npuval.dev/schemas/commercialization-report/${COMMERCIALIZATION_VERSION}.json`;

/** MLPerf system-description fields: the first group is required, the rest optional. */
export const MLPERF_REQUIRED_FIELDS = [
  'system_name',
  'number_of_nodes',
  'host_processor_model_name',
  'accelerators_per_node',
  'accelerator_model_name',
  'accelerator_memory_capacity',
  'framework',
  'operating_system',
] as const;
export const MLPERF_OPTIONAL_FIELDS = [
  'submitter',
  'division',
  'status',
  'system_type',
  'host_processors_per_node',
  'host_processor_core_count',
  'host_processor_frequency',
  'host_processor_caches',
  'host_processor_interconnect',
  'host_memory_capacity',
  'host_memory_configuration',
  'host_storage_type',
  'host_storage_capacity',
  'host_networking',
  'host_networking_topology',
  'accelerator_frequency',
  'accelerator_host_interconnect',
  'accelerator_interconnect',
  'accelerator_interconnect_topology',
  'accelerator_memory_configuration',
  'accelerator_on-chip_memories',
  'cooling',
  'hw_notes',
  'other_software_stack',
  'sw_notes',
] as const;

export const systemSchema: Schema = strictObject(
  Object.fromEntries([...MLPERF_REQUIRED_FIELDS, ...MLPERF_OPTIONAL_FIELDS].map((f) => [f, nonEmpty])),
  MLPERF_OPTIONAL_FIELDS,
);

export const productSchema: Schema = strictObject(
  {
    vendor: nonEmpty,
    chip: nonEmpty,
    sdk: strictObject({ name: nonEmpty, version: nonEmpty }),
    versions: mapOf(str),
    modelPackage: strictObject({ name: nonEmpty, version: str, sha256 }, ['version', 'sha256']),
    system: systemSchema,
    /** The device spec in this run that is the product (e.g. proc:furiosa-adapter, ort:cpu for a dry run). */
    device: nonEmpty,
  },
  ['versions', 'modelPackage'],
);

const comparisonSide = strictObject({ device: str, runtime: nullable(str), driver: nullable(str), catalogId: nullable(str) });
/** The NPU-vs-GPU view (reports/comparison.ts), added in 1.1.0. */
const comparisonSchema = strictObject({
  candidate: comparisonSide,
  baseline: comparisonSide,
  note: str,
  workloads: arrayOf(
    strictObject({
      workload: str,
      kind: str,
      model: nullable(str),
      scenario: nullable(str),
      candidateUnit: str,
      baselineUnit: str,
      point: nullable(str),
      rows: arrayOf(
        strictObject({
          metric: { enum: [...METRIC_NAMES] },
          label: str,
          unit: str,
          candidate: nullable(num),
          baseline: nullable(num),
          ratio: nullable(num),
          better: { enum: ['higher', 'lower'] },
          favours: nullable({ enum: ['candidate', 'baseline', 'equal'] }),
        }),
      ),
    }),
  ),
  llm: arrayOf(
    strictObject({
      device: str,
      side: { enum: ['candidate', 'baseline'] },
      workload: str,
      xKind: { enum: ['concurrency', 'rate', 'batch'] },
      x: num,
      ttftP50Ms: nullable(num),
      ttftP99Ms: nullable(num),
      tpotP50Ms: nullable(num),
      outputTokensPerS: nullable(num),
    }),
  ),
});

const evidence = strictObject({ unit: nonEmpty, digest: sha256, value: nullable(num) });
const metricValue = nullable(num);

export const commercializationSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: COMMERCIALIZATION_ID,
  title: 'npuval commercialization report',
  ...strictObject({
    $schema: { const: COMMERCIALIZATION_ID },
    schemaVersion: { const: COMMERCIALIZATION_VERSION },
    generatedAt: dateTime,
    runReport: strictObject({ path: str, sha256, canonicalSha256: sha256 }),
    product: productSchema,
    conformance: arrayOf(
      strictObject({
        device: str,
        unit: str,
        digest: sha256,
        cases: nonNegInt,
        passed: nonNegInt,
        passRatePct: metricValue,
        opsTested: nullable(nonNegInt),
        opsPassing: nullable(nonNegInt),
        opCoveragePct: metricValue,
      }),
    ),
    accuracy: arrayOf(
      strictObject({
        unit: str,
        digest: sha256,
        device: nullable(str),
        model: nullable(str),
        reference: nullable(str),
        metrics: { type: 'object', propertyNames: { enum: [...METRIC_NAMES] }, additionalProperties: metricValue },
      }),
    ),
    performance: strictObject({
      baseline: nullable(strictObject({ path: str, sha256 })),
      note: str,
      workloads: arrayOf(
        strictObject({
          workload: str,
          unit: str,
          digest: sha256,
          baselineUnit: nullable(str),
          metric: { enum: [...METRIC_NAMES] },
          value: metricValue,
          baselineValue: metricValue,
          ratio: metricValue,
          better: nullable(bool),
        }),
      ),
    }),
    efficiency: arrayOf(
      strictObject({
        unit: str,
        digest: sha256,
        device: nullable(str),
        samplesPerSecond: metricValue,
        catalogPeakTflops: metricValue,
        perCatalogTflops: metricValue,
        powerW: metricValue,
        perWatt: metricValue,
        notes: arrayOf(str),
      }),
    ),
    comparison: nullable(comparisonSchema),
    scaling: strictObject({
      measured: bool,
      note: str,
      units: arrayOf(strictObject({ unit: str, digest: sha256, scalingEfficiencyPct: metricValue })),
    }),
    targetContribution: strictObject({ evaluated: bool, note: str, detail: nullable({ type: 'object' }) }),
    criteria: strictObject({ source: str, sha256 }),
    verdicts: arrayOf(
      strictObject({
        id: nonEmpty,
        description: str,
        verdict: { enum: ['pass', 'fail', 'not-measured'] },
        metric: { enum: [...METRIC_NAMES] },
        op: { enum: ['>=', '<='] },
        threshold: num,
        value: metricValue,
        detail: str,
        evidence: arrayOf(evidence),
      }),
    ),
    overall: { enum: ['pass', 'fail', 'incomplete'] },
  }),
};
