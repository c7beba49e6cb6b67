// The weights a forward pass reads: fp32 tfjs tensors looked up by their Hugging Face / torchvision name.
import { tf } from './runtime.js';

export interface Weights {
  /** The named weight as stored in the model (PyTorch layout); throws a clear error naming a missing initializer. */
  get(name: string): tf.Tensor;
  /**
   * A Linear weight stored [out, in], returned transposed to [in, out] so x·W runs without
   * transposeB: tfjs-backend-wasm's matMul with transposeB is ~40× slower (measured: [128, 768] ×
   * [3072, 768]ᵀ took 532 ms against 14 ms pre-transposed). Transposed once, on first use, and kept.
   */
  linear(name: string, out: number, inp: number): tf.Tensor2D;
  has(name: string): boolean;
  /** Frees the stored form of a weight the caller has rearranged and will not read again. */
  release(name: string): void;
  dispose(): void;
}

/** Weights held in a Map of tensors this object owns. */
export class MapWeights implements Weights {
  private readonly transposed = new Map<string, tf.Tensor2D>();
  private readonly released = new Set<string>();

  /**
   * @param keepOriginal names whose [out, in] form is still read after `linear()` (e.g. a tied
   *   embedding, gathered and used as the LM head); every other linear weight's stored form is freed.
   */
  constructor(
    private readonly tensors: Map<string, tf.Tensor>,
    private readonly what: string,
    private readonly keepOriginal: (name: string) => boolean = () => false,
  ) {}

  get(name: string): tf.Tensor {
    const t = this.tensors.get(name);
    if (t) return t;
    if (this.released.has(name)) throw new Error(`weight "${name}" was read after its stored form was released`);
    throw new WeightError(`${this.what} has no initializer named "${name}"`);
  }

  linear(name: string, out: number, inp: number): tf.Tensor2D {
    const cached = this.transposed.get(name);
    if (cached) return cached;
    const t = tf.keep(tf.transpose(expectShape(this, name, [out, inp]) as tf.Tensor2D));
    this.transposed.set(name, t);
    if (!this.keepOriginal(name)) this.release(name);
    return t;
  }

  has(name: string): boolean {
    return this.tensors.has(name) || this.transposed.has(name);
  }

  release(name: string): void {
    const t = this.tensors.get(name);
    if (!t) return;
    t.dispose();
    this.tensors.delete(name);
    this.released.add(name);
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    for (const t of this.transposed.values()) t.dispose();
    this.tensors.clear();
    this.transposed.clear();
  }
}

/** A zoo model whose weights do not match its declared architecture: bad input. */
export class WeightError extends Error {
  readonly exitCode = 2;
}

/** Checks a weight's shape, so a config/weights mismatch fails with names instead of a kernel error. */
export function expectShape(w: Pick<Weights, 'get'>, name: string, shape: readonly number[]): tf.Tensor {
  const t = w.get(name);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new WeightError(
      `initializer "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from the model's config`,
    );
  }
  return t;
}
