// The tfjs devices (`tfjs:wasm`, `tfjs:cpu`): an independent reference implementation of the zoo
// models' forward passes in TensorFlow.js, so any device can be checked against numerics that do
// not come from ONNX Runtime. TensorFlow.js is loaded on first use, not when the registry loads.
import { DeviceInputError, DeviceUnavailableError } from '../errors.js';
import { describeHost } from '../host.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceCapabilities, DeviceDescription, ModelSource, OpenOptions, Session } from '../types.js';
import { parseOptions, type OptionSchema } from '../options.js';
import { readOnnxFile } from './model-file.js';
import type { TfjsBackendName } from './runtime.js';

export const TFJS_BACKENDS: readonly TfjsBackendName[] = ['wasm', 'cpu'];
export type TfjsBackend = TfjsBackendName;

type Runtime = typeof import('./runtime.js');

let runtimePromise: Promise<Runtime> | null = null;
function loadRuntime(): Promise<Runtime> {
  runtimePromise ??= import('./runtime.js');
  return runtimePromise;
}

/** tfjs devices take no options: the backend is the whole configuration. */
export const TFJS_OPTIONS = {} as const satisfies OptionSchema;

/** The option schema of a `tfjs:` spec; throws DeviceInputError for an unknown backend or an index. */
export function tfjsOptionSchema(spec: DeviceSpec): typeof TFJS_OPTIONS {
  if (!(TFJS_BACKENDS as readonly string[]).includes(spec.target)) {
    throw new DeviceInputError(
      `unknown TensorFlow.js backend "${spec.target}" in "${spec.id}"; tfjs devices are ${TFJS_BACKENDS.map((b) => 'tfjs:' + b).join(', ')}`,
    );
  }
  if (spec.index !== null) throw new DeviceInputError(`"${spec.id}" has a device index; tfjs devices take none`);
  return TFJS_OPTIONS;
}

export class TfjsDevice implements Device {
  readonly kind = 'tfjs' as const;
  /** Zoo decoders (llama) run here too, so the in-process engine can generate on it. */
  readonly capabilities: DeviceCapabilities = { tensors: true, generation: 'onnx-decoder' };
  readonly id: string;
  readonly backend: TfjsBackend;

  constructor(spec: DeviceSpec) {
    parseOptions(spec, tfjsOptionSchema(spec), `tfjs:${spec.target}`);
    this.id = spec.id;
    this.backend = spec.target as TfjsBackend;
  }

  async describe(): Promise<DeviceDescription> {
    const notes = [
      'independent reference numerics: runs npuval zoo models (llama, bert, resnet) with its own TensorFlow.js forward pass, fp32 math; not ONNX Runtime',
    ];
    const rt = await loadRuntime();
    // Starting the backend (~10 ms) is what tells how many wasm threads it got.
    await rt.runExclusive(this.backend, () => undefined).catch((err: Error) => notes.push(`backend did not start: ${err.message}`));
    const facts = await rt.runtimeFacts(this.backend);
    const host = describeHost();
    return {
      id: this.id,
      kind: 'tfjs',
      vendor: null,
      model: host.cpuModel,
      runtime: { name: '@tensorflow/tfjs-core', version: facts.coreVersion },
      backend: {
        name: this.backend,
        options: { package: `@tensorflow/tfjs-backend-${this.backend}@${facts.backendVersion}`, ...facts.options },
      },
      driver: null,
      host,
      catalogId: null,
      notes,
    };
  }

  async open(model: ModelSource, _options: OpenOptions = {}): Promise<Session> {
    const file = readOnnxFile(model);
    const rt = await loadRuntime();
    try {
      await rt.runExclusive(this.backend, () => undefined); // starts the backend; a failure here is the environment's
    } catch (err) {
      throw new DeviceUnavailableError(`${this.id} is unavailable: ${(err as Error).message}`);
    }
    const { openTfjsSession } = await import('./session.js');
    return openTfjsSession(file, this.backend);
  }
}
