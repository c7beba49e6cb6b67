// A decoder-with-past model (HF Optimum / onnxruntime-genai convention) on any Session: the I/O
// names and KV-cache geometry are read from session.inputs, so zoo presets and user exports that
// follow the convention work alike. One forward() = one Session.run; presents come back as ort
// tensors and are fed straight back as pasts (the ORT adapter passes them through untouched).
import type { DType, Session, Tensor, Value } from '../../devices/types.js';
import { fromHalfBits } from '../../models/onnx/half.js';
import { InputError } from '../errors.js';

export interface KvGeometry {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly dtype: 'float32' | 'float16';
}

/** One layer's cache tensors, in layer order: [key0, value0, key1, value1, …]. */
export type KvCache = Tensor[];

export interface ForwardResult {
  readonly logits: Tensor;
  readonly present: KvCache;
}

export class DecoderModel {
  readonly geometry: KvGeometry;
  readonly hasPositionIds: boolean;
  /** From the logits output's last dimension; null when the export leaves it symbolic. */
  readonly vocabSize: number | null;
  private readonly pastNames: string[];
  private readonly presentNames: string[];
  private readonly fetches: string[];

  constructor(
    readonly session: Session,
    readonly label: string,
  ) {
    const names = new Set(session.inputs.map((i) => i.name));
    for (const required of ['input_ids', 'attention_mask']) {
      if (!names.has(required))
        throw new InputError(
          `model ${label} has no "${required}" input; it does not follow the decoder-with-past convention (input_ids, attention_mask, position_ids, past_key_values.N.key/value)`,
        );
    }
    const layers = session.inputs.filter((i) => /^past_key_values\.\d+\.key$/.test(i.name)).length;
    if (layers === 0) throw new InputError(`model ${label} has no past_key_values.N.key inputs: it is not a decoder-with-past export`);
    const key0 = session.inputs.find((i) => i.name === 'past_key_values.0.key')!;
    const [, kvHeads, , headDim] = key0.shape ?? [];
    if (typeof kvHeads !== 'number' || typeof headDim !== 'number') {
      throw new InputError(
        `model ${label}: past_key_values.0.key has shape [${(key0.shape ?? []).join(', ')}]; the KV heads (dim 1) and head size (dim 3) must be fixed numbers`,
      );
    }
    if (key0.type !== 'float32' && key0.type !== 'float16')
      throw new InputError(`model ${label}: KV cache type ${key0.type} is not float32 or float16`);
    this.geometry = { layers, kvHeads, headDim, dtype: key0.type };
    this.hasPositionIds = names.has('position_ids');
    this.pastNames = [];
    this.presentNames = [];
    const outputs = new Set(session.outputs.map((o) => o.name));
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) {
        this.pastNames.push(`past_key_values.${i}.${kind}`);
        const present = `present.${i}.${kind}`;
        if (!outputs.has(present))
          throw new InputError(`model ${label} has no "${present}" output for its past_key_values.${i}.${kind} input`);
        this.presentNames.push(present);
      }
    }
    if (!outputs.has('logits')) throw new InputError(`model ${label} has no "logits" output`);
    const v = session.outputs.find((o) => o.name === 'logits')!.shape?.[2];
    this.vocabSize = typeof v === 'number' ? v : null;
    this.fetches = ['logits', ...this.presentNames];
  }

  /** A cache of length 0 for `batch` sequences (the prefill's past). */
  emptyCache(batch: number): KvCache {
    const { kvHeads, headDim, dtype } = this.geometry;
    const data = dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    return this.pastNames.map(() => ({ type: dtype as DType, dims: [batch, kvHeads, 0, headDim], data }));
  }

  /**
   * Runs one step. ids/positions are [batch, seq] row-major; mask is [batch, past + seq].
   * The caller owns the arrays and may reuse them once the promise settles.
   */
  async forward(ids: BigInt64Array, positions: BigInt64Array, mask: BigInt64Array, batch: number, past: KvCache): Promise<ForwardResult> {
    const seq = ids.length / batch;
    const feeds: Record<string, Value> = {
      input_ids: { type: 'int64', dims: [batch, seq], data: ids },
      attention_mask: { type: 'int64', dims: [batch, mask.length / batch], data: mask },
    };
    if (this.hasPositionIds) feeds.position_ids = { type: 'int64', dims: [batch, seq], data: positions };
    for (let i = 0; i < past.length; i++) feeds[this.pastNames[i]!] = past[i]!;
    const out = await this.session.run(feeds, this.fetches);
    return { logits: out.logits as Tensor, present: this.presentNames.map((n) => out[n] as Tensor) };
  }
}

/** Greedy choice per sequence from the LAST position's logits ([batch, seq, vocab]). */
export function argmaxLast(logits: Tensor, out: Int32Array = new Int32Array(logits.dims[0]!)): Int32Array {
  const [batch, seq, vocab] = logits.dims as [number, number, number];
  const data = logits.data;
  const half = logits.type === 'float16';
  for (let b = 0; b < batch; b++) {
    const base = (b * seq + seq - 1) * vocab;
    let best = 0;
    let bestValue = -Infinity;
    for (let v = 0; v < vocab; v++) {
      const x = half ? fromHalfBits((data as Uint16Array)[base + v]!) : (data as Float32Array)[base + v]!;
      if (x > bestValue) {
        bestValue = x;
        best = v;
      }
    }
    out[b] = best;
  }
  return out;
}
