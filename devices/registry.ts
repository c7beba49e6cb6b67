// The registry: adapters register themselves here when their module loads (devices/adapters.ts
// loads them all), and callers turn spec strings into Devices and ask which work here. It imports
// no adapter, so an adapter is added or removed without touching it; code outside devices/ imports
// devices/index.ts, which loads the adapters and re-exports these functions.
import { DeviceInputError } from './errors.js';
import { parseOptions, type OptionSchema, type OptionValues } from './options.js';
import { probeDevice } from './probe.js';
import { parseDeviceSpec, type DeviceSpec } from './spec.js';
import type { Availability, Device, DeviceKind } from './types.js';

/** What an adapter tells the registry about itself. */
export interface Adapter<S extends OptionSchema = OptionSchema> {
  readonly kind: DeviceKind;
  /**
   * The option keys (with types) a spec of this target may carry. Throws DeviceInputError when the
   * spec's target or index is none of this adapter's. Cheap: loads no runtime.
   */
  options(spec: DeviceSpec): S;
  /** Builds the Device from a spec whose options were checked against options(spec); opens nothing. */
  create(spec: DeviceSpec, options: OptionValues<S>): Device;
  /** Specs worth probing on any machine (`npuval devices` without --device). */
  candidates(): readonly string[];
}

const adapters = new Map<DeviceKind, Adapter>();

/**
 * Adds an adapter for its kind; returns a function that removes it again (for tests).
 * A kind registered twice is a programming error and throws.
 */
export function registerAdapter<S extends OptionSchema>(adapter: Adapter<S>): () => void {
  if (adapters.has(adapter.kind)) throw new Error(`an adapter for "${adapter.kind}:" devices is already registered`);
  adapters.set(adapter.kind, adapter);
  return () => {
    if (adapters.get(adapter.kind) === adapter) adapters.delete(adapter.kind);
  };
}

/** Every registered adapter's candidate specs, in registration order. */
export function candidateSpecs(): string[] {
  return [...adapters.values()].flatMap((a) => [...a.candidates()]);
}

/**
 * Builds a Device from a spec; throws DeviceInputError (exit 2) when the spec is malformed, names no
 * installed adapter, or has an unknown option or a value of the wrong type. `available` is appended to
 * the message as what works here.
 */
export function createDevice(specText: string, available: readonly string[] = []): Device {
  const hint = available.length ? `; available here: ${available.join(', ')}` : '';
  try {
    const spec = parseDeviceSpec(specText);
    const adapter = adapters.get(spec.kind);
    if (!adapter) {
      // An empty registry means nothing loaded devices/index.ts: a wiring bug, said as such.
      throw new DeviceInputError(
        adapters.size === 0
          ? `no device adapters are registered in this process (import devices/index.js, which loads them), so "${specText}" cannot be built`
          : `no adapter for "${spec.kind}:" devices is installed`,
      );
    }
    return adapter.create(spec, parseOptions(spec, adapter.options(spec), `${spec.kind}:${spec.target}`));
  } catch (err) {
    if (err instanceof DeviceInputError && hint) throw new DeviceInputError(`${err.message}${hint}`);
    throw err;
  }
}

/**
 * Checks that every spec parses and names a known adapter/target with valid options, without opening
 * anything. A bad one throws DeviceInputError (exit 2) that lists the devices available here.
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
  const first =
    message
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? message;
  return first.length > 400 ? first.slice(0, 397) + '...' : first;
}
