// The `proc:` adapter's Device: a vendor adapter process speaking devices/PROTOCOL.md over stdio.
// One process per command line serves every Device and session made from it in this npuval process;
// it starts on the first describe() or open(), is started again on the next open() after it was lost,
// and is sent bye after a while with no session open.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { catalogEntry, findCatalogEntry } from '../catalog.js';
import { DeviceRunError } from '../errors.js';
import { describeHost } from '../host.js';
import { parseOptions, type OptionValues } from '../options.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceCapabilities, DeviceDescription, DType, ModelSource, OpenOptions, Session, ValueInfo } from '../types.js';
import { splitCommand } from './argv.js';
import { AdapterProcess } from './connection.js';
import { CONNECTION_TIMEOUTS, DEFAULT_LOAD_TIMEOUT_MS, DEFAULT_RUN_TIMEOUT_MS, PROC_OPTIONS } from './options.js';
import { ProcSession } from './session.js';
import { DTYPES, WireError } from './wire.js';

export type ProcOptions = OptionValues<typeof PROC_OPTIONS>;

/** Running (or starting) adapters by command line. */
const running = new Map<string, Promise<AdapterProcess>>();

export class ProcDevice implements Device {
  readonly kind = 'proc' as const;
  /** Every adapter loads models and runs tensors; the engine in harness/ generates over a decoder it loads. */
  readonly capabilities: DeviceCapabilities = { tensors: true, generation: 'onnx-decoder' };
  readonly id: string;
  readonly argv: readonly string[];

  constructor(
    spec: DeviceSpec,
    private readonly options: ProcOptions = {},
  ) {
    this.id = spec.id;
    this.argv = splitCommand(spec.target);
  }

  /** The adapter serving this command line, started (and handshaken) if none is. */
  adapter(): Promise<AdapterProcess> {
    const key = JSON.stringify(this.argv);
    const current = running.get(key);
    if (current) return current;
    const forget = () => {
      if (running.get(key) === started) running.delete(key);
    };
    const started = AdapterProcess.start(this.argv, CONNECTION_TIMEOUTS, this.id, forget);
    started.catch(forget);
    running.set(key, started);
    return started;
  }

  async describe(): Promise<DeviceDescription> {
    const a = await this.adapter();
    const { adapter, device, capabilities, version } = a.hello;
    const catalog = device.catalogId
      ? knownCatalogId(device.catalogId)
      : device.model
        ? (findCatalogEntry(device.model)?.id ?? null)
        : null;
    const notes = [
      `adapter ${adapter.name} ${adapter.version} (protocol ${version}), command ${JSON.stringify(this.argv)}, pid ${a.pid}, stderr log ${a.logPath}`,
      `adapter capabilities: dtypes ${capabilities.dtypes.join(', ')}; max batch ${capabilities.maxBatch ?? 'not stated'}; token streaming ${capabilities.tokenStreaming ? 'yes' : 'no'}; device timing ${capabilities.deviceTiming ? 'yes' : 'no'}; heartbeat ${capabilities.heartbeatMs ? `${capabilities.heartbeatMs} ms` : 'none'}`,
      ...(device.memoryBytes !== null ? [`device memory ${device.memoryBytes} bytes (as the adapter reports it)`] : []),
      ...(device.catalogId && !catalog ? [`the adapter named catalog entry "${device.catalogId}", which the catalog does not hold`] : []),
      ...device.notes,
    ];
    return {
      id: this.id,
      kind: 'proc',
      vendor: device.vendor,
      model: device.model,
      runtime: device.runtime ?? { name: adapter.name, version: adapter.version },
      backend: { name: device.backend ?? adapter.name, options: {} },
      driver: device.driver ? { name: device.driver.name, detail: `${device.driver.name} ${device.driver.version}` } : null,
      host: describeHost(),
      catalogId: catalog,
      notes,
    };
  }

  /**
   * Loads the model in the adapter (bytes are written to a temporary file first: the protocol passes
   * paths). Rejects with the adapter's error as a DeviceRunError, or DeviceUnavailableError when the
   * adapter cannot be started.
   */
  async open(model: ModelSource, options: OpenOptions = {}): Promise<Session> {
    const { ours, theirs } = this.splitOptions(options.options ?? {});
    let a = await this.adapter();
    // One that began saying bye (idle) or was lost a moment ago has left the pool: the next is a new process.
    for (let tries = 1; !a.retain(); tries++) {
      if (tries === 3)
        throw a.lost ?? new DeviceRunError(`${this.id}: the adapter process went away as the model was being opened`, 'device-lost');
      a = await this.adapter();
    }
    let tmp: string | null = null;
    try {
      let path: string;
      if ('bytes' in model) {
        tmp = mkdtempSync(join(tmpdir(), 'npuval-proc-model-'));
        path = join(tmp, 'model.onnx');
        writeFileSync(path, model.bytes);
      } else {
        path = resolve(model.path);
      }
      const reply = await a.request(
        { type: 'load', model: { path }, free_dims: { ...(options.freeDims ?? {}) }, options: theirs },
        undefined,
        { timeoutMs: ours.loadTimeoutMs ?? this.options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS, what: `load of ${path}` },
      );
      const h = reply.header;
      if (typeof h.handle !== 'string' || h.handle === '') {
        a.lose(`answered load with handle ${JSON.stringify(h.handle)}, not a non-empty string`);
        throw a.lost!;
      }
      let inputs: ValueInfo[], outputs: ValueInfo[];
      try {
        inputs = readInfos(h.inputs, 'inputs');
        outputs = readInfos(h.outputs, 'outputs');
      } catch (err) {
        a.lose(`answered load with malformed metadata: ${(err as Error).message}`);
        throw a.lost!;
      }
      return new ProcSession(a, h.handle, inputs, outputs, ours.runTimeoutMs ?? this.options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS);
    } catch (err) {
      a.release();
      throw err;
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** npuval's own per-session options (typed, checked) apart from the rest, which go to the adapter as strings. */
  private splitOptions(all: Readonly<Record<string, string>>): { ours: ProcOptions; theirs: Record<string, string> } {
    const mine: Record<string, string> = {};
    const theirs: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) (Object.hasOwn(PROC_OPTIONS, k) ? mine : theirs)[k] = v;
    const spec: DeviceSpec = { id: this.id, kind: 'proc', target: '', index: null, options: mine };
    return { ours: parseOptions(spec, PROC_OPTIONS, 'proc:'), theirs };
  }
}

function knownCatalogId(id: string): string | null {
  try {
    return catalogEntry(id).id;
  } catch {
    return null;
  }
}

/** A load reply's inputs/outputs: [{ name, kind, dtype?, shape? }]. */
function readInfos(list: unknown, field: string): ValueInfo[] {
  if (!Array.isArray(list)) throw new WireError(`${field} is not an array`);
  return list.map((v, i) => {
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    if (typeof o.name !== 'string') throw new WireError(`${field}[${i}].name is not a string`);
    if (o.kind === 'other') return { name: o.name, kind: 'other' };
    if (o.kind !== 'tensor') throw new WireError(`${field}[${i}].kind is ${JSON.stringify(o.kind)}, not "tensor" or "other"`);
    if (o.dtype !== undefined && !DTYPES.includes(o.dtype as DType))
      throw new WireError(`${field}[${i}].dtype ${JSON.stringify(o.dtype)} is not a protocol element type`);
    const shape = o.shape;
    if (
      shape !== undefined &&
      !(Array.isArray(shape) && shape.every((d) => d === null || typeof d === 'string' || (Number.isSafeInteger(d) && d >= 0)))
    ) {
      throw new WireError(`${field}[${i}].shape is not an array of integers, strings and nulls`);
    }
    return {
      name: o.name,
      kind: 'tensor',
      ...(o.dtype !== undefined ? { type: o.dtype as DType } : {}),
      ...(shape !== undefined ? { shape: shape as (number | string | null)[] } : {}),
    };
  });
}
