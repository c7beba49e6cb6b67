// The options an `ort:<ep>` spec takes, typed: ORT session options (the same for every EP) plus the
// provider options onnxruntime-node passes to that EP. Anything else is refused by the registry,
// so a typo such as `intraOpThread=2` is an error, not a silently ignored EP option.
import { DeviceInputError } from '../errors.js';
import type { OptionSchema, OptionValues } from '../options.js';
import type { DeviceSpec } from '../spec.js';
import { nativeWarnings, ORT_EP_NAMES, type ort } from './runtime.js';

const bool = (doc: string) => ({ type: 'bool', doc }) as const;

/**
 * The most threads a session's pool may ask for: ORT starts them all at session creation, and
 * 100,000 hangs the process. 1,024 is above any host's hardware threads (docs/reliability.md#resource-bounds).
 */
export const MAX_SESSION_THREADS = 1024;

/** Session options, for every EP. */
export const SESSION_OPTIONS = {
  intraOpThreads: { type: 'int', min: 0, max: MAX_SESSION_THREADS, doc: 'threads within one operator (0: ORT decides)' },
  interOpThreads: { type: 'int', min: 0, max: MAX_SESSION_THREADS, doc: 'threads across operators (executionMode=parallel)' },
  graphOptimizationLevel: {
    type: 'enum',
    values: ['disabled', 'basic', 'extended', 'layout', 'all'],
    doc: 'graph optimizations ORT applies at load',
  },
  executionMode: { type: 'enum', values: ['sequential', 'parallel'], doc: 'run independent nodes one at a time or in parallel' },
  enableCpuMemArena: bool("ORT's CPU memory arena"),
  enableMemPattern: bool("ORT's memory pattern planning"),
  logSeverityLevel: {
    type: 'int',
    min: 0,
    max: 4,
    doc: "ORT's native log level (0 verbose … 4 fatal; default 4, 2 with NPUVAL_ORT_LOG=1 or the CLI's --verbose)",
  },
  cpuFallback: bool('false: nodes the EP lacks fail the session instead of running on the CPU EP (session.disable_cpu_ep_fallback)'),
  allowSpinning: bool(
    'false: idle intra-op threads sleep instead of spinning (session.intra_op.allow_spinning), leaving the cores to a server or client on the host',
  ),
} as const satisfies OptionSchema;

const DEVICE_ID = {
  deviceId: { type: 'int', min: 0, doc: "which device of the EP (the spec's :N sets it too)" },
} as const satisfies OptionSchema;
/** Options npuval itself reads for an EP; they never reach ORT. */
const PROVIDER_LIBS = {
  providers: {
    type: 'string',
    doc: 'folder of ONNX Runtime GPU provider libraries (libonnxruntime_providers_*.so) built for the bundled onnxruntime-node version; default $NPUVAL_ORT_PROVIDERS (docs/devices.md#cuda)',
  },
} as const satisfies OptionSchema;
const BUFFER_CACHE = { type: 'enum', values: ['disabled', 'lazyRelease', 'simple', 'bucket'], doc: 'WebGPU buffer cache mode' } as const;

/** Provider options onnxruntime-node reads, per EP (its binding ignores or refuses others). */
const EP_OPTIONS: Readonly<Record<string, OptionSchema>> = {
  cpu: {},
  webgpu: {
    preferredLayout: { type: 'enum', values: ['NCHW', 'NHWC'], doc: 'layout for layout-sensitive ops' },
    validationMode: { type: 'enum', values: ['disabled', 'wgpuOnly', 'basic', 'full'], doc: 'WebGPU validation' },
    storageBufferCacheMode: BUFFER_CACHE,
    uniformBufferCacheMode: BUFFER_CACHE,
    queryResolveBufferCacheMode: BUFFER_CACHE,
    defaultBufferCacheMode: BUFFER_CACHE,
  },
  cuda: { ...DEVICE_ID, ...PROVIDER_LIBS },
  tensorrt: { ...DEVICE_ID, ...PROVIDER_LIBS },
  coreml: { coreMlFlags: { type: 'int', min: 0, doc: 'CoreML EP flag bits' } },
  qnn: { backendType: { type: 'string', doc: 'QNN backend (cpu, htp)' }, backendPath: { type: 'string', doc: 'QNN backend library' } },
  nnapi: {
    useFP16: bool('relax fp32 to fp16'),
    useNCHW: bool('NCHW layout'),
    cpuDisabled: bool('no NNAPI CPU'),
    cpuOnly: bool('NNAPI CPU only'),
  },
  webnn: {
    deviceType: { type: 'enum', values: ['cpu', 'gpu', 'npu'], doc: 'WebNN device' },
    powerPreference: { type: 'enum', values: ['default', 'low-power', 'high-performance'], doc: 'WebNN power preference' },
    numThreads: { type: 'int', min: 0, doc: 'WebNN CPU threads' },
  },
};

export type OrtOptions = OptionValues<typeof SESSION_OPTIONS> & Readonly<Record<string, string | number | boolean | undefined>>;

/** The schema of one `ort:` spec; throws DeviceInputError for an unknown EP or an index on the CPU EP. */
export function ortOptionSchema(spec: DeviceSpec): OptionSchema {
  if (!(ORT_EP_NAMES as readonly string[]).includes(spec.target)) {
    throw new DeviceInputError(`unknown device "${spec.id}": "${spec.target}" is not an ONNX Runtime execution provider`);
  }
  // ORT's CPU EP has no device index and ignores one: `ort:cpu:1` would silently be the same device as `ort:cpu`.
  if (spec.target === 'cpu' && spec.index !== null) {
    throw new DeviceInputError(
      `"${spec.id}" names a device index, but ORT's CPU EP has none (it runs on the host's cores; size it with intraOpThreads)`,
    );
  }
  return { ...SESSION_OPTIONS, ...(EP_OPTIONS[spec.target] ?? DEVICE_ID) };
}

/** ORT session options from checked spec options; keys that are not session options (nor npuval's own) go to the EP. */
export function buildSessionOptions(ep: string, index: number | null, o: OrtOptions): ort.InferenceSession.SessionOptions {
  // ORT's native log goes straight to stderr; keep it to fatal errors unless asked (see nativeWarnings).
  const so: ort.InferenceSession.SessionOptions = {
    logSeverityLevel: (o.logSeverityLevel ?? (nativeWarnings() ? 2 : 4)) as 0 | 1 | 2 | 3 | 4,
  };
  if (o.intraOpThreads !== undefined) so.intraOpNumThreads = o.intraOpThreads;
  if (o.interOpThreads !== undefined) so.interOpNumThreads = o.interOpThreads;
  if (o.graphOptimizationLevel !== undefined) so.graphOptimizationLevel = o.graphOptimizationLevel;
  if (o.executionMode !== undefined) so.executionMode = o.executionMode;
  if (o.enableCpuMemArena !== undefined) so.enableCpuMemArena = o.enableCpuMemArena;
  if (o.enableMemPattern !== undefined) so.enableMemPattern = o.enableMemPattern;
  if (o.cpuFallback === false) sessionConfig(so).disable_cpu_ep_fallback = '1';
  if (o.allowSpinning !== undefined) sessionConfig(so).intra_op = { allow_spinning: o.allowSpinning ? '1' : '0' };
  const epOptions: Record<string, unknown> = { name: ep };
  if (index !== null) epOptions.deviceId = index;
  for (const [key, value] of Object.entries(o))
    if (!Object.hasOwn(SESSION_OPTIONS, key) && !Object.hasOwn(PROVIDER_LIBS, key) && value !== undefined) epOptions[key] = value;
  so.executionProviders = [epOptions as unknown as ort.InferenceSession.ExecutionProviderConfig];
  return so;
}

/** The `session.*` config entries of the session options (ORT flattens the nesting into dotted keys). */
function sessionConfig(so: ort.InferenceSession.SessionOptions): Record<string, unknown> {
  so.extra ??= {};
  const extra = so.extra as Record<string, Record<string, unknown>>;
  extra.session ??= {};
  return extra.session;
}
