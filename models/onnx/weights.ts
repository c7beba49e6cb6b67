// Seeded dummy weights (vLLM `--load-format dummy` style): real shapes, synthetic values.
// Every tensor has its own stream, seeded from (model seed, tensor name), so a tensor's values do not
// depend on the order tensors are generated in or on the chunk size used to write them; this is what
// lets big models be written one chunk at a time with bounded memory.
import { toBfloat16Bits, toHalfBits } from './half.js';

/** How an initializer's values are made. */
export type Fill =
  | { readonly kind: 'normal'; readonly std: number; readonly mean?: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'data'; readonly values: ArrayLike<number> | readonly bigint[] };

/** An initializer to be generated on demand. */
export interface WeightSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dtype: 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';
  readonly fill: Fill;
}

export const BYTES: Readonly<Record<WeightSpec['dtype'], number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
  int8: 1,
};

export function weightElements(w: Pick<WeightSpec, 'dims'>): number {
  return w.dims.reduce((a, b) => a * b, 1);
}

export function weightBytes(w: WeightSpec): number {
  return weightElements(w) * BYTES[w.dtype];
}

/** FNV-1a of a string, for per-tensor seeds. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counter): 32-bit state words, good statistical quality, fast in JS. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number, stream = '') {
    const h = fnv1a(`${seed >>> 0}:${stream}`);
    this.a = h;
    this.b = 0x9e3779b9 ^ seed;
    this.c = 0x243f6a88;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.u32(); // mix the seed through the state
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, both values of each pair used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.uniform(); // (0, 1]: log is finite
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Produces the raw little-endian bytes of `w` in chunks of at most `chunkElems` elements.
 * The same (spec, seed) always yields the same bytes whatever the chunk size.
 */
export function* weightChunks(w: WeightSpec, seed: number, chunkElems = 1 << 20): Generator<Uint8Array> {
  const n = weightElements(w);
  const rng = new Rng(seed, w.name);
  const f = w.fill;
  for (let start = 0; start < n; start += chunkElems) {
    const count = Math.min(chunkElems, n - start);
    const vals = new Float64Array(count);
    if (f.kind === 'normal') {
      const mean = f.mean ?? 0;
      for (let i = 0; i < count; i++) vals[i] = mean + f.std * rng.normal();
    } else if (f.kind === 'constant') {
      vals.fill(f.value);
    } else if (w.dtype !== 'int64') {
      for (let i = 0; i < count; i++) vals[i] = Number(f.values[start + i]);
    }
    yield encodeChunk(w, vals, f.kind === 'data' && w.dtype === 'int64' ? (f.values as ArrayLike<number | bigint>) : null, start);
  }
}

function encodeChunk(w: WeightSpec, vals: Float64Array, ints: ArrayLike<number | bigint> | null, start: number): Uint8Array {
  const count = vals.length;
  let arr: ArrayBufferView;
  switch (w.dtype) {
    case 'float32':
      arr = Float32Array.from(vals);
      break;
    case 'float64':
      arr = vals;
      break;
    case 'float16': {
      const a = new Uint16Array(count);
      for (let i = 0; i < count; i++) a[i] = toHalfBits(vals[i]!);
      arr = a;
      break;
    }
    case 'bfloat16': {
      const a = new Uint16Array(count);
      for (let i = 0; i < count; i++) a[i] = toBfloat16Bits(vals[i]!);
      arr = a;
      break;
    }
    case 'int64': {
      const a = new BigInt64Array(count);
      for (let i = 0; i < count; i++) a[i] = ints ? BigInt(ints[start + i]!) : BigInt(Math.round(vals[i]!));
      arr = a;
      break;
    }
    case 'int32':
      arr = Int32Array.from(vals, Math.round);
      break;
    case 'int8':
      arr = Int8Array.from(vals, Math.round);
      break;
    case 'uint8':
      arr = Uint8Array.from(vals, Math.round);
      break;
    case 'bool':
      arr = Uint8Array.from(vals, (v) => (v ? 1 : 0));
      break;
  }
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** All of `w`'s bytes at once (small tensors and in-memory models only). */
export function weightBytesOf(w: WeightSpec, seed: number): Uint8Array {
  const out = new Uint8Array(weightBytes(w));
  let off = 0;
  for (const c of weightChunks(w, seed)) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
