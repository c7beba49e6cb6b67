// One running adapter process, from npuval's side: spawned without a shell, the handshake, requests
// matched to replies by id (so they may be pipelined), heartbeats and timeouts, stderr kept in a log
// whose last lines go into error messages, and shutdown. An adapter that exits, closes a pipe, writes
// bytes that are not frames, breaks the protocol or stays silent past a deadline is "lost": every
// request in flight rejects with one DeviceRunError that says which of these happened, the process
// (group) is killed, and nothing is sent to it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DeviceRunError, DeviceUnavailableError } from '../errors.js';
import type { DType } from '../types.js';
import { errorFromFrame } from './failures.js';
import {
  DTYPES,
  encodeFrame,
  FrameReader,
  type Frame,
  type Header,
  isBadFrame,
  type PayloadBuilder,
  PROTOCOL_VERSIONS,
  WireError,
} from './wire.js';

/** What the adapter said about itself in its hello reply (devices/PROTOCOL.md, "hello"). */
export interface HelloInfo {
  readonly version: number;
  readonly adapter: { readonly name: string; readonly version: string };
  readonly device: {
    readonly vendor: string | null;
    readonly model: string | null;
    readonly driver: { readonly name: string; readonly version: string } | null;
    readonly memoryBytes: number | null;
    readonly runtime: { readonly name: string; readonly version: string } | null;
    readonly backend: string | null;
    readonly catalogId: string | null;
    readonly notes: readonly string[];
  };
  readonly capabilities: {
    readonly dtypes: readonly DType[];
    readonly maxBatch: number | null;
    readonly tokenStreaming: boolean;
    readonly deviceTiming: boolean;
    readonly heartbeatMs: number;
  };
  readonly pid: number | null;
}

export interface ConnectionTimeouts {
  /** From spawn to the hello reply. */
  readonly handshakeMs: number;
  /** The heartbeat interval npuval asks for (0: none); the adapter's hello says what it will do. */
  readonly heartbeatMs: number;
  /** After bye: how long the adapter has to exit before it is killed. */
  readonly byeMs: number;
  /** With no session open and nothing in flight for this long, the adapter is sent bye. */
  readonly idleMs: number;
}

export interface RequestOptions {
  /** The reply must arrive within this (ms); past it the adapter counts as hung and is killed. */
  readonly timeoutMs: number;
  /** For messages: "run", "load of model.onnx". */
  readonly what: string;
  /** Stream events (token frames) of this request, in order. */
  readonly onEvent?: (frame: Frame) => void;
  /**
   * Aborting sends the adapter a `cancel` for this request (PROTOCOL.md); the request then settles
   * as the adapter ends it (a generate with finish_reason cancelled, others with error cancelled).
   */
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly what: string;
  readonly resolve: (frame: Frame) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly onEvent?: (frame: Frame) => void;
}

/** Silence while a request is in flight longer than this many heartbeat intervals means the adapter hangs. */
const HEARTBEAT_MISSES = 4;
/** Lines of stderr kept for error messages, and how much of each. */
const TAIL_LINES = 5;
const TAIL_LINE_CHARS = 200;
/** The log stops growing here (a runaway adapter must not fill the disk). */
const LOG_LIMIT_BYTES = 64 << 20;

/** Adapters started by this process and not yet gone: sent SIGTERM if npuval exits before they do. */
const alive = new Set<AdapterProcess>();
let exitHook = false;

/**
 * At npuval's exit an adapter gets end-of-stdin, which should end it; one that ignores it (or hangs)
 * would outlive npuval, so its process group is sent SIGTERM too.
 */
function terminateAtExit(p: AdapterProcess): void {
  alive.add(p);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const a of alive) a.terminate();
  });
}

export class AdapterProcess {
  readonly label: string;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private readonly reader = new FrameReader();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private lostError: DeviceRunError | null = null;
  private exited = false;
  private exitReason: string | null = null;
  private saidBye = false;
  private closing = false;
  private helloInfo: HelloInfo | null = null;
  private readonly log: WriteStream;
  private logBytes = 0;
  private tail: string[] = [];
  private partialLine = '';
  /** Time of the last byte from the adapter, or of the end of our last write: silence is measured from it. */
  private quietSince = performance.now();
  private writing = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private busy = true;
  private idleTimer: NodeJS.Timeout | null = null;
  private sessions = 0;
  private readonly gone: Promise<void>;
  private readonly onGone: () => void;

  private constructor(
    readonly argv: readonly string[],
    private readonly timeouts: ConnectionTimeouts,
    label: string,
    onGone: () => void,
  ) {
    this.label = label;
    this.onGone = onGone;
    const dir = join(tmpdir(), 'npuval-proc');
    mkdirSync(dir, { recursive: true });
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.logPath = join(dir, `${basename(argv[argv.length - 1]!).replace(/[^\w.-]/g, '_')}-${this.child.pid ?? 'nopid'}-${Date.now()}.log`);
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    this.log.on('error', () => undefined);
    this.log.write(`# npuval: ${JSON.stringify(argv)} started ${new Date().toISOString()}\n`);
    this.gone = new Promise((resolve) => {
      this.child.once('close', () => {
        this.lose(this.exitReason ?? 'closed its pipes');
        resolve();
      });
    });
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      alive.delete(this);
      this.exitReason = `${signal ? `was killed by ${signal}` : `exited with status ${code}`}${this.saidBye ? ' after bye' : ''}`;
      // 'close' waits for the pipes to drain (a last reply may still be in them); a grandchild holding them open must not delay it long.
      setTimeout(() => this.lose(this.exitReason!), 1000).unref();
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stdout!.on('end', () => this.pipeClosed('closed its stdout'));
    this.child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk));
    this.child.stdin!.on('error', (err: NodeJS.ErrnoException) => this.pipeClosed(`closed its stdin (${err.code ?? err.message})`));
    this.child.stdout!.on('error', () => undefined);
    this.child.stderr!.on('error', () => undefined);
    terminateAtExit(this);
  }

  /** SIGTERM to the process group, if it still runs (npuval is exiting). */
  terminate(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGTERM');
    } catch {
      // Gone meanwhile.
    }
  }

  /**
   * Starts the adapter and shakes hands. Rejects with DeviceUnavailableError (exit 3) when the command
   * cannot start or the handshake fails, with the adapter's reason and last stderr lines.
   */
  static async start(argv: readonly string[], timeouts: ConnectionTimeouts, label: string, onGone: () => void): Promise<AdapterProcess> {
    const p = new AdapterProcess(argv, timeouts, label, onGone);
    const spawned = new Promise<void>((resolve, reject) => {
      p.child.once('spawn', resolve);
      p.child.once('error', (err) =>
        reject(new DeviceUnavailableError(`${label} is unavailable: cannot start "${argv[0]}" (${err.message})`)),
      );
    });
    try {
      await spawned;
      const reply = await p.request(
        { type: 'hello', versions: PROTOCOL_VERSIONS, client: { name: 'npuval' }, heartbeat_ms: timeouts.heartbeatMs },
        undefined,
        { timeoutMs: timeouts.handshakeMs, what: 'hello' },
      );
      p.helloInfo = readHello(reply.header);
      p.startWatchdog();
      p.startIdle();
      return p;
    } catch (err) {
      p.lose('failed the handshake');
      if (err instanceof DeviceUnavailableError) throw err;
      const why = err instanceof WireError ? err.message : (err as Error).message;
      throw new DeviceUnavailableError(`${label} is unavailable: the adapter did not complete the protocol handshake: ${why}`);
    }
  }

  get hello(): HelloInfo {
    return this.helloInfo!;
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  /** Why the adapter is lost (the error every later request gets), or null while it serves. */
  get lost(): DeviceRunError | null {
    return this.lostError;
  }

  /**
   * A session opens on it: it is not shut down for idleness until release(). False when it is already
   * saying bye or lost: the caller asks the device for a new one.
   */
  retain(): boolean {
    if (this.closing || this.lostError) return false;
    this.sessions += 1;
    this.stopIdle();
    return true;
  }

  release(): void {
    this.sessions = Math.max(0, this.sessions - 1);
    this.startIdle();
  }

  /**
   * Sends one request and resolves with its reply frame (type "ok"); rejects with the adapter's error
   * as a DeviceRunError, or with the loss error when the adapter is lost before replying.
   */
  request(header: Header, payload: PayloadBuilder | undefined, options: RequestOptions): Promise<Frame> {
    if (this.lostError) return Promise.reject(this.lostError);
    const id = this.nextId++;
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(
        () => this.lose(`did not answer ${options.what} (request ${id}) within ${seconds(options.timeoutMs)}`),
        options.timeoutMs,
      );
      this.pending.set(id, { what: options.what, resolve, reject, timer, onEvent: options.onEvent });
      this.busyChanged();
      this.write(encodeFrame({ ...header, id }, payload));
      options.signal?.addEventListener('abort', () => this.cancel(id), { once: true });
    });
  }

  /** Asks the adapter to end request `target` early; its answer to the cancel itself carries nothing. */
  private cancel(target: number): void {
    if (this.lostError || !this.pending.has(target)) return;
    this.request({ type: 'cancel', target }, undefined, { timeoutMs: this.timeouts.byeMs, what: `cancel of request ${target}` }).catch(
      () => {},
    );
  }

  /** Says bye and waits for the process to exit; kills it if it does not within the bye timeout. */
  async shutdown(): Promise<void> {
    this.stopIdle();
    if (this.lostError || this.exited || this.closing) return;
    // From now on the device starts a new process for whoever asks.
    this.closing = true;
    this.onGone();
    const exited = this.gone;
    this.saidBye = true;
    try {
      await this.request({ type: 'bye' }, undefined, { timeoutMs: this.timeouts.byeMs, what: 'bye' });
    } catch {
      // An adapter that cannot say goodbye is killed below.
    }
    this.child.stdin?.end();
    const inTime = await Promise.race([exited.then(() => true), sleep(this.timeouts.byeMs).then(() => false)]);
    if (!inTime) this.lose(`did not exit within ${seconds(this.timeouts.byeMs)} of bye`);
  }

  /** Marks the adapter lost (once), rejects everything in flight, kills the process group. */
  lose(reason: string): void {
    if (this.lostError) return;
    const tail = this.stderrTail();
    this.lostError = new DeviceRunError(
      `${this.label}: the adapter process ${reason}${tail ? `; last stderr: ${tail}` : ''} (log ${this.logPath}); npuval starts it again on the next open()`,
      'device-lost',
    );
    this.log.write(`# npuval: ${reason} (${new Date().toISOString()})\n`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.lostError);
    }
    this.pending.clear();
    this.stopWatchdog();
    this.stopIdle();
    if (!this.exited) {
      try {
        // detached: the adapter leads its own process group, so wrappers and their children go too.
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    this.child.stdin?.destroy();
    this.setRef(false);
    this.log.end();
    this.onGone();
  }

  /** A pipe closed: usually the process is exiting, and its exit status says more than the pipe does. */
  private pipeClosed(reason: string): void {
    if (this.exited) this.lose(this.exitReason!);
    else setTimeout(() => this.lose(this.exitReason ?? reason), 500).unref();
  }

  private write(chunks: Uint8Array[]): void {
    const stdin = this.child.stdin!;
    this.writing += 1;
    stdin.cork();
    for (let i = 0; i < chunks.length; i++) {
      if (i === chunks.length - 1) {
        stdin.write(chunks[i]!, () => {
          this.writing -= 1;
          this.quietSince = performance.now();
        });
      } else stdin.write(chunks[i]!);
    }
    stdin.uncork();
  }

  private onData(chunk: Buffer): void {
    this.quietSince = performance.now();
    if (this.lostError) return;
    let frames: ReturnType<FrameReader['push']>;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.lose(
        `wrote to stdout what is not a protocol frame: ${(err as Error).message} (adapters must keep logs and SDK banners off stdout)`,
      );
      return;
    }
    for (const f of frames) {
      if (this.lostError) return;
      if (isBadFrame(f)) {
        this.lose(`sent a frame whose ${f.bad.replace(/^the /, '')}`);
        return;
      }
      this.onFrame(f);
    }
  }

  private onFrame(frame: Frame): void {
    const h = frame.header;
    if (h.type === 'heartbeat') return;
    if (h.type !== 'ok' && h.type !== 'error' && h.type !== 'token') {
      this.lose(`sent a frame of unknown type ${JSON.stringify(h.type)}`);
      return;
    }
    if (h.type === 'error' && h.id === null) {
      this.lose(`reported an error about the stream: ${String(h.message ?? h.code)} ("${String(h.code)}")`);
      return;
    }
    const id = typeof h.id === 'number' ? h.id : Number.NaN;
    const p = this.pending.get(id);
    if (!p) {
      this.lose(`sent a "${String(h.type)}" frame for request ${JSON.stringify(h.id)}, which is not in flight`);
      return;
    }
    if (h.type === 'token') {
      if (!p.onEvent) this.lose(`streamed a token frame for ${p.what} (request ${id}), which streams nothing`);
      else p.onEvent(frame);
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(id);
    this.busyChanged();
    if (h.type === 'ok') p.resolve(frame);
    else {
      p.reject(errorFromFrame(h, p.what));
      if (h.fatal === true || h.code === 'device-lost') this.lose(`reported a fatal error: ${String(h.message ?? h.code)}`);
    }
  }

  private onStderr(chunk: Buffer): void {
    if (this.logBytes < LOG_LIMIT_BYTES && !this.log.writableEnded) {
      this.log.write(chunk);
      this.logBytes += chunk.byteLength;
      if (this.logBytes >= LOG_LIMIT_BYTES) this.log.write(`\n# npuval: log truncated at ${LOG_LIMIT_BYTES} bytes\n`);
    }
    const lines = (this.partialLine + chunk.toString('utf8')).split('\n');
    this.partialLine = lines.pop()!.slice(-4096);
    for (const line of lines) if (line.trim()) this.tail.push(line.trim().slice(0, TAIL_LINE_CHARS));
    if (this.tail.length > TAIL_LINES) this.tail = this.tail.slice(-TAIL_LINES);
  }

  /** The last stderr lines, on one line. */
  stderrTail(): string {
    const lines = [...this.tail, ...(this.partialLine.trim() ? [this.partialLine.trim().slice(0, TAIL_LINE_CHARS)] : [])].slice(
      -TAIL_LINES,
    );
    return lines.length ? JSON.stringify(lines.join(' | ')) : '';
  }

  /** While requests are in flight the process and its pipes keep npuval alive and the watchdog runs; idle, neither. */
  private busyChanged(): void {
    const busy = this.pending.size > 0;
    if (busy === this.busy) return;
    this.busy = busy;
    this.setRef(busy);
    if (busy) {
      // Silence counts from the moment something is awaited.
      this.quietSince = performance.now();
      this.stopIdle();
    } else {
      this.startIdle();
    }
  }

  private setRef(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as ({
      ref?: () => void;
      unref?: () => void;
    } | null)[];
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  /** One timer for the connection's life (not one per request): checks the silence while requests are in flight. */
  private startWatchdog(): void {
    const every = this.helloInfo?.capabilities.heartbeatMs ?? 0;
    if (every <= 0 || this.watchdog) return;
    this.watchdog = setInterval(() => {
      const quiet = performance.now() - this.quietSince;
      if (this.pending.size > 0 && this.writing === 0 && quiet > HEARTBEAT_MISSES * every) {
        this.lose(`sent nothing for ${seconds(quiet)} with requests in flight, though it promised a heartbeat every ${every} ms`);
      }
    }, every);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private startIdle(): void {
    if (this.idleTimer || this.sessions > 0 || this.pending.size > 0 || this.lostError || !this.helloInfo) return;
    this.idleTimer = setTimeout(() => void this.shutdown(), this.timeouts.idleMs);
    this.idleTimer.unref();
  }

  private stopIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Checks the hello reply against devices/PROTOCOL.md; throws WireError naming the first field that is wrong. */
export function readHello(h: Header): HelloInfo {
  const fail = (field: string, want: string): never => {
    throw new WireError(`the hello reply's ${field} is ${JSON.stringify(pick(h, field)) ?? 'missing'}, not ${want}`);
  };
  const str = (field: string, nullable = false): string | null => {
    const v = pick(h, field);
    if (typeof v === 'string' && v.length > 0) return v;
    if (nullable && (v === null || v === undefined)) return null;
    return fail(field, nullable ? 'a string or null' : 'a non-empty string');
  };
  const version = h.version;
  if (typeof version !== 'number' || !PROTOCOL_VERSIONS.includes(version))
    fail('version', `one of the versions npuval offered (${PROTOCOL_VERSIONS.join(', ')})`);
  if (typeof h.adapter !== 'object' || h.adapter === null) fail('adapter', 'an object');
  if (typeof h.device !== 'object' || h.device === null) fail('device', 'an object');
  if (typeof h.capabilities !== 'object' || h.capabilities === null) fail('capabilities', 'an object');
  const pair = (field: string) =>
    pick(h, field) === null || pick(h, field) === undefined ? null : { name: str(`${field}.name`)!, version: str(`${field}.version`)! };
  const dtypes = pick(h, 'capabilities.dtypes');
  if (!Array.isArray(dtypes) || dtypes.length === 0 || !dtypes.every((d) => DTYPES.includes(d as DType)))
    fail('capabilities.dtypes', 'a non-empty array of protocol element types');
  const int = (field: string, min: number): number | null => {
    const v = pick(h, field);
    if (v === null || v === undefined) return null;
    return Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : fail(field, `an integer of at least ${min} or null`);
  };
  const bool = (field: string): boolean => {
    const v = pick(h, field);
    if (v === undefined) return false;
    return typeof v === 'boolean' ? v : fail(field, 'true or false');
  };
  const notes = pick(h, 'device.notes');
  if (notes !== undefined && !(Array.isArray(notes) && notes.every((n) => typeof n === 'string')))
    fail('device.notes', 'an array of strings');
  return {
    version: version as number,
    adapter: { name: str('adapter.name')!, version: str('adapter.version')! },
    device: {
      vendor: str('device.vendor', true),
      model: str('device.model', true),
      driver: pair('device.driver'),
      memoryBytes: int('device.memory_bytes', 0),
      runtime: pair('device.runtime'),
      backend: str('device.backend', true),
      catalogId: str('device.catalog_id', true),
      notes: (notes as string[] | undefined) ?? [],
    },
    capabilities: {
      dtypes: dtypes as DType[],
      maxBatch: int('capabilities.max_batch', 1),
      tokenStreaming: bool('capabilities.token_streaming'),
      deviceTiming: bool('capabilities.device_timing'),
      heartbeatMs: int('capabilities.heartbeat_ms', 0) ?? 0,
    },
    pid: int('pid', 1),
  };
}

function pick(h: Header, path: string): unknown {
  let v: unknown = h;
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}
