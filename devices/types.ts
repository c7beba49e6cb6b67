// The device abstraction: the system under test (LoadGen's SUT), independent of any backend.
// Every adapter (ORT, tfjs, endpoint, proc) implements these interfaces; nothing outside
// devices/ knows which adapter it talks to.

/** Element types a tensor can carry; names follow onnxruntime-common's `Tensor.Type`. */
export type DType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'int4'
  | 'uint4'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz';

export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint32Array
  | BigUint64Array
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
 * One loaded model on one device (tensor runs).
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
   * Never resolves with a partial result: a failure rejects, with a DeviceRunError where the
   * adapter recognised why (its `failure`), carrying the runtime's message.
   */
  run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs>;
  /**
   * Present when the backend generates tokens itself from this (decoder) model: a `proc:` adapter
   * whose hello claims token streaming. The session it returns lives as long as this one.
   */
  generation?(): GenerationSession;
  close(): Promise<void>;
}

/**
 * Token generation, whoever generates: a serving endpoint's own model (Device.openGeneration), the
 * in-process engine over a decoder Session (harness/serve), later a vendor process. Callers measure
 * every kind through this one interface. Concurrent generate() calls are allowed; `close` ends the
 * session and no call may follow it.
 */
export interface GenerationSession {
  /** The model generating: the served name an endpoint is asked for, or the in-process model's label. */
  readonly model: string;
  /** False when prompts must be text (a chat route); true when token ids are accepted. */
  readonly acceptsTokenIds: boolean;
  /**
   * Streams one request. Yields events as they arrive; ends after the last one; rejects with the
   * server's, the transport's or the engine's error (an AbortError-like reason when aborted).
   */
  generate(request: GenerateRequest): AsyncIterable<GenerateEvent>;
  /** The whole response at once, not streamed; present where the transport has such a mode (OpenAI: stream=false). */
  complete?(request: GenerateRequest): Promise<Completion>;
  /**
   * One round trip to the server that generates nothing (an endpoint: GET /models), resolving once
   * the answer is read; present where there is a transport. Rejects with one sentence naming what failed.
   */
  ping?(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** One streamed generation request. */
export interface GenerateRequest {
  /** Token ids (where accepted: acceptsTokenIds) or text. */
  readonly prompt: string | readonly number[];
  readonly maxTokens: number;
  /** Ask for exactly maxTokens (ignore_eos, min_tokens) where the server supports it. */
  readonly fixedLength?: boolean;
  /** Aborting cancels the request; the iterator then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One event of a generation stream, stamped when its last byte arrived (before parsing). */
export interface GenerateEvent {
  /** performance.now() in ms when the read holding the end of this event returned (in-process: when the token was chosen). */
  readonly time: number;
  /** Content delta; '' for role-only, empty or usage-only chunks. */
  readonly text: string;
  readonly finishReason: string | null;
  /** The server's token counts, when it reports them (stream_options.include_usage). */
  readonly usage: TokenUsage | null;
}

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** An unstreamed response. */
export interface Completion {
  readonly text: string;
  readonly usage: TokenUsage | null;
}

/** What openGeneration may change for one session. */
export interface GenerationOptions {
  /** Ask for this model instead of the device's own (an endpoint's ?model= or the first one it lists). */
  readonly model?: string;
  /** Fields merged into every request body, for servers with extensions (the OpenAI clients' extra_body). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
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

/** What a device can do. Callers choose their path by these, never by the adapter's kind. */
export interface DeviceCapabilities {
  /** open() loads an ONNX model and runs tensors. False for a serving endpoint, whose open() rejects. */
  readonly tensors: boolean;
  /**
   * How tokens get generated on it:
   * - 'own-model': the device holds its model and generates itself; openGeneration() streams it (an OpenAI endpoint);
   * - 'onnx-decoder': it runs a decoder-with-past ONNX model opened with open(), and the caller's engine generates;
   * - null: neither.
   */
  readonly generation: 'own-model' | 'onnx-decoder' | null;
}

/** The system under test. Opening may take seconds (model compilation); describe() is cheap. */
export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly capabilities: DeviceCapabilities;
  describe(): Promise<DeviceDescription>;
  /** Loads a model. Rejects with DeviceInputError when `capabilities.tensors` is false. */
  open(model: ModelSource, options?: OpenOptions): Promise<Session>;
  /**
   * Present when `capabilities.generation` is 'own-model': opens a session on the device's own model
   * (checking that it answers). An unreachable device rejects with DeviceUnavailableError (exit 3).
   */
  openGeneration?(options?: GenerationOptions): Promise<GenerationSession>;
}

/** Result of probing whether a device works here: it is available only if a real session ran. */
export interface Availability {
  readonly id: string;
  readonly available: boolean;
  /** Why not, in one sentence, when unavailable. */
  readonly reason: string | null;
  readonly description: DeviceDescription | null;
}
