// The adapter side of devices/PROTOCOL.md, for any npuval Device: serve() reads requests from a byte
// stream, runs them on the device (concurrently, as they arrive: requests are pipelined and answered
// by id), writes the replies, sends heartbeats while anything is in flight, and answers every frame it
// can read, malformed ones included, with a reply or an error frame. The reference adapter
// (adapters/ort-node) is this over an ORT device; a vendor writes the same loop in its SDK's language.
import { existsSync } from 'node:fs';
import type { DeviceRunError } from '../errors.js';
import type { Device, DType, Session, ValueInfo } from '../types.js';
import { frameFromError } from './failures.js';
import {
  decodeValues,
  encodeFrame,
  encodeValues,
  FrameReader,
  type Frame,
  type Header,
  isBadFrame,
  PayloadBuilder,
  PROTOCOL_VERSIONS,
  WireError,
} from './wire.js';

export interface ServeOptions {
  readonly adapter: { readonly name: string; readonly version: string };
  /** Element types run() accepts and returns. */
  readonly dtypes: readonly DType[];
  /** Asked after a model loads: a reason to refuse it (the session is then closed), or null. */
  readonly refuse?: (session: Session) => DeviceRunError | null;
  /** Lines for the hello's device.notes. */
  readonly notes?: readonly string[];
}

/**
 * Where frames go: each call is one frame's bytes, in order. `written`: the bytes are out (copied or
 * written) when the call returns, so the buffers they came from may be used again.
 */
export type FrameSink = ((chunks: readonly Uint8Array[]) => void) & { readonly written?: boolean };

/** Payloads from this size up are read into a buffer kept from an earlier request when the sink allows. */
const REUSE_FROM_BYTES = 1 << 20;

/**
 * This process's stdout as the frame stream of a Node adapter: frames go to the real stdout, and
 * whatever else writes there (console.log in a library) goes to stderr from now on. Small frames are
 * written in one piece (one syscall), large payloads chunk by chunk (no copy).
 */
export function takeStdout(): FrameSink {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout);
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  const sink = (chunks: readonly Uint8Array[]) => {
    const size = chunks.reduce((n, c) => n + c.byteLength, 0);
    if (size <= 1 << 20) write(Buffer.concat(chunks));
    else for (const c of chunks) write(c);
  };
  // Node writes stdout pipes synchronously on Linux (and Windows), asynchronously elsewhere.
  return Object.assign(sink, { written: process.platform === 'linux' || process.platform === 'win32' });
}

/** A request failed for a reason the protocol names (the code), not because the device failed. */
class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const HEARTBEAT_MIN_MS = 50;

/**
 * Serves `device` until bye (exit status 0), the end of input (0) or a stream that cannot be read in
 * step any more (2, after an error frame saying why). Resolves with that exit status.
 */
export function serve(device: Device, input: NodeJS.ReadableStream, send: FrameSink, options: ServeOptions): Promise<number> {
  return new Server(device, send, options).run(input);
}

class Server {
  private readonly reader = new FrameReader((n) => this.allocate(n));
  /** One large payload buffer kept for the next large request (a fresh one costs a page fault per 4 KiB). */
  private spare: Uint8Array | null = null;
  private readonly sessions = new Map<string, Session>();
  private readonly inflight = new Set<number>();
  private nextHandle = 1;
  private greeted = false;
  private heartbeatMs = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private finish: (code: number) => void = () => undefined;
  private done = false;

  constructor(
    private readonly device: Device,
    private readonly out: FrameSink,
    private readonly options: ServeOptions,
  ) {}

  run(input: NodeJS.ReadableStream): Promise<number> {
    return new Promise<number>((resolve) => {
      this.finish = (code) => {
        if (this.done) return;
        this.done = true;
        this.stopHeartbeat();
        input.removeAllListeners('data');
        void this.closeAll().then(() => resolve(code));
      };
      input.on('data', (chunk: Buffer) => this.onData(chunk));
      input.on('end', () => this.finish(0));
      input.on('error', () => this.finish(0));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    let frames: ReturnType<FrameReader['push']>;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      // Out of step: nothing after this can be read as frames.
      this.send({ type: 'error', id: null, code: 'bad-frame', message: (err as Error).message, fatal: true });
      this.finish(2);
      return;
    }
    for (const f of frames) {
      if (this.done) return;
      if (isBadFrame(f)) this.send({ type: 'error', id: f.id, code: 'bad-frame', message: f.bad });
      else this.onFrame(f);
    }
  }

  private onFrame(frame: Frame): void {
    const h = frame.header;
    const id = h.id;
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      this.send({
        type: 'error',
        id: null,
        code: 'bad-request',
        message: `a request's id is ${JSON.stringify(id) ?? 'missing'}, not a non-negative integer`,
      });
      return;
    }
    const rid = id as number;
    if (this.inflight.has(rid)) {
      this.send({ type: 'error', id: rid, code: 'bad-request', message: `request ${rid} is already in flight` });
      return;
    }
    if (typeof h.type !== 'string') {
      this.fail(rid, new RequestError('bad-request', 'the request has no "type" string'));
      return;
    }
    if (!this.greeted && h.type !== 'hello') {
      this.fail(rid, new RequestError('bad-request', `"${h.type}" before hello; the first request must be hello`));
      return;
    }
    const handlers: Record<string, (h: Header, payload: Uint8Array) => Promise<Header>> = {
      hello: (x) => this.hello(x),
      load: (x) => this.load(x),
      run: (x, p) => this.runModel(x, p),
      unload: (x) => this.unload(x),
      ping: async () => ({}),
      cancel: async () => ({}),
      generate: async () => {
        throw new RequestError('unsupported', 'this adapter does not generate tokens (capabilities.token_streaming is false)');
      },
      bye: () => this.bye(),
    };
    const handler = Object.hasOwn(handlers, h.type) ? handlers[h.type] : undefined;
    if (!handler) {
      this.fail(rid, new RequestError('unknown-type', `unknown request type "${h.type}"`));
      return;
    }
    this.inflight.add(rid);
    handler(h, frame.payload).then(
      (reply) => {
        this.settle(rid);
        const { payload, ...fields } = reply as Header & { payload?: PayloadBuilder };
        this.send({ type: 'ok', id: rid, ...fields }, payload);
        this.recycle(frame.payload);
        if (h.type === 'bye') this.finish(0);
      },
      (err) => {
        this.settle(rid);
        this.fail(rid, err);
        this.recycle(frame.payload);
      },
    );
  }

  private allocate(bytes: number): Uint8Array {
    const spare = this.spare;
    if (bytes >= REUSE_FROM_BYTES && spare && spare.byteLength >= bytes) {
      this.spare = null;
      return spare.subarray(0, bytes);
    }
    return new Uint8Array(bytes);
  }

  /** A request is answered and its reply written: its payload's buffer may serve the next large request. */
  private recycle(payload: Uint8Array): void {
    if (!this.out.written || payload.byteLength < REUSE_FROM_BYTES) return;
    const whole = new Uint8Array(payload.buffer, 0, payload.buffer.byteLength);
    if (!this.spare || whole.byteLength > this.spare.byteLength) this.spare = whole;
  }

  private settle(id: number): void {
    this.inflight.delete(id);
  }

  private fail(id: number, err: unknown): void {
    const fields =
      err instanceof RequestError
        ? { code: err.code, message: err.message }
        : err instanceof WireError
          ? { code: 'bad-frame', message: err.message }
          : frameFromError(err);
    this.send({ type: 'error', id, ...fields });
  }

  private send(header: Header, payload?: PayloadBuilder): void {
    this.out(encodeFrame(header, payload));
  }

  private async hello(h: Header): Promise<Header> {
    const offered = Array.isArray(h.versions) ? h.versions.filter((v): v is number => Number.isInteger(v)) : [];
    const version = [...PROTOCOL_VERSIONS].reverse().find((v) => offered.includes(v));
    if (version === undefined) {
      throw new RequestError(
        'unsupported-version',
        `npuval offered protocol version(s) ${JSON.stringify(h.versions)}; this adapter speaks ${PROTOCOL_VERSIONS.join(', ')}`,
      );
    }
    const asked = Number.isSafeInteger(h.heartbeat_ms) ? (h.heartbeat_ms as number) : 0;
    this.heartbeatMs = asked > 0 ? Math.max(asked, HEARTBEAT_MIN_MS) : 0;
    const d = await this.device.describe();
    this.greeted = true;
    this.startHeartbeat();
    return {
      version,
      versions: PROTOCOL_VERSIONS,
      adapter: this.options.adapter,
      device: {
        vendor: d.vendor,
        model: d.model,
        driver: d.driver ? { name: d.driver.name, version: d.driver.detail } : null,
        // A CPU device's memory is the host's.
        memory_bytes: d.vendor === null ? d.host.memoryBytes : null,
        runtime: d.runtime,
        backend: d.backend.name,
        catalog_id: d.catalogId,
        notes: [...(this.options.notes ?? []), ...d.notes],
      },
      capabilities: {
        dtypes: this.options.dtypes,
        max_batch: null,
        token_streaming: false,
        device_timing: false,
        heartbeat_ms: this.heartbeatMs,
      },
      pid: process.pid,
    };
  }

  private async load(h: Header): Promise<Header> {
    const model = h.model as { path?: unknown } | undefined;
    if (typeof model?.path !== 'string' || model.path === '') throw new RequestError('bad-request', 'load needs model.path, a file path');
    const freeDims = record(
      h.free_dims,
      'free_dims',
      (v) => Number.isSafeInteger(v) && (v as number) >= 0,
      'non-negative integers',
    ) as Record<string, number>;
    const opts = record(h.options, 'options', (v) => typeof v === 'string', 'strings') as Record<string, string>;
    if (!existsSync(model.path)) throw new RequestError('model-not-found', `no model file at ${model.path}`);
    const session = await this.device.open({ path: model.path }, { freeDims, ...(Object.keys(opts).length ? { options: opts } : {}) });
    const refusal = this.options.refuse?.(session) ?? null;
    if (refusal) {
      await session.close().catch(() => undefined);
      throw refusal;
    }
    const handle = `m${this.nextHandle++}`;
    this.sessions.set(handle, session);
    return { handle, inputs: session.inputs.map(info), outputs: session.outputs.map(info) };
  }

  private session(h: Header): Session {
    const s = typeof h.handle === 'string' ? this.sessions.get(h.handle) : undefined;
    if (!s) throw new RequestError('unknown-handle', `no model is loaded under handle ${JSON.stringify(h.handle)}`);
    return s;
  }

  private async runModel(h: Header, payload: Uint8Array): Promise<Header> {
    const session = this.session(h);
    const feeds = decodeValues(h.inputs ?? {}, payload, 'input');
    if (h.outputs !== undefined && !(Array.isArray(h.outputs) && h.outputs.every((o) => typeof o === 'string'))) {
      throw new RequestError('bad-request', 'run.outputs is not an array of output names');
    }
    const result = await session.run(feeds, h.outputs as string[] | undefined);
    const out = new PayloadBuilder();
    return { outputs: encodeValues(result, out, 'output'), payload: out };
  }

  private async unload(h: Header): Promise<Header> {
    const session = this.session(h);
    this.sessions.delete(h.handle as string);
    await session.close();
    return {};
  }

  /** Answered once everything else in flight is answered; serve() then resolves with 0. */
  private async bye(): Promise<Header> {
    while (this.inflight.size > 1) await new Promise((r) => setTimeout(r, 5));
    return {};
  }

  private async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close().catch(() => undefined)));
  }

  /** One timer from hello on: a heartbeat at each tick with a request in flight, so never more than heartbeat_ms apart. */
  private startHeartbeat(): void {
    if (this.heartbeatMs <= 0 || this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      if (this.inflight.size > 0) this.send({ type: 'heartbeat' });
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

function info(v: ValueInfo): Header {
  if (v.kind !== 'tensor') return { name: v.name, kind: 'other' };
  return { name: v.name, kind: 'tensor', ...(v.type ? { dtype: v.type } : {}), ...(v.shape ? { shape: v.shape } : {}) };
}

function record(v: unknown, field: string, ok: (x: unknown) => boolean, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every(ok))
    throw new RequestError('bad-request', `load.${field} is not an object of ${what}`);
  return v as Record<string, unknown>;
}
