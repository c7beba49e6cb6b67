// The `accuracy` unit: the same seeded inputs on the device and on a reference device
// (harness/accuracy): per-output cosine and errors, top-1 for logits, greedy-token agreement for
// decoders. The runner's thresholds decide pass/fail; each is a validity check in the report.
import { parseCriteria, runAccuracy, type AccuracyCriteria, type AccuracyResult } from '../../accuracy/index.js';
import { InputError } from '../../errors.js';
import { checkSettingKeys, settingName, type PlannedUnitSpec, type UnitExecutor, type UnitOutcome } from './types.js';

const SETTING_KEYS = ['tokens', 'dims', 'criteria'] as const;

function worst(values: readonly (number | null)[], pick: (a: number, b: number) => number): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => pick(a, b)) : null;
}

export function accuracyOutcome(r: AccuracyResult, settings: Record<string, unknown>): UnitOutcome {
  const logits = r.outputs.filter((o) => o.topK);
  const rows = logits.reduce((n, o) => n + o.topK!.rows, 0);
  const notes: string[] = [];
  if (r.generationNote) notes.push(r.generationNote);
  const nonFinite = r.outputs.reduce((n, o) => n + o.nonFinite, 0);
  if (nonFinite) notes.push(`${nonFinite} non-finite output value(s)`);
  const checks = r.checks.map((c) => ({
    name: c.name, passed: c.pass,
    detail: `${c.value === null ? 'not measured' : c.value.toPrecision(6)} vs ${c.name.startsWith('max') ? '≤' : '≥'} ${c.threshold}`,
  }));
  return {
    status: r.pass ? 'pass' : 'fail',
    validity: { valid: r.pass, checks, reasons: checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`) },
    metrics: {
      cosine_similarity_min: worst(r.outputs.map((o) => o.minCosine), Math.min),
      max_abs_error: worst(r.outputs.map((o) => o.maxAbsError), Math.max),
      max_rel_error: worst(r.outputs.map((o) => o.maxRelError), Math.max),
      ...(rows ? { top1_agreement_pct: (100 * logits.reduce((n, o) => n + o.topK!.top1 * o.topK!.rows, 0)) / rows } : {}),
      ...(r.generation ? { token_agreement_pct: 100 * r.generation.agreement } : {}),
    },
    notes,
    result: { kind: 'accuracy', ...r },
    settings,
  };
}

export interface AccuracyUnitSettings {
  readonly tokens?: number;
  readonly dims?: Readonly<Record<string, number>>;
  readonly criteria?: Partial<AccuracyCriteria>;
}

/** The unit's settings, each checked for its type (exit 2); `npuval run` also calls it while planning. */
export function accuracyUnitSettings(unit: PlannedUnitSpec): AccuracyUnitSettings {
  const s = unit.spec.settings ?? {};
  checkSettingKeys(unit.id, s, SETTING_KEYS);
  const where = (key: string) => settingName(unit.id, key);
  const count = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (s.tokens !== undefined && !count(s.tokens, 0)) throw new InputError(`${where('tokens')} must be a non-negative integer (0 skips generation)`);
  if (s.dims !== undefined) {
    if (typeof s.dims !== 'object' || s.dims === null || Array.isArray(s.dims)) throw new InputError(`${where('dims')} must be an object of dim name → size`);
    for (const [k, v] of Object.entries(s.dims)) if (!count(v, 1)) throw new InputError(`${where('dims')}: "${k}" must be a positive integer`);
  }
  return {
    tokens: s.tokens as number | undefined,
    dims: s.dims as Record<string, number> | undefined,
    criteria: s.criteria === undefined ? undefined : parseCriteria(s.criteria, where('criteria')),
  };
}

export const runAccuracyUnit: UnitExecutor = async (unit, ctx) => {
  if (!unit.device) throw new InputError(`accuracy unit ${unit.id} needs a device`);
  const s = unit.spec.settings ?? {};
  const r = await runAccuracy({
    device: unit.device,
    reference: unit.spec.reference!,
    model: unit.spec.model!,
    samples: unit.spec.samples ?? 2,
    seed: ctx.seed,
    ...accuracyUnitSettings(unit),
  }, ctx.journal);
  return accuracyOutcome(r, { ...s, reference: unit.spec.reference, samples: unit.spec.samples ?? 2 });
};
