// The shapes of npuval's documents, mirrored by the JSON Schemas in reports/schemas/.
// A change here is a change to the schema: bump its version there.
import type { DeviceDescription, HostDescription } from '../devices/types.js';
import type { UnitKind } from './metrics.js';

export type { UnitKind };

export type UnitStatus = 'pass' | 'fail' | 'error' | 'skipped';

export interface ValidityCheck {
  /** What was checked, e.g. "min duration", "early stopping", "case test_add". */
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface Validity {
  /** True VALID, false INVALID, null where the unit kind has no validity rules (recorded as such). */
  readonly valid: boolean | null;
  readonly checks: readonly ValidityCheck[];
  /** Every reason the result is not VALID (empty when valid). */
  readonly reasons: readonly string[];
}

/** One finished unit of work as the journal and the report hold it. */
export interface UnitRecord {
  /** Stable id derived from the suite, e.g. "scenario:single-stream:tiny-bert@ort:cpu". */
  readonly id: string;
  /** The id's workload part (the id is `<workload>@<device>`): what `compare` pairs across devices. */
  readonly workload: string;
  readonly kind: UnitKind;
  readonly title: string;
  readonly device: string | null;
  readonly model: string | null;
  /** The unit's settings as the suite gave them (after defaults). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly status: UnitStatus;
  readonly validity: Validity;
  /** Headline metrics by registry name; null means "not measured" and `notes` says why. */
  readonly metrics: Readonly<Record<string, number | null>>;
  /** The metric names a summary shows first, in order, as the unit's workload chose them. */
  readonly headline: readonly string[];
  readonly notes: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** How many times the unit was started (more than 1 when an interrupted run was resumed). */
  readonly attempts: number;
  /** The producing module's own result, JSON-able, with a `kind` discriminator. */
  readonly result: ({ readonly kind: UnitKind } & Record<string, unknown>) | null;
  readonly error: { readonly message: string; readonly exitCode: number | null } | null;
  /** SHA-256 files the unit wrote or read (relative to the out dir where inside it). */
  readonly artifacts: readonly Artifact[];
  /** Where the unit ran, in a merged clustered run (absent in a plain run). */
  readonly placement?: UnitPlacement;
  /** Plain-text lines the unit's workload renders from its result (e.g. an LLM statistics table), shown in report.md/html. */
  readonly details?: readonly string[];
}

export interface UnitPlacement {
  readonly shard: number;
  /** The worker's name, e.g. `slurm:42.1`, `k8s:job-1-abcde`, `local:0`. */
  readonly worker: string;
  /** The host the worker ran on. */
  readonly node: string;
  /** The device spec the worker opened for the unit's device (e.g. with its thread budget). */
  readonly device: string | null;
}

/** A merged clustered run (`npuval cluster merge`). */
export interface ClusterInfo {
  readonly launcher: 'local' | 'slurm' | 'k8s' | 'manual';
  /** SHA-256 of the canonical plan (unit ids, unit specs, seed) every shard came from. */
  readonly planDigest: string;
  readonly shards: number;
  readonly workers: readonly {
    readonly shard: number;
    readonly worker: string;
    readonly node: string;
    readonly units: readonly string[];
    readonly journal: string;
  }[];
}

export interface Artifact {
  readonly path: string;
  readonly role: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface EnvironmentInfo {
  /** The host as devices/ describes it; Node's version is kept at the top level. */
  readonly host: Omit<HostDescription, 'node'>;
  readonly node: string;
  readonly ort: { readonly version: string; readonly bundledEps: readonly string[] };
  readonly executionProviders: readonly {
    readonly device: string;
    readonly backend: string;
    readonly options: Readonly<Record<string, string>>;
  }[];
  readonly drivers: readonly { readonly device: string; readonly name: string; readonly detail: string }[];
  /** Environment variables that change results (VK_ICD_FILENAMES, OMP_NUM_THREADS, ORT_*, …) as set for the run. */
  readonly variables: Readonly<Record<string, string>>;
}

export interface DeviceEntry {
  readonly spec: string;
  readonly available: boolean;
  readonly reason: string | null;
  readonly description: DeviceDescription | null;
  /** The hardware catalog entry (peak specs with sources: catalog facts, not measurements), or null. */
  readonly catalog: Record<string, unknown> | null;
}

export interface ModelEntry {
  readonly name: string;
  readonly source: 'zoo' | 'file';
  readonly family: string | null;
  /** SHA-256 and size of the ONNX bytes; for a model with a `<file>.data` external data file, of both in that order. */
  readonly sha256: string;
  readonly bytes: number;
  readonly params: number | null;
  /** Analytic FLOPs per sample (2 per MAC); null for decoders, whose cost is per token. */
  readonly flopsPerSample: number | null;
  readonly dtype: string | null;
}

export interface RunSession {
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly outcome: 'completed' | 'interrupted' | 'crashed';
  readonly argv: readonly string[];
}

export interface RunSummary {
  readonly units: number;
  readonly planned: number;
  readonly pass: number;
  readonly fail: number;
  readonly error: number;
  readonly skipped: number;
  readonly valid: number;
  readonly invalid: number;
}

export interface RunReport {
  readonly $schema: string;
  readonly schemaVersion: string;
  readonly tool: { readonly name: 'npuval'; readonly version: string; readonly gitCommit: string | null };
  readonly command: { readonly argv: readonly string[]; readonly cwd: string };
  readonly suite: {
    readonly name: string;
    readonly source: 'builtin' | 'file';
    readonly path: string | null;
    readonly sha256: string;
    readonly description: string;
  };
  readonly seeds: Readonly<Record<string, number>>;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Each invocation that worked on this run: the first and every --resume. */
  readonly sessions: readonly RunSession[];
  /** True when every planned unit finished. */
  readonly complete: boolean;
  readonly environment: EnvironmentInfo;
  readonly devices: readonly DeviceEntry[];
  readonly models: readonly ModelEntry[];
  readonly units: readonly UnitRecord[];
  readonly summary: RunSummary;
  /** PF target evaluation of the measured fleet (harness/targets.ts), or null when not evaluated, with why in notes. */
  readonly targets: Record<string, unknown> | null;
  readonly baseline: { readonly path: string; readonly sha256: string } | null;
  readonly notes: readonly string[];
  readonly artifacts: readonly Artifact[];
  /** Present when the report merges the shards of a clustered run. */
  readonly cluster?: ClusterInfo;
}

/** A pass/fail/not-measured verdict on one acceptance criterion, linked to its evidence. */
export interface Verdict {
  readonly id: string;
  readonly description: string;
  readonly verdict: 'pass' | 'fail' | 'not-measured';
  readonly metric: string;
  readonly op: '>=' | '<=';
  readonly threshold: number;
  /** The value compared with the threshold (aggregate of the evidence), null when not measured. */
  readonly value: number | null;
  readonly detail: string;
  readonly evidence: readonly { readonly unit: string; readonly digest: string; readonly value: number | null }[];
}
