// TensorProto ↔ Tensor, and the value files of the ONNX backend tests (input_N.pb / output_N.pb:
// a serialized TensorProto, SequenceProto, OptionalProto or MapProto).
// ONNX stores tensors either in raw_data (little-endian bytes) or in a typed repeated field whose
// choice depends on the element type (onnx.proto, TensorProto comments); both are read here.
import { readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { endianness } from 'node:os';
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs';
import type { DType, Tensor, TensorData, Value } from '../../devices/types.js';
import { ModelInputError } from '../errors.js';

const { onnx } = onnxProto;
export { onnx };
export type OnnxModel = onnxProto.onnx.ModelProto;
export type OnnxTensorProto = onnxProto.onnx.TensorProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;

if (endianness() !== 'LE') {
  // raw_data is little-endian and is viewed in place as typed arrays; a big-endian host would misread it.
  throw new Error('models/onnx/tensor.ts assumes a little-endian host');
}

/** ONNX TensorProto.DataType code of every element type a Tensor can carry. */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  uint4: 21,
  int4: 22,
};

/** The inverse of ONNX_DTYPE: DataType code → Tensor type. Complex and float4 types have no entry. */
export const DTYPE_FROM_ONNX: Readonly<Record<number, DType>> = Object.fromEntries(
  Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]),
);

/** ONNX's names for DataType codes, for messages (includes types a Tensor cannot carry). */
export const ONNX_DTYPE_NAME: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
};

type NumericDType = Exclude<DType, 'string'>;
type ArrayCtor = {
  new (n: number): Exclude<TensorData, string[]>;
  new (b: ArrayBuffer, o: number, n: number): Exclude<TensorData, string[]>;
  BYTES_PER_ELEMENT: number;
};

/** The typed array that holds each type: float16/bfloat16 as raw bits, bool as 0/1 bytes,
 *  int4/uint4 packed two per byte (low nibble first, as raw_data and onnxruntime-common do), float8 as raw bytes. */
export const ARRAY_OF: Readonly<Record<NumericDType, ArrayCtor>> = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  int4: Uint8Array,
  uint4: Uint8Array,
  float8e4m3fn: Uint8Array,
  float8e4m3fnuz: Uint8Array,
  float8e5m2: Uint8Array,
  float8e5m2fnuz: Uint8Array,
};

const PACKED4: ReadonlySet<DType> = new Set(['int4', 'uint4']);

/** Array length that holds `count` elements of `type` (int4/uint4 pack two per byte). */
export function storageLength(type: DType, count: number): number {
  return PACKED4.has(type) ? Math.ceil(count / 2) : count;
}

/** Bytes `count` elements of `type` take in raw_data (strings have no raw form: null). */
export function rawByteLength(type: DType, count: number): number | null {
  if (type === 'string') return null;
  return storageLength(type, count) * ARRAY_OF[type].BYTES_PER_ELEMENT;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** A protobuf int64 as decoded by protobufjs: a number, or a Long when the `long` package is present. */
type Int64Like = number | { low: number; high: number; unsigned?: boolean };

function toBigInt(v: Int64Like, unsigned: boolean): bigint {
  if (typeof v === 'number') return unsigned ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
  const b = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? b : BigInt.asIntN(64, b);
}

function toNumber(v: Int64Like): number {
  return typeof v === 'number' ? v : Number(toBigInt(v, false));
}

function describe(p: ITensorProto): string {
  return p.name ? `tensor "${p.name}"` : 'an unnamed tensor';
}

/** Copies bytes into a fresh, aligned buffer and views them as `type`'s array. */
export function fromRaw(type: NumericDType, bytes: Uint8Array, length: number): Exclude<TensorData, string[]> {
  const Ctor = ARRAY_OF[type];
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return new Ctor(copy, 0, length);
}

/** Reads the bytes of an EXTERNAL tensor: `location` relative to baseDir, optional offset/length. */
function readExternal(p: ITensorProto, baseDir: string | undefined): Uint8Array {
  const entries = new Map((p.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new ModelInputError(`${describe(p)} has data_location EXTERNAL but no "location" entry.`);
  if (baseDir === undefined)
    throw new ModelInputError(`${describe(p)} keeps its data in external file "${location}", but no base directory was given to find it.`);
  if (isAbsolute(location) || normalize(location).startsWith('..')) {
    throw new ModelInputError(`${describe(p)} names external file "${location}", which lies outside the model's directory.`);
  }
  const file = join(baseDir, location);
  const offset = Number(entries.get('offset') ?? '0');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new ModelInputError(`External data file ${file} of ${describe(p)} cannot be opened.`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ModelInputError(`External data ${file} of ${describe(p)} is not a file.`);
    const size = stat.size;
    const length = entries.has('length') ? Number(entries.get('length')) : size - offset;
    if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
      throw new ModelInputError(
        `External data of ${describe(p)} (offset ${offset}, length ${length}) runs past the end of ${file} (${size} bytes).`,
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Decodes one TensorProto. Raw data is little-endian; typed fields follow onnx.proto's rules
 * (int32_data also carries int8/16, uint8/16, bool, float16/bfloat16/float8 bits and packed int4 bytes;
 * uint64_data carries uint32/uint64). A data length that disagrees with the dims is an error (exit 2).
 * `baseDir` is where EXTERNAL data locations are resolved.
 */
export function tensorFromProto(p: ITensorProto, baseDir?: string): Tensor {
  const dims = (p.dims ?? []).map((d) => toNumber(d as Int64Like));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new ModelInputError(`${describe(p)} has invalid dims [${dims.join(', ')}].`);
  }
  const code = p.dataType ?? 0;
  const type = DTYPE_FROM_ONNX[code];
  if (!type) {
    throw new ModelInputError(
      `${describe(p)} has element type ${ONNX_DTYPE_NAME[code] ?? code}, which npuval cannot represent as a tensor.`,
    );
  }
  const count = elementCount(dims);
  const mismatch = (field: string, got: number, want: number): ModelInputError =>
    new ModelInputError(`${describe(p)} has ${got} ${field} but its dims [${dims.join(', ')}] (${type}) need ${want}.`);

  if (type === 'string') {
    const strings = p.stringData ?? [];
    if (strings.length !== count) throw mismatch('string_data entries', strings.length, count);
    const dec = new TextDecoder();
    return { type, dims, data: strings.map((s) => dec.decode(s)) };
  }

  const length = storageLength(type, count);
  let raw: Uint8Array | null = null;
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) raw = readExternal(p, baseDir);
  else if (p.rawData && p.rawData.length > 0) raw = p.rawData;
  if (raw) {
    const want = rawByteLength(type, count)!;
    if (raw.length !== want) throw mismatch('bytes of raw data', raw.length, want);
    return { type, dims, data: fromRaw(type, raw, length) };
  }
  return { type, dims, data: fromTypedFields(p, type, length, mismatch) };
}

function fromTypedFields(
  p: ITensorProto,
  type: NumericDType,
  length: number,
  mismatch: (field: string, got: number, want: number) => Error,
): Exclude<TensorData, string[]> {
  const check = <T extends { length: number }>(field: string, a: T): T => {
    if (a.length !== length) throw mismatch(`${field} entries`, a.length, length);
    return a;
  };
  switch (type) {
    case 'float32':
      return Float32Array.from(check('float_data', p.floatData ?? []));
    case 'float64':
      return Float64Array.from(check('double_data', p.doubleData ?? []));
    case 'int64':
      return BigInt64Array.from(check('int64_data', p.int64Data ?? []), (v) => toBigInt(v as Int64Like, false));
    case 'uint64':
      return BigUint64Array.from(check('uint64_data', p.uint64Data ?? []), (v) => toBigInt(v as Int64Like, true));
    case 'uint32':
      return Uint32Array.from(check('uint64_data', p.uint64Data ?? []), (v) => Number(toBigInt(v as Int64Like, true)));
    case 'bool':
      return Uint8Array.from(check('int32_data', p.int32Data ?? []), (v) => (v ? 1 : 0));
    default: {
      // int8/16/32, uint8/16, float16/bfloat16/float8 bits, packed int4 bytes: all in int32_data.
      const src = check('int32_data', p.int32Data ?? []);
      const out = new ARRAY_OF[type](length) as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array;
      for (let i = 0; i < length; i++) out[i] = src[i]!;
      return out;
    }
  }
}

/** Encodes a Tensor as a TensorProto named `name`: raw_data for every type except string (string_data). */
export function tensorToProto(t: Tensor, name: string): OnnxTensorProto {
  const count = elementCount(t.dims);
  const base = { name, dims: [...t.dims], dataType: ONNX_DTYPE[t.type] };
  if (t.type === 'string') {
    const strings = t.data as string[];
    if (strings.length !== count)
      throw new ModelInputError(`Tensor "${name}" has ${strings.length} strings but dims [${t.dims.join(', ')}] need ${count}.`);
    const enc = new TextEncoder();
    return onnx.TensorProto.create({ ...base, stringData: strings.map((s) => enc.encode(s)) });
  }
  const data = t.data as Exclude<TensorData, string[]>;
  const want = storageLength(t.type, count);
  if (data.length !== want) {
    throw new ModelInputError(`Tensor "${name}" has ${data.length} ${t.type} array entries but dims [${t.dims.join(', ')}] need ${want}.`);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return onnx.TensorProto.create({ ...base, rawData: bytes.slice() });
}

// SequenceProto, MapProto and OptionalProto live in onnx-data.proto, which onnx-proto does not ship.
// They are declared here for protobufjs with the field numbers of onnx-data.proto (ONNX 1.10+);
// nested TensorProtos are declared as bytes (the wire form of an embedded message) and decoded by onnx-proto.
const dataRoot = protobuf.Root.fromJSON({
  nested: {
    SequenceProto: {
      fields: {
        name: { type: 'string', id: 1 },
        elemType: { type: 'int32', id: 2 },
        tensorValues: { rule: 'repeated', type: 'bytes', id: 3 },
        sparseTensorValues: { rule: 'repeated', type: 'bytes', id: 4 },
        sequenceValues: { rule: 'repeated', type: 'SequenceProto', id: 5 },
        mapValues: { rule: 'repeated', type: 'MapProto', id: 6 },
        optionalValues: { rule: 'repeated', type: 'OptionalProto', id: 7 },
      },
    },
    MapProto: {
      fields: {
        name: { type: 'string', id: 1 },
        keyType: { type: 'int32', id: 2 },
        keys: { rule: 'repeated', type: 'int64', id: 3 },
        stringKeys: { rule: 'repeated', type: 'bytes', id: 4 },
        values: { type: 'SequenceProto', id: 5 },
      },
    },
    OptionalProto: {
      fields: {
        name: { type: 'string', id: 1 },
        elemType: { type: 'int32', id: 2 },
        tensorValue: { type: 'bytes', id: 3 },
        sparseTensorValue: { type: 'bytes', id: 4 },
        sequenceValue: { type: 'SequenceProto', id: 5 },
        mapValue: { type: 'MapProto', id: 6 },
        optionalValue: { type: 'OptionalProto', id: 7 },
      },
    },
  },
});
const SequenceType = dataRoot.lookupType('SequenceProto');
const MapType = dataRoot.lookupType('MapProto');
const OptionalType = dataRoot.lookupType('OptionalProto');

/** onnx-data.proto's elem_type codes, shared by SequenceProto and OptionalProto. */
export const ELEM_TYPE = { undefined: 0, tensor: 1, sparseTensor: 2, sequence: 3, map: 4, optional: 5 } as const;

interface SequenceMsg {
  name?: string;
  elemType?: number;
  tensorValues?: Uint8Array[];
  sparseTensorValues?: Uint8Array[];
  sequenceValues?: SequenceMsg[];
  mapValues?: MapMsg[];
  optionalValues?: OptionalMsg[];
}
interface MapMsg {
  name?: string;
  keyType?: number;
  keys?: Int64Like[];
  stringKeys?: Uint8Array[];
  values?: SequenceMsg | null;
}
interface OptionalMsg {
  name?: string;
  elemType?: number;
  tensorValue?: Uint8Array | null;
  sparseTensorValue?: Uint8Array | null;
  sequenceValue?: SequenceMsg | null;
  mapValue?: MapMsg | null;
  optionalValue?: OptionalMsg | null;
}

function decodeTensorBytes(b: Uint8Array, baseDir: string | undefined): Tensor {
  return tensorFromProto(onnx.TensorProto.decode(b), baseDir);
}

function sequenceValue(m: SequenceMsg, baseDir: string | undefined): Value[] {
  const elem = m.elemType ?? 0;
  switch (elem) {
    case ELEM_TYPE.tensor:
      return (m.tensorValues ?? []).map((b) => decodeTensorBytes(b, baseDir));
    case ELEM_TYPE.sequence:
      return (m.sequenceValues ?? []).map((s) => sequenceValue(s, baseDir));
    case ELEM_TYPE.map:
      return (m.mapValues ?? []).map((x) => mapValue(x, baseDir));
    case ELEM_TYPE.optional:
      return (m.optionalValues ?? []).map((x) => optionalValue(x, baseDir));
    case ELEM_TYPE.undefined:
      // An empty sequence may leave elem_type unset.
      if (!(m.tensorValues?.length || m.sequenceValues?.length || m.mapValues?.length || m.optionalValues?.length)) return [];
      break;
  }
  throw new ModelInputError(
    `Sequence "${m.name ?? ''}" has element type ${elem}, which npuval cannot read (sparse tensors are not supported).`,
  );
}

/**
 * A map becomes a list of [key, value] pairs: key a scalar tensor of the key type, value the map's
 * value at that position (maps have no Tensor form; ORT's JavaScript API cannot feed them either).
 */
function mapValue(m: MapMsg, baseDir: string | undefined): Value[] {
  const keyType = DTYPE_FROM_ONNX[m.keyType ?? 0];
  if (!keyType) throw new ModelInputError(`Map "${m.name ?? ''}" has key type ${m.keyType}, which is not a valid map key type.`);
  const values = m.values ? sequenceValue(m.values, baseDir) : [];
  const keys: Tensor[] =
    keyType === 'string'
      ? (m.stringKeys ?? []).map((s) => ({ type: 'string', dims: [], data: [new TextDecoder().decode(s)] }))
      : (m.keys ?? []).map((k) => {
          const data = new ARRAY_OF[keyType as NumericDType](1);
          const big = toBigInt(k, keyType === 'uint64');
          if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[0] = big;
          else data[0] = Number(big);
          return { type: keyType, dims: [], data };
        });
  if (keys.length !== values.length)
    throw new ModelInputError(`Map "${m.name ?? ''}" has ${keys.length} keys but ${values.length} values.`);
  return keys.map((k, i) => [k, values[i]!]);
}

function optionalValue(m: OptionalMsg, baseDir: string | undefined): Value {
  switch (m.elemType ?? 0) {
    case ELEM_TYPE.undefined:
      return null;
    case ELEM_TYPE.tensor:
      return m.tensorValue ? decodeTensorBytes(m.tensorValue, baseDir) : null;
    case ELEM_TYPE.sequence:
      return m.sequenceValue ? sequenceValue(m.sequenceValue, baseDir) : null;
    case ELEM_TYPE.map:
      return m.mapValue ? mapValue(m.mapValue, baseDir) : null;
    case ELEM_TYPE.optional:
      return m.optionalValue ? optionalValue(m.optionalValue, baseDir) : null;
  }
  throw new ModelInputError(
    `Optional "${m.name ?? ''}" has element type ${m.elemType}, which npuval cannot read (sparse tensors are not supported).`,
  );
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ModelInputError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
}

/** Reads a serialized TensorProto (an ONNX test's input_N.pb); external data resolves beside the file. */
export function readTensorFile(path: string): Tensor {
  return readValueFile(path, 'tensor') as Tensor;
}

export type ValueKind = 'tensor' | 'sequence' | 'optional' | 'map';

/**
 * Reads a serialized TensorProto, SequenceProto, OptionalProto or MapProto (`kind` says which: the
 * files themselves don't). Sequences become arrays, an empty optional null, a map a list of [key, value] pairs.
 */
export function readValueFile(path: string, kind: ValueKind): Value {
  return decodeValueBytes(readBytes(path), kind, path, dirname(path));
}

/** readValueFile's reading of bytes already in memory: `path` names them in errors, `baseDir` holds any external data. */
export function decodeValueBytes(bytes: Uint8Array, kind: ValueKind, path: string, baseDir: string): Value {
  let decoded: unknown;
  try {
    if (kind === 'tensor') decoded = onnx.TensorProto.decode(bytes);
    else decoded = (kind === 'sequence' ? SequenceType : kind === 'map' ? MapType : OptionalType).decode(bytes);
  } catch (err) {
    throw new ModelInputError(`${path} is not a serialized ${kind} protobuf (${(err as Error).message}).`);
  }
  try {
    if (kind === 'tensor') return tensorFromProto(decoded as ITensorProto, baseDir);
    if (kind === 'sequence') return sequenceValue(decoded as SequenceMsg, baseDir);
    if (kind === 'map') return mapValue(decoded as MapMsg, baseDir);
    return optionalValue(decoded as OptionalMsg, baseDir);
  } catch (err) {
    if (err instanceof ModelInputError) throw new ModelInputError(`${path}: ${err.message}`);
    throw err;
  }
}

function isTensor(v: Value): v is Tensor {
  return v !== null && !Array.isArray(v);
}

function sequenceMsg(values: readonly Value[], name: string): SequenceMsg {
  const first = values[0];
  if (first === undefined) return { name, elemType: ELEM_TYPE.tensor };
  if (isTensor(first)) {
    return {
      name,
      elemType: ELEM_TYPE.tensor,
      tensorValues: values.map((v, i) => {
        if (!isTensor(v)) throw new ModelInputError(`Sequence "${name}" mixes tensors with other values at position ${i}.`);
        return onnx.TensorProto.encode(tensorToProto(v, '')).finish();
      }),
    };
  }
  if (first === null) return { name, elemType: ELEM_TYPE.optional, optionalValues: values.map((v) => optionalMsg(v, '')) };
  return { name, elemType: ELEM_TYPE.sequence, sequenceValues: values.map((v) => sequenceMsg(v as Value[], '')) };
}

function optionalMsg(v: Value, name: string): OptionalMsg {
  if (v === null) return { name, elemType: ELEM_TYPE.undefined };
  if (isTensor(v)) return { name, elemType: ELEM_TYPE.tensor, tensorValue: onnx.TensorProto.encode(tensorToProto(v, '')).finish() };
  return { name, elemType: ELEM_TYPE.sequence, sequenceValue: sequenceMsg(v, '') };
}

/** Serializes a value the way readValueFile reads it back (tensor, sequence or optional). */
export function encodeValue(v: Value, kind: Exclude<ValueKind, 'map'>, name = ''): Uint8Array {
  if (kind === 'tensor') {
    if (!isTensor(v)) throw new ModelInputError(`Value "${name}" is not a tensor.`);
    return onnx.TensorProto.encode(tensorToProto(v, name)).finish();
  }
  if (kind === 'sequence') {
    if (!Array.isArray(v)) throw new ModelInputError(`Value "${name}" is not a sequence.`);
    return SequenceType.encode(SequenceType.fromObject(sequenceMsg(v, name))).finish();
  }
  return OptionalType.encode(OptionalType.fromObject(optionalMsg(v, name))).finish();
}

/** Serializes a map (int64 or string keys) as a MapProto; values are tensors. */
export function encodeMap(
  entries: readonly (readonly [number | bigint | string, Tensor])[],
  keyType: 'int64' | 'string',
  name = '',
): Uint8Array {
  const enc = new TextEncoder();
  const msg: MapMsg = {
    name,
    keyType: ONNX_DTYPE[keyType],
    keys: keyType === 'int64' ? entries.map(([k]) => Number(k)) : [],
    stringKeys: keyType === 'string' ? entries.map(([k]) => enc.encode(String(k))) : [],
    values: sequenceMsg(
      entries.map(([, t]) => t),
      '',
    ),
  };
  return MapType.encode(MapType.fromObject(msg)).finish();
}

/**
 * Decodes ONNX model bytes. Non-ONNX or truncated bytes throw one sentence (exit 2); `what` names
 * the source in that sentence (e.g. the file path).
 */
export function decodeModel(bytes: Uint8Array, what = 'The input'): OnnxModel {
  let m: OnnxModel;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const msg = (err as Error).message;
    const truncated = /index out of range/.test(msg);
    throw new ModelInputError(
      `${what} is not a valid ONNX model: ${truncated ? 'the protobuf ends early (truncated file?)' : `protobuf decoding failed (${msg})`}.`,
    );
  }
  if (!m.graph || !(toNumber(m.irVersion as Int64Like) > 0)) {
    throw new ModelInputError(`${what} is not an ONNX model: it has no ${m.graph ? 'ir_version' : 'graph'}.`);
  }
  return m;
}

/** A dimension count or int64 field of a decoded proto as a plain number. */
export function int64ToNumber(v: number | { low: number; high: number; unsigned?: boolean } | null | undefined): number {
  return v === null || v === undefined ? 0 : toNumber(v);
}
