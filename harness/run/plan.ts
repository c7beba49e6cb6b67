// Expands a suite into the ordered list of units to run: one per unit entry and device, each
// with a stable id (`<workload>@<device>`, kept as its two parts too) so a resumed run and a later
// `compare` recognise the same unit. Every unit's settings are resolved here through its
// workload, so bad input stops the run before anything runs.
import { checkOnnxHeader } from '../../models/header.js';
import { isModelPath } from '../../models/resolve.js';
import type { PlannedUnit } from '../../reports/assemble.js';
import { InputError } from '../errors.js';
import { resolveDeclared } from '../workloads/settings.js';
import { workloadOf } from '../workloads/registry.js';
import type { AnyWorkload, Params } from '../workloads/types.js';
import type { Suite, SuitePathResolver, SuiteUnit } from './suite.js';

/** A unit as planned: what the journal keeps (JSON) so a resumed run plans it again identically. */
export interface PlannedUnitSpec extends PlannedUnit {
  /** The id's workload part (the id is `<workload>@<device>`). */
  readonly workload: string;
  /** The suite's unit entry, after the suite-level defaults were applied and its paths resolved. */
  readonly spec: SuiteUnit;
}

/** A planned unit with its workload and resolved parameters (not journaled: recomputed on resume). */
export interface ResolvedUnit extends PlannedUnitSpec {
  readonly w: AnyWorkload;
  readonly params: Params<Record<string, never>>;
}

/** The id of a unit: its workload part and its device. */
export function unitId(workload: string, device: string | null): string {
  return device === null ? workload : `${workload}@${device}`;
}

/** Settings that hold a file path (one, or a comma-separated list), resolved like the unit's own paths. */
const PATH_SETTINGS: Readonly<Record<string, 'one' | 'comma-list'>> = {
  tolerancesFile: 'one',
  promptFile: 'one',
  criteriaFile: 'one',
  inputs: 'one',
  mlperfConf: 'comma-list',
};

/**
 * The unit entry (the suite's units/`index`) with its file paths (an ONNX model, test-data roots,
 * a tolerance, prompt, criteria or LoadGen conf file) resolved by `resolvePath`, so every workload
 * and a resumed run read the same files. A model file is checked now (exists, readable, an ONNX
 * ModelProto) unless the device is a serving endpoint, which holds its own model.
 */
function withResolvedPaths(
  suiteName: string,
  u: SuiteUnit,
  index: number,
  device: string | null,
  resolvePath: SuitePathResolver,
): SuiteUnit {
  const at = `units/${index}`;
  const settings = u.settings ? { ...u.settings } : undefined;
  for (const [key, shape] of Object.entries(PATH_SETTINGS)) {
    const value = settings?.[key];
    if (!settings || typeof value !== 'string') continue;
    settings[key] =
      shape === 'one'
        ? resolvePath(value, `${at}/settings/${key}`)
        : value
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x.length > 0)
            .map((x) => resolvePath(x, `${at}/settings/${key}`))
            .join(',');
  }
  const model = u.model !== undefined && isModelPath(u.model) ? resolvePath(u.model, `${at}/model`) : undefined;
  if (model !== undefined && !device?.startsWith('endpoint:')) {
    try {
      checkOnnxHeader(model);
    } catch (err) {
      throw new InputError(`suite ${suiteName}: ${at}/model: ${(err as Error).message}`);
    }
  }
  return {
    ...u,
    ...(model !== undefined ? { model } : {}),
    ...(u.onnxTests ? { onnxTests: u.onnxTests.map((p, k) => resolvePath(p, `${at}/onnxTests/${k}`)) } : {}),
    ...(settings ? { settings } : {}),
  };
}

/** Resolves a planned unit through its workload: declared settings, then the workload's own checks. */
export function resolveUnit(u: PlannedUnitSpec, seed: number): ResolvedUnit {
  const w = workloadOf(u.kind);
  for (const [field, need] of Object.entries(w.fields)) {
    if (need === 'required' && u.spec[field as keyof SuiteUnit] === undefined)
      throw new InputError(`unit ${u.id}: a ${u.kind} unit needs "${field}"`);
  }
  if (w.needsDevice && !u.device) throw new InputError(`unit ${u.id}: a ${u.kind} unit needs a device`);
  const settings = resolveDeclared(w.settings, u.spec.settings ?? {}, u.id);
  const params = w.resolve(u.spec, settings, { unitId: u.id, device: u.device, seed }) as Params<Record<string, never>>;
  return { ...u, w, params };
}

/**
 * @param available the device specs that probed OK here, used where the suite says "available".
 * @param resolvePath resolves a path written in the suite (suite files: from the file's folder, confined to it).
 *   Unit ids keep the path as written, so they do not depend on where the suite lives.
 */
export function planUnits(
  suite: Suite,
  available: readonly string[],
  deviceOverride: readonly string[] | null,
  resolvePath: SuitePathResolver = (p) => p,
): PlannedUnitSpec[] {
  const units: PlannedUnitSpec[] = [];
  const seen = new Set<string>();
  for (const [index, u] of suite.units.entries()) {
    const w = workloadOf(u.kind);
    const listed = deviceOverride ?? u.devices ?? suite.devices ?? ['ort:cpu'];
    let devices = listed === 'available' ? [...available] : [...listed];
    if (u.reference) devices = devices.filter((d) => d !== u.reference);
    if (u.deviceKinds) devices = devices.filter((d) => u.deviceKinds!.some((k) => d.startsWith(`${k}:`)));
    const workload = u.id ?? w.name(u);
    const label = u.title ?? (u.id ? `${w.title(u)} (${u.id})` : w.title(u));
    for (const device of devices) {
      const id = unitId(workload, device);
      if (seen.has(id)) throw new InputError(`suite ${suite.name} lists unit ${id} twice; give one of them an "id"`);
      seen.add(id);
      const resolved = withResolvedPaths(suite.name, u, index, device, resolvePath);
      units.push({ id, workload, kind: u.kind, title: `${label} on ${device}`, device, model: resolved.model ?? null, spec: resolved });
    }
  }
  return units;
}
