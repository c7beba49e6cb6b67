// `npuval adapter-check proc:<command>`: checks a vendor adapter against devices/PROTOCOL.md. Two kinds
// of check: wire checks drive the adapter frame by frame (raw.ts: the handshake, version negotiation,
// malformed frames, error frames, pipelining, shutdown), device checks go through npuval's own `proc:`
// device as every command does (element types, a large tensor, the unsupported-op code conformance
// relies on, and npuval surviving the adapter's crash and hang). Each check is one row: pass, fail or
// skip, with a detail saying what was seen.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice, DeviceRunError, parseDeviceSpec, probeModelBytes } from '../../devices/index.js';
import type { Device, DType, Session, Tensor } from '../../devices/types.js';
import { ONNX_DTYPE } from '../../models/onnx/tensor.js';
import { InputError } from '../errors.js';
import { identityModel, sameTensor, sampleTensor, unknownOpModel } from './models.js';
import { commandWords, RawAdapter, type RawEnd, type RawFrame } from './raw.js';

/** The checks, in the order they run: the wire checks, those through npuval's device, then shutdown. */
export const CHECKS = [
  'start',
  'handshake',
  'version-negotiation',
  'request-before-hello',
  'ping',
  'load',
  'run',
  'pipelining',
  'malformed-frames',
  'error-frames',
  'dtypes',
  'large-tensor',
  'unsupported-op',
  'crash-recovery',
  'hang-recovery',
  'shutdown',
  'stdin-eof',
] as const;
export type CheckName = (typeof CHECKS)[number];

/** What each check says it checks (the --help text and the docs). */
export const CHECK_DOCS: Readonly<Record<CheckName, string>> = {
  start: 'the command starts (no shell; the spec split into words)',
  handshake: 'hello offering version 1 is answered with ok and every required field of PROTOCOL.md',
  'version-negotiation': 'hello offering only version 999 is answered with error "unsupported-version"',
  'request-before-hello': 'a request before hello is answered with error "bad-request"',
  ping: 'ping is answered with ok',
  load: 'a one-node model loads from a file path; the reply has a handle and the inputs/outputs',
  run: 'run returns the right tensor, its descriptor aligned and sized as PROTOCOL.md says',
  dtypes: 'every element type the hello claims round-trips bit for bit through an Identity model',
  'large-tensor': 'a tensor of --large-mb MiB goes to the adapter and back intact (and how fast)',
  pipelining: '16 runs sent without waiting are each answered once, under their own id, with their own result',
  'malformed-frames':
    'a header that is not JSON, not an object, without id, or with a tensor outside the payload is answered with an error frame, and the adapter goes on serving',
  'error-frames': 'unknown request type, unknown handle and a missing model file are answered with error frames with codes',
  'unsupported-op': 'a model with an op no runtime has fails with code "unsupported-op" (conformance counts it as unsupported)',
  'crash-recovery': 'npuval: the adapter killed mid-run fails that run with a device error, and the next open() starts it again',
  'hang-recovery': 'npuval: the adapter stopped (SIGSTOP) mid-run fails that run within the timeout, and the next open() starts it again',
  shutdown: 'bye is answered with ok and the process exits with status 0',
  'stdin-eof': 'after stdin closes the process exits with status 0',
};

export interface CheckRow {
  readonly check: CheckName;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly detail: string;
  readonly ms: number;
}

export interface CheckOptions {
  /** The device spec, proc:<command>. */
  readonly spec: string;
  /** How long any one reply may take (ms). */
  readonly timeoutMs: number;
  /** Size of the large tensor (bytes). */
  readonly largeBytes: number;
  /** Only these checks (and what they need); all when absent. */
  readonly only?: readonly CheckName[];
  readonly log?: (line: string) => void;
}

export interface CheckReport {
  readonly spec: string;
  readonly argv: readonly string[];
  readonly adapter: { readonly name: string; readonly version: string; readonly protocol: number } | null;
  readonly rows: readonly CheckRow[];
  readonly failed: number;
}

/** What a check says: a fail or skip with why, or a pass with what was seen. */
type Verdict = { readonly status: 'pass' | 'fail' | 'skip'; readonly detail: string };
const pass = (detail: string): Verdict => ({ status: 'pass', detail });
const fail = (detail: string): Verdict => ({ status: 'fail', detail });
const skip = (detail: string): Verdict => ({ status: 'skip', detail });

/** How long an adapter has to exit after bye or the end of stdin (PROTOCOL.md; shortened to --timeout when that is shorter). */
const BYE_GRACE_MS = 5000;

/** Checks that need a model loaded over the wire (the probe model's handle). */
const NEEDS_LOAD: readonly CheckName[] = ['run', 'pipelining', 'malformed-frames'];

/** The argv of a proc: spec; InputError (exit 2) when it is not one. */
export function adapterArgv(spec: string): string[] {
  let kind: string;
  try {
    kind = parseDeviceSpec(spec).kind;
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  if (kind !== 'proc') throw new InputError(`adapter-check checks proc: adapters; "${spec}" is a ${kind}: device`);
  const argv = commandWords(spec.slice('proc:'.length));
  if (!argv) throw new InputError(`the command of "${spec}" cannot be split into words (an unterminated quote or a trailing \\)`);
  return argv;
}

export async function checkAdapter(options: CheckOptions): Promise<CheckReport> {
  const argv = adapterArgv(options.spec);
  const c = new Checker(argv, options);
  try {
    return await c.runAll();
  } finally {
    c.cleanup();
  }
}

class Checker {
  private readonly rows: CheckRow[] = [];
  private readonly tmp = mkdtempSync(join(tmpdir(), 'npuval-adapter-check-'));
  private readonly probePath = join(this.tmp, 'probe.onnx');
  private main: RawAdapter | null = null;
  private hello: Record<string, unknown> | null = null;
  private handle: string | null = null;
  private nextId = 1;
  private readonly spawned: RawAdapter[] = [];
  private device: Device | null = null;

  constructor(
    private readonly argv: readonly string[],
    private readonly o: CheckOptions,
  ) {
    writeFileSync(this.probePath, probeModelBytes());
  }

  private wanted(name: CheckName): boolean {
    if (!this.o.only) return true;
    if (this.o.only.includes(name)) return true;
    // What the wanted checks need: a started, greeted adapter; a loaded model for the wire checks that run it.
    if (name === 'start' || name === 'handshake') return true;
    return name === 'load' && this.o.only.some((n) => NEEDS_LOAD.includes(n));
  }

  async runAll(): Promise<CheckReport> {
    const steps: Record<CheckName, () => Promise<Verdict>> = {
      start: () => this.start(),
      handshake: () => this.handshake(),
      'version-negotiation': () => this.versionNegotiation(),
      'request-before-hello': () => this.beforeHello(),
      ping: () => this.ping(),
      load: () => this.load(),
      run: () => this.run(),
      pipelining: () => this.pipelining(),
      'malformed-frames': () => this.malformed(),
      'error-frames': () => this.errorFrames(),
      dtypes: () => this.dtypes(),
      'large-tensor': () => this.large(),
      'unsupported-op': () => this.unsupportedOp(),
      'crash-recovery': () => this.crashRecovery(),
      'hang-recovery': () => this.hangRecovery(),
      shutdown: () => this.shutdown(),
      'stdin-eof': () => this.stdinEof(),
    };
    for (const name of CHECKS) {
      const step = steps[name];
      if (!this.wanted(name)) continue;
      const blocked = this.blockedBy(name);
      const t = performance.now();
      let v: Verdict;
      if (blocked) v = skip(blocked);
      else {
        try {
          v = await step();
        } catch (err) {
          v = fail((err as Error).message.split('\n')[0]!);
        }
      }
      const row: CheckRow = { check: name, ...v, ms: Math.round(performance.now() - t) };
      this.rows.push(row);
      this.o.log?.(`${row.status.padEnd(4)} ${name}: ${row.detail}`);
    }
    const adapter = this.hello
      ? {
          name: String((this.hello.adapter as Record<string, unknown>).name),
          version: String((this.hello.adapter as Record<string, unknown>).version),
          protocol: this.hello.version as number,
        }
      : null;
    return { spec: this.o.spec, argv: this.argv, adapter, rows: this.rows, failed: this.rows.filter((r) => r.status === 'fail').length };
  }

  private status(name: CheckName): CheckRow['status'] | null {
    return this.rows.find((r) => r.check === name)?.status ?? null;
  }

  private blockedBy(name: CheckName): string | null {
    if (name === 'start') return null;
    if (this.status('start') !== 'pass') return 'the command did not start';
    if (name === 'handshake') return null;
    if (this.status('handshake') !== 'pass') return 'the handshake failed';
    if (NEEDS_LOAD.includes(name) && this.status('load') !== 'pass') return 'the probe model did not load';
    return null;
  }

  cleanup(): void {
    for (const a of this.spawned) a.kill();
    rmSync(this.tmp, { recursive: true, force: true });
  }

  private id(): number {
    return this.nextId++;
  }

  private spawn(): RawAdapter {
    const a = new RawAdapter(this.argv);
    this.spawned.push(a);
    return a;
  }

  private helloHeader(versions: number[]): Record<string, unknown> {
    return { type: 'hello', id: 0, versions, client: { name: 'npuval adapter-check' }, heartbeat_ms: 1000 };
  }

  /** The wire adapter, started again (hello, probe model loaded) when an earlier check left it dead or out of step. */
  private async wire(): Promise<RawAdapter> {
    if (this.main && this.main.child.exitCode === null && this.main.child.signalCode === null && !this.broken) return this.main;
    this.main?.kill();
    const a = this.spawn();
    this.broken = false;
    const err = await a.started;
    if (err) throw new Error(`the adapter could not be started again: ${err}`);
    const r = await a.request(this.helloHeader([1]), this.o.timeoutMs);
    if ('end' in r || r.header.type !== 'ok') throw new Error(`the adapter, started again, did not answer hello: ${describe(r)}`);
    this.main = a;
    if (this.handle) {
      const l = await a.request({ type: 'load', id: this.id(), model: { path: this.probePath } }, this.o.timeoutMs);
      if ('end' in l || l.header.type !== 'ok') throw new Error(`the adapter, started again, did not load the probe model: ${describe(l)}`);
      this.handle = String(l.header.handle);
    }
    return a;
  }

  private broken = false;

  /** A wire check saw the adapter die, hang or write garbage: the next wire check starts it again. */
  private lost(r: RawEnd): Verdict {
    this.broken = true;
    return fail(r.detail + (this.main?.lastStderr() ? ` (stderr: ${this.main.lastStderr()})` : ''));
  }

  // ── the checks ─────────────────────────────────────────────────────────────────────────────

  private async start(): Promise<Verdict> {
    this.main = this.spawn();
    const err = await this.main.started;
    return err ? fail(`cannot start ${JSON.stringify(this.argv[0])}: ${err}`) : pass(`pid ${this.main.pid}: ${JSON.stringify(this.argv)}`);
  }

  private async handshake(): Promise<Verdict> {
    const r = await this.main!.request(this.helloHeader([1]), this.o.timeoutMs);
    if ('end' in r) return this.lost(r);
    if (r.header.type !== 'ok') return fail(`hello was answered with ${describe(r)}`);
    const problem = helloProblem(r.header);
    if (problem) return fail(problem);
    this.hello = r.header;
    const a = r.header.adapter as Record<string, unknown>;
    const caps = r.header.capabilities as Record<string, unknown>;
    return pass(
      `${String(a.name)} ${String(a.version)}, protocol ${String(r.header.version)}, dtypes ${(caps.dtypes as string[]).join(' ')}`,
    );
  }

  private async versionNegotiation(): Promise<Verdict> {
    const a = this.spawn();
    try {
      if (await a.started) return fail('the command did not start a second time');
      const r = await a.request(this.helloHeader([999]), this.o.timeoutMs);
      if ('end' in r) return fail(`hello offering only version 999: ${r.detail}`);
      if (r.header.type === 'error' && r.header.code === 'unsupported-version')
        return pass(`error "unsupported-version": ${String(r.header.message ?? '')}`.slice(0, 200));
      return fail(`hello offering only version 999 was answered with ${describe(r)}, not error "unsupported-version"`);
    } finally {
      a.kill();
    }
  }

  private async beforeHello(): Promise<Verdict> {
    const a = this.spawn();
    try {
      if (await a.started) return fail('the command did not start a second time');
      const r = await a.request({ type: 'ping', id: 5 }, this.o.timeoutMs);
      if ('end' in r) return fail(`ping before hello: ${r.detail}`);
      if (r.header.type === 'error' && r.header.code === 'bad-request') return pass('error "bad-request"');
      return fail(`ping before hello was answered with ${describe(r)}, not error "bad-request"`);
    } finally {
      a.kill();
    }
  }

  private async ping(): Promise<Verdict> {
    const a = await this.wire();
    const t = performance.now();
    const r = await a.request({ type: 'ping', id: this.id() }, this.o.timeoutMs);
    if ('end' in r) return this.lost(r);
    return r.header.type === 'ok' ? pass(`ok in ${(performance.now() - t).toFixed(2)} ms`) : fail(`ping was answered with ${describe(r)}`);
  }

  private async load(): Promise<Verdict> {
    const a = await this.wire();
    const r = await a.request(
      { type: 'load', id: this.id(), model: { path: this.probePath }, free_dims: {}, options: {} },
      this.o.timeoutMs,
    );
    if ('end' in r) return this.lost(r);
    if (r.header.type !== 'ok') return fail(`loading the probe model (Y = X + X, float32[4]) was answered with ${describe(r)}`);
    const h = r.header;
    if (typeof h.handle !== 'string' || !h.handle)
      return fail(`the load reply's handle is ${JSON.stringify(h.handle)}, not a non-empty string`);
    const io = (list: unknown, name: string) =>
      Array.isArray(list) &&
      list.some(
        (v) =>
          (v as Record<string, unknown>)?.name === name &&
          (v as Record<string, unknown>).kind === 'tensor' &&
          (v as Record<string, unknown>).dtype === 'float32',
      );
    if (!io(h.inputs, 'X') || !io(h.outputs, 'Y'))
      return fail(
        `the load reply's inputs/outputs do not describe X and Y as float32 tensors: ${JSON.stringify({ inputs: h.inputs, outputs: h.outputs })}`,
      );
    this.handle = h.handle;
    return pass(`handle ${JSON.stringify(h.handle)}; inputs ${JSON.stringify(h.inputs)}`);
  }

  /** Sends X = float32 values to the probe model and checks Y = 2X, reading the reply's descriptor by the document. */
  private async runProbe(a: RawAdapter, id: number, x: number[]): Promise<RawFrame | RawEnd | string> {
    const payload = new Uint8Array(Float32Array.from(x).buffer);
    const r = await a.request(
      { type: 'run', id, handle: this.handle, inputs: { X: { dtype: 'float32', shape: [x.length], offset: 0, nbytes: payload.length } } },
      this.o.timeoutMs,
      payload,
    );
    if ('end' in r) return r;
    return probeProblem(r, x) ?? r;
  }

  private async run(): Promise<Verdict> {
    const a = await this.wire();
    const r = await this.runProbe(a, this.id(), [1, 2, 3, 4]);
    if (typeof r === 'string') return fail(r);
    if ('end' in r) return this.lost(r);
    return pass('Y = [2, 4, 6, 8]');
  }

  private async pipelining(): Promise<Verdict> {
    const a = await this.wire();
    const n = 16;
    const first = this.nextId;
    this.nextId += n;
    // All sent before any reply is read.
    for (let k = 0; k < n; k++) {
      const x = Float32Array.from([k, k + 0.5, -k, 1]);
      const payload = new Uint8Array(x.buffer);
      a.send(
        { type: 'run', id: first + k, handle: this.handle, inputs: { X: { dtype: 'float32', shape: [4], offset: 0, nbytes: 16 } } },
        payload,
      );
    }
    const seen = new Map<number, RawFrame>();
    const order: number[] = [];
    while (seen.size < n) {
      const f = await a.next(this.o.timeoutMs);
      if ('end' in f) return this.lost({ ...f, detail: `after ${seen.size} of ${n} replies: ${f.detail}` });
      const id = f.header.id as number;
      if (!(id >= first && id < first + n))
        return fail(`a frame for id ${JSON.stringify(f.header.id)} came while ${n} runs (ids ${first}–${first + n - 1}) were in flight`);
      if (seen.has(id)) return fail(`request ${id} was answered twice`);
      seen.set(id, f);
      order.push(id - first);
    }
    for (const [id, f] of seen) {
      const k = id - first;
      const problem = probeProblem(f, [k, k + 0.5, -k, 1]);
      if (problem) return fail(`request ${id}: ${problem}`);
    }
    const inOrder = order.every((v, i) => v === i);
    return pass(`${n} replies, each once with its own result (${inOrder ? 'in request order' : 'out of order'})`);
  }

  private async malformed(): Promise<Verdict> {
    const a = await this.wire();
    const id = this.id();
    const cases: [string, () => void, number | null][] = [
      ['a header that is not JSON', () => a.send(`{"type": "run", "id": ${id}, oops`), id],
      ['a header that is a JSON array', () => a.send('[1, 2, 3]'), null],
      ['a request without an id', () => a.send({ type: 'ping' }), null],
      [
        'a tensor outside the payload',
        () =>
          a.send(
            { type: 'run', id: id + 1, handle: this.handle, inputs: { X: { dtype: 'float32', shape: [4], offset: 0, nbytes: 16 } } },
            new Uint8Array(8),
          ),
        id + 1,
      ],
      [
        'a tensor whose nbytes disagrees with its shape',
        () =>
          a.send(
            { type: 'run', id: id + 2, handle: this.handle, inputs: { X: { dtype: 'float32', shape: [4], offset: 0, nbytes: 12 } } },
            new Uint8Array(16),
          ),
        id + 2,
      ],
    ];
    this.nextId += 3;
    for (const [what, sendIt, expectId] of cases) {
      sendIt();
      // An id inside a header that is not JSON may be read or not: an error for it or for the stream (id null) will do.
      const r = await a.reply(expectId === id ? [id, null] : [expectId], this.o.timeoutMs);
      if ('end' in r) return this.lost({ ...r, detail: `after ${what}: ${r.detail}` });
      if (r.header.type !== 'error' || typeof r.header.code !== 'string')
        return fail(`${what} was answered with ${describe(r)}, not an error frame with a code`);
    }
    const r = await this.runProbe(a, this.id(), [1, 2, 3, 4]);
    if (typeof r === 'string') return fail(`after the malformed frames, a good run: ${r}`);
    if ('end' in r) return this.lost({ ...r, detail: `after the malformed frames, a good run: ${r.detail}` });
    return pass(`${cases.length} malformed frames answered with error frames; the adapter went on serving`);
  }

  private async errorFrames(): Promise<Verdict> {
    const a = await this.wire();
    const cases: [string, Record<string, unknown>, string | null][] = [
      ['an unknown request type', { type: 'npuval-no-such-request', id: this.id() }, 'unknown-type'],
      ['a run on an unknown handle', { type: 'run', id: this.id(), handle: 'npuval-no-such-handle', inputs: {} }, 'unknown-handle'],
      ['a load of a missing file', { type: 'load', id: this.id(), model: { path: join(this.tmp, 'missing.onnx') } }, null],
    ];
    const codes: string[] = [];
    for (const [what, header, code] of cases) {
      const r = await a.request(header, this.o.timeoutMs);
      if ('end' in r) return this.lost({ ...r, detail: `after ${what}: ${r.detail}` });
      if (r.header.type !== 'error' || typeof r.header.code !== 'string' || typeof r.header.message !== 'string') {
        return fail(`${what} was answered with ${describe(r)}, not an error frame with a code and a message`);
      }
      if (code && r.header.code !== code) return fail(`${what} was answered with error "${String(r.header.code)}", not "${code}"`);
      codes.push(r.header.code);
    }
    return pass(`codes ${codes.map((c) => `"${c}"`).join(', ')}`);
  }

  // ── through npuval's proc: device ───────────────────────────────────────────────────────────

  private dev(): Device {
    this.device ??= createDevice(this.o.spec);
    return this.device;
  }

  private claimed(): DType[] {
    return (this.hello!.capabilities as { dtypes: DType[] }).dtypes;
  }

  private async dtypes(): Promise<Verdict> {
    const bad: string[] = [];
    for (const dtype of this.claimed()) {
      let session: Session | null = null;
      try {
        session = await this.dev().open(
          { bytes: identityModel(dtype) },
          { options: { loadTimeoutMs: String(this.o.timeoutMs), runTimeoutMs: String(this.o.timeoutMs) } },
        );
        const x = sampleTensor(dtype);
        const y = (await session.run({ X: x })).Y as Tensor | undefined;
        const problem = y ? sameTensor(y, x) : 'no output Y';
        if (problem) bad.push(`${dtype}: ${problem}`);
      } catch (err) {
        bad.push(`${dtype}: ${(err as Error).message.split('\n')[0]!.slice(0, 160)}`);
        if (isLoss(err)) {
          const rest = this.claimed().slice(this.claimed().indexOf(dtype) + 1);
          if (rest.length) bad.push(`not tried after the adapter was lost: ${rest.join(', ')}`);
          break;
        }
      } finally {
        await session?.close().catch(() => undefined);
      }
    }
    return bad.length
      ? fail(`of ${this.claimed().length} claimed types: ${bad.join('; ')}`)
      : pass(`all ${this.claimed().length} claimed types round-trip bit for bit`);
  }

  private async large(): Promise<Verdict> {
    const dtype: DType = this.claimed().includes('float32') ? 'float32' : this.claimed().includes('uint8') ? 'uint8' : this.claimed()[0]!;
    if (dtype === 'string') return skip('the adapter claims no numeric element type');
    const x = largeTensor(dtype, this.o.largeBytes);
    const session = await this.dev().open(
      { bytes: identityModel(dtype) },
      { options: { runTimeoutMs: String(Math.max(this.o.timeoutMs, 120_000)) } },
    );
    try {
      const t = performance.now();
      const y = (await session.run({ X: x })).Y as Tensor | undefined;
      const s = (performance.now() - t) / 1000;
      if (!y) return fail('the reply has no output Y');
      const problem = sameTensor(y, x);
      if (problem) return fail(`${mib(this.o.largeBytes)} ${dtype} came back different: ${problem}`);
      return pass(
        `${mib(this.o.largeBytes)} ${dtype} there and back in ${s.toFixed(2)} s (${((2 * this.o.largeBytes) / s / 1e9).toFixed(2)} GB/s both ways, Identity included)`,
      );
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  private async unsupportedOp(): Promise<Verdict> {
    try {
      const s = await this.dev().open(
        { bytes: unknownOpModel() },
        { options: { loadTimeoutMs: String(this.o.timeoutMs), runTimeoutMs: String(this.o.timeoutMs) } },
      );
      // Some runtimes accept the graph and fail at the first run.
      try {
        await s.run({ X: { type: 'float32', dims: [2], data: new Float32Array(2) } });
      } finally {
        await s.close().catch(() => undefined);
      }
      return fail('a model with the op NpuvalNoSuchOp loaded and ran');
    } catch (err) {
      if (err instanceof DeviceRunError && err.failure === 'unsupported-op') return pass('error "unsupported-op"');
      return fail(
        `expected error "unsupported-op", got ${err instanceof DeviceRunError ? `"${err.failure}"` : 'a non-device error'}: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`,
      );
    }
  }

  /** Opens the probe model through npuval's device and finds the adapter process that serves it. */
  private async openProbe(runTimeoutMs: number): Promise<{ session: Session; pid: number } | string> {
    const session = await this.dev().open({ path: this.probePath }, { options: { runTimeoutMs: String(runTimeoutMs) } });
    const pids = childPids(this.argv).filter((p) => !this.spawned.some((a) => a.pid === p));
    if (pids.length === 0) {
      await session.close();
      return process.platform === 'linux'
        ? "found no adapter process among npuval's children"
        : 'needs Linux (/proc) to find the adapter process';
    }
    return { session, pid: pids[pids.length - 1]! };
  }

  private crashRecovery(): Promise<Verdict> {
    return this.lostMidRun('killed', async (pid) => {
      await new Promise((r) => setTimeout(r, 50));
      killGroup(pid, 'SIGKILL');
    });
  }

  private hangRecovery(): Promise<Verdict> {
    // npuval gives up after the run timeout, or after 4 missed heartbeats if the adapter promised them.
    return this.lostMidRun('stopped (SIGSTOP)', async () => undefined);
  }

  /**
   * Opens the probe model through npuval's device, stops the adapter process (SIGSTOP), starts a run,
   * so that it is surely in flight, then does `then` to the process: the run must fail with a device
   * error (within the timeout), the old process must be gone, and the next open() must start one that runs.
   */
  private async lostMidRun(what: string, then: (pid: number) => Promise<void>): Promise<Verdict> {
    if (process.platform !== 'linux') return skip('needs Linux (/proc) to find the adapter process');
    const opened = await this.openProbe(this.o.timeoutMs);
    if (typeof opened === 'string') return fail(opened);
    const { session, pid } = opened;
    killGroup(pid, 'SIGSTOP');
    const t = performance.now();
    const running = session.run({ X: { type: 'float32', dims: [4], data: Float32Array.from([1, 2, 3, 4]) } });
    await then(pid);
    const limit = this.o.timeoutMs + 5000;
    const outcome = await settle(running, limit);
    const ms = performance.now() - t;
    await session.close().catch(() => undefined);
    if (outcome === 'pending') {
      killGroup(pid, 'SIGKILL');
      return fail(`npuval's run did not settle within ${limit / 1000} s of the adapter being ${what}`);
    }
    if (outcome === 'resolved') return fail(`a run in flight when the adapter was ${what} succeeded`);
    if (!(outcome instanceof DeviceRunError)) return fail(`the run failed with a non-device error: ${outcome.message}`);
    const again = await this.restarted(pid);
    if (again) return fail(again);
    return pass(
      `with the adapter ${what}, the run failed after ${(ms / 1000).toFixed(2)} s (${lossReason(outcome)}); the next open() started a new adapter`,
    );
  }

  /** After a lost adapter: the old process is gone and a new open() runs the probe model. Null when so. */
  private async restarted(oldPid: number): Promise<string | null> {
    const deadline = Date.now() + 3000;
    while (alive(oldPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(oldPid)) return `the lost adapter (pid ${oldPid}) is still running`;
    const again = await this.openProbe(this.o.timeoutMs);
    if (typeof again === 'string') return `after the loss: ${again}`;
    try {
      const y = (await again.session.run({ X: { type: 'float32', dims: [4], data: Float32Array.from([1, 2, 3, 4]) } })).Y as Tensor;
      if (Array.from(y.data as Float32Array).join(',') !== '2,4,6,8')
        return `after the restart the probe model returned ${Array.from(y.data as Float32Array).join(',')}`;
      if (again.pid === oldPid) return 'the next open() did not start a new adapter';
      return null;
    } catch (err) {
      return `after the restart the probe model failed: ${(err as Error).message.split('\n')[0]}`;
    } finally {
      await again.session.close().catch(() => undefined);
    }
  }

  private async shutdown(): Promise<Verdict> {
    const a = await this.wire();
    const r = await a.request({ type: 'bye', id: this.id() }, this.o.timeoutMs);
    if ('end' in r) return this.lost(r);
    if (r.header.type !== 'ok') return fail(`bye was answered with ${describe(r)}`);
    const grace = Math.min(BYE_GRACE_MS, this.o.timeoutMs);
    const exit = await a.exit(grace);
    this.broken = true;
    if (!exit) return fail(`bye was answered, but the process had not exited ${grace / 1000} s later`);
    if (exit.code !== 0)
      return fail(`after bye the process ${exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`}`);
    return pass('ok, then exit status 0');
  }

  private async stdinEof(): Promise<Verdict> {
    const a = this.spawn();
    if (await a.started) return fail('the command did not start again');
    const r = await a.request(this.helloHeader([1]), this.o.timeoutMs);
    if ('end' in r || r.header.type !== 'ok') return fail(`hello was answered with ${describe(r)}`);
    a.closeStdin();
    const grace = Math.min(BYE_GRACE_MS, this.o.timeoutMs);
    const exit = await a.exit(grace);
    if (!exit) return fail(`stdin closed, but the process had not exited ${grace / 1000} s later`);
    if (exit.code !== 0)
      return fail(`after stdin closed the process ${exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`}`);
    return pass('exit status 0');
  }
}

/** What is wrong with a hello reply, by PROTOCOL.md's required fields, or null. */
function helloProblem(h: Record<string, unknown>): string | null {
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (h.version !== 1) return `version is ${JSON.stringify(h.version)}, not 1 (the only version offered)`;
  if (!obj(h.adapter) || !str(h.adapter.name) || typeof h.adapter.version !== 'string') return 'adapter is not { name, version } strings';
  if (!obj(h.device)) return 'device is missing or not an object';
  if (!strOrNull(h.device.vendor) || !strOrNull(h.device.model)) return 'device.vendor and device.model must be strings or null';
  if (!obj(h.capabilities)) return 'capabilities is missing or not an object';
  const dt = h.capabilities.dtypes;
  if (!Array.isArray(dt) || dt.length === 0 || !dt.every((d) => typeof d === 'string'))
    return 'capabilities.dtypes is not a non-empty array of element type names';
  const known = new Set(Object.keys(ONNX_DTYPE));
  const unknown = dt.filter((d) => !known.has(d as string));
  if (unknown.length) return `capabilities.dtypes names unknown types: ${unknown.join(', ')}`;
  const hb = h.capabilities.heartbeat_ms;
  if (hb !== undefined && !(Number.isSafeInteger(hb) && (hb as number) >= 0))
    return 'capabilities.heartbeat_ms is not a non-negative integer';
  return null;
}

/** What is wrong with a probe run reply for input x (Y must be 2x), or null. */
function probeProblem(r: RawFrame, x: number[]): string | null {
  if (r.header.type !== 'ok') return `the run was answered with ${describe(r)}`;
  const y = (r.header.outputs as Record<string, Record<string, unknown>> | undefined)?.Y;
  if (!y) return `the run reply has no output Y: ${JSON.stringify(r.header).slice(0, 200)}`;
  const { dtype, shape, offset, nbytes } = y;
  if (dtype !== 'float32' || JSON.stringify(shape) !== JSON.stringify([x.length]))
    return `Y is ${JSON.stringify(dtype)} ${JSON.stringify(shape)}, not "float32" [${x.length}]`;
  if (!Number.isSafeInteger(offset) || (offset as number) % 64 !== 0) return `Y's offset ${JSON.stringify(offset)} is not a multiple of 64`;
  if (nbytes !== 4 * x.length) return `Y's nbytes is ${JSON.stringify(nbytes)}, not ${4 * x.length}`;
  if ((offset as number) + 4 * x.length > r.payload.length) return `Y lies past the end of the ${r.payload.length}-byte payload`;
  const got = Array.from(new Float32Array(r.payload.slice(offset as number, (offset as number) + 4 * x.length).buffer));
  const want = x.map((v) => 2 * v);
  return got.every((v, i) => v === want[i]) ? null : `Y is [${got.join(', ')}], not [${want.join(', ')}]`;
}

/** npuval lost the adapter (it died, hung or broke the protocol), as devices/proc says in its message. */
function isLoss(err: unknown): boolean {
  return err instanceof DeviceRunError && /: the adapter process /.test(err.message);
}

/** The "what happened" of npuval's lost-adapter message (devices/proc/connection.ts). */
function lossReason(err: Error): string {
  return /the adapter process ([^;(]+)/.exec(err.message)?.[1]?.trim() ?? err.message.split('\n')[0]!.slice(0, 120);
}

function describe(r: RawFrame | RawEnd): string {
  if ('end' in r) return r.detail;
  const h = r.header;
  return h.type === 'error' ? `error "${String(h.code)}" (${String(h.message ?? '').slice(0, 160)})` : `a "${String(h.type)}" frame`;
}

function largeTensor(dtype: DType, bytes: number): Tensor {
  const n = Math.floor(bytes / (dtype === 'float32' ? 4 : 1));
  if (dtype === 'float32') {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i += 997) data[i] = i;
    return { type: dtype, dims: [n], data };
  }
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i += 997) data[i] = i & 0xff;
  return { type: 'uint8', dims: [n], data };
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(bytes % (1 << 20) === 0 ? 0 : 1)} MiB`;
}

async function settle(p: Promise<unknown>, ms: number): Promise<'resolved' | 'pending' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((r) => {
    timer = setTimeout(() => r('pending'), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => 'resolved' as const,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Children of this process whose command line is argv, oldest first (Linux /proc). */
function childPids(argv: readonly string[]): number[] {
  if (process.platform !== 'linux') return [];
  const found: { pid: number; start: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid || fields[0] === 'Z') continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (cmd.slice(1).join('\0') !== argv.slice(1).join('\0')) continue;
      found.push({ pid: Number(name), start: Number(fields[19]) });
    } catch {
      // Gone while being read.
    }
  }
  return found.sort((a, b) => a.start - b.start).map((f) => f.pid);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
