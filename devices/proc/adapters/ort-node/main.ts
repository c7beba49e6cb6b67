// The reference `proc:` adapter: ONNX Runtime (onnxruntime-node) in its own process, speaking
// devices/PROTOCOL.md on stdin/stdout. Run it as `proc:node adapters/ort-node/main.js [SPEC]`, where
// SPEC is the ORT device to serve (default ort:cpu; e.g. ort:cpu?intraOpThreads=1 or ort:webgpu, which
// isolates an EP that may crash the process; allowSpinning=false is added unless SPEC sets it). Logs go
// to stderr; stdout carries frames only.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Not devices/index.ts: that loads every adapter, this one among them (a cycle), and this process needs ORT only.
import { DeviceRunError } from '../../../errors.js';
import { OrtDevice } from '../../../ort/index.js';
import { parseDeviceSpec } from '../../../spec.js';
import type { DType, Session, ValueInfo } from '../../../types.js';
import { serve, takeStdout } from '../../server.js';
import { DTYPES } from '../../wire.js';

/** What onnxruntime-node feeds and returns (no JavaScript tensor type for bfloat16, float8 or complex; int4 outputs abort it). */
const NO_JS_TENSOR: readonly DType[] = ['bfloat16', 'int4', 'uint4', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz'];
const ORT_NODE_DTYPES: readonly DType[] = DTYPES.filter((t) => !NO_JS_TENSOR.includes(t));

const USAGE =
  'usage: node adapters/ort-node/main.js [ort:<ep>[?option=value…]]   (default ort:cpu; speaks devices/PROTOCOL.md on stdin/stdout)';

/**
 * Models onnxruntime-node cannot carry are refused at load with "binding-limit", as the ort adapter
 * reports them after loading: sequences, maps and optionals; element types with no JavaScript tensor
 * type. Running them instead would fail, or abort this process (int4/uint4 outputs).
 */
function refuse(session: Session): DeviceRunError | null {
  const bad = (v: ValueInfo) => v.kind !== 'tensor' || (v.type !== undefined && !ORT_NODE_DTYPES.includes(v.type));
  const found = [
    ...session.inputs.filter(bad).map((v) => ['input', v] as const),
    ...session.outputs.filter(bad).map((v) => ['output', v] as const),
  ];
  if (found.length === 0) return null;
  const what = found.map(([side, v]) => `${side} "${v.name}" is ${v.kind === 'tensor' ? v.type : 'not a tensor'}`).join(', ');
  return new DeviceRunError(
    `onnxruntime-node (the JavaScript binding, not the runtime) feeds and returns tensors of ${ORT_NODE_DTYPES.join(', ')} only: ${what}`,
    'binding-limit',
  );
}

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'npuval') return pkg.version ?? '0.0.0';
    }
  }
  return '0.0.0';
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h') || args.length > 1) {
    process.stderr.write(USAGE + '\n');
    return args.length > 1 ? 2 : 0;
  }
  const spec = args[0] ?? 'ort:cpu';
  if (!spec.startsWith('ort:')) {
    process.stderr.write(`ort-node adapter: "${spec}" is not an ort: device spec\n${USAGE}\n`);
    return 2;
  }
  const send = takeStdout();
  // The adapter always shares the host with its client (npuval): idle ORT threads that spin after each run take the
  // cores the client needs to send the next one (on 2 cores: SingleStream p90 1.9 ms instead of 0.26 ms for tiny-bert).
  const device = new OrtDevice(
    parseDeviceSpec(/[?&]allowSpinning=/.test(spec) ? spec : `${spec}${spec.includes('?') ? '&' : '?'}allowSpinning=false`),
  );
  return serve(device, process.stdin, send, {
    adapter: { name: 'npuval-ort-node', version: packageVersion() },
    dtypes: ORT_NODE_DTYPES,
    refuse,
    notes: [`reference adapter serving ${device.id} in process ${process.pid}`],
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // A bad spec says so in one line (exit 2); anything else is a bug, with its stack.
    const code = (err as { exitCode?: unknown }).exitCode;
    process.stderr.write(`ort-node adapter: ${typeof code === 'number' ? (err as Error).message : ((err as Error).stack ?? err)}\n`);
    process.exit(typeof code === 'number' ? code : 1);
  },
);
