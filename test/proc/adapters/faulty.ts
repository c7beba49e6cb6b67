// A proc: adapter that breaks the protocol in one named way, for adapter-check's and the proc device's
// tests: it runs the reference ORT adapter as its child and passes frames through, changing, dropping
// or inventing bytes as its fault says. Run: node dist/test/proc/adapters/faulty.js FAULT
//   bad-handshake      the hello reply lacks "capabilities"
//   wrong-version      offered only version 999, it answers ok with version 1 (it ignores negotiation)
//   garbage            a log line on stdout before its first run reply
//   crash              exits (status 3) when its first run arrives
//   hang               goes silent (reads on, answers nothing, no heartbeats) when its first run arrives
//   unclosed-shutdown  answers bye with ok and stays alive
//   dies-on-malformed  exits (status 1) on a frame whose header is not JSON
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FAULTS = ['bad-handshake', 'wrong-version', 'garbage', 'crash', 'hang', 'unclosed-shutdown', 'dies-on-malformed'] as const;
type Fault = (typeof FAULTS)[number];

const fault = process.argv[2] as Fault;
if (!FAULTS.includes(fault)) {
  process.stderr.write(`usage: faulty.js ${FAULTS.join('|')}\n`);
  process.exit(2);
}

type Header = Record<string, unknown>;

/** Cuts a byte stream into whole frames (raw bytes plus the header, or null when the header is not JSON). */
class Frames {
  private buf = Buffer.alloc(0);
  constructor(private readonly onFrame: (raw: Buffer, header: Header | null) => void) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 16) return;
      const hl = this.buf.readUInt32LE(4);
      const pl = Number(this.buf.readBigUInt64LE(8));
      if (this.buf.toString('latin1', 0, 4) !== 'NPUV') {
        // Out of step: pass the rest through as it is.
        this.onFrame(this.buf, null);
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.buf.length < 16 + hl + pl) return;
      const raw = this.buf.subarray(0, 16 + hl + pl);
      let header: Header | null = null;
      try {
        const h: unknown = JSON.parse(raw.toString('utf8', 16, 16 + hl));
        header = typeof h === 'object' && h !== null && !Array.isArray(h) ? (h as Header) : null;
      } catch {
        header = null;
      }
      this.buf = this.buf.subarray(16 + hl + pl);
      this.onFrame(Buffer.from(raw), header);
    }
  }
}

function frame(header: Header): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(16);
  prefix.write('NPUV', 0, 'latin1');
  prefix.writeUInt32LE(h.length, 4);
  prefix.writeBigUInt64LE(0n, 8);
  return Buffer.concat([prefix, h]);
}

const main = fileURLToPath(new URL('../../../devices/proc/adapters/ort-node/main.js', import.meta.url));
const inner = spawn(process.execPath, [main], { stdio: ['pipe', 'pipe', 'inherit'] });
const out = (b: Buffer) => process.stdout.write(b);
let silent = false;
let firstRun = true;
const runs = new Set<unknown>();
let helloId: unknown = null;

inner.on('exit', (code) => {
  if (fault !== 'unclosed-shutdown') process.exit(code ?? 1);
});
inner.stdin.on('error', () => undefined);

const up = new Frames((raw, h) => {
  if (silent) return;
  if (h === null && fault === 'dies-on-malformed') process.exit(1);
  if (h?.type === 'hello') {
    helloId = h.id;
    if (fault === 'wrong-version') return void inner.stdin.write(frame({ ...h, versions: [1] }));
  }
  if (h?.type === 'run') {
    runs.add(h.id);
    if (firstRun && fault === 'crash') process.exit(3);
    if (firstRun && fault === 'hang') {
      silent = true;
      return;
    }
  }
  if (h?.type === 'bye' && fault === 'unclosed-shutdown') {
    out(frame({ type: 'ok', id: h.id }));
    setInterval(() => undefined, 60_000);
    return;
  }
  inner.stdin.write(raw);
});

const down = new Frames((raw, h) => {
  if (silent) return;
  if (h && h.id === helloId && h.type === 'ok' && fault === 'bad-handshake') {
    const { capabilities: _dropped, ...rest } = h;
    return void out(frame(rest));
  }
  if (h && runs.has(h.id) && firstRun) {
    firstRun = false;
    if (fault === 'garbage') out(Buffer.from('vendor-sdk 3.1 initialised on card 0\n'));
  }
  out(raw);
});

process.stdin.on('data', (c: Buffer) => up.push(c));
process.stdin.on('end', () => {
  if (fault !== 'unclosed-shutdown') inner.stdin.end();
});
inner.stdout.on('data', (c: Buffer) => down.push(c));
