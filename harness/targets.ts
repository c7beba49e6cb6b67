// Target evaluation: how far a fleet of accelerators is from the programme's PF targets.
// Pure functions over the seed data (seeds/targets.json) and the hardware catalog; the result
// records every input, every catalog figure with its source, and every interpretation made
// (the date anchoring and the precision, which the policy document does not state).
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import targetsJson from '../seeds/targets.json' with { type: 'json' };
import targetsSchema from '../seeds/targets.schema.json' with { type: 'json' };
import { catalogEntry, loadCatalog, peakTflops, PRECISIONS } from '../devices/catalog.js';
import type { Catalog, Precision, PeakFigure } from '../devices/catalog.js';
import { readInputText } from './input-file.js';
import YAML from 'yaml';
import { fleetSchema, FLEET_ID } from '../reports/schemas/fleet.js';
import type { RunReport, UnitRecord } from '../reports/types.js';
import { InputError } from './errors.js';

// ---- seed data ---------------------------------------------------------------------------

export interface Provenance {
  readonly section: string;
  readonly line: number;
  readonly quote: string;
  readonly translation?: string;
}

export interface Milestone {
  readonly year: number;
  readonly anchorDate: string;
  readonly pf: number;
}

export interface ComputeTarget {
  readonly id: string;
  readonly description: string;
  readonly unit: 'PF';
  readonly milestones: readonly Milestone[];
  readonly precisionStated: false;
  readonly unstated: readonly string[];
  readonly anchorInterpretation: string;
  readonly provenance: readonly Provenance[];
}

export interface Targets {
  readonly schemaVersion: 1;
  readonly document: {
    readonly title: string;
    readonly titleEn: string;
    readonly issuer: string;
    readonly date: string;
    readonly path: string;
    readonly readme?: string;
  };
  readonly computeTargets: readonly ComputeTarget[];
  readonly deviceCounts: readonly {
    readonly id: string;
    readonly description: string;
    readonly catalogId?: string;
    readonly deviceClass: string;
    readonly count: number;
    readonly qualifier: 'exact' | 'at-least' | 'about' | 'up-to';
    readonly by?: string;
    readonly provenance: readonly Provenance[];
    readonly notes?: readonly string[];
  }[];
  readonly shares: readonly {
    readonly id: string;
    readonly description: string;
    readonly fraction: number;
    readonly qualifier: string;
    readonly by: string;
    readonly provenance: readonly Provenance[];
    readonly notes?: readonly string[];
  }[];
  readonly discrepancies: readonly { readonly about: string; readonly description: string; readonly provenance: readonly Provenance[] }[];
}

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
let validateTargetsFn: ReturnType<Ajv2020['compile']> | undefined;

/** Checks targets data against seeds/targets.schema.json; one "<pointer> <message>" per problem. */
export function validateTargets(data: unknown): { valid: boolean; errors: string[] } {
  if (!validateTargetsFn) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    validateTargetsFn = ajv.compile(targetsSchema);
  }
  const valid = validateTargetsFn(data) as boolean;
  const errors = valid ? [] : (validateTargetsFn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  if (valid) {
    for (const t of (data as Targets).computeTargets) {
      const dates = t.milestones.map((m) => Date.parse(m.anchorDate));
      if (dates.some((d, i) => i > 0 && d <= dates[i - 1]!))
        errors.push(`/computeTargets/${t.id} milestones must be in increasing date order`);
    }
  }
  return { valid: errors.length === 0, errors };
}

let cachedTargets: Targets | undefined;

/** The validated seed targets (or `data`, validated, uncached). Throws InputError (exit 2). */
export function loadTargets(data?: unknown): Targets {
  if (data === undefined && cachedTargets) return cachedTargets;
  const candidate = data ?? targetsJson;
  const { valid, errors } = validateTargets(candidate);
  if (!valid) throw new InputError(`seeds/targets.json is invalid: ${errors.join('; ')}.`);
  if (data === undefined) cachedTargets = candidate as Targets;
  return candidate as Targets;
}

// ---- target for a date -------------------------------------------------------------------

export type TargetRule = 'before-first-milestone' | 'interpolated' | 'at-milestone' | 'after-last-milestone';

export interface TargetAtDate {
  readonly targetId: string;
  readonly date: string;
  readonly pf: number;
  /** Which rule produced `pf`: clamped to the first/last figure, exactly a milestone, or linear in between. */
  readonly rule: TargetRule;
  readonly explanation: string;
  readonly from: Milestone;
  readonly to: Milestone;
  readonly anchorInterpretation: string;
  readonly precisionStated: false;
  readonly provenance: readonly Provenance[];
}

const DAY_MS = 86_400_000;

function parseDate(date: string, field: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw new InputError(`${field} "${date}" is not a date in YYYY-MM-DD form.`);
  }
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new InputError(`${field} "${date}" is not a real calendar date.`);
  return ms;
}

/**
 * The target PF on `date` (YYYY-MM-DD, UTC): linear by day between milestones; before the first
 * milestone the first figure, from the last milestone on the last figure.
 */
export function targetForDate(date: string, targetId = 'npu-validation-testbed', targets: Targets = loadTargets()): TargetAtDate {
  const target = targets.computeTargets.find((t) => t.id === targetId);
  if (!target) throw new InputError(`Unknown target "${targetId}"; known: ${targets.computeTargets.map((t) => t.id).join(', ')}.`);
  const t = parseDate(date, 'date');
  const ms = target.milestones.map((m) => ({ m, at: Date.parse(`${m.anchorDate}T00:00:00Z`) }));
  const first = ms[0]!;
  const last = ms[ms.length - 1]!;
  const base = {
    targetId,
    date,
    anchorInterpretation: target.anchorInterpretation,
    precisionStated: false as const,
    provenance: target.provenance,
  };
  if (t < first.at) {
    return {
      ...base,
      pf: first.m.pf,
      rule: 'before-first-milestone',
      from: first.m,
      to: first.m,
      explanation: `${date} is before ${first.m.anchorDate}: the ${first.m.year} figure (${first.m.pf} PF) applies.`,
    };
  }
  if (t >= last.at) {
    const exact = t === last.at;
    return {
      ...base,
      pf: last.m.pf,
      rule: exact ? 'at-milestone' : 'after-last-milestone',
      from: last.m,
      to: last.m,
      explanation: exact
        ? `${date} is the ${last.m.year} milestone (${last.m.pf} PF).`
        : `${date} is after ${last.m.anchorDate}: the ${last.m.year} figure (${last.m.pf} PF) applies.`,
    };
  }
  for (let i = 0; i + 1 < ms.length; i++) {
    const a = ms[i]!;
    const b = ms[i + 1]!;
    if (t >= a.at && t < b.at) {
      if (t === a.at) {
        return {
          ...base,
          pf: a.m.pf,
          rule: 'at-milestone',
          from: a.m,
          to: a.m,
          explanation: `${date} is the ${a.m.year} milestone (${a.m.pf} PF).`,
        };
      }
      const days = (t - a.at) / DAY_MS;
      const span = (b.at - a.at) / DAY_MS;
      const pf = a.m.pf + ((b.m.pf - a.m.pf) * days) / span;
      return {
        ...base,
        pf,
        rule: 'interpolated',
        from: a.m,
        to: b.m,
        explanation: `${a.m.pf} PF + (${b.m.pf} − ${a.m.pf}) PF × ${days}/${span} days between ${a.m.anchorDate} and ${b.m.anchorDate}.`,
      };
    }
  }
  /* c8 ignore next */
  throw new Error('unreachable: milestones are ordered');
}

// ---- fleet evaluation --------------------------------------------------------------------

/**
 * Precision to count PF at. "fp16-or-bf16" takes a device's dense BF16 figure, or its FP16
 * figure where it publishes only FP16 (Rebellions ATOM/REBEL-Quad) — the two are the same
 * 16-bit tensor rate on every device that publishes both.
 */
export type EvalPrecision = Precision | 'fp16-or-bf16';
export const EVAL_PRECISIONS: readonly EvalPrecision[] = ['fp16-or-bf16', ...PRECISIONS];

export const DEFAULT_PRECISION: EvalPrecision = 'fp16-or-bf16';
export const DEFAULT_PRECISION_REASON =
  'The document does not name the precision behind "PF". npuval defaults to dense 16-bit floating point (BF16, or FP16 where a device publishes only FP16): ' +
  'the testbed exists to run large LLMs (the document names WBL LLMs on an NPU testbed), for which 16-bit float is the common reference precision; ' +
  'every NPU in the catalog with a published float figure publishes a 16-bit one; and dense excludes 2:4 sparsity, which LLM serving rarely uses. ' +
  'Counting FP8 or INT8 instead roughly doubles the PF of the same fleet, so the precision is always written into the result.';

export interface FleetItem {
  /** Catalog id (devices/catalog.json), e.g. "furiosa-rngd". */
  readonly catalogId: string;
  readonly count: number;
  /** Measured per-device rate at the evaluated precision, in TFLOP/s (TOP/s for integer precisions). */
  readonly measuredTflopsPerDevice?: number;
  /** Where the measurement comes from (a report path, a run id). Recorded as given. */
  readonly measurementSource?: string;
}

export interface EvaluateOptions {
  readonly fleet: readonly FleetItem[];
  /** YYYY-MM-DD; the target is taken for this date. */
  readonly date: string;
  readonly precision?: EvalPrecision;
  /** Count vendors' with-sparsity figures instead of dense ones (not the default). */
  readonly sparse?: boolean;
  readonly targetId?: string;
  readonly targets?: Targets;
  readonly catalog?: Catalog;
  /** The workload whose measured rate gives effective PF (recorded as given; null when not named). */
  readonly workload?: string | null;
}

/** One milestone of the target with the fleet held against it. */
export interface MilestoneLine {
  readonly year: number;
  readonly anchorDate: string;
  readonly pf: number;
  readonly fractionPeak: number;
  readonly fractionEffective: number | null;
}

export interface FleetLine {
  readonly catalogId: string;
  readonly name: string;
  readonly count: number;
  /** The catalog figure used; origin "catalog", with its source. */
  readonly peak: PeakFigure;
  readonly peakPf: number | null;
  readonly measuredTflopsPerDevice: number | null;
  readonly measurementSource: string | null;
  readonly effectivePf: number | null;
  /** measured / catalog peak, per device; null when either is missing. */
  readonly utilization: number | null;
}

export interface GapLine {
  readonly catalogId: string;
  /** Devices of this kind alone that close the gap; 0 when there is no gap; null when the rate is unknown. */
  readonly additionalDevices: number | null;
  readonly perDeviceTflops: number | null;
  readonly reason: string | null;
}

export interface TargetEvaluation {
  readonly inputs: {
    readonly fleet: readonly FleetItem[];
    readonly date: string;
    readonly precision: EvalPrecision;
    readonly precisionDefaulted: boolean;
    readonly precisionReason: string;
    readonly sparsity: 'dense' | 'sparse';
    readonly targetId: string;
    readonly workload: string | null;
  };
  readonly target: TargetAtDate;
  /** Every milestone of the target (2025 and 2027), each with the fleet's fraction of it. */
  readonly milestones: readonly MilestoneLine[];
  readonly document: Targets['document'];
  readonly fleet: readonly FleetLine[];
  readonly totals: {
    /** Sum over lines with a catalog figure; lines without one are listed in `withoutPeak`. */
    readonly peakPf: number;
    /** Sum over lines with a measurement; null when no line has one. */
    readonly effectivePf: number | null;
    readonly withoutPeak: readonly string[];
    readonly withoutMeasurement: readonly string[];
  };
  readonly fractionOfTarget: { readonly peak: number; readonly effective: number | null };
  readonly gapPf: { readonly peak: number; readonly effective: number | null };
  readonly toCloseGap: { readonly byPeak: readonly GapLine[]; readonly byMeasured: readonly GapLine[] };
  readonly notes: readonly string[];
}

function resolvePeak(catalog: Catalog, catalogId: string, precision: EvalPrecision, sparse: boolean): PeakFigure {
  const entry = catalogEntry(catalogId, catalog);
  if (precision !== 'fp16-or-bf16') return peakTflops(entry, precision, { sparse });
  const bf16 = peakTflops(entry, 'bf16', { sparse });
  return bf16.value !== null ? bf16 : peakTflops(entry, 'fp16', { sparse });
}

function devicesToClose(gapPf: number, perDeviceTflops: number | null, catalogId: string, what: string): GapLine {
  if (gapPf <= 0) return { catalogId, additionalDevices: 0, perDeviceTflops, reason: null };
  if (perDeviceTflops === null || perDeviceTflops <= 0) {
    return { catalogId, additionalDevices: null, perDeviceTflops, reason: `no ${what} rate for ${catalogId}` };
  }
  // Round away float noise before ceil so that an exact fit (e.g. 1,000 TFLOPS into 1 PF) is not counted as one more device.
  const needed = Math.ceil(Number(((gapPf * 1000) / perDeviceTflops).toFixed(9)));
  return { catalogId, additionalDevices: needed, perDeviceTflops, reason: null };
}

/**
 * Evaluates a fleet against the PF target for a date: catalog peak PF, measured (effective) PF,
 * fraction of target, and how many more devices of each kind in the fleet would close the gap
 * (each kind on its own), by catalog peak and by measured rate. Pure: no I/O, no clock.
 */
export function evaluateTargets(options: EvaluateOptions): TargetEvaluation {
  const catalog = options.catalog ?? loadCatalog();
  const targets = options.targets ?? loadTargets();
  const precision = options.precision ?? DEFAULT_PRECISION;
  if (!EVAL_PRECISIONS.includes(precision)) {
    throw new InputError(`precision "${precision}" is not one of ${EVAL_PRECISIONS.join(', ')}.`);
  }
  const sparse = options.sparse === true;
  const targetId = options.targetId ?? targets.computeTargets[0]!.id;
  const target = targetForDate(options.date, targetId, targets);
  if (!options.fleet.length) throw new InputError('fleet is empty: give at least one catalog id with a count.');

  const lines: FleetLine[] = options.fleet.map((item, i) => {
    if (!Number.isInteger(item.count) || item.count < 0)
      throw new InputError(`fleet[${i}].count must be a non-negative integer, got ${item.count}.`);
    if (
      item.measuredTflopsPerDevice !== undefined &&
      !(Number.isFinite(item.measuredTflopsPerDevice) && item.measuredTflopsPerDevice >= 0)
    ) {
      throw new InputError(`fleet[${i}].measuredTflopsPerDevice must be a non-negative number, got ${item.measuredTflopsPerDevice}.`);
    }
    const peak = resolvePeak(catalog, item.catalogId, precision, sparse);
    const measured = item.measuredTflopsPerDevice ?? null;
    return {
      catalogId: item.catalogId,
      name: catalogEntry(item.catalogId, catalog).name,
      count: item.count,
      peak,
      peakPf: peak.value === null ? null : (peak.value * item.count) / 1000,
      measuredTflopsPerDevice: measured,
      measurementSource: item.measurementSource ?? null,
      effectivePf: measured === null ? null : (measured * item.count) / 1000,
      utilization: measured === null || !peak.value ? null : measured / peak.value,
    };
  });

  const peakPf = lines.reduce((s, l) => s + (l.peakPf ?? 0), 0);
  const measuredLines = lines.filter((l) => l.effectivePf !== null);
  const effectivePf = measuredLines.length ? measuredLines.reduce((s, l) => s + l.effectivePf!, 0) : null;
  const gapPeak = Math.max(0, target.pf - peakPf);
  const gapEffective = effectivePf === null ? null : Math.max(0, target.pf - effectivePf);
  const kinds = [...new Set(lines.map((l) => l.catalogId))];
  const firstLine = (id: string) => lines.find((l) => l.catalogId === id)!;

  const notes: string[] = [
    `Target "${targetId}" on ${options.date}: ${target.explanation}`,
    `Precision: ${precision}, ${sparse ? 'with sparsity (vendor asterisk figures)' : 'dense'}. ${options.precision === undefined ? DEFAULT_PRECISION_REASON : 'Chosen by the caller; the document does not state a precision.'}`,
    'Peak figures are catalog facts (published peaks with sources), not measurements; effective PF uses only the measured rates given.',
    'Devices to close the gap are counted per kind, each kind on its own (not a mix).',
  ];
  const withoutPeak = lines.filter((l) => l.peakPf === null).map((l) => l.catalogId);
  if (withoutPeak.length) notes.push(`No catalog ${precision} figure for: ${withoutPeak.join(', ')}; they add nothing to peak PF.`);

  return {
    inputs: {
      fleet: options.fleet,
      date: options.date,
      precision,
      precisionDefaulted: options.precision === undefined,
      precisionReason: options.precision === undefined ? DEFAULT_PRECISION_REASON : 'Chosen by the caller.',
      sparsity: sparse ? 'sparse' : 'dense',
      targetId,
      workload: options.workload ?? null,
    },
    target,
    milestones: targets.computeTargets
      .find((t) => t.id === targetId)!
      .milestones.map((m) => ({
        year: m.year,
        anchorDate: m.anchorDate,
        pf: m.pf,
        fractionPeak: peakPf / m.pf,
        fractionEffective: effectivePf === null ? null : effectivePf / m.pf,
      })),
    document: targets.document,
    fleet: lines,
    totals: {
      peakPf,
      effectivePf,
      withoutPeak,
      withoutMeasurement: lines.filter((l) => l.effectivePf === null).map((l) => l.catalogId),
    },
    fractionOfTarget: { peak: peakPf / target.pf, effective: effectivePf === null ? null : effectivePf / target.pf },
    gapPf: { peak: gapPeak, effective: gapEffective },
    toCloseGap: {
      byPeak: kinds.map((id) => devicesToClose(gapPeak, firstLine(id).peak.value, id, `catalog ${precision}`)),
      byMeasured: kinds.map((id) =>
        gapEffective === null
          ? {
              catalogId: id,
              additionalDevices: null,
              perDeviceTflops: firstLine(id).measuredTflopsPerDevice,
              reason: 'no measured rate in the fleet',
            }
          : devicesToClose(gapEffective, firstLine(id).measuredTflopsPerDevice, id, 'measured'),
      ),
    },
    notes,
  };
}

// ---- fleet inventory files and measured rates from a run report --------------------------

export interface FleetFileLine {
  readonly device: string;
  readonly count: number;
  /** Device spec in the run whose measured rate stands for this catalog device. */
  readonly measuredBy?: string;
  readonly note?: string;
}

export interface FleetFile {
  readonly $schema?: string;
  readonly name: string;
  readonly description?: string;
  readonly precision?: string;
  readonly devices: readonly FleetFileLine[];
}

let validateFleetFn: ReturnType<Ajv2020['compile']> | undefined;

/** Checks a fleet inventory against reports/schemas/fleet.ts and the catalog; one "<pointer> <message>" per problem. */
export function validateFleet(data: unknown, catalog: Catalog = loadCatalog()): string[] {
  if (!validateFleetFn) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    validateFleetFn = ajv.compile(fleetSchema);
  }
  if (!validateFleetFn(data)) return (validateFleetFn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  const f = data as FleetFile;
  const errors: string[] = [];
  f.devices.forEach((d, i) => {
    try {
      catalogEntry(d.device, catalog);
    } catch (err) {
      errors.push(`/devices/${i}/device ${(err as Error).message}`);
    }
  });
  if (f.precision !== undefined && !EVAL_PRECISIONS.includes(f.precision as EvalPrecision))
    errors.push(`/precision must be one of ${EVAL_PRECISIONS.join(', ')}`);
  return errors;
}

/** Reads a fleet inventory (JSON or YAML); InputError (exit 2) naming the file and every problem. */
export function loadFleetFile(path: string, catalog?: Catalog): FleetFile {
  const text = readInputText(path, 'fleet file');
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new InputError(`fleet file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  const errors = validateFleet(data, catalog);
  if (errors.length) throw new InputError(`fleet file ${path} does not match ${FLEET_ID}: ${errors.join('; ')}`);
  return data as FleetFile;
}

export interface FleetMeasurement {
  readonly catalogId: string;
  /** Device specs in the run taken to be this catalog device. */
  readonly devices: readonly string[];
  readonly unit: string | null;
  readonly workload: string | null;
  readonly tflops: number | null;
  readonly note: string;
}

/**
 * Per fleet line, the measured effective TFLOP/s per device from a run report: from the units on
 * the line's `measuredBy` spec, else on the run's devices whose catalog id is the line's device;
 * of the named workload when given (units whose `workload` is it), else the best over all units.
 */
export function measuredRates(
  report: Pick<RunReport, 'devices' | 'units'>,
  fleet: readonly FleetFileLine[],
  workload: string | null = null,
  source = 'report.json',
): { items: FleetItem[]; measurements: FleetMeasurement[] } {
  if (workload !== null && !report.units.some((u) => u.workload === workload)) {
    const known = [...new Set(report.units.filter((u) => typeof u.metrics.effective_tflops === 'number').map((u) => u.workload))];
    throw new InputError(
      `workload "${workload}" is not in the run; workloads with a measured effective_tflops: ${known.join(', ') || 'none'}`,
    );
  }
  const items: FleetItem[] = [];
  const measurements: FleetMeasurement[] = [];
  for (const line of fleet) {
    const devices =
      line.measuredBy !== undefined
        ? [line.measuredBy]
        : report.devices.filter((d) => d.description?.catalogId === line.device).map((d) => d.spec);
    const candidates = report.units.filter(
      (u): u is UnitRecord & { device: string } =>
        u.device !== null &&
        devices.includes(u.device) &&
        (workload === null || u.workload === workload) &&
        typeof u.metrics.effective_tflops === 'number',
    );
    const best = candidates.reduce<(typeof candidates)[number] | null>(
      (a, u) => (a === null || (u.metrics.effective_tflops as number) > (a.metrics.effective_tflops as number) ? u : a),
      null,
    );
    if (best === null) {
      const why =
        line.measuredBy !== undefined && !report.devices.some((d) => d.spec === line.measuredBy)
          ? `measuredBy ${line.measuredBy} is not a device of the run`
          : devices.length === 0
            ? `no device in the run maps to catalog id ${line.device} (a fleet file's measuredBy can name the run's device that stands for it)`
            : `no unit on ${devices.join(', ')}${workload ? ` of workload ${workload}` : ''} measured effective_tflops`;
      items.push({ catalogId: line.device, count: line.count });
      measurements.push({ catalogId: line.device, devices, unit: null, workload, tflops: null, note: `not measured: ${why}` });
      continue;
    }
    const tflops = best.metrics.effective_tflops as number;
    items.push({
      catalogId: line.device,
      count: line.count,
      measuredTflopsPerDevice: tflops,
      measurementSource: `${source} unit ${best.id} (${workload ? 'the named workload' : 'best effective_tflops of the run'})`,
    });
    measurements.push({
      catalogId: line.device,
      devices,
      unit: best.id,
      workload: best.workload,
      tflops,
      note: line.measuredBy !== undefined ? `measured on ${line.measuredBy}, standing for ${line.device}` : `measured on ${best.device}`,
    });
  }
  return { items, measurements };
}
