// The ONNX Runtime adapter: one Device per execution provider (EP), sessions from a path or bytes.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DeviceInputError, DeviceUnavailableError } from './errors.js';
import { describeHost } from './host.js';
import { findCatalogEntry } from './catalog.js';
import { queryNvidiaGpus } from './nvidia.js';
import type { DeviceSpec } from './spec.js';
import type {
  Device, DeviceDescription, DType, Feeds, ModelSource, OpenOptions, Outputs, Session, Tensor, Value, ValueInfo,
} from './types.js';

/** EP names ONNX Runtime defines (any platform). A spec naming one that is not bundled here is unavailable, not malformed. */
export const ORT_EP_NAMES = [
  'cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'qnn', 'xnnpack', 'webnn', 'nnapi',
  'openvino', 'rocm', 'migraphx', 'vitisai', 'azure', 'cann', 'acl', 'armnn', 'snpe',
] as const;

/** Spec options that set ORT session options; every other option goes to the EP. */
const SESSION_OPTION_KEYS = new Set([
  'intraOpThreads', 'interOpThreads', 'graphOptimizationLevel', 'executionMode', 'enableCpuMemArena', 'enableMemPattern', 'logSeverityLevel',
  'cpuFallback', 'allowSpinning',
]);

// ORT's environment logger writes provider-load failures straight to stderr; we report them ourselves.
ort.env.logLevel = process.env.NPUVAL_ORT_LOG === '1' ? 'warning' : 'fatal';

const OPT_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;

export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** EPs whose binaries onnxruntime-node ships for this platform. */
export function bundledEps(): string[] {
  return ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
}

export class OrtDevice implements Device {
  readonly kind = 'ort' as const;
  readonly id: string;
  readonly ep: string;
  private readonly spec: DeviceSpec;
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;

  constructor(spec: DeviceSpec) {
    if (!(ORT_EP_NAMES as readonly string[]).includes(spec.target)) {
      throw new DeviceInputError(`unknown ONNX Runtime execution provider "${spec.target}" in "${spec.id}"`);
    }
    // ORT's CPU EP has no device index and ignores one: `ort:cpu:1` would silently be the same device as `ort:cpu`.
    if (spec.target === 'cpu' && spec.index !== null) {
      throw new DeviceInputError(`"${spec.id}" names a device index, but ORT's CPU EP has none (it runs on the host's cores; size it with intraOpThreads)`);
    }
    this.spec = spec;
    this.id = spec.id;
    this.ep = spec.target;
    // Validate options now, so a bad spec is bad input before anything runs.
    this.sessionOptions = buildSessionOptions(this.ep, spec.index, spec.options, this.id);
  }

  async describe(): Promise<DeviceDescription> {
    const notes: string[] = [];
    const host = describeHost();
    const vulkan = this.ep === 'webgpu' ? vulkanDriver(notes) : null;
    const gpu = this.ep === 'cpu' || /swiftshader/i.test(vulkan?.detail ?? '') ? null : this.nvidiaGpu(notes);
    const driver = gpu ? { name: 'nvidia', detail: `NVIDIA driver ${gpu.driver}${vulkan ? '; ' + vulkan.detail : ''}` } : vulkan;
    return {
      id: this.id,
      kind: 'ort',
      vendor: gpu ? 'NVIDIA' : null,
      model: gpu ? gpu.name : this.ep === 'cpu' ? host.cpuModel : null,
      runtime: { name: 'onnxruntime-node', version: ortVersion() },
      backend: { name: this.ep, options: { ...this.spec.options } },
      driver,
      host,
      catalogId: gpu ? findCatalogEntry(gpu.name)?.id ?? null : null,
      notes,
    };
  }

  /** The NVIDIA GPU this EP runs on (index from the spec, else 0), if nvidia-smi can see one. */
  private nvidiaGpu(notes: string[]) {
    if (!['cuda', 'tensorrt', 'webgpu'].includes(this.ep)) return null;
    const gpus = queryNvidiaGpus();
    const index = this.spec.index ?? Number(this.spec.options.deviceId ?? 0);
    const gpu = gpus.find((g) => g.index === index) ?? null;
    if (gpu && this.ep === 'webgpu') notes.push(`assumed the WebGPU adapter is NVIDIA GPU ${index} (${gpu.name}); Dawn does not report its choice through ORT`);
    return gpu;
  }

  async open(model: ModelSource, options: OpenOptions = {}): Promise<Session> {
    const sessionOptions = options.options
      ? buildSessionOptions(this.ep, this.spec.index, { ...this.spec.options, ...options.options }, this.id)
      : { ...this.sessionOptions };
    if (options.freeDims) sessionOptions.freeDimensionOverrides = { ...options.freeDims };
    let session: ort.InferenceSession;
    try {
      session = 'path' in model
        ? await ort.InferenceSession.create(model.path, sessionOptions)
        : await ort.InferenceSession.create(model.bytes, sessionOptions);
    } catch (err) {
      // An EP that npm did not ship (CUDA, TensorRT) is an environment problem, not a model problem.
      if (!bundledEps().includes(this.ep)) {
        throw new DeviceUnavailableError(
          `${this.id} is unavailable: onnxruntime-node ${ortVersion()} on ${process.platform}/${process.arch} has no "${this.ep}" EP installed` +
            (this.ep === 'cuda' || this.ep === 'tensorrt' ? ' (reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 on a CUDA machine)' : '') +
            ` (${firstLine((err as Error).message)})`,
        );
      }
      throw err;
    }
    return new OrtSession(session);
  }
}

function buildSessionOptions(
  ep: string, index: number | null, options: Readonly<Record<string, string>>, id: string,
): ort.InferenceSession.SessionOptions {
  // ORT's native log goes straight to stderr; keep it to fatal errors unless asked (logSeverityLevel=0..4).
  const so: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4 };
  const epOptions: Record<string, unknown> = { name: ep };
  if (index !== null) epOptions.deviceId = index;
  for (const [key, value] of Object.entries(options)) {
    if (!SESSION_OPTION_KEYS.has(key)) {
      epOptions[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
      continue;
    }
    switch (key) {
      case 'intraOpThreads': so.intraOpNumThreads = positiveInt(key, value, id); break;
      case 'interOpThreads': so.interOpNumThreads = positiveInt(key, value, id); break;
      case 'logSeverityLevel': so.logSeverityLevel = Number(value) as 0 | 1 | 2 | 3 | 4; break;
      case 'graphOptimizationLevel':
        if (!(OPT_LEVELS as readonly string[]).includes(value)) {
          throw new DeviceInputError(`option graphOptimizationLevel=${value} in "${id}" is not one of ${OPT_LEVELS.join(', ')}`);
        }
        so.graphOptimizationLevel = value as (typeof OPT_LEVELS)[number];
        break;
      case 'executionMode':
        if (value !== 'sequential' && value !== 'parallel') {
          throw new DeviceInputError(`option executionMode=${value} in "${id}" is not sequential or parallel`);
        }
        so.executionMode = value;
        break;
      case 'enableCpuMemArena': so.enableCpuMemArena = value === 'true'; break;
      case 'enableMemPattern': so.enableMemPattern = value === 'true'; break;
      // cpuFallback=false: nodes the EP lacks fail the session instead of running on the CPU EP (ORT config session.disable_cpu_ep_fallback).
      case 'cpuFallback': if (value === 'false') sessionConfig(so).disable_cpu_ep_fallback = '1'; break;
      // allowSpinning=false: idle intra-op threads sleep instead of spinning (ORT config session.intra_op.allow_spinning),
      // which leaves the cores to other work on the host, such as a server's HTTP path or a client.
      case 'allowSpinning':
        if (value !== 'true' && value !== 'false') throw new DeviceInputError(`option allowSpinning=${value} in "${id}" is not true or false`);
        sessionConfig(so).intra_op = { allow_spinning: value === 'true' ? '1' : '0' };
        break;
    }
  }
  so.executionProviders = [epOptions as unknown as ort.InferenceSession.ExecutionProviderConfig];
  return so;
}

/** The `session.*` config entries of the session options (ORT flattens the nesting into dotted keys). */
function sessionConfig(so: ort.InferenceSession.SessionOptions): Record<string, unknown> {
  const extra = (so.extra ??= {}) as Record<string, Record<string, unknown>>;
  return (extra.session ??= {});
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function positiveInt(key: string, value: string, id: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new DeviceInputError(`option ${key}=${value} in "${id}" is not a non-negative integer`);
  return n;
}

/** The Vulkan ICD the WebGPU EP (Dawn) will load: VK_ICD_FILENAMES if set, else the system's ICD files. */
function vulkanDriver(notes: string[]): { name: string; detail: string } | null {
  // Dawn's Vulkan backend loads these; SwiftShader is Chromium's CPU implementation.
  const explicit = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  const files = explicit
    ? explicit.split(':').filter(Boolean)
    : ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].flatMap((dir) =>
        existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : []);
  if (files.length === 0) {
    notes.push('no Vulkan ICD found (VK_ICD_FILENAMES unset and no files in /usr/share/vulkan/icd.d)');
    return null;
  }
  const names = files.map((file) => {
    try {
      const icd = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string; api_version?: string } };
      const lib = icd.ICD?.library_path ?? '?';
      const label = /swiftshader/i.test(lib) || /swiftshader/i.test(file) ? 'SwiftShader (CPU Vulkan)' : lib;
      return `${label} via ${file}${icd.ICD?.api_version ? `, Vulkan ${icd.ICD.api_version}` : ''}`;
    } catch {
      notes.push(`Vulkan ICD file ${file} could not be read`);
      return file;
    }
  });
  return { name: 'vulkan', detail: names.join('; ') };
}

class OrtSession implements Session {
  readonly concurrentRuns = true;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];

  constructor(private readonly session: ort.InferenceSession) {
    this.inputs = session.inputMetadata.map(toValueInfo);
    this.outputs = session.outputMetadata.map(toValueInfo);
  }

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs> {
    const ortFeeds: Record<string, ort.OnnxValue> = {};
    for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toOrt(name, value);
    const result = fetches ? await this.session.run(ortFeeds, [...fetches]) : await this.session.run(ortFeeds);
    const out: Outputs = {};
    for (const [name, value] of Object.entries(result)) out[name] = value as unknown as Tensor;
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function toValueInfo(meta: ort.InferenceSession.ValueMetadata): ValueInfo {
  if (!meta.isTensor) return { name: meta.name, kind: 'other' };
  return {
    name: meta.name,
    kind: 'tensor',
    type: meta.type as DType,
    shape: meta.shape.map((d) => (typeof d === 'number' && d < 0 ? null : d)),
  };
}

/** Wraps a Tensor as an ORT tensor without copying its data (ORT tensors pass through as they are). */
function toOrt(name: string, value: Value): ort.OnnxValue {
  if (value instanceof ort.Tensor) return value;
  if (value === null || Array.isArray(value)) {
    throw new DeviceInputError(`input "${name}" is a ${value === null ? 'absent optional' : 'sequence'}, which onnxruntime-node cannot feed`);
  }
  return new ort.Tensor(value.type as ort.Tensor.Type, value.data as ort.Tensor.DataType, value.dims);
}
