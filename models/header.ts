// A cheap plan-time check that a file is an ONNX model, without reading its weights: the file
// exists, is a regular file we can read, and its top-level protobuf fields are ModelProto's (each
// known field with its wire type, every length inside the file, a graph present). Lengths are
// skipped, not read, so a multi-GB model costs a few small reads. The full parse still happens
// when the model is loaded (models/inspect.ts).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { ModelInputError } from './errors.js';

/** ModelProto's fields (onnx.proto3): number → wire type (0 varint, 2 length-delimited). */
const MODEL_FIELDS: Readonly<Record<number, number>> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2 };
const GRAPH_FIELD = 7;

/** Reads a varint at `pos`; null when it does not end within 10 bytes or the file. */
function varint(fd: number, pos: number, size: number): { value: number; next: number } | null {
  const buf = Buffer.alloc(10);
  const n = readSync(fd, buf, 0, Math.min(10, size - pos), pos);
  let value = 0;
  for (let i = 0; i < n; i++) {
    value += (buf[i]! & 0x7f) * 2 ** (7 * i);
    if ((buf[i]! & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  return null;
}

/** Why the bytes are not a ModelProto, or null when they look like one. */
function notModelProto(fd: number, size: number): string | null {
  if (size === 0) return 'the file is empty';
  let pos = 0;
  let graph = false;
  while (pos < size) {
    const key = varint(fd, pos, size);
    if (!key) return `byte ${pos} does not start a protobuf field`;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    const expected = MODEL_FIELDS[field];
    if (field === 0 || ![0, 1, 2, 5].includes(wire) || (expected !== undefined && expected !== wire))
      return `byte ${pos} is not a ModelProto field`;
    let next: number;
    if (wire === 0) {
      const v = varint(fd, key.next, size);
      if (!v) return `the field at byte ${pos} is cut off`;
      next = v.next;
    } else if (wire === 2) {
      const len = varint(fd, key.next, size);
      if (!len) return `the field at byte ${pos} is cut off`;
      next = len.next + len.value;
    } else {
      next = key.next + (wire === 1 ? 8 : 4);
    }
    if (next > size) return `the field at byte ${pos} runs past the end of the file (truncated?)`;
    if (field === GRAPH_FIELD) graph = true;
    pos = next;
  }
  return graph ? null : 'it has no graph';
}

/** Throws ModelInputError (exit 2), one sentence, unless `path` is a readable regular file that parses as an ONNX ModelProto at the top level. */
export function checkOnnxHeader(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile())
      throw new ModelInputError(`model file ${path} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not an ONNX file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ModelInputError) throw err;
    throw new ModelInputError(`model file ${path} does not exist`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ModelInputError(`model file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const why = notModelProto(fd, size);
    if (why) throw new ModelInputError(`model file ${path} is not a valid ONNX model: ${why}`);
  } finally {
    closeSync(fd);
  }
}
