// TensorProto ↔ Tensor for every dtype, from raw_data and from the typed fields; sequences,
// optionals, maps; external data; and the errors for bad sizes and non-ONNX bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor, Value } from '../../devices/types.js';
import {
  tensorFromProto,
  tensorToProto,
  readTensorFile,
  readValueFile,
  decodeModel,
  encodeValue,
  encodeMap,
  onnx,
  ONNX_DTYPE,
} from '../../models/onnx/tensor.js';
import { deps, systemTest, ONNX_TESTDATA } from '../helpers/system.js';
import { fromHalfBits, toHalfBits, toBfloat16Bits, fromBfloat16Bits } from '../../models/onnx/half.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-tensor-'));
const enc = (p: onnxTensor) => onnx.TensorProto.encode(p).finish();
type onnxTensor = Parameters<typeof onnx.TensorProto.encode>[0];

const samples: Tensor[] = [
  { type: 'float32', dims: [2, 3], data: Float32Array.from([0, -1.5, 3.25, 1e-30, -Infinity, 7]) },
  { type: 'float64', dims: [3], data: Float64Array.from([Math.PI, -0, 1e300]) },
  { type: 'float16', dims: [4], data: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]) },
  { type: 'bfloat16', dims: [2], data: Uint16Array.from([0x3f80, 0xc049]) },
  { type: 'int8', dims: [3], data: Int8Array.from([-128, 0, 127]) },
  { type: 'int16', dims: [2], data: Int16Array.from([-32768, 32767]) },
  { type: 'int32', dims: [2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
  { type: 'int64', dims: [3], data: BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 63n - 1n]) },
  { type: 'uint8', dims: [2], data: Uint8Array.from([0, 255]) },
  { type: 'uint16', dims: [2], data: Uint16Array.from([0, 65535]) },
  { type: 'uint32', dims: [2], data: Uint32Array.from([0, 2 ** 32 - 1]) },
  { type: 'uint64', dims: [2], data: BigUint64Array.from([0n, 2n ** 64n - 1n]) },
  { type: 'bool', dims: [2, 2], data: Uint8Array.from([1, 0, 0, 1]) },
  { type: 'string', dims: [2], data: ['hello', '안녕하세요'] },
  { type: 'float32', dims: [0, 4], data: new Float32Array(0) },
  { type: 'int64', dims: [], data: BigInt64Array.from([42n]) },
];

const same = (a: Tensor, b: Tensor, what: string) => {
  assert.is(a.type, b.type, what);
  assert.equal([...a.dims], [...b.dims], what);
  assert.equal(Array.from(a.data as ArrayLike<unknown>), Array.from(b.data as ArrayLike<unknown>), what);
};

test('raw_data round trip for every dtype, through bytes on disk', () => {
  for (const t of samples) {
    const file = join(dir, `raw-${t.type}-${t.dims.join('x')}.pb`);
    writeFileSync(file, enc(tensorToProto(t, 'x')));
    same(readTensorFile(file), t, t.type);
  }
});

test('typed fields: float_data, double_data, int32_data (small ints, bool, half bits), int64_data, uint64_data, string_data', () => {
  const T = onnx.TensorProto.DataType;
  const cases: [onnxTensor, Tensor][] = [
    [
      { dataType: T.FLOAT, dims: [2], floatData: [1.5, -2] },
      { type: 'float32', dims: [2], data: Float32Array.from([1.5, -2]) },
    ],
    [
      { dataType: T.DOUBLE, dims: [1], doubleData: [0.1] },
      { type: 'float64', dims: [1], data: Float64Array.from([0.1]) },
    ],
    [
      { dataType: T.INT8, dims: [2], int32Data: [-5, 100] },
      { type: 'int8', dims: [2], data: Int8Array.from([-5, 100]) },
    ],
    [
      { dataType: T.UINT8, dims: [1], int32Data: [200] },
      { type: 'uint8', dims: [1], data: Uint8Array.from([200]) },
    ],
    [
      { dataType: T.INT16, dims: [1], int32Data: [-300] },
      { type: 'int16', dims: [1], data: Int16Array.from([-300]) },
    ],
    [
      { dataType: T.UINT16, dims: [1], int32Data: [60000] },
      { type: 'uint16', dims: [1], data: Uint16Array.from([60000]) },
    ],
    [
      { dataType: T.INT32, dims: [1], int32Data: [-7] },
      { type: 'int32', dims: [1], data: Int32Array.from([-7]) },
    ],
    [
      { dataType: T.BOOL, dims: [3], int32Data: [1, 0, 1] },
      { type: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) },
    ],
    [
      { dataType: T.FLOAT16, dims: [1], int32Data: [0x3c00] },
      { type: 'float16', dims: [1], data: Uint16Array.from([0x3c00]) },
    ],
    [
      { dataType: T.BFLOAT16, dims: [1], int32Data: [0x3f80] },
      { type: 'bfloat16', dims: [1], data: Uint16Array.from([0x3f80]) },
    ],
    [
      { dataType: T.INT64, dims: [2], int64Data: [-3, 2 ** 40] },
      { type: 'int64', dims: [2], data: BigInt64Array.from([-3n, 2n ** 40n]) },
    ],
    [
      { dataType: T.UINT32, dims: [1], uint64Data: [4000000000] },
      { type: 'uint32', dims: [1], data: Uint32Array.from([4000000000]) },
    ],
    [
      { dataType: T.UINT64, dims: [1], uint64Data: [2 ** 50] },
      { type: 'uint64', dims: [1], data: BigUint64Array.from([2n ** 50n]) },
    ],
    [
      { dataType: T.STRING, dims: [1], stringData: [new TextEncoder().encode('ok')] },
      { type: 'string', dims: [1], data: ['ok'] },
    ],
  ];
  for (const [proto, want] of cases) {
    // Through the wire, so int64 fields come back as protobufjs Longs as they do from files.
    same(tensorFromProto(onnx.TensorProto.decode(enc(proto))), want, want.type);
  }
});

test('int64 beyond 2^53 survives the typed field exactly', () => {
  const big = 2n ** 62n + 12345n;
  const file = join(dir, 'i64.pb');
  // int64_data with the value given as (low, high) halves, as protobufjs's Long carries it.
  const lo = Number(big & 0xffffffffn) | 0;
  const hi = Number(big >> 32n) | 0;
  writeFileSync(file, enc({ dataType: 7, dims: [1], int64Data: [{ low: lo, high: hi, unsigned: false } as never] }));
  assert.equal(Array.from(readTensorFile(file).data as BigInt64Array), [big]);
});

test('int4, uint4 and float8 decode to their own types (packed / raw bytes)', () => {
  const i4 = tensorFromProto({ dataType: ONNX_DTYPE.int4, dims: [3], rawData: Uint8Array.from([0x21, 0x0f]) });
  assert.is(i4.type, 'int4');
  assert.equal(Array.from(i4.data as Uint8Array), [0x21, 0x0f]);
  const u4 = tensorFromProto({ dataType: ONNX_DTYPE.uint4, dims: [2], int32Data: [0x43] });
  assert.is(u4.type, 'uint4');
  assert.equal(Array.from(u4.data as Uint8Array), [0x43]);
  const f8 = tensorFromProto({ dataType: ONNX_DTYPE.float8e4m3fn, dims: [2], rawData: Uint8Array.from([0x38, 0xb8]) });
  assert.is(f8.type, 'float8e4m3fn');
  assert.throws(() => tensorFromProto({ dataType: ONNX_DTYPE.int4, dims: [3], rawData: Uint8Array.from([1]) }), /need 2/);
});

test('a data size that disagrees with the dims is a one-sentence input error (exit 2)', () => {
  const cases: onnxTensor[] = [
    { name: 'w', dataType: 1, dims: [2, 3], rawData: new Uint8Array(20) },
    { name: 'w', dataType: 1, dims: [2, 3], floatData: [1, 2, 3] },
    { name: 'w', dataType: 7, dims: [2], int64Data: [1] },
    { name: 'w', dataType: 8, dims: [2], stringData: [] },
  ];
  for (const p of cases) {
    try {
      tensorFromProto(p);
      assert.unreachable('should throw');
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2);
      assert.match((err as Error).message, /tensor "w" has .* need/);
    }
  }
  assert.throws(() => tensorFromProto({ dataType: 14, dims: [1], floatData: [1, 2] }), /COMPLEX64/);
});

test('external data is read relative to the base directory, with offset and length', () => {
  const values = Float32Array.from([1, 2, 3, 4]);
  const blob = new Uint8Array(16 + values.byteLength);
  blob.set(new Uint8Array(values.buffer), 16);
  writeFileSync(join(dir, 'weights.bin'), blob);
  const p: onnxTensor = {
    name: 'e',
    dataType: 1,
    dims: [4],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: '16' },
      { key: 'length', value: '16' },
    ],
  };
  same(tensorFromProto(p, dir), { type: 'float32', dims: [4], data: values }, 'external');
  assert.throws(() => tensorFromProto(p), /no base directory/);
  assert.throws(() => tensorFromProto({ ...p, externalData: [{ key: 'location', value: '../x.bin' }] }, dir), /outside/);
});

test('sequences, optionals and maps read back from their protobuf files', () => {
  const a: Tensor = { type: 'float32', dims: [2], data: Float32Array.from([1, 2]) };
  const b: Tensor = { type: 'int64', dims: [1], data: BigInt64Array.from([5n]) };
  const write = (name: string, bytes: Uint8Array) => {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };
  const seq = readValueFile(write('seq.pb', encodeValue([a, a], 'sequence')), 'sequence') as Value[];
  assert.is(seq.length, 2);
  same(seq[1] as Tensor, a, 'seq[1]');
  const nested = readValueFile(write('nested.pb', encodeValue([[a], [b, b]], 'sequence')), 'sequence') as Value[][];
  assert.is(nested[1]!.length, 2);
  assert.equal(readValueFile(write('empty.pb', encodeValue([], 'sequence')), 'sequence'), []);
  assert.is(readValueFile(write('none.pb', encodeValue(null, 'optional')), 'optional'), null);
  same(readValueFile(write('opt.pb', encodeValue(b, 'optional')), 'optional') as Tensor, b, 'optional tensor');
  const optSeq = readValueFile(write('optseq.pb', encodeValue([a], 'optional')), 'optional') as Value[];
  same(optSeq[0] as Tensor, a, 'optional sequence');
  const map = readValueFile(
    write(
      'map.pb',
      encodeMap(
        [
          [3, a],
          [9, a],
        ],
        'int64',
      ),
    ),
    'map',
  ) as [Tensor, Tensor][];
  assert.equal(
    map.map(([k]) => (k.data as BigInt64Array)[0]),
    [3n, 9n],
  );
  same(map[1]![1], a, 'map value');
  const smap = readValueFile(write('smap.pb', encodeMap([['k', b]], 'string')), 'map') as [Tensor, Tensor][];
  assert.equal(smap[0]![0].data, ['k']);
});

systemTest(test, deps.onnxTestdata, 'ONNX backend test data: tensors, sequences and optionals decode', () => {
  const node = join(ONNX_TESTDATA, 'node');
  assert.is(readValueFile(join(node, 'test_optional_has_element_empty/test_data_set_0/input_0.pb'), 'optional'), null);
  const seq = readValueFile(join(node, 'test_sequence_insert_at_back/test_data_set_0/input_0.pb'), 'sequence') as Value[];
  assert.ok(Array.isArray(seq) && seq.length > 0);
  const t = readTensorFile(join(node, 'test_abs/test_data_set_0/input_0.pb'));
  assert.equal([t.type, [...t.dims]], ['float32', [3, 4, 5]]);
});

test('decodeModel: truncated or non-ONNX bytes give one sentence with exit 2', () => {
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] },
    opsetImport: [{ version: 17 }],
  }).finish();
  assert.is(decodeModel(model).graph?.name, 'g');
  for (const bad of [model.subarray(0, model.length - 3), new TextEncoder().encode('hello, not onnx\n'), new Uint8Array(0)]) {
    try {
      decodeModel(bad, 'x.onnx');
      assert.unreachable('should throw');
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2);
      assert.match((err as Error).message, /^x\.onnx is not (a valid |an )ONNX model/);
      assert.not.match((err as Error).message, /\n/);
    }
  }
});

test('half and bfloat16 conversions round to nearest even and keep specials', () => {
  assert.is(toHalfBits(1), 0x3c00);
  assert.is(toHalfBits(65504), 0x7bff);
  assert.is(toHalfBits(65520), 0x7c00); // rounds up to +Inf
  assert.is(toHalfBits(2 ** -24), 0x0001);
  assert.is(toHalfBits(1 + 2 ** -11), 0x3c00); // tie → even
  assert.is(toHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
  assert.is(fromHalfBits(0xc000), -2);
  assert.is(toBfloat16Bits(1), 0x3f80);
  assert.is(fromBfloat16Bits(toBfloat16Bits(-3.140625)), -3.140625);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
