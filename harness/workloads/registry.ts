// The workload registry: unit kind → Workload. The built-in kinds are registered by
// harness/workloads/index.ts; a test (or an extension) may register another. The suite schema,
// the report schema and the docs are generated from what is registered here.
import { InputError } from '../errors.js';
import type { KindSchema } from '../../reports/schemas/run-report.js';
import { useUnitKinds } from '../../reports/validate.js';
import { settingsSchema } from './settings.js';
import type { AnyWorkload } from './types.js';

const workloads = new Map<string, AnyWorkload>();

/** Adds a unit kind; the schemas used for validation are rebuilt to include it. */
export function registerWorkload(w: AnyWorkload): void {
  if (workloads.has(w.kind)) throw new Error(`unit kind "${w.kind}" is registered twice`);
  workloads.set(w.kind, w);
  useUnitKinds(kindSchemas());
}

/** Removes a kind (tests that register a throwaway workload clean up with this). */
export function unregisterWorkload(kind: string): void {
  workloads.delete(kind);
  useUnitKinds(kindSchemas());
}

export function workloadOf(kind: string): AnyWorkload {
  const w = workloads.get(kind);
  if (!w) throw new InputError(`unit kind "${kind}" is not one of ${[...workloads.keys()].join(', ')}`);
  return w;
}

export function allWorkloads(): AnyWorkload[] {
  return [...workloads.values()];
}

/** What each kind contributes to the suite and report schemas. */
export function kindSchemas(): KindSchema[] {
  return allWorkloads().map((w) => ({
    kind: w.kind,
    result: w.resultSchema,
    settings: settingsSchema(w.settings),
    recordedSettings: settingsSchema(w.settings, true),
    required: Object.entries(w.fields)
      .filter(([, v]) => v === 'required')
      .map(([k]) => k),
  }));
}
