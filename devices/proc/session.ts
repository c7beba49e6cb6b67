// One model loaded in an adapter process: run() sends the feeds as one frame and decodes the reply's
// tensors (views of the reply's payload, no copy) into the same Tensor types the ort adapter returns.
import { DeviceRunError } from '../errors.js';
import type { Feeds, GenerationSession, Outputs, Session, Tensor, Value, ValueInfo } from '../types.js';
import type { AdapterProcess } from './connection.js';
import { procGeneration } from './generation.js';
import { decodeValues, encodeValues, PayloadBuilder, WireError } from './wire.js';

export class ProcSession implements Session {
  /** Requests carry ids, so runs may overlap; the adapter answers them in any order. */
  readonly concurrentRuns = true;
  private closed = false;

  constructor(
    private readonly adapter: AdapterProcess,
    private readonly handle: string,
    readonly inputs: readonly ValueInfo[],
    readonly outputs: readonly ValueInfo[],
    private readonly runTimeoutMs: number,
  ) {}

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs> {
    if (this.closed) throw new Error('run() on a closed session');
    const payload = new PayloadBuilder();
    let inputs: ReturnType<typeof encodeValues>;
    try {
      this.checkTypes(feeds);
      inputs = encodeValues(feeds, payload, 'input');
    } catch (err) {
      if (err instanceof WireError) throw new DeviceRunError(err.message, 'binding-limit', {}, { badInput: true });
      throw err;
    }
    const header = { type: 'run', handle: this.handle, inputs, ...(fetches ? { outputs: [...fetches] } : {}) };
    const reply = await this.adapter.request(header, payload, { timeoutMs: this.runTimeoutMs, what: 'run' });
    let outputs: Outputs;
    try {
      outputs = decodeValues(reply.header.outputs, reply.payload, 'output');
    } catch (err) {
      this.adapter.lose(`answered a run with a malformed reply: ${(err as Error).message}`);
      throw this.adapter.lost!;
    }
    const missing = (fetches ?? []).filter((name) => !(name in outputs));
    if (missing.length) throw new DeviceRunError(`the adapter's run reply lacks the requested output(s) ${missing.join(', ')}`, 'runtime');
    return outputs;
  }

  /** The adapter's own generate (PROTOCOL.md), when its hello claims token streaming. */
  get generation(): (() => GenerationSession) | undefined {
    if (!this.adapter.hello.capabilities.tokenStreaming) return undefined;
    return () =>
      procGeneration(this.adapter, this.handle, `${this.adapter.hello.adapter.name} generate`, { runTimeoutMs: this.runTimeoutMs });
  }

  /** A feed whose element type the adapter did not list in its hello is refused here, as the device lacking it. */
  private checkTypes(feeds: Feeds): void {
    const claimed = this.adapter.hello.capabilities.dtypes;
    const visit = (name: string, v: Value): void => {
      if (v === null) return;
      if (Array.isArray(v)) {
        for (const x of v) visit(name, x);
        return;
      }
      const t = v as Tensor;
      if (!claimed.includes(t.type)) {
        throw new DeviceRunError(
          `input "${name}" is ${t.type}, which ${this.adapter.hello.adapter.name} does not list among its element types (${claimed.join(', ')})`,
          'unsupported-dtype',
        );
      }
    };
    for (const [name, v] of Object.entries(feeds)) visit(name, v);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.adapter.lost)
        await this.adapter.request({ type: 'unload', handle: this.handle }, undefined, { timeoutMs: this.runTimeoutMs, what: 'unload' });
    } catch {
      // A lost adapter or a refused unload leaves nothing to release on this side.
    } finally {
      this.adapter.release();
    }
  }
}
