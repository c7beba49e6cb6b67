// The device abstraction: the system under test (LoadGen's SUT), independent of any backend.
// Every adapter (ORT, tfjs, endpoint, proc) implements these interfaces; nothing outside
// devices/ knows which adapter it talks to.

/** Element types a tensor can carry; names follow onnxruntime-common's `Tensor.Type`. */
export type DType =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool' | 'string'
  | 'int4' | 'uint4' | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz';

export type TensorData =
  | Float32Array | Float64Array | Uint16Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint32Array | BigUint64Array
  | string[];

/**
 * A dense tensor. Structurally compatible with onnxruntime-common's Tensor, so ORT outputs can be
 * fed back as inputs without a copy (the KV cache relies on this). float16 and bfloat16 are carried
 * as their raw bits in a Uint16Array; bool as Uint8Array (0/1).
 * Ownership: the caller owns `data`; a Session must not mutate feeds.
 */
export interface Tensor {
  readonly type: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

/** A value passed to or returned by a session: a tensor, a sequence of values, or an absent optional. */
export type Value = Tensor | Value[] | null;

export type Feeds = Record<string, Value>;
export type Outputs = Record<string, Value>;

/** What a session knows of one input or output before running. */
export interface ValueInfo {
  readonly name: string;
  /** 'tensor' when the runtime reports a tensor; 'other' for sequences, maps and optionals it cannot describe. */
  readonly kind: 'tensor' | 'other';
  readonly type?: DType;
  /** Dimensions: a number when fixed, a string for a symbolic dim, null when unknown. */
  readonly shape?: readonly (number | string | null)[];
}

/** The model to open: an ONNX file path or its bytes. */
export type ModelSource = { readonly path: string } | { readonly bytes: Uint8Array };

export interface OpenOptions {
  /** Symbolic dims to fix at load time (ORT's freeDimensionOverrides). */
  readonly freeDims?: Readonly<Record<string, number>>;
  /** Overrides of the device's own options for this session only. */
  readonly options?: Readonly<Record<string, string>>;
}

/**
 * One loaded model on one device.
 * `run` may be called again before an earlier call settles only if `concurrentRuns` is true.
 * `close` releases native resources; no call may follow it.
 */
export interface Session {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** True when the backend accepts overlapping run() calls (ORT does; a stdio process may not). */
  readonly concurrentRuns: boolean;
  /**
   * Runs the model once. Resolves with the requested outputs (all when `fetches` is omitted).
   * Never resolves with a partial result: a failure rejects with the runtime's message.
   */
  run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs>;
  /**
   * Streaming text generation, present only on serving endpoints (`endpoint:`). Yields events as
   * they arrive; ends after the last one; rejects with the server's or the transport's error.
   */
  generate?(request: GenerateRequest): AsyncIterable<GenerateEvent>;
  close(): Promise<void>;
}

/** One streamed generation request to a serving endpoint. */
export interface GenerateRequest {
  /** Token ids (where the server accepts them) or text. */
  readonly prompt: string | readonly number[];
  readonly maxTokens: number;
  /** Ask for exactly maxTokens (ignore_eos, min_tokens) where the server supports it. */
  readonly fixedLength?: boolean;
  /** Aborting cancels the request; the iterator then rejects with an AbortError. */
  readonly signal?: AbortSignal;
}

/** One server-sent event of a generation stream, stamped when its last byte arrived (before parsing). */
export interface GenerateEvent {
  /** performance.now() in ms when the read holding the end of this event returned. */
  readonly time: number;
  /** Content delta; '' for role-only, empty or usage-only chunks. */
  readonly text: string;
  readonly finishReason: string | null;
  /** The server's token counts, when it reports them (stream_options.include_usage). */
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number } | null;
}

/** Static facts about a device, gathered without running a workload. */
export interface DeviceDescription {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly vendor: string | null;
  readonly model: string | null;
  /** Runtime name and version, e.g. onnxruntime-node 1.30.0. */
  readonly runtime: { readonly name: string; readonly version: string };
  /** The execution provider or backend and the options it was given. */
  readonly backend: { readonly name: string; readonly options: Readonly<Record<string, string>> };
  readonly driver: { readonly name: string; readonly detail: string } | null;
  readonly host: HostDescription;
  /** Catalog key when the device maps to a hardware catalog entry (peak specs with sources); else null. */
  readonly catalogId: string | null;
  /** Free-form notes, e.g. why a field could not be found. */
  readonly notes: readonly string[];
}

export interface HostDescription {
  readonly hostname: string;
  readonly os: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
}

export type DeviceKind = 'ort' | 'tfjs' | 'endpoint' | 'proc';

/** The system under test. Opening may take seconds (model compilation); describe() is cheap. */
export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  /** True for serving endpoints: the server holds its model, open() ignores the source and the session offers generate(). */
  readonly servesOwnModel?: boolean;
  describe(): Promise<DeviceDescription>;
  open(model: ModelSource, options?: OpenOptions): Promise<Session>;
}

/** Result of probing whether a device works here: it is available only if a real session ran. */
export interface Availability {
  readonly id: string;
  readonly available: boolean;
  /** Why not, in one sentence, when unavailable. */
  readonly reason: string | null;
  readonly description: DeviceDescription | null;
}
