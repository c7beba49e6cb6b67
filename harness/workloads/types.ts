// The Workload contract: one module per unit kind (scenario, llm, accuracy, conformance, micro)
// behind this interface, registered once in harness/workloads/index.ts. The orchestrator knows
// nothing about any kind: it resolves settings at plan time, creates and hashes what `needs()`
// names once, and calls `run()` with a context that hands over those objects and nothing else.
// The shape follows LoadGen's test modes and AIPerf's metric classes: settings, metrics (by
// registry name, with the function that computes them), validity and result schema live together.
import type { Device } from '../../devices/types.js';
import type { ModelDtype, ResolvedModel } from '../../models/resolve.js';
import type { Schema } from '../../reports/schemas/common.js';
import type { Artifact, UnitKind, UnitRecord, UnitStatus, Validity } from '../../reports/types.js';
import type { Journal } from '../journal.js';
import type { SuiteUnit } from '../run/suite.js';
import type { Resolved, SettingDecls } from './settings.js';

/** Fields of a suite unit entry besides `settings` that a kind reads. */
export type UnitField = 'model' | 'scenario' | 'reference' | 'filter' | 'onnxTests' | 'samples';

/** What planning hands a workload's resolve(). */
export interface PlanContext {
  /** The unit's id, for error sentences (`unit ID: setting "k"`). */
  readonly unitId: string;
  /** The unit's device spec (null for units that name none). */
  readonly device: string | null;
  /** The run's base seed. */
  readonly seed: number;
}

/** What the orchestrator must create, hash and open before run(). */
export interface Needs {
  /** Models by name (zoo preset or ONNX file) and build type; each is loaded and hashed once per run. */
  readonly models: readonly ModelRequest[];
  /** Devices besides the unit's own (e.g. an accuracy reference), by spec. */
  readonly devices: readonly string[];
}

export interface ModelRequest {
  readonly name: string;
  /** Zoo presets only: the build type (default float32). */
  readonly dtype?: ModelDtype;
}

/** A model as models/resolve.ts resolved it, with the digest the report records. */
export interface LoadedModel extends ResolvedModel {
  /** Of the bytes; for a file, of the .onnx file followed by its external data file when it has one. */
  readonly sha256: string;
}

/** What run() may use: the objects needs() asked for, created once by the orchestrator. */
export interface WorkloadContext {
  readonly unitId: string;
  /** The unit's device (null for units that name none). */
  readonly device: Device | null;
  /** A device needs() named. Asking for another is a bug (throws). */
  readonly otherDevice: (spec: string) => Device;
  /** A model needs() named (as this unit asked for it), loaded and hashed once for the run. Asking for another is a bug (throws). */
  readonly model: (name: string) => LoadedModel;
  /** The run's base seed; units derive their own from it. */
  readonly seed: number;
  /** The run journal, for per-query or per-case records a module writes as it goes. */
  readonly journal: Journal;
  /** Where the unit may write files (its artifacts are listed with digests). */
  readonly outDir: string;
  /** Aborted on SIGINT: loops should stop early; the outcome is then discarded. */
  readonly signal: AbortSignal;
  /** Progress lines for a person (stderr); absent when nobody watches (--json, CI). */
  readonly log?: (line: string) => void;
  /** A live progress line (a TTY redraws it in place); `last` is true for its final state. */
  readonly onProgress?: (line: string, last: boolean) => void;
}

export interface UnitOutcome {
  readonly status: UnitStatus;
  readonly validity: Validity;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly notes: readonly string[];
  readonly result: ({ readonly kind: UnitKind } & Record<string, unknown>) | null;
  readonly artifacts?: readonly Artifact[];
}

/** A metric a workload reports: its registry name (reports/metrics.ts holds label, unit, direction, formula) and how it is computed. */
export interface MetricBinding<R> {
  readonly name: string;
  readonly compute: (result: R) => number | null;
}

/** The unit's resolved parameters: the checked settings plus the unit-entry fields the kind reads. */
export interface Params<S extends SettingDecls> {
  readonly unit: SuiteUnit;
  readonly settings: Resolved<S>;
}

export interface Workload<S extends SettingDecls = SettingDecls, P extends Params<S> = Params<S>> {
  readonly kind: UnitKind;
  /** One line for --help and the docs. */
  readonly summary: string;
  /** Settings, declared once (harness/workloads/settings.ts). */
  readonly settings: S;
  /** Unit-entry fields this kind reads; `required` ones must be present in a suite. */
  readonly fields: Readonly<Partial<Record<UnitField, 'required' | 'optional'>>>;
  /** Needs a device (every kind today); units without one are bad input. */
  readonly needsDevice: boolean;
  /** Runs on a device that only generates with its own model (an OpenAI endpoint); other kinds are skipped there. */
  readonly runsOnServedModels?: boolean;
  /** The workload part of the unit id (`<name>@<device>`) when the suite gives no `id`. */
  name(unit: SuiteUnit): string;
  /** Human title (without the device). */
  title(unit: SuiteUnit): string;
  /** Plan-time checks beyond the declared settings (files read, cross-field rules); bad input throws InputError. */
  resolve(unit: SuiteUnit, settings: Resolved<S>, plan: PlanContext): P;
  needs(params: P): Needs;
  run(params: P, ctx: WorkloadContext): Promise<UnitOutcome>;
  /** The JSON Schema of the unit's `result` object (checked in report.json). */
  readonly resultSchema: Schema;
  /** Metric names the text summary shows first, in order (a function when it depends on the outcome); names without a value are dropped. */
  readonly headline: readonly string[] | ((outcome: UnitOutcome) => readonly string[]);
  /** Plain-text lines of a finished unit's result beyond its headline metrics and reasons (recorded as the unit's `details`, shown in report.md/html). */
  render?(record: UnitRecord): string[];
}

/** A workload with its types erased, as the registry holds it. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds workloads of every settings type.
export type AnyWorkload = Workload<any, any>;

export const NO_VALIDITY_RULES: Validity = { valid: null, checks: [], reasons: [] };

/** Metric values from a result through a workload's bindings (non-finite → null). */
export function computeMetrics<R>(bindings: readonly MetricBinding<R>[], result: R): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const b of bindings) {
    const v = b.compute(result);
    out[b.name] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  return out;
}
