// Result types of the conformance runner. Everything here is plain JSON (no bigint, no typed
// arrays, no Infinity/NaN), so results go to the journal, to `--json` and to `npuval run`
// unchanged. README "Conformance" documents the same shapes.

/** How one test case ended. */
export type CaseStatus = 'pass' | 'fail' | 'unsupported' | 'error' | 'skipped';

export const CASE_STATUSES: readonly CaseStatus[] = ['pass', 'fail', 'unsupported', 'error', 'skipped'];

/**
 * Why a case did not pass, as a stable key for grouping (README lists them):
 * fail: 'tolerance' | 'shape' | 'dtype' | 'kind' | 'missing-output';
 * unsupported: 'op' | 'type' | 'opset' | 'ir-version' | 'feature' | 'binding';
 * error: 'crashed' | 'timeout' | 'runtime' | 'load' | 'data';
 * skipped: 'filtered' | 'incomplete-data'.
 */
export type Cause =
  | 'tolerance'
  | 'shape'
  | 'dtype'
  | 'kind'
  | 'missing-output'
  | 'op'
  | 'type'
  | 'opset'
  | 'ir-version'
  | 'feature'
  | 'binding'
  | 'crashed'
  | 'timeout'
  | 'runtime'
  | 'load'
  | 'data'
  | 'filtered'
  | 'incomplete-data';

/** One test folder in ONNX backend-test layout: model.onnx plus test_data_set_N/{input,output}_K.pb. */
export interface TestCase {
  /** Path relative to the root it was found under, with '/' (e.g. `node/test_abs`); unique within a run. */
  readonly id: string;
  /** First path component under the root (`node`, `simple`, …), or '.' when the case is the root's child. */
  readonly suite: string;
  /** Absolute folder of the case. */
  readonly dir: string;
  /** Data sets in numeric order of N. */
  readonly dataSets: readonly DataSet[];
  /** Why the data is unusable (no data set, a gap in input_K numbering…), else null. */
  readonly incomplete: string | null;
}

export interface DataSet {
  readonly name: string;
  /** input_K.pb paths, sorted by K numerically. */
  readonly inputs: readonly string[];
  /** output_K.pb paths, sorted by K numerically. */
  readonly outputs: readonly string[];
}

/** Comparison tolerance: pass when |actual − expected| ≤ atol + rtol·|expected|. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** A tolerance rule: for a device class and a set of float dtypes, with where the numbers come from. */
export interface ToleranceProfile extends Tolerance {
  readonly name: string;
  readonly deviceClass: DeviceClass;
  readonly dtypes: readonly string[];
  readonly source: string;
}

/** cpu: ONNX's reference tolerances apply; accelerator: GPU/NPU EPs, looser as ORT's own runners are. */
export type DeviceClass = 'cpu' | 'accelerator';

/** A per-test override: `match` is a regular expression tested against the case id. */
export interface ToleranceOverride {
  readonly match: string;
  readonly rtol?: number;
  readonly atol?: number;
  readonly reason?: string;
}

/** The first element that failed, and the error statistics over one output. */
export interface Mismatch {
  /** Output name, with `[i]` appended per sequence level (e.g. `out[2]`). */
  readonly output: string;
  readonly dataSet: string;
  /** What differed: values, shape, dtype, value kind (tensor/sequence/optional) or a missing output. */
  readonly what: 'values' | 'shape' | 'dtype' | 'kind' | 'missing-output';
  /** Human summary, e.g. "shape [2,3] ≠ expected [3,2]". */
  readonly message: string;
  /** Largest |a − e| over finite pairs (null when not a numeric comparison). */
  readonly maxAbsError: number | null;
  /** Largest |a − e| / |e| over finite pairs with e ≠ 0 (null when none). */
  readonly maxRelError: number | null;
  /** Elements outside tolerance (or unequal, for exact types). */
  readonly mismatches: number;
  readonly elements: number;
  /** Multi-dimensional index of the first mismatching element, null when not element-wise. */
  readonly firstIndex: readonly number[] | null;
  /** Values at firstIndex, as strings (so NaN, ±Infinity and 64-bit integers survive JSON). */
  readonly actual: string | null;
  readonly expected: string | null;
  /** The tolerance applied to this output (null for exact types). */
  readonly tolerance: Tolerance | null;
}

/** One case's outcome. */
export interface CaseResult {
  readonly id: string;
  readonly suite: string;
  readonly status: CaseStatus;
  /** null for pass; otherwise a stable grouping key. */
  readonly cause: Cause | null;
  /** One sentence (for unsupported/error: the runtime's own message, first line). null for pass. */
  readonly reason: string | null;
  /** The ops this case counts for in the coverage matrix (for node/ tests: the op under test). */
  readonly ops: readonly string[];
  /** Distinct op types of the model's top-level graph nodes ('domain:Op' outside the default domain). */
  readonly nodeOps: readonly string[];
  readonly opset: number | null;
  readonly irVersion: number | null;
  readonly dataSets: number;
  /** Present for fail. */
  readonly mismatch: Mismatch | null;
  /** Wall time of the case (load, run, compare, release), ms. */
  readonly ms: number;
}

export type StatusCounts = Record<CaseStatus, number>;

/** One op's row in the coverage matrix. */
export interface OpRow {
  readonly op: string;
  readonly counts: StatusCounts;
  /** pass when every case of the op passed, else the worst status among its cases (error > fail > unsupported > skipped). */
  readonly verdict: CaseStatus;
}

/** Ops and cases whose outcome differs between two devices. */
export interface DeviceDiff {
  readonly a: string;
  readonly b: string;
  /** Ops whose every case passes on a but not on b, and the other way round. */
  readonly opsOnlyA: readonly string[];
  readonly opsOnlyB: readonly string[];
  /** Every op whose verdict differs, with both verdicts. */
  readonly ops: readonly { readonly op: string; readonly a: CaseStatus; readonly b: CaseStatus }[];
  /** Every case whose status differs. */
  readonly cases: readonly {
    readonly id: string;
    readonly a: CaseStatus;
    readonly b: CaseStatus;
    readonly reasonA: string | null;
    readonly reasonB: string | null;
  }[];
}

/** One device's run over the suite. */
export interface DeviceRun {
  readonly device: string;
  readonly deviceClass: DeviceClass;
  /** Runtime name and version, as the device describes itself. */
  readonly runtime: string;
  /** The driver the device reports (e.g. the Vulkan ICD under the WebGPU EP), null when none. */
  readonly driver: string | null;
  /** Session options the runner set (e.g. intraOpThreads=1 for ORT unless the spec sets it). */
  readonly sessionOptions: Readonly<Record<string, string>>;
  readonly counts: StatusCounts;
  readonly cases: readonly CaseResult[];
  readonly matrix: readonly OpRow[];
  readonly wallMs: number;
}

/** What runConformance returns and `npuval conformance --json` prints. */
export interface ConformanceResult {
  readonly schema: 'npuval.conformance/1';
  readonly roots: readonly string[];
  readonly filter: string | null;
  readonly isolate: boolean;
  /** Per-case timeout, seconds. */
  readonly timeoutS: number;
  readonly tolerances: { readonly profiles: readonly ToleranceProfile[]; readonly overrides: readonly ToleranceOverride[] };
  readonly runs: readonly DeviceRun[];
  /** Present with --compare-device: runs[0] against runs[1]. */
  readonly diff: DeviceDiff | null;
}
