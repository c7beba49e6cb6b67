// The ONNX Runtime adapter's Device: one per execution provider (EP), sessions from a path or bytes.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceUnavailableError } from '../errors.js';
import { describeHost } from '../host.js';
import { findCatalogEntry } from '../catalog.js';
import { queryNvidiaGpus } from '../nvidia.js';
import { parseOptions } from '../options.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceCapabilities, DeviceDescription, ModelSource, OpenOptions, Session } from '../types.js';
import { ortFailure } from './failures.js';
import { buildSessionOptions, ortOptionSchema, type OrtOptions } from './options.js';
import { bundledEps, ort, ortVersion } from './runtime.js';
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

  /** Rejects with DeviceRunError (its `failure` says why) when ORT cannot load the model. */
  async open(model: ModelSource, options: OpenOptions = {}): Promise<Session> {
    const sessionOptions = options.options ? this.optionsWith(options.options) : { ...this.sessionOptions };
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
