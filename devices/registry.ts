// The registry turns device spec strings into Devices and says which devices work here.
import { DeviceInputError } from './errors.js';
import { OrtDevice, ORT_EP_NAMES, bundledEps } from './ort.js';
import { EndpointDevice } from './endpoint/index.js';
import { probeDevice } from './probe.js';
import { TfjsDevice } from './tfjs/index.js';
import { parseDeviceSpec, type DeviceSpec } from './spec.js';
import type { Availability, Device } from './types.js';

/** A backend adapter: builds a Device from a parsed spec of its kind. */
export type AdapterFactory = (spec: DeviceSpec) => Device;

const adapters = new Map<string, AdapterFactory>([['ort', (spec) => new OrtDevice(spec)], ['endpoint', (spec) => new EndpointDevice(spec)]]);

/** Lets other adapters (tfjs, endpoint, proc) plug in without the registry importing them all eagerly. */
export function registerAdapter(kind: string, factory: AdapterFactory): void {
  adapters.set(kind, factory);
}

/** Device specs worth probing on any machine: every ORT EP name this platform's package knows, plus registered adapters' defaults. */
const extraCandidates: string[] = [];
export function registerCandidate(spec: string): void {
  if (!extraCandidates.includes(spec)) extraCandidates.push(spec);
}

// The independent tfjs reference (zoo models; the probe runs through its elementwise path). TensorFlow.js loads on first use.
registerAdapter('tfjs', (spec) => new TfjsDevice(spec));
registerCandidate('tfjs:wasm');
registerCandidate('tfjs:cpu');

export function candidateSpecs(): string[] {
  const eps = ['cpu', 'webgpu', 'cuda', 'tensorrt'];
  for (const ep of bundledEps()) if (!eps.includes(ep)) eps.push(ep);
  return [...eps.map((ep) => `ort:${ep}`), ...extraCandidates];
}

/** Builds a Device from a spec; throws DeviceInputError naming what is available when the spec is bad. */
export function createDevice(specText: string, available: readonly string[] = []): Device {
  const hint = available.length ? `; available here: ${available.join(', ')}` : '';
  let spec: DeviceSpec;
  try {
    spec = parseDeviceSpec(specText);
  } catch (err) {
    throw new DeviceInputError(`${(err as Error).message}${hint}`);
  }
  const factory = adapters.get(spec.kind);
  if (!factory) throw new DeviceInputError(`no adapter for "${spec.kind}:" devices is installed${hint}`);
  try {
    return factory(spec);
  } catch (err) {
    if (err instanceof DeviceInputError && spec.kind === 'ort' && !(ORT_EP_NAMES as readonly string[]).includes(spec.target)) {
      throw new DeviceInputError(`unknown device "${specText}": "${spec.target}" is not an ONNX Runtime execution provider${hint}`);
    }
    if (err instanceof DeviceInputError && hint) throw new DeviceInputError(`${err.message}${hint}`);
    throw err;
  }
}

/**
 * Checks that every spec parses and names a known adapter/EP, without opening anything.
 * A bad one throws DeviceInputError (exit 2) that lists the devices available here.
 */
export async function checkSpecs(specs: readonly string[]): Promise<void> {
  for (const spec of specs) {
    try {
      createDevice(spec);
    } catch (err) {
      if ((err as { exitCode?: number }).exitCode !== 2) throw err;
      const available = (await probeAll()).filter((a) => a.available).map((a) => a.id);
      createDevice(spec, available);
      throw err;
    }
  }
}

/** Probes one device: available only if a real session ran the probe model. Never throws. */
export async function probe(specText: string): Promise<Availability> {
  let device: Device;
  try {
    device = createDevice(specText);
  } catch (err) {
    return { id: specText, available: false, reason: (err as Error).message, description: null };
  }
  const description = await device.describe().catch(() => null);
  try {
    await probeDevice(device);
    return { id: device.id, available: true, reason: null, description };
  } catch (err) {
    return { id: device.id, available: false, reason: oneLine((err as Error).message), description };
  }
}

export async function probeAll(specs: readonly string[] = candidateSpecs()): Promise<Availability[]> {
  const out: Availability[] = [];
  // Sequential: EPs initialise global state (Dawn, CUDA) and two at once only adds noise.
  for (const spec of specs) out.push(await probe(spec));
  return out;
}

function oneLine(message: string): string {
  const first = message.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? message;
  return first.length > 400 ? first.slice(0, 397) + '...' : first;
}
