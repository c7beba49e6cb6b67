// The `accuracy` workload: the same seeded inputs on the device and on a reference device
// (harness/accuracy): per-output cosine and errors, top-1 for logits, greedy-token agreement for
// decoders. Thresholds decide pass/fail; each is a validity check in the report.
import {
  DEFAULT_CRITERIA,
  parseCriteria,
  readCriteriaFile,
  runAccuracy,
  type AccuracyCriteria,
  type AccuracyResult,
} from '../../accuracy/index.js';
import { arrayOf, bool, nonEmpty, nonNegInt, nullable, num, str } from '../../../reports/schemas/common.js';
import type { InputSample } from '../../../models/input-files.js';
import type { ModelDtype } from '../../../models/resolve.js';
import { inputsNote, planInputSamples } from '../inputs.js';
import { DIMS_SETTING, INPUTS_SETTING, type Resolved, VOCAB_SETTING } from '../settings.js';
import { computeMetrics, type MetricBinding, type Params, type UnitOutcome, type Workload } from '../types.js';

const threshold = (doc: string, flag: string, dflt: number | null, min: number, max?: number) =>
  ({ type: 'number', default: dflt, min, ...(max !== undefined ? { max } : {}), flag, doc }) as const;

const SETTINGS = {
  tokens: {
    type: 'integer',
    default: 16,
    min: 0,
    max: 4096,
    unit: 'tokens',
    flag: 'tokens',
    doc: 'Greedy tokens generated with the KV cache for decoder models (0 skips generation)',
  },
  dims: DIMS_SETTING,
  vocabSize: VOCAB_SETTING,
  inputs: INPUTS_SETTING,
  dtype: {
    type: 'string',
    default: null,
    values: ['float32', 'float16'],
    flag: 'dtype',
    doc: 'Zoo models: build weights and activations in this type (float16: llama presets)',
  },
  criteriaFile: {
    type: 'string',
    default: null,
    flag: 'criteria',
    doc: 'JSON/YAML file of thresholds (minCosine, maxAbsError, maxRelError, minTop1, minTop5, minTokenAgreement; null turns one off)',
  },
  criteria: { type: 'object', default: null, doc: 'Thresholds inline, as in a criteria file; the threshold settings below win' },
  minCosine: threshold(`Lowest cosine similarity of any output (default ${DEFAULT_CRITERIA.minCosine})`, 'min-cosine', null, -1, 1),
  maxAbsError: threshold('Largest absolute error of any output (default: not checked)', 'max-abs-error', null, 0),
  maxRelError: threshold('Largest relative error of any output (default: not checked)', 'max-rel-error', null, 0),
  minTop1: threshold(`Lowest top-1 agreement of logits rows (default ${DEFAULT_CRITERIA.minTop1})`, 'min-top1', null, 0, 1),
  minTop5: threshold(
    `Lowest fraction of rows with the reference argmax in the device top 5 (default ${DEFAULT_CRITERIA.minTop5})`,
    'min-top5',
    null,
    0,
    1,
  ),
  minTokenAgreement: threshold(
    `Lowest mean fraction of greedy tokens before the first divergence (default ${DEFAULT_CRITERIA.minTokenAgreement})`,
    'min-token-agreement',
    null,
    0,
    1,
  ),
} as const;

type S = typeof SETTINGS;

interface AccuracyParams extends Params<S> {
  readonly model: string;
  readonly reference: string;
  readonly samples: number;
  readonly criteria: Partial<AccuracyCriteria>;
  /** The inputs folder's samples (checked at plan time); null: seeded samples. */
  readonly inputSamples: readonly InputSample[] | null;
}

/** Thresholds: the file, then the inline object, then each threshold setting (a flag wins over a file). */
function criteriaOf(s: Resolved<S>, where: string): Partial<AccuracyCriteria> {
  const out: Partial<Record<keyof AccuracyCriteria, number | null>> = {
    ...(s.criteriaFile ? readCriteriaFile(s.criteriaFile) : {}),
    ...(s.criteria ? parseCriteria(s.criteria, `${where}: setting "criteria"`) : {}),
  };
  for (const key of Object.keys(DEFAULT_CRITERIA) as (keyof AccuracyCriteria)[]) if (s[key] !== null) out[key] = s[key];
  return out;
}

function worst(values: readonly (number | null)[], pick: (a: number, b: number) => number): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => pick(a, b)) : null;
}

const logitRows = (r: AccuracyResult) => r.outputs.filter((o) => o.topK).reduce((n, o) => n + o.topK!.rows, 0);

const METRICS: readonly MetricBinding<AccuracyResult>[] = [
  {
    name: 'cosine_similarity_min',
    compute: (r) =>
      worst(
        r.outputs.map((o) => o.minCosine),
        Math.min,
      ),
  },
  {
    name: 'max_abs_error',
    compute: (r) =>
      worst(
        r.outputs.map((o) => o.maxAbsError),
        Math.max,
      ),
  },
  {
    name: 'max_rel_error',
    compute: (r) =>
      worst(
        r.outputs.map((o) => o.maxRelError),
        Math.max,
      ),
  },
  {
    name: 'top1_agreement_pct',
    compute: (r) => (100 * r.outputs.reduce((n, o) => n + (o.topK ? o.topK.top1 * o.topK.rows : 0), 0)) / logitRows(r),
  },
  { name: 'token_agreement_pct', compute: (r) => (r.generation ? 100 * r.generation.agreement : null) },
];

export function accuracyOutcome(r: AccuracyResult): UnitOutcome {
  const notes: string[] = [];
  if (r.generationNote) notes.push(r.generationNote);
  const nonFinite = r.outputs.reduce((n, o) => n + o.nonFinite, 0);
  if (nonFinite) notes.push(`${nonFinite} non-finite output value(s)`);
  const checks = r.checks.map((c) => ({
    name: c.name,
    passed: c.pass,
    detail: `${c.value === null ? 'not measured' : c.value.toPrecision(6)} vs ${c.name.startsWith('max') ? '≤' : '≥'} ${c.threshold}`,
  }));
  const metrics = computeMetrics(METRICS, r);
  // Metrics the model has no data for are left out, not reported as "not measured".
  if (!logitRows(r)) delete metrics.top1_agreement_pct;
  if (!r.generation) delete metrics.token_agreement_pct;
  return {
    status: r.pass ? 'pass' : 'fail',
    validity: { valid: r.pass, checks, reasons: checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`) },
    metrics,
    notes,
    result: { kind: 'accuracy', ...r },
  };
}

const resultSchema = {
  type: 'object',
  properties: {
    schema: { const: 'npuval.accuracy/1' },
    model: nonEmpty,
    dtype: nullable({ enum: ['float32', 'float16'] }),
    device: nonEmpty,
    reference: nonEmpty,
    samples: nonNegInt,
    seed: nonNegInt,
    inputs: nullable(str),
    dims: { type: 'object', additionalProperties: nonNegInt },
    outputs: arrayOf({
      type: 'object',
      properties: { name: str, minCosine: nullable(num), maxAbsError: num },
      required: ['name', 'minCosine', 'maxAbsError'],
    }),
    generation: nullable({ type: 'object', properties: { tokens: nonNegInt, agreement: num }, required: ['tokens', 'agreement'] }),
    generationNote: nullable(str),
    criteria: { type: 'object' },
    checks: arrayOf({
      type: 'object',
      properties: { name: str, value: nullable(num), threshold: num, pass: bool },
      required: ['name', 'value', 'threshold', 'pass'],
    }),
    pass: bool,
  },
  required: [
    'schema',
    'model',
    'dtype',
    'device',
    'reference',
    'samples',
    'seed',
    'dims',
    'outputs',
    'generation',
    'generationNote',
    'criteria',
    'checks',
    'pass',
  ],
  additionalProperties: false,
};

export const accuracyWorkload: Workload<S, AccuracyParams> = {
  kind: 'accuracy',
  summary: "Compare a model's outputs on a device with a reference device on the same seeded inputs (cosine, errors, top-k, greedy tokens)",
  settings: SETTINGS,
  fields: { model: 'required', reference: 'required', samples: 'optional' },
  needsDevice: true,
  name: (u) => `accuracy:${u.model}~${u.reference}`,
  title: (u) => `accuracy of ${u.model} vs ${u.reference}`,
  resolve(unit, settings, plan) {
    return {
      unit,
      settings,
      model: unit.model!,
      reference: unit.reference!,
      samples: unit.samples ?? 4,
      criteria: criteriaOf(settings, `unit ${plan.unitId}`),
      inputSamples: planInputSamples(plan.unitId, unit.model!, (settings.dtype ?? undefined) as ModelDtype | undefined, settings, {
        rows: false,
      }),
    };
  },
  needs: (p) => ({
    models: [{ name: p.model, ...(p.settings.dtype ? { dtype: p.settings.dtype as 'float32' | 'float16' } : {}) }],
    devices: [p.reference],
  }),
  async run(p, ctx) {
    const model = ctx.model(p.model);
    const vocab = p.settings.vocabSize ?? model.zoo?.config.vocab_size;
    const r = await runAccuracy(
      {
        device: ctx.device!,
        reference: ctx.otherDevice(p.reference),
        model: p.model,
        source: model.source,
        vocabSize: typeof vocab === 'number' ? vocab : null,
        samples: p.samples,
        seed: ctx.seed,
        tokens: p.settings.tokens,
        dims: p.settings.dims ?? undefined,
        criteria: p.criteria,
        dtype: (p.settings.dtype as 'float32' | 'float16' | null) ?? undefined,
        inputs: p.inputSamples
          ? { folder: p.settings.inputs!, feeds: p.inputSamples.map((x) => x.feeds), dims: p.inputSamples[0]!.dims }
          : undefined,
      },
      ctx.journal,
    );
    const outcome = accuracyOutcome(r);
    return p.inputSamples ? { ...outcome, notes: [inputsNote(p.settings.inputs!, p.inputSamples), ...outcome.notes] } : outcome;
  },
  resultSchema,
  headline: ['cosine_similarity_min', 'max_abs_error', 'max_rel_error', 'top1_agreement_pct', 'token_agreement_pct'],
};
