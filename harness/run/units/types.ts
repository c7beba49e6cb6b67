// The unit table's contract: one executor per unit kind turns a planned unit into an outcome.
// Executors run the producing module (scenarios, conformance, accuracy, …) and translate its
// result into the report's terms: status, validity with reasons, headline metrics by registry name.
import type { Device, ModelSource } from '../../../devices/types.js';
import type { Artifact, UnitKind, UnitStatus, Validity } from '../../../reports/types.js';
import { InputError } from '../../errors.js';
import type { Journal } from '../../journal.js';
import type { SuiteUnit } from '../suite.js';

export interface PlannedUnitSpec {
  readonly id: string;
  readonly kind: UnitKind;
  readonly title: string;
  readonly device: string | null;
  readonly model: string | null;
  /** The suite's unit entry, after the suite-level defaults were applied. */
  readonly spec: SuiteUnit;
}

export interface LoadedModel {
  readonly name: string;
  /** Bytes in memory, or a file (a user's ONNX file, or a zoo preset over 2 GB from the model cache). */
  readonly source: ModelSource;
  /** Of the bytes; for a file, of the .onnx file followed by its external data file when it has one. */
  readonly sha256: string;
}

export interface UnitContext {
  /** The unit's device, created from its spec (null for units that name none). */
  readonly device: Device | null;
  /** The run's base seed; units derive their own from it. */
  readonly seed: number;
  /** The run journal, for per-query or per-case records a module writes as it goes. */
  readonly journal: Journal;
  /** Where the unit may write files (its artifacts are listed with digests). */
  readonly outDir: string;
  /** Aborted on SIGINT: executors that loop should stop early; their outcome is then discarded. */
  readonly signal: AbortSignal;
  /** Loads a model by name (zoo preset or file), cached for the run. */
  readonly model: (name: string) => Promise<LoadedModel>;
  /** Creates another device by spec (e.g. an accuracy reference). */
  readonly createDevice: (spec: string) => Device;
}

export interface UnitOutcome {
  readonly status: UnitStatus;
  readonly validity: Validity;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly notes: readonly string[];
  readonly result: ({ readonly kind: UnitKind } & Record<string, unknown>) | null;
  readonly artifacts?: readonly Artifact[];
  /** The settings actually used (defaults filled in), recorded in the report. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export type UnitExecutor = (unit: PlannedUnitSpec, ctx: UnitContext) => Promise<UnitOutcome>;

export const NO_VALIDITY_RULES: Validity = { valid: null, checks: [], reasons: [] };

/** How errors name one of a unit's settings: `unit ID: setting "KEY"`. */
export function settingName(unitId: string, key: string): string {
  return `unit ${unitId}: setting "${key}"`;
}

/** A suite unit's settings may hold only the keys its kind knows: a typo is bad input, not a default. */
export function checkSettingKeys(unitId: string, settings: Readonly<Record<string, unknown>>, known: readonly string[]): void {
  for (const key of Object.keys(settings)) {
    if (!known.includes(key)) throw new InputError(`${settingName(unitId, key)} is not one of ${known.join(', ')}`);
  }
}
