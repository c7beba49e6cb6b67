// The ONNX Runtime adapter's Device: one per execution provider (EP), sessions from a path or bytes.
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DeviceUnavailableError } from '../errors.js';
import { describeHost } from '../host.js';
import { findCatalogEntry } from '../catalog.js';
import { queryNvidiaGpus } from '../nvidia.js';
import { parseOptions } from '../options.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceCapabilities, DeviceDescription, ModelSource, OpenOptions, Session } from '../types.js';
import { ortFailure } from './failures.js';
import { buildSessionOptions, ortOptionSchema, type OrtOptions } from './options.js';
import { applyNativeLogLevel, bundledEps, ort, ortVersion } from './runtime.js';
import { OrtSession } from './session.js';

export class OrtDevice implements Device {
  readonly kind = 'ort' as const;
  readonly capabilities: DeviceCapabilities = { tensors: true, generation: 'onnx-decoder' };
  readonly id: string;
  readonly ep: string;
  private readonly spec: DeviceSpec;
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;

  /** `options`: the spec's options already checked (the registry passes them); parsed here when omitted. */
  constructor(spec: DeviceSpec, options: OrtOptions = parseOptions(spec, ortOptionSchema(spec), `ort:${spec.target}`)) {
    this.spec = spec;
    this.id = spec.id;
    this.ep = spec.target;
    this.sessionOptions = buildSessionOptions(this.ep, spec.index, options);
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
    let session: ort.InferenceSession;
    applyNativeLogLevel();
    try {
      session =
        'path' in model
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
      throw ortFailure(err);
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

/**
 * The Vulkan driver manifests (ICD files) the Vulkan loader, and so the WebGPU EP's Dawn, would read,
 * found as the loader searches on Linux: VK_DRIVER_FILES (or the older VK_ICD_FILENAMES) replaces
 * the search, VK_ADD_DRIVER_FILES adds to it, else the XDG config and data folders' vulkan/icd.d.
 * Each entry may be a manifest or a folder of them.
 */
function vulkanIcdFiles(): { readonly explicit: boolean; readonly files: string[] } {
  const env = process.env;
  const list = (value: string | undefined) => (value ?? '').split(':').filter(Boolean);
  const manifests = (path: string) =>
    !existsSync(path)
      ? []
      : statSync(path).isDirectory()
        ? readdirSync(path)
            .filter((f) => f.endsWith('.json'))
            .sort()
            .map((f) => join(path, f))
        : [path];
  const added = list(env.VK_ADD_DRIVER_FILES).flatMap(manifests);
  const explicit = list(env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES);
  if (explicit.length) return { explicit: true, files: [...added, ...explicit.flatMap(manifests)] };
  const dirs = [
    env.XDG_CONFIG_HOME || join(homedir(), '.config'),
    ...list(env.XDG_CONFIG_DIRS || '/etc/xdg'),
    '/usr/local/etc',
    '/etc',
    env.XDG_DATA_HOME || join(homedir(), '.local/share'),
    ...list(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share'),
  ].map((dir) => join(dir, 'vulkan', 'icd.d'));
  return { explicit: false, files: [...added, ...[...new Set(dirs)].flatMap(manifests)] };
}

/** Why there is no Vulkan driver for the WebGPU EP, or null when the loader has a manifest to try. */
function missingVulkanDriver(): string | null {
  const { explicit, files } = vulkanIcdFiles();
  if (files.length === 0) {
    return explicit
      ? `no Vulkan driver: no ICD file exists at VK_DRIVER_FILES/VK_ICD_FILENAMES (${process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES})`
      : 'no Vulkan driver: VK_ICD_FILENAMES is unset and no vulkan/icd.d folder holds an ICD file (without a GPU: apt-get install chromium libvulkan1, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)';
  }
  // A manifest whose library is a path (absolute, or relative to the manifest) that does not exist
  // cannot load; a bare library name is found by the dynamic linker, so it counts as usable.
  const missingLibraries = files.map((file) => {
    try {
      const lib = (JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
      return lib?.includes('/') && !existsSync(resolve(dirname(file), lib)) ? `${file} names ${lib}, which does not exist` : null;
    } catch {
      return null; // unreadable: let the loader judge it
    }
  });
  return missingLibraries.every((m) => m !== null) ? `no Vulkan driver: ${missingLibraries.join('; ')}` : null;
}

/** The Vulkan ICD the WebGPU EP (Dawn) will load. */
function vulkanDriver(notes: string[]): { name: string; detail: string } | null {
  // Dawn's Vulkan backend loads these; SwiftShader is Chromium's CPU implementation.
  const { files } = vulkanIcdFiles();
  const missing = missingVulkanDriver();
  if (missing) {
    notes.push(missing);
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
