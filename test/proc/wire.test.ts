// The proc: wire format without processes: frames cut at any byte, every element type, strings,
// sequences and absent optionals, the 64-byte alignment, refusals of broken frames and descriptors,
// the spec's word splitting (npuval's and adapter-check's readings agree), and the byte dumps of
// devices/PROTOCOL.md decoded and re-encoded to the same bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitCommand } from '../../devices/proc/argv.js';
import {
  ALIGN,
  decodeValue,
  decodeValues,
  DTYPES,
  encodeFrame,
  encodeValues,
  FrameReader,
  type Frame,
  type BadFrame,
  isBadFrame,
  PayloadBuilder,
  WireError,
} from '../../devices/proc/wire.js';
import type { Tensor, Value } from '../../devices/types.js';
import { commandWords, frameBytes } from '../../harness/adapter-check/raw.js';
import { sameTensor, sampleTensor } from '../../harness/adapter-check/models.js';
import { root } from './helpers.js';

const concat = (chunks: readonly Uint8Array[]) => Buffer.concat(chunks);

/** Feeds bytes to a reader in pieces of `step` bytes and returns every frame. */
function readAll(bytes: Uint8Array, step: number): (Frame | BadFrame)[] {
  const r = new FrameReader();
  const out: (Frame | BadFrame)[] = [];
  for (let i = 0; i < bytes.length; i += step) out.push(...r.push(bytes.subarray(i, i + step)));
  assert.not.ok(r.midFrame, 'no frame left half read');
  return out;
}

test('frames survive being cut at every byte, with and without payloads', () => {
  const p = new PayloadBuilder();
  const inputs = encodeValues({ x: { type: 'float32', dims: [3], data: Float32Array.of(1, -2, 3.5) } }, p, 'input');
  const stream = concat([
    ...encodeFrame({ type: 'ping', id: 1 }),
    ...encodeFrame({ type: 'run', id: 2, handle: 'm1', inputs }, p),
    ...encodeFrame({ type: 'bye', id: 3 }),
  ]);
  for (const step of [1, 7, 16, 64, stream.length]) {
    const frames = readAll(stream, step);
    assert.equal(
      frames.map((f) => (isBadFrame(f) ? 'bad' : f.header.id)),
      [1, 2, 3],
      `step ${step}`,
    );
    const run = frames[1] as Frame;
    const x = decodeValues(run.header.inputs, run.payload, 'input').x as Tensor;
    assert.equal(Array.from(x.data as Float32Array), [1, -2, 3.5]);
  }
});

test('every element type round-trips bit for bit, viewed in place at 64-byte offsets', () => {
  const values: Record<string, Value> = {};
  for (const dtype of DTYPES) values[dtype] = sampleTensor(dtype);
  const p = new PayloadBuilder();
  const descs = encodeValues(values, p, 'input');
  for (const d of Object.values(descs)) assert.is((d as { offset: number }).offset % ALIGN, 0);
  const [frame] = readAll(concat(encodeFrame({ type: 'run', id: 1, inputs: descs }, p)), 4096) as Frame[];
  const back = decodeValues(frame!.header.inputs, frame!.payload, 'input');
  for (const dtype of DTYPES) {
    const t = back[dtype] as Tensor;
    assert.is(sameTensor(t, values[dtype] as Tensor), null, dtype);
    if (dtype !== 'string')
      assert.is((t.data as Uint8Array).buffer, frame!.payload.buffer, `${dtype} is a view of the payload, not a copy`);
  }
  assert.equal(Array.from((back.int64 as Tensor).data as BigInt64Array), [-(2n ** 63n), 1n, 2n ** 62n + 1n], 'int64 at full width');
});

test('sequences, absent optionals, scalars and empty tensors', () => {
  const x: Tensor = { type: 'int32', dims: [], data: Int32Array.of(7) };
  const empty: Tensor = { type: 'float32', dims: [2, 0], data: new Float32Array(0) };
  const p = new PayloadBuilder();
  const descs = encodeValues({ seq: [x, [empty], null], opt: null }, p, 'output');
  assert.equal(descs.opt, null);
  const [frame] = readAll(concat(encodeFrame({ type: 'ok', id: 1, outputs: descs }, p)), 5) as Frame[];
  const back = decodeValues(frame!.header.outputs, frame!.payload, 'output');
  assert.is(back.opt, null);
  const seq = back.seq as Value[];
  assert.equal(Array.from((seq[0] as Tensor).data as Int32Array), [7]);
  assert.equal(((seq[1] as Value[])[0] as Tensor).dims, [2, 0]);
  assert.is(seq[2], null);
});

test('broken descriptors are refused with the field named', () => {
  const payload = new Uint8Array(128);
  const bad: [unknown, RegExp][] = [
    [{ dtype: 'complex64', shape: [1], offset: 0, nbytes: 8 }, /dtype "complex64"/],
    [{ dtype: 'float32', shape: [2], offset: 4, nbytes: 8 }, /offset 4 is not a non-negative multiple of 64/],
    [{ dtype: 'float32', shape: [2], offset: 0, nbytes: 12 }, /takes 8 bytes, but nbytes is 12/],
    [{ dtype: 'float32', shape: [64], offset: 0, nbytes: 256 }, /lies at bytes 0–256 of a 128-byte payload/],
    [{ dtype: 'float32', shape: [-1], offset: 0, nbytes: 0 }, /shape is not an array of non-negative integers/],
    [{ dtype: 'string', shape: [1], offset: 0, nbytes: 2 }, /string element 0 runs past/],
    [{ dtype: 'string', shape: [1], offset: 0, nbytes: 8 }, /1 strings take 4 bytes, but nbytes is 8/],
    [[1, 2], /not a value descriptor/],
  ];
  for (const [desc, re] of bad)
    assert.throws(
      () => decodeValue(desc, payload, 'input "x"'),
      (e: Error) => e instanceof WireError && re.test(e.message),
      JSON.stringify(desc),
    );
});

test('a header that is not a JSON object is a bad frame the stream survives; wrong magic is not', () => {
  const frames = readAll(
    concat([frameBytes('{"type": "run", "id": 41, oops'), frameBytes('[1]'), ...encodeFrame({ type: 'ping', id: 42 })]),
    3,
  );
  assert.equal(
    frames.map((f) => (isBadFrame(f) ? `bad ${f.id}` : `ok ${f.header.id}`)),
    ['bad 41', 'bad null', 'ok 42'],
  );
  assert.match((frames[0] as BadFrame).bad, /not JSON/);
  const r = new FrameReader();
  assert.throws(() => r.push(Buffer.from('vendor sdk v3 ready\n')), /not a frame at byte 0 .*"vendor sdk v3 ready\\\\n"/);
  const huge = Buffer.alloc(16);
  huge.write('NPUV');
  huge.writeUInt32LE(32 << 20, 4);
  assert.throws(() => new FrameReader().push(huge), /33554432-byte header, over the 16777216-byte limit/);
});

test('the spec is split into words without a shell, the same way by npuval and by adapter-check', () => {
  const cases: [string, string[]][] = [
    ['node adapters/ort-node/main.js', ['node', 'adapters/ort-node/main.js']],
    ['  python3   -m  vendor.adapter\t--card 0 ', ['python3', '-m', 'vendor.adapter', '--card', '0']],
    [`a 'b c' "d \\"e\\" \\\\ f" g\\ h`, ['a', 'b c', 'd "e" \\ f', 'g h']],
    [`x '' "" y`, ['x', '', '', 'y']],
    ['run $HOME ~/x *.onnx; ls | cat > out && echo', ['run', '$HOME', '~/x', '*.onnx;', 'ls', '|', 'cat', '>', 'out', '&&', 'echo']],
    [`a"b c"d'e f'`, ['ab cde f']],
    [`"C:\\path\\x"`, ['C:\\path\\x']],
  ];
  for (const [text, words] of cases) {
    assert.equal(splitCommand(text), words, text);
    assert.equal(commandWords(text), words, `adapter-check: ${text}`);
  }
  for (const bad of [`a 'b`, 'a "b', 'a \\', '   ']) {
    assert.throws(
      () => splitCommand(bad),
      (e: Error) => (e as { exitCode?: number }).exitCode === 2,
      bad,
    );
    assert.is(commandWords(bad), null, bad);
  }
});

test('PROTOCOL.md: every byte dump is a frame npuval reads, and re-encodes to the same bytes', () => {
  const doc = readFileSync(join(root, 'devices/PROTOCOL.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Byte-level examples'), doc.indexOf('## Writing an adapter'));
  const dumps = [...section.matchAll(/```\n((?:[0-9a-f]{8} {2}.*\n)+)```/g)].map((m) =>
    Buffer.from(
      m[1]!
        .trim()
        .split('\n')
        .flatMap((line) =>
          line
            .slice(10, 10 + 47)
            .trim()
            .split(/\s+/)
            .map((h) => Number.parseInt(h, 16)),
        ),
    ),
  );
  assert.is(dumps.length, 5, 'ping, hello, run, its reply, an error');
  const frames = dumps.map((bytes) => {
    const f = readAll(bytes, 1);
    assert.is(f.length, 1);
    assert.not.ok(isBadFrame(f[0]!));
    return f[0] as Frame;
  });
  assert.equal(
    frames.map((f) => f.header.type),
    ['ping', 'hello', 'run', 'ok', 'error'],
  );
  // Re-encoding the decoded values gives the documented bytes (key order as written).
  const x = decodeValues(frames[2]!.header.inputs, frames[2]!.payload, 'input');
  assert.equal(Array.from((x.x as Tensor).data as Float32Array), [1, 2.5]);
  const reply = decodeValues(frames[3]!.header.outputs, frames[3]!.payload, 'output');
  assert.equal(Array.from((reply.y as Tensor).data as BigInt64Array), [-2n]);
  assert.equal((reply.s as Tensor).data, ['ok', '한']);
  for (const [i, f] of frames.entries()) {
    const p = new PayloadBuilder();
    const h = { ...f.header };
    if (h.inputs) h.inputs = encodeValues(decodeValues(h.inputs, f.payload, 'input'), p, 'input');
    if (h.outputs) h.outputs = encodeValues(decodeValues(h.outputs, f.payload, 'output'), p, 'output');
    assert.equal([...concat(encodeFrame(h, p))], [...dumps[i]!], `dump ${i + 1}`);
  }
});

test.run();
