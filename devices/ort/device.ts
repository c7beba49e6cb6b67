// The ONNX Runtime adapter's Device: one per execution provider (EP), sessions from a path or bytes.
import { DeviceUnavailableError } from '../errors.js';
import { describeHost } from '../host.js';
import { findCatalogEntry } from '../catalog.js';
import { queryNvidiaGpus } from '../nvidia.js';
import { parseOptions } from '../options.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceCapabilities, DeviceDescription, ModelSource, OpenOptions, Session } from '../types.js';
import { ortFailure } from './failures.js';
import { buildSessionOptions, ortOptionSchema, type OrtOptions } from './options.js';
import {
  namedProviderLibs,
  PROVIDER_EPS,
  providerNote,
  providerSetupFailure,
  readyProviderLibs,
  verifyLoaded,
  type ProviderLibs,
} from './providers.js';
import { applyNativeLogLevel, bundledEps, ort, ortVersion } from './runtime.js';
import { OrtSession } from './session.js';
import { missingVulkanDriver, vulkanDriver } from './vulkan.js';

export class OrtDevice implements Device {
  readonly kind = 'ort' as const;
  readonly capabilities: DeviceCapabilities = { tensors: true, generation: 'onnx-decoder' };
  readonly id: string;
  readonly ep: string;
  private readonly spec: DeviceSpec;
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  /** The provider libraries the spec (or NPUVAL_ORT_PROVIDERS) names for a CUDA/TensorRT EP, checked; null: ORT's own folder. */
  private readonly providers: ProviderLibs | null;
  /** The provider libraries once checked and placed for this device's first session. */
  private readied: ProviderLibs | null = null;

  /**
   * `options`: the spec's options already checked (the registry passes them); parsed here when omitted.
   * Throws DeviceInputError when a named provider folder cannot serve (missing, wrong libraries or version).
   */
  constructor(spec: DeviceSpec, options: OrtOptions = parseOptions(spec, ortOptionSchema(spec), `ort:${spec.target}`)) {
    this.spec = spec;
    this.id = spec.id;
    this.ep = spec.target;
    this.sessionOptions = buildSessionOptions(this.ep, spec.index, options);
    const named = typeof options.providers === 'string' ? options.providers : undefined;
    this.providers = PROVIDER_EPS.includes(this.ep) ? namedProviderLibs(this.ep, named, this.name, ortVersion()) : null;
  }

  /** The spec without its options (`ort:cuda:1`), for sentences: the id escapes option values such as paths. */
  private get name(): string {
    return `ort:${this.ep}${this.spec.index === null ? '' : `:${this.spec.index}`}`;
  }

  async describe(): Promise<DeviceDescription> {
    const notes: string[] = [];
    const host = describeHost();
    const vulkan = this.ep === 'webgpu' ? vulkanDriver(notes) : null;
    const gpu = this.ep === 'cpu' || /swiftshader/i.test(vulkan?.detail ?? '') ? null : this.nvidiaGpu(notes);
    const driver = gpu ? { name: 'nvidia', detail: `NVIDIA driver ${gpu.driver}${vulkan ? '; ' + vulkan.detail : ''}` } : vulkan;
    if (this.providers) notes.push(providerNote(this.providers));
    return {
      id: this.id,
      kind: 'ort',
      vendor: gpu ? 'NVIDIA' : null,
      model: gpu ? gpu.name : this.ep === 'cpu' ? host.cpuModel : null,
      runtime: { name: 'onnxruntime-node', version: ortVersion() },
      backend: { name: this.ep, options: { ...this.spec.options } },
      driver,
      host,
      catalogId: gpu ? (findCatalogEntry(gpu.name)?.id ?? null) : null,
      notes,
    };
  }

  /** The NVIDIA GPU this EP runs on (index from the spec, else 0), if nvidia-smi can see one. */
  private nvidiaGpu(notes: string[]) {
    if (!['cuda', 'tensorrt', 'webgpu'].includes(this.ep)) return null;
    const gpus = queryNvidiaGpus();
    const index = this.spec.index ?? Number(this.spec.options.deviceId ?? 0);
    const gpu = gpus.find((g) => g.index === index) ?? null;
    if (gpu && this.ep === 'webgpu')
      notes.push(`assumed the WebGPU adapter is NVIDIA GPU ${index} (${gpu.name}); Dawn does not report its choice through ORT`);
    return gpu;
  }

  /** Rejects with DeviceRunError (its `failure` says why) when ORT cannot load the model. */
  async open(model: ModelSource, options: OpenOptions = {}): Promise<Session> {
    const sessionOptions = options.options ? this.optionsWith(options.options) : { ...this.sessionOptions };
    if (options.freeDims) sessionOptions.freeDimensionOverrides = { ...options.freeDims };
    // Without a Vulkan driver Dawn can only fail, and it says so on stderr, where npuval cannot catch
    // it (docs/devices.md): the WebGPU EP is unavailable without starting Dawn at all.
    const noVulkan = this.ep === 'webgpu' ? missingVulkanDriver() : null;
    if (noVulkan) throw new DeviceUnavailableError(`${this.id} is unavailable: ${noVulkan}`);
    // CUDA/TensorRT: ORT loads their libraries at the first session; check and place them before it tries.
    if (PROVIDER_EPS.includes(this.ep) && !this.readied) this.readied = readyProviderLibs(this.ep, this.providers, this.name, ortVersion());
    const providers = this.readied;
    let session: ort.InferenceSession;
    applyNativeLogLevel();
    try {
      session =
        'path' in model
          ? await ort.InferenceSession.create(model.path, sessionOptions)
          : await ort.InferenceSession.create(model.bytes, sessionOptions);
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      // A provider library that cannot load or find its GPU is an environment problem, not a model problem.
      const setup = providers ? providerSetupFailure(message, this.ep, this.name) : null;
      if (setup) throw setup;
      // So is an EP that npm did not ship for this platform.
      if (!providers && !bundledEps().includes(this.ep)) {
        throw new DeviceUnavailableError(
          `${this.id} is unavailable: onnxruntime-node ${ortVersion()} on ${process.platform}/${process.arch} has no "${this.ep}" EP installed (${firstLine(message)})`,
        );
      }
      throw ortFailure(err);
    }
    if (providers) {
      try {
        verifyLoaded(providers, this.name);
      } catch (err) {
        await session.release();
        throw err;
      }
    }
    return new OrtSession(session);
  }

  /** Session options with one session's overrides of the spec's options, checked as the spec's are. */
  private optionsWith(overrides: Readonly<Record<string, string>>): ort.InferenceSession.SessionOptions {
    const spec = { ...this.spec, options: { ...this.spec.options, ...overrides } };
    return buildSessionOptions(this.ep, spec.index, parseOptions(spec, ortOptionSchema(spec), `ort:${this.ep}`));
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
