// A proc: adapter with no runtime behind it, to measure the protocol path alone (codecs and pipes) in
// the proc bench and the wire tests. Every model "loads"; a run answers by its feeds:
// X → Y = X (there and back); Upload → Y = uint8[1] (one way up); Download: int32[1] n → Y = uint8[n],
// from one buffer kept between runs (one way down). Run: node dist/test/proc/adapters/echo.js
import type { Device, Session, Tensor } from '../../../devices/types.js';
import { serve, takeStdout } from '../../../devices/proc/server.js';
import { DTYPES } from '../../../devices/proc/wire.js';

const session: Session = {
  inputs: [{ name: 'X', kind: 'tensor' }],
  outputs: [{ name: 'Y', kind: 'tensor' }],
  concurrentRuns: true,
  run: async (feeds) => {
    if (feeds.Upload) return { Y: { type: 'uint8', dims: [1], data: new Uint8Array(1) } };
    if (feeds.Download) return { Y: download(((feeds.Download as Tensor).data as Int32Array)[0]!) };
    return Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k === 'X' ? 'Y' : k, v]));
  },
  close: async () => undefined,
};

let kept = new Uint8Array(0);
function download(n: number): Tensor {
  if (kept.length !== n) kept = new Uint8Array(n).fill(7);
  return { type: 'uint8', dims: [n], data: kept };
}

const device: Device = {
  id: 'echo',
  kind: 'proc',
  capabilities: { tensors: true, generation: null },
  describe: async () => ({
    id: 'echo',
    kind: 'proc',
    vendor: 'npuval tests',
    model: 'echo',
    runtime: { name: 'echo', version: '1' },
    backend: { name: 'echo', options: {} },
    driver: null,
    host: { hostname: '', os: '', arch: '', cpuModel: '', cores: 1, memoryBytes: 0, node: process.version },
    catalogId: null,
    notes: [],
  }),
  open: async () => session,
};

serve(device, process.stdin, takeStdout(), { adapter: { name: 'npuval-test-echo', version: '1' }, dtypes: DTYPES }).then((code) =>
  process.exit(code),
);
