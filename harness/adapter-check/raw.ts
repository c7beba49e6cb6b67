// A bare protocol client for adapter-check: it spawns the adapter and reads and writes frames byte by
// byte as devices/PROTOCOL.md writes them, including frames no well-behaved client would send. It is a
// second, independent reading of the document (npuval's own client lives in devices/proc and is not
// importable from harness/); test/proc checks that both readings agree on the same bytes.
import { spawn, type ChildProcess } from 'node:child_process';

export interface RawFrame {
  readonly header: Record<string, unknown>;
  readonly payload: Uint8Array;
}

/** What reading the next frame can end in besides a frame. */
export type RawEnd =
  | { readonly end: 'timeout'; readonly detail: string }
  | { readonly end: 'exit'; readonly detail: string }
  | { readonly end: 'garbage'; readonly detail: string };

const MAGIC = [0x4e, 0x50, 0x55, 0x56];
const enc = new TextEncoder();

/** The command line of a proc: spec as argv, by the rules of PROTOCOL.md ("Starting an adapter"); null when it cannot be split. */
export function commandWords(text: string): string[] | null {
  const out: string[] = [];
  let cur: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote === "'") {
      if (ch === "'") quote = null;
      else cur += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text.charAt(++i);
      else cur += ch;
    } else if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (cur !== null) out.push(cur);
      cur = null;
    } else {
      cur ??= '';
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\') {
        if (i + 1 === text.length) return null;
        cur += text.charAt(++i);
      } else cur += ch;
    }
  }
  if (quote) return null;
  if (cur !== null) out.push(cur);
  return out.length ? out : null;
}

/** The bytes of a frame: a header (object, or any text to send as the header) and payload bytes. */
export function frameBytes(header: Record<string, unknown> | string, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(16 + h.length + payload.length);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, h.length, true);
  dv.setBigUint64(8, BigInt(payload.length), true);
  out.set(h, 16);
  out.set(payload, 16 + h.length);
  return out;
}

/** One adapter process driven frame by frame. */
export class RawAdapter {
  readonly child: ChildProcess;
  private buf = new Uint8Array(0);
  private frames: (RawFrame | RawEnd)[] = [];
  private waiter: (() => void) | null = null;
  private exitInfo: string | null = null;
  private stderr = '';
  readonly started: Promise<string | null>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(argv: readonly string[]) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.started = new Promise((resolve) => {
      this.child.once('spawn', () => resolve(null));
      this.child.once('error', (err) => resolve(err.message));
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        resolve({ code, signal });
      });
    });
    this.child.stdout!.on('data', (c: Buffer) => this.onData(c));
    this.child.stdout!.on('end', () => {
      void this.exited.then(() => this.push({ end: 'exit', detail: `the adapter ${this.exitInfo ?? 'closed its stdout'}` }));
      setTimeout(() => this.push({ end: 'exit', detail: 'the adapter closed its stdout' }), 500).unref();
    });
    this.child.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-2000);
    });
    this.child.stdin!.on('error', () => undefined);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last stderr line, for details. */
  lastStderr(): string {
    return this.stderr.trim().split('\n').pop()?.slice(0, 200) ?? '';
  }

  private push(item: RawFrame | RawEnd): void {
    const last = this.frames[this.frames.length - 1];
    if (last && 'end' in last) return;
    this.frames.push(item);
    this.waiter?.();
  }

  private onData(chunk: Buffer): void {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    for (;;) {
      if (this.buf.length < 16) return;
      if (!MAGIC.every((b, i) => this.buf[i] === b)) {
        const text = Buffer.from(this.buf.subarray(0, 40))
          .toString('latin1')
          .replace(/[^\x20-\x7e]/g, '.');
        this.push({ end: 'garbage', detail: `the adapter wrote bytes that are not a frame: "${text}"` });
        this.buf = new Uint8Array(0);
        return;
      }
      const dv = new DataView(this.buf.buffer, this.buf.byteOffset);
      const hl = dv.getUint32(4, true);
      const pl = Number(dv.getBigUint64(8, true));
      if (this.buf.length < 16 + hl + pl) return;
      let header: unknown;
      try {
        header = JSON.parse(Buffer.from(this.buf.subarray(16, 16 + hl)).toString('utf8'));
      } catch {
        header = null;
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        this.push({ end: 'garbage', detail: 'the adapter wrote a frame whose header is not a JSON object' });
        return;
      }
      this.push({ header: header as Record<string, unknown>, payload: this.buf.slice(16 + hl, 16 + hl + pl) });
      this.buf = this.buf.subarray(16 + hl + pl);
    }
  }

  send(header: Record<string, unknown> | string, payload?: Uint8Array): void {
    this.sendBytes(frameBytes(header, payload));
  }

  sendBytes(bytes: Uint8Array): void {
    if (this.child.stdin!.writable) this.child.stdin!.write(bytes);
  }

  /** The next frame other than a heartbeat, or how reading ended. */
  async next(timeoutMs: number): Promise<RawFrame | RawEnd> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = this.frames[0];
      if (item) {
        if ('end' in item) return item;
        this.frames.shift();
        if (item.header.type === 'heartbeat') continue;
        return item;
      }
      const left = deadline - Date.now();
      if (left <= 0) return { end: 'timeout', detail: `no frame within ${timeoutMs / 1000} s` };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Sends a request and reads frames until the final one for its id (ok or error). */
  async request(header: Record<string, unknown>, timeoutMs: number, payload?: Uint8Array): Promise<RawFrame | RawEnd> {
    this.send(header, payload);
    return this.reply([header.id as number], timeoutMs);
  }

  /** The next final frame (ok or error) for one of these ids; other frames are passed over. */
  async reply(ids: readonly (number | null)[], timeoutMs: number): Promise<RawFrame | RawEnd> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(0, deadline - Date.now()));
      if ('end' in f) return f;
      if (ids.includes(f.header.id as number | null) && (f.header.type === 'ok' || f.header.type === 'error')) return f;
    }
  }

  /** Resolves with the exit, or null when it has not exited within the time. */
  async exit(timeoutMs: number): Promise<{ code: number | null; signal: string | null } | null> {
    return Promise.race([this.exited, new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref())]);
  }

  closeStdin(): void {
    this.child.stdin!.end();
  }

  kill(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
    this.child.stdin!.destroy();
  }
}
