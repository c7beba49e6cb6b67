// Expands a suite into the ordered list of units to run: one per unit entry and device, each
// with a stable id (`<kind>:<workload>@<device>`) so a resumed run and a later `compare` can
// recognise the same unit.
import type { UnitKind } from '../../reports/metrics.js';
import { InputError } from '../errors.js';
import type { Suite, SuiteUnit } from './suite.js';
import type { PlannedUnitSpec } from './units/types.js';

export function workloadName(u: SuiteUnit): string {
  if (u.id) return u.id;
  const batch = u.settings?.batch !== undefined ? `:b${String(u.settings.batch)}` : '';
  switch (u.kind) {
    case 'scenario': return `scenario:${u.scenario}:${u.model}${batch}`;
    case 'accuracy': return `accuracy:${u.model}~${u.reference}`;
    case 'conformance': return `conformance${u.filter ? `:${u.filter}` : ''}`;
    case 'micro': return `micro:${u.settings?.op !== undefined ? String(u.settings.op).replace(/[^A-Za-z0-9]+/g, '-').toLowerCase() : 'probe'}`;
    default: return `${u.kind}${u.model ? `:${u.model}` : ''}${batch}`;
  }
}

function title(u: SuiteUnit, device: string | null): string {
  if (u.title) return device ? `${u.title} on ${device}` : u.title;
  const what: Record<UnitKind, string> = {
    scenario: `${u.scenario} ${u.model ?? ''}`,
    accuracy: `accuracy of ${u.model} vs ${u.reference}`,
    conformance: `conformance${u.filter ? ` (${u.filter})` : ''}`,
    micro: `micro-benchmark ${u.settings?.op !== undefined ? String(u.settings.op) : 'probe'}`,
    llm: `LLM ${u.model ?? ''}`,
    cluster: `cluster ${u.model ?? ''}`,
  };
  const label = u.id ? `${what[u.kind].trim()} (${u.id})` : what[u.kind].trim();
  return `${label}${device ? ` on ${device}` : ''}`;
}

/** A unit's `model` names a file (not a zoo preset) when it has a path separator or ends in .onnx. */
export function isModelPath(model: string): boolean {
  return /[\\/]|\.onnx$/i.test(model);
}

/**
 * The unit entry with its file paths (an ONNX model, test-data roots, a tolerance file) resolved by
 * `resolvePath`, so every executor and a resumed run read the same files wherever they start.
 */
function withResolvedPaths(u: SuiteUnit, resolvePath: (p: string) => string): SuiteUnit {
  const settings = u.settings && typeof u.settings.tolerancesFile === 'string' ? { ...u.settings, tolerancesFile: resolvePath(u.settings.tolerancesFile) } : u.settings;
  return {
    ...u,
    ...(u.model !== undefined && isModelPath(u.model) ? { model: resolvePath(u.model) } : {}),
    ...(u.onnxTests ? { onnxTests: u.onnxTests.map(resolvePath) } : {}),
    ...(settings ? { settings } : {}),
  };
}

/**
 * @param available the device specs that probed OK here, used where the suite says "available".
 * @param resolvePath resolves a path written in the suite (suite files: from the file's folder).
 *   Unit ids keep the path as written, so they do not depend on where the suite lives.
 */
export function planUnits(suite: Suite, available: readonly string[], deviceOverride: readonly string[] | null, resolvePath: (p: string) => string = (p) => p): PlannedUnitSpec[] {
  const units: PlannedUnitSpec[] = [];
  const seen = new Set<string>();
  for (const u of suite.units) {
    const listed = deviceOverride ?? (u.devices ?? suite.devices ?? ['ort:cpu']);
    let devices = listed === 'available' ? [...available] : [...listed];
    if (u.kind === 'accuracy') devices = devices.filter((d) => d !== u.reference);
    if (u.deviceKinds) devices = devices.filter((d) => u.deviceKinds!.some((k) => d.startsWith(`${k}:`)));
    for (const device of devices) {
      const id = `${workloadName(u)}@${device}`;
      if (seen.has(id)) throw new InputError(`suite ${suite.name} lists unit ${id} twice; give one of them an "id"`);
      seen.add(id);
      const resolved = withResolvedPaths(u, resolvePath);
      units.push({ id, kind: u.kind, title: title(u, device), device, model: resolved.model ?? null, spec: resolved });
    }
  }
  return units;
}
