// Seeded mutations of valid inputs: byte-level ones for any reader (bit flips, byte insert/delete,
// truncation, splices, interesting integers, varint and length-field corruption) and a structural
// one for JSON-shaped inputs (a node of the parsed tree replaced, deleted, duplicated or moved), so
// text readers are fuzzed past their JSON syntax check too.
import type { Rng } from '../../harness/random.js';

/** Integers at the edges of the widths readers use (sign, 8/16/32/53/64 bits). */
const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const INTERESTING_BIG = [0n, 1n, -1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

/** A field of an input whose value is a length or count: corrupting it is the mutation most readers must survive. */
export interface LengthField {
  readonly offset: number;
  /** Width in bytes, little-endian. */
  readonly width: 1 | 2 | 4 | 8;
}

export type Mutator = (rng: Rng, input: Uint8Array, other: Uint8Array) => Uint8Array;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)]!;

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** `width` bytes of `value` (two's complement), little- or big-endian. */
function intBytes(value: bigint, width: number, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width; i++) {
    out[littleEndian ? i : width - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A protobuf varint of `value` (10 bytes for negative int64s), or an overlong / unterminated one. */
function varint(rng: Rng): Uint8Array {
  const shape = rng.int(8);
  if (shape === 0) return Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01); // 11 bytes: too long
  if (shape === 1) return new Uint8Array(1 + rng.int(10)).fill(0xff); // never terminated
  let v = BigInt.asUintN(64, pick(rng, INTERESTING_BIG) + BigInt(rng.int(3)) - 1n);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return Uint8Array.from(out);
}

export const BYTE_MUTATORS: readonly Mutator[] = [
  // Bit flip.
  (rng, b) => {
    if (!b.length) return b;
    const out = b.slice();
    out[rng.int(out.length)]! ^= 1 << rng.int(8);
    return out;
  },
  // A random byte.
  (rng, b) => {
    if (!b.length) return b;
    const out = b.slice();
    out[rng.int(out.length)] = rng.int(256);
    return out;
  },
  // Insert 1–16 bytes (random, or one byte repeated).
  (rng, b) => {
    const at = rng.int(b.length + 1);
    const n = 1 + rng.int(16);
    const fill = rng.int(2) ? rng.int(256) : -1;
    const ins = Uint8Array.from({ length: n }, () => (fill >= 0 ? fill : rng.int(256)));
    return join(b.subarray(0, at), ins, b.subarray(at));
  },
  // Delete a range.
  (rng, b) => {
    if (!b.length) return b;
    const at = rng.int(b.length);
    const n = 1 + rng.int(Math.min(64, b.length - at));
    return join(b.subarray(0, at), b.subarray(at + n));
  },
  // Truncate.
  (rng, b) => b.subarray(0, rng.int(b.length + 1)),
  // Duplicate a range elsewhere.
  (rng, b) => {
    if (!b.length) return b;
    const from = rng.int(b.length);
    const chunk = b.subarray(from, from + 1 + rng.int(64));
    const at = rng.int(b.length + 1);
    return join(b.subarray(0, at), chunk, b.subarray(at));
  },
  // Splice: the head of this input and the tail of another.
  (rng, b, other) => join(b.subarray(0, rng.int(b.length + 1)), other.subarray(rng.int(other.length + 1))),
  // An interesting integer over 1, 2, 4 or 8 bytes, either byte order.
  (rng, b) => {
    if (!b.length) return b;
    const width = pick(rng, [1, 2, 4, 8]);
    const at = rng.int(b.length);
    const value = rng.int(2) ? BigInt(pick(rng, INTERESTING)) : pick(rng, INTERESTING_BIG);
    const out = b.slice();
    out.set(intBytes(value, width, rng.int(4) > 0).subarray(0, out.length - at), at);
    return out;
  },
  // Replace the varint starting at a random byte (a protobuf tag, length or value) by an extreme one.
  (rng, b) => {
    if (!b.length) return b;
    const at = rng.int(b.length);
    let end = at;
    while (end < b.length && end - at < 10 && b[end]! & 0x80) end++;
    return join(b.subarray(0, at), varint(rng), b.subarray(Math.min(b.length, end + 1)));
  },
];

/** Sets one of the input's declared length fields to an interesting value (or ± a little of its own). */
export function corruptLengthField(rng: Rng, b: Uint8Array, fields: readonly LengthField[]): Uint8Array {
  const f = fields.length ? pick(rng, fields) : null;
  if (!f || f.offset + f.width > b.length) return b;
  const out = b.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const current = f.width === 8 ? view.getBigUint64(f.offset, true) : BigInt(readLE(view, f));
  const value = rng.int(2) ? pick(rng, INTERESTING_BIG) : current + BigInt(rng.int(17) - 8);
  out.set(intBytes(value, f.width, true), f.offset);
  return out;
}

function readLE(view: DataView, f: LengthField): number {
  return f.width === 1 ? view.getUint8(f.offset) : f.width === 2 ? view.getUint16(f.offset, true) : view.getUint32(f.offset, true);
}

// ── JSON structure ───────────────────────────────────────────────────────────────────────────

/** Values that break assumptions about a field: wrong type, empty, huge, negative, non-finite-ish. */
const JSON_ODDITIES: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53,
  '',
  'x'.repeat(300),
  '../../outside',
  '.',
  'model.onnx',
  '\u0000',
  [],
  {},
  [null],
  { id: null },
  true,
  false,
  'ort:cpu',
  'proc:',
  'endpoint:http://127.0.0.1:9/v1',
];

/** Strings that name nothing usable: the current or parent folder, the root, a device, a number as text. */
const STRING_ODDITIES = ['', '.', '..', '/', '../x', 'model.onnx', '-1', '1e400', 'NaN', '\u0000', 'x'.repeat(300), 'ort:cpu', '%s%n'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every container in the tree with its keys, so a node can be picked uniformly. */
function slots(value: Json, out: { parent: Json[] | Record<string, Json>; key: string | number }[] = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      slots(v, out);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value, key: k });
      slots(v, out);
    }
  }
  return out;
}

/** A structural mutation of a parsed JSON value (mutated in place where possible; the result is returned). */
export function mutateJson(rng: Rng, root: unknown): unknown {
  const tree = root as Json;
  const all = slots(tree);
  if (!all.length) return pick(rng, JSON_ODDITIES);
  const s = pick(rng, all);
  const get = (x: (typeof all)[number]) => (x.parent as Record<string | number, Json>)[x.key]!;
  const set = (v: unknown) => {
    (s.parent as Record<string | number, unknown>)[s.key] = v;
  };
  switch (rng.int(5)) {
    case 0:
      set(structuredClone(pick(rng, JSON_ODDITIES)));
      break;
    case 1: // delete
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
      break;
    case 2: // another node of the tree here (a plan where a unit belongs, a string where a number does)
      set(structuredClone(get(pick(rng, all))));
      break;
    case 3: {
      // a number nudged to its edges, a string made a path or name that readers must refuse
      const v = get(s);
      if (typeof v === 'number') set(pick(rng, [v + 1, v - 1, -v, v * 1e6, Math.floor(v / 2)]));
      else if (typeof v === 'string') set(pick(rng, STRING_ODDITIES));
      else set(pick(rng, JSON_ODDITIES));
      break;
    }
    default:
      // a duplicate array element, or a repeated key under a new name
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 0, structuredClone(get(s)));
      else s.parent[`${String(s.key)}_`] = structuredClone(get(s));
  }
  return tree;
}
