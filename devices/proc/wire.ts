// The `proc:` protocol's wire format (devices/PROTOCOL.md, "Frames" and "Values"): length-prefixed
// frames of a JSON header and a raw payload, and npuval values (tensors, sequences, absent optionals)
// as header descriptors over payload bytes. Both ends use it: the device's client (connection.ts)
// and the adapter side (server.ts). Nothing here spawns or times anything.
import type { DType, Tensor, TensorData, Value } from '../types.js';
import { ARRAY_OF, elementCount, ONNX_DTYPE, rawByteLength, storageLength } from '../../models/onnx/tensor.js';

/** Protocol versions this build speaks, oldest first. */
export const PROTOCOL_VERSIONS: readonly number[] = [1];

/** Bytes 0–3 of every frame: ASCII "NPUV". */
export const MAGIC = Uint8Array.of(0x4e, 0x50, 0x55, 0x56);
/** magic (4) + header length u32 LE (4) + payload length u64 LE (8). */
export const PREFIX_BYTES = 16;
/** Every tensor's bytes start at a payload offset that is a multiple of this. */
export const ALIGN = 64;
/** A longer header is refused as a broken stream (no JSON header needs 16 MiB). */
export const MAX_HEADER_BYTES = 16 << 20;

/** Every element type the protocol carries: npuval's DType, one to one. */
export const DTYPES = Object.keys(ONNX_DTYPE) as readonly DType[];

export type Header = Record<string, unknown>;

/** A tensor's descriptor in a header: its bytes are payload[offset, offset + nbytes). */
export interface TensorDesc {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly nbytes: number;
}

/** A value in a header: a tensor, a sequence of values, or null (an absent optional). */
export type ValueDesc = TensorDesc | { readonly sequence: readonly ValueDesc[] } | null;

/** A frame or header that breaks the protocol; `id` is the request it belongs to, when that could be read. */
export class WireError extends Error {
  constructor(
    message: string,
    readonly id: number | null = null,
  ) {
    super(message);
  }
}

const ZEROS = new Uint8Array(ALIGN);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Collects a payload: each added block starts at a multiple of ALIGN. Holds views, never copies. */
export class PayloadBuilder {
  readonly chunks: Uint8Array[] = [];
  size = 0;

  /** Appends bytes (after zero padding to ALIGN) and returns their offset. */
  add(bytes: Uint8Array): number {
    const pad = (ALIGN - (this.size % ALIGN)) % ALIGN;
    if (pad) this.push(ZEROS.subarray(0, pad));
    const offset = this.size;
    if (bytes.byteLength) this.push(bytes);
    return offset;
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
  }
}

/** The bytes of one frame, as chunks to write in order (the payload's chunks are views of the caller's data). */
export function encodeFrame(header: Header, payload?: PayloadBuilder): Uint8Array[] {
  const json = utf8.encode(JSON.stringify(header));
  const size = payload?.size ?? 0;
  const head = new Uint8Array(PREFIX_BYTES + json.byteLength);
  head.set(MAGIC, 0);
  const view = new DataView(head.buffer);
  view.setUint32(4, json.byteLength, true);
  view.setBigUint64(8, BigInt(size), true);
  head.set(json, PREFIX_BYTES);
  return payload && size ? [head, ...payload.chunks] : [head];
}

/** One decoded frame: its header (a JSON object) and its payload (a fresh, 0-aligned buffer). */
export interface Frame {
  readonly header: Header;
  readonly payload: Uint8Array;
}

/**
 * A frame whose prefix was sound but whose header is not a JSON object: the stream stays in step (the
 * lengths were read), so a receiver can answer it and go on. `id` is read from the header when possible.
 */
export interface BadFrame {
  readonly bad: string;
  readonly id: number | null;
  readonly payload: Uint8Array;
}

/**
 * Cuts a byte stream into frames. push() returns the frames (and bad frames) completed by a chunk; it
 * throws WireError when the stream cannot be in step any more (wrong magic, a header over
 * MAX_HEADER_BYTES), after which the reader must not be used. A payload is copied once, from the chunks
 * into its own buffer.
 */
export class FrameReader {
  /**
   * `allocate(n)`: the buffer a payload of n bytes is read into (n bytes long, starting at a multiple of
   * ALIGN in its ArrayBuffer); a fresh one by default.
   */
  constructor(private readonly allocate: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)) {}

  private state: 'prefix' | 'header' | 'payload' = 'prefix';
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private headerBytes = 0;
  private payloadBytes = 0;
  private parsed: Parsed = { header: {} };
  private payload: Uint8Array = new Uint8Array(0);
  private filled = 0;
  /** Stream offset where the frame in progress starts. */
  private frameStart = 0;
  private consumed = 0;

  /** True while a frame has begun but not ended: a stream that ends now was cut mid-frame. */
  get midFrame(): boolean {
    return this.state !== 'prefix' || this.pendingBytes > 0;
  }

  push(chunk: Uint8Array): (Frame | BadFrame)[] {
    const out: (Frame | BadFrame)[] = [];
    let at = 0;
    for (;;) {
      if (this.state === 'payload') {
        // Straight from the chunk into the payload buffer.
        const n = Math.min(this.payloadBytes - this.filled, chunk.byteLength - at);
        this.payload.set(chunk.subarray(at, at + n), this.filled);
        this.filled += n;
        at += n;
        if (this.filled < this.payloadBytes) break;
        out.push(
          'header' in this.parsed ? { header: this.parsed.header, payload: this.payload } : { ...this.parsed, payload: this.payload },
        );
        this.consumed += this.payloadBytes;
        this.state = 'prefix';
        this.frameStart = this.consumed;
        continue;
      }
      const need = this.state === 'prefix' ? PREFIX_BYTES : this.headerBytes;
      const take = Math.min(need - this.pendingBytes, chunk.byteLength - at);
      if (take > 0) this.pending.push(chunk.subarray(at, at + take));
      this.pendingBytes += take;
      at += take;
      if (this.pendingBytes < need) break;
      const bytes = this.pending.length === 1 ? this.pending[0]! : concat(this.pending, this.pendingBytes);
      this.consumed += this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      if (this.state === 'prefix') {
        this.readPrefix(bytes, chunk.subarray(at, at + 48));
        this.state = 'header';
      } else {
        this.parsed = parseHeader(bytes);
        // Aligned, so ALIGN-aligned tensors can be viewed in place.
        this.payload = this.allocatePayload();
        this.filled = 0;
        this.state = 'payload';
      }
    }
    return out;
  }

  /** A length no buffer can have (over the typed-array limit, or more than memory) is a broken stream, not a crash. */
  private allocatePayload(): Uint8Array {
    try {
      return this.allocate(this.payloadBytes);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new WireError(
        `a frame at byte ${this.frameStart} announces a ${this.payloadBytes}-byte payload, which cannot be allocated (${err.message})`,
      );
    }
  }

  /** `after`: the bytes that follow in the chunk, shown with the prefix when it is not one. */
  private readPrefix(bytes: Uint8Array, after: Uint8Array): void {
    if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2] || bytes[3] !== MAGIC[3]) {
      throw new WireError(
        `the stream holds bytes that are not a frame at byte ${this.frameStart} (a frame starts with "NPUV"; got ${printable(concat([bytes, after], bytes.byteLength + after.byteLength))})`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerBytes = view.getUint32(4, true);
    const payloadBytes = view.getBigUint64(8, true);
    if (headerBytes > MAX_HEADER_BYTES)
      throw new WireError(
        `a frame at byte ${this.frameStart} announces a ${headerBytes}-byte header, over the ${MAX_HEADER_BYTES}-byte limit`,
      );
    if (payloadBytes > BigInt(Number.MAX_SAFE_INTEGER))
      throw new WireError(`a frame at byte ${this.frameStart} announces a ${payloadBytes}-byte payload, over 2^53 - 1`);
    this.headerBytes = headerBytes;
    this.payloadBytes = Number(payloadBytes);
  }
}

type Parsed = { readonly header: Header } | { readonly bad: string; readonly id: number | null };

/** The header as an object, or why it is not one (with the request id when it can still be read). */
function parseHeader(bytes: Uint8Array): Parsed {
  let text: string;
  try {
    text = fromUtf8.decode(bytes);
  } catch {
    return { bad: 'the header is not UTF-8', id: null };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { bad: `the header is not JSON (${(err as Error).message})`, id: idIn(text) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { bad: 'the header is not a JSON object', id: null };
  return { header: parsed as Header };
}

/** A request id read from broken JSON text, when one is plainly there ("id": 12). */
function idIn(text: string): number | null {
  const m = /"id"\s*:\s*(\d{1,15})\b/.exec(text);
  return m ? Number(m[1]) : null;
}

export function isBadFrame(f: Frame | BadFrame): f is BadFrame {
  return 'bad' in f;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Up to 64 bytes as text a reader can recognise (a stray log line, a banner), control bytes escaped. */
export function printable(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 64);
  let s = '';
  for (const b of head) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0x0a ? '\\n' : `\\x${b.toString(16).padStart(2, '0')}`;
  return JSON.stringify(s);
}

// ── values ────────────────────────────────────────────────────────────────────────────────────

/** Puts a value's bytes in the payload and returns its descriptor. */
export function encodeValue(value: Value, payload: PayloadBuilder, what: string): ValueDesc {
  if (value === null) return null;
  if (Array.isArray(value)) return { sequence: value.map((v, i) => encodeValue(v, payload, `${what}[${i}]`)) };
  const t = value as Tensor;
  if (!DTYPES.includes(t.type)) throw new WireError(`${what} has element type "${t.type}", which the protocol does not carry`);
  const bytes = t.type === 'string' ? encodeStrings(t.data as string[]) : tensorBytes(t, what);
  return { dtype: t.type, shape: [...t.dims], offset: payload.add(bytes), nbytes: bytes.byteLength };
}

function tensorBytes(t: Tensor, what: string): Uint8Array {
  const data = t.data as Exclude<TensorData, string[]>;
  const count = elementCount(t.dims);
  const expected = storageLength(t.type, count);
  if (data.length !== expected)
    throw new WireError(`${what}: ${t.type}[${t.dims.join(',')}] needs ${expected} array elements but holds ${data.length}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** String tensors: each element as a u32 LE byte length and its UTF-8 bytes. */
function encodeStrings(items: readonly string[]): Uint8Array {
  const encoded = items.map((s) => utf8.encode(s));
  const out = new Uint8Array(encoded.reduce((n, b) => n + 4 + b.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of encoded) {
    view.setUint32(at, b.byteLength, true);
    out.set(b, at + 4);
    at += 4 + b.byteLength;
  }
  return out;
}

function decodeStrings(bytes: Uint8Array, count: number, what: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) throw new WireError(`${what}: string element ${i} runs past its ${bytes.byteLength} bytes`);
    const n = view.getUint32(at, true);
    if (at + 4 + n > bytes.byteLength) throw new WireError(`${what}: string element ${i} runs past its ${bytes.byteLength} bytes`);
    try {
      out.push(fromUtf8.decode(bytes.subarray(at + 4, at + 4 + n)));
    } catch {
      throw new WireError(`${what}: string element ${i} is not UTF-8`);
    }
    at += 4 + n;
  }
  if (at !== bytes.byteLength) throw new WireError(`${what}: ${count} strings take ${at} bytes, but nbytes is ${bytes.byteLength}`);
  return out;
}

/**
 * Reads a value from its descriptor and the frame's payload. Numeric tensors are views of the payload
 * (no copy) where the alignment allows. Throws WireError naming `what` when the descriptor is not one.
 */
export function decodeValue(desc: unknown, payload: Uint8Array, what: string): Value {
  if (desc === null) return null;
  if (typeof desc !== 'object' || desc === undefined || Array.isArray(desc))
    throw new WireError(`${what} is not a value descriptor (an object or null)`);
  const d = desc as Record<string, unknown>;
  if ('sequence' in d) {
    if (!Array.isArray(d.sequence)) throw new WireError(`${what}.sequence is not an array`);
    return d.sequence.map((v, i) => decodeValue(v, payload, `${what}.sequence[${i}]`));
  }
  const { dtype, shape, offset, nbytes } = d;
  if (typeof dtype !== 'string' || !DTYPES.includes(dtype as DType))
    throw new WireError(`${what}.dtype ${JSON.stringify(dtype)} is not a protocol element type`);
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new WireError(`${what}.shape is not an array of non-negative integers`);
  if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) % ALIGN !== 0)
    throw new WireError(`${what}.offset ${JSON.stringify(offset)} is not a non-negative multiple of ${ALIGN}`);
  if (!Number.isSafeInteger(nbytes) || (nbytes as number) < 0)
    throw new WireError(`${what}.nbytes ${JSON.stringify(nbytes)} is not a non-negative integer`);
  const start = offset as number;
  const size = nbytes as number;
  if (start + size > payload.byteLength)
    throw new WireError(`${what} lies at bytes ${start}–${start + size} of a ${payload.byteLength}-byte payload`);
  const type = dtype as DType;
  const dims = shape as number[];
  const count = elementCount(dims);
  const bytes = payload.subarray(start, start + size);
  if (type === 'string') return { type, dims, data: decodeStrings(bytes, count, what) };
  const expected = rawByteLength(type, count)!;
  if (size !== expected) throw new WireError(`${what}: ${type}[${dims.join(',')}] takes ${expected} bytes, but nbytes is ${size}`);
  const Ctor = ARRAY_OF[type];
  const length = storageLength(type, count);
  const data =
    bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0
      ? new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, length)
      : new Ctor(bytes.slice().buffer, 0, length);
  return { type, dims, data };
}

/** Encodes named values into a header object (name → descriptor) over one payload. */
export function encodeValues(values: Readonly<Record<string, Value>>, payload: PayloadBuilder, what: string): Record<string, ValueDesc> {
  const out: Record<string, ValueDesc> = {};
  for (const [name, v] of Object.entries(values)) out[name] = encodeValue(v, payload, `${what} "${name}"`);
  return out;
}

/** Decodes a header's name → descriptor object. */
export function decodeValues(descs: unknown, payload: Uint8Array, what: string): Record<string, Value> {
  if (typeof descs !== 'object' || descs === null || Array.isArray(descs)) throw new WireError(`${what} is not an object of name → value`);
  const out: Record<string, Value> = {};
  for (const [name, d] of Object.entries(descs)) out[name] = decodeValue(d, payload, `${what} "${name}"`);
  return out;
}
