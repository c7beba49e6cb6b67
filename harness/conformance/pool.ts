// A pool of a few long-lived child processes for `--isolate`. Each child runs one case at a time;
// when a child dies mid-case (a crash in the runtime) or exceeds the per-case timeout (killed),
// that case is recorded as error "crashed"/"timeout" and a fresh child takes its place.
// Long-lived children keep the cost near the in-process run: the runtime loads once per child,
// not once per case.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';
import { oneLine } from './classify.js';
import { readModelInfo } from './model-info.js';
import type { CaseResult, TestCase } from './types.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface PoolOptions {
  /** Number of children (≥ 1). */
  readonly size: number;
  /** Per-case limit; the child is killed past it. */
  readonly timeoutMs: number;
  /** The init message every child gets first. */
  readonly init: Extract<ToWorker, { type: 'init' }>;
  /** The child's entry script (tests pass a misbehaving one); default worker-main next to this file. */
  readonly workerPath?: string;
}

interface Task {
  readonly seq: number;
  readonly testCase: TestCase;
  readonly resolve: (r: CaseResult) => void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
  stderr: string;
  /** Set once this slot's outcome for its task is decided (result, crash or timeout). */
  settled: boolean;
  startedAt: number;
}

/** Children that die before becoming ready this many times in a row stop the run. */
const MAX_START_FAILURES = 3;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private seq = 0;
  private closed = false;
  private startFailures = 0;
  private fatal: Error | null = null;
  /** Children started, replacements included (reported in results' notes). */
  started = 0;

  constructor(private readonly opts: PoolOptions) {
    for (let i = 0; i < Math.max(1, opts.size); i++) this.slots.push(this.spawn());
  }

  /** Runs one case in a child; resolves with its result, or with an error result when the child crashed or timed out. */
  run(testCase: TestCase): Promise<CaseResult> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve) => {
      this.queue.push({ seq: ++this.seq, testCase, resolve });
      this.dispatch();
    });
  }

  /** Ends every child. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => endChild(s.child)));
  }

  private workerPath(): string {
    if (this.opts.workerPath) return this.opts.workerPath;
    // Under tsx (development) this file is .ts and so is the entry; compiled, both are .js.
    const here = fileURLToPath(import.meta.url);
    return join(here, '..', `worker-main${extname(here)}`);
  }

  private spawn(): Slot {
    this.started++;
    const child = fork(this.workerPath(), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: process.execArgv });
    const slot: Slot = { child, ready: false, task: null, timer: null, stderr: '', settled: false, startedAt: 0 };
    child.stderr?.on('data', (b: Buffer) => {
      slot.stderr = (slot.stderr + b.toString()).slice(-4000);
    });
    child.on('message', (raw: unknown) => this.onMessage(slot, raw as FromWorker));
    child.on('exit', (code, signal) => this.onExit(slot, code, signal));
    child.on('error', () => undefined); // 'exit' follows and handles it
    child.send(this.opts.init);
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      this.startFailures = 0;
      this.dispatch();
    } else if (msg.type === 'fatal') {
      this.fail(new EnvironmentError(`conformance child process could not start the device: ${oneLine(msg.message)}`));
    } else if (msg.type === 'result' && slot.task && msg.seq === slot.task.seq && !slot.settled) {
      slot.settled = true;
      if (slot.timer) clearTimeout(slot.timer);
      const task = slot.task;
      slot.task = null;
      task.resolve(msg.result);
      this.dispatch();
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.timer) clearTimeout(slot.timer);
    const index = this.slots.indexOf(slot);
    if (this.closed || index < 0) return;
    const task = slot.task;
    if (task && !slot.settled) {
      slot.settled = true;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      const tail = oneLine(lastLine(slot.stderr));
      task.resolve(
        errorResult(
          task.testCase,
          'crashed',
          `the child process died (${how}) while running this case${tail ? `; stderr: ${tail}` : ''}`,
          performance.now() - slot.startedAt,
        ),
      );
    } else if (!slot.ready) {
      if (++this.startFailures >= MAX_START_FAILURES) {
        this.fail(
          new EnvironmentError(
            `conformance child processes exit before starting (${signal ?? `exit code ${code}`}): ${oneLine(lastLine(slot.stderr)) || 'no message'}`,
          ),
        );
        return;
      }
    }
    this.slots[index] = this.spawn();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.task || this.queue.length === 0) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.settled = false;
      slot.startedAt = performance.now();
      slot.timer = setTimeout(() => {
        if (slot.settled) return;
        slot.settled = true;
        task.resolve(
          errorResult(
            task.testCase,
            'timeout',
            `the case ran past the ${this.opts.timeoutMs / 1000} s per-case timeout; its child process was killed`,
            performance.now() - slot.startedAt,
          ),
        );
        // Killing triggers 'exit', which replaces the child.
        slot.child.kill('SIGKILL');
      }, this.opts.timeoutMs);
      slot.child.send({ type: 'case', seq: task.seq, testCase: task.testCase } satisfies ToWorker);
    }
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    for (const t of this.queue.splice(0)) t.resolve(errorResult(t.testCase, 'crashed', err.message, 0));
    for (const s of this.slots)
      if (s.task && !s.settled) {
        s.settled = true;
        s.task.resolve(errorResult(s.task.testCase, 'crashed', err.message, 0));
      }
  }

  /** The fatal error that stopped the pool, if any (the runner rethrows it). */
  get error(): Error | null {
    return this.fatal;
  }
}

/** An error result for a case the child could not finish; ops come from the parent's own read of the model. */
export function errorResult(tc: TestCase, cause: 'crashed' | 'timeout', reason: string, ms: number): CaseResult {
  let ops: readonly string[] = [],
    opset: number | null = null,
    ir: number | null = null;
  try {
    const info = readModelInfo(readFileSync(join(tc.dir, 'model.onnx')));
    ops = info.nodeOps;
    opset = info.opset;
    ir = info.irVersion;
  } catch {
    // The model itself may be what is broken; the case keeps its reason either way.
  }
  return {
    id: tc.id,
    suite: tc.suite,
    status: 'error',
    cause,
    reason,
    ops,
    nodeOps: ops,
    opset,
    irVersion: ir,
    dataSets: tc.dataSets.length,
    mismatch: null,
    ms: Math.round(ms * 1000) / 1000,
  };
}

/** The last non-empty line of a child's stderr (where a native abort says why). */
function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .pop() ?? ''
  );
}

function endChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect?.();
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}
