// NumPy .npy files (format versions 1, 2 and 3), as numpy.save writes them: a magic string, a
// header that is a Python dict literal ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), })
// and the array's bytes. npuval reads little-endian numeric and bool arrays in C order; anything
// else is a ModelInputError (exit 2) naming the file.
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import { readFileSync } from 'node:fs';
import type { DType, Tensor } from '../devices/types.js';
import { ModelInputError } from './errors.js';
import { elementCount, fromRaw, rawByteLength } from './onnx/tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy type codes (kind + item size) → the tensor type that holds them. */
const DTYPE_OF: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

/** Parses a .npy file's bytes; `file` names it in errors. */
export function decodeNpy(bytes: Uint8Array, file: string): Tensor {
  const bad = (why: string) => new ModelInputError(`${file} is not an .npy array npuval can read: ${why}.`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('it does not start with the .npy magic string');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`format version ${major}.${bytes[7]} is not 1, 2 or 3`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (start + headerLength > bytes.length) throw bad('the header is cut short');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad('its header lacks descr, fortran_order or shape');
  if (fortran === 'True') throw bad('it is stored in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) first');
  const order = descr[0];
  const type = DTYPE_OF[descr.slice(1)];
  if (!type || !'<|='.includes(order ?? '') || (order === '|' && !descr.endsWith('1')))
    throw bad(
      order === '>' ? `its dtype ${descr} is big-endian` : `its dtype ${descr} is not a little-endian bool, integer or float (f2, f4, f8)`,
    );
  const dims = shapeText
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
    .map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`its shape (${shapeText}) is not a tuple of sizes`);
  const count = elementCount(dims);
  const want = rawByteLength(type, count)!;
  const data = bytes.subarray(start + headerLength);
  if (data.length !== want) throw bad(`shape (${shapeText}) of ${descr} needs ${want} bytes of data, but it holds ${data.length}`);
  return { type, dims, data: fromRaw(type as Exclude<DType, 'string'>, data, count) };
}

/** Reads an .npy file (see decodeNpy). */
export function readNpy(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelInputError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
  return decodeNpy(bytes, path);
}

/** Encodes a numeric tensor as a version 1.0 .npy file (C order, little-endian), e.g. for tests and fixtures. */
export function encodeNpy(t: Tensor): Uint8Array {
  const code = Object.entries(DTYPE_OF).find(([, type]) => type === t.type)?.[0];
  if (!code || Array.isArray(t.data)) throw new ModelInputError(`A ${t.type} tensor has no .npy form npuval writes.`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${code.endsWith('1') ? '|' : '<'}${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  // The header ends in a newline and pads magic + length + header to a multiple of 64 bytes.
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const data = t.data as ArrayBufferView;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC);
  out.set([1, 0, header.length & 0xff, header.length >> 8], 6);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
