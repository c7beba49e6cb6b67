// A loaded model on a tfjs device: zoo models run the independent forward pass of their family,
// small elementwise graphs (the availability probe) run node by node. Every run is synchronous
// tfjs work queued behind the others (runtime.runExclusive), so runs never interleave. A graph
// outside what it implements is refused with DeviceRunError('unsupported-op').
import { DeviceInputError, DeviceRunError, DeviceUnavailableError } from '../errors.js';
import type { Feeds, Outputs, Session, Tensor, ValueInfo } from '../types.js';
import { floatsToHalf, halfToFloats } from '../../models/onnx/half.js';
import { int64ToNumber, ONNX_DTYPE, tensorFromProto } from '../../models/onnx/tensor.js';
import { bertForward, type BertConfig } from './bert.js';
import { ELEMENTWISE_OPS, evaluate, unsupportedOps } from './elementwise.js';
import { llamaForward, type LlamaConfig } from './llama.js';
import { initializerAsFloat32, ZOO_METADATA_KEY, type OnnxFile, type ZooMetadata } from './model-file.js';
import { planResnet, resnetForward, type ResnetPlan } from './resnet.js';
import { runExclusive, tf, type TfjsBackendName } from './runtime.js';
import { MapWeights, type Weights } from './weights.js';

/** What one family contributes to a session: a synchronous forward over converted feeds. */
interface Runner {
  run(feeds: Feeds): Record<string, Tensor>;
  dispose(): void;
}

export async function openTfjsSession(file: OnnxFile, backend: TfjsBackendName): Promise<Session> {
  if (backend === 'wasm') checkWasmHeap(file);
  // Weights are uploaded in the queue too, so they land on this session's backend.
  const runner = await runExclusive(backend, () => (file.zoo ? zooRunner(file, file.zoo) : elementwiseRunner(file)));
  return new TfjsSession(backend, file, runner);
}

class TfjsSession implements Session {
  /** tfjs has one process-wide engine; overlapping runs would fight over the active backend. */
  readonly concurrentRuns = false;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  private closed = false;

  constructor(
    private readonly backend: TfjsBackendName,
    file: OnnxFile,
    private readonly runner: Runner,
  ) {
    this.inputs = file.inputs;
    this.outputs = file.outputs;
  }

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs> {
    if (this.closed) throw new Error('run() called on a closed tfjs session');
    const all = await runExclusive(this.backend, () => this.runner.run(feeds));
    if (!fetches) return all;
    const out: Outputs = {};
    for (const name of fetches) {
      if (!(name in all))
        throw new DeviceInputError(`output "${name}" is not produced by this model (outputs: ${Object.keys(all).join(', ')})`);
      out[name] = all[name]!;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runner.dispose();
  }
}

// ---------------------------------------------------------------- weights and feeds

/** Every floating-point initializer as an fp32 tfjs tensor on the active backend, by name. */
function loadWeights(file: OnnxFile): Map<string, tf.Tensor> {
  const tensors = new Map<string, tf.Tensor>();
  for (const proto of file.model.graph?.initializer ?? []) {
    const t = initializerAsFloat32(proto, file.baseDir);
    if (t) tensors.set(proto.name ?? '', tf.tensor(t.data, t.dims, 'float32'));
  }
  return tensors;
}

/**
 * wasm32 addresses at most 4 GiB, and past that the wasm backend fails with "memory access out
 * of bounds" (tried: the 8th 600 MB tensor). Refuse up front when the fp32 weights, plus the
 * largest one (a transpose briefly holds two copies), would not leave room for activations.
 */
const WASM_WEIGHT_LIMIT = 3.5 * 2 ** 30;
const FLOATING = new Set([ONNX_DTYPE.float32, ONNX_DTYPE.float16, ONNX_DTYPE.bfloat16, ONNX_DTYPE.float64]);
function checkWasmHeap(file: OnnxFile): void {
  let total = 0,
    largest = 0;
  for (const p of file.model.graph?.initializer ?? []) {
    if (!FLOATING.has(p.dataType ?? 0)) continue;
    const bytes = 4 * (p.dims ?? []).reduce<number>((a, d) => a * int64ToNumber(d), 1);
    total += bytes;
    largest = Math.max(largest, bytes);
  }
  if (total + largest > WASM_WEIGHT_LIMIT) {
    throw new DeviceUnavailableError(
      `${file.label} needs ${((total + largest) / 2 ** 30).toFixed(1)} GiB for its weights in fp32, more than tfjs:wasm's 4 GiB wasm32 heap can hold; use tfjs:cpu or a smaller preset`,
    );
  }
}

function disposeAll(tensors: Iterable<tf.Tensor>): void {
  for (const t of tensors) t.dispose();
}

function feed(feeds: Feeds, name: string): Tensor {
  const v = feeds[name];
  if (v === undefined) throw new DeviceInputError(`input "${name}" is missing from the feeds`);
  if (v === null || Array.isArray(v)) throw new DeviceInputError(`input "${name}" must be a tensor`);
  return v;
}

function checkDims(name: string, t: Tensor, rank: number): number[] {
  if (t.dims.length !== rank) throw new DeviceInputError(`input "${name}" has dims [${t.dims.join(', ')}], expected rank ${rank}`);
  return [...t.dims];
}

function expectDims(name: string, t: Tensor, want: readonly number[]): void {
  if (t.dims.length !== want.length || t.dims.some((d, i) => d !== want[i])) {
    throw new DeviceInputError(`input "${name}" has dims [${t.dims.join(', ')}], expected [${want.join(', ')}]`);
  }
}

/** int64 / int32 ids as Int32Array (zoo vocabularies and positions fit in int32). */
function ints(name: string, t: Tensor): Int32Array {
  if (t.type === 'int64') return Int32Array.from(t.data as BigInt64Array, (v) => Number(v));
  if (t.type === 'int32') return t.data as Int32Array;
  throw new DeviceInputError(`input "${name}" is ${t.type}, expected int64`);
}

function floats(name: string, t: Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return halfToFloats(t.data as Uint16Array);
  throw new DeviceInputError(`input "${name}" is ${t.type}, expected float32 or float16`);
}

/** An output in the model's dtype: fp32 as computed, or rounded to fp16 bits. */
function output(t: tf.Tensor, dtype: 'float32' | 'float16'): Tensor {
  const data = t.dataSync() as Float32Array;
  return dtype === 'float16'
    ? { type: 'float16', dims: [...t.shape], data: floatsToHalf(data) }
    : { type: 'float32', dims: [...t.shape], data: Float32Array.from(data) };
}

// ---------------------------------------------------------------- zoo families

function zooRunner(file: OnnxFile, zoo: ZooMetadata): Runner {
  const cfg = new ConfigReader(zoo, file.label);
  const dtype = zoo.config.dtype === 'float16' ? 'float16' : 'float32';
  // The llama embedding is both gathered and (when tied) the LM head, so its stored form stays.
  const weights = new MapWeights(loadWeights(file), file.label, (name) => name === 'model.embed_tokens.weight');
  try {
    switch (zoo.family) {
      case 'llama':
        return llamaRunner(llamaConfig(cfg), weights, dtype, file);
      case 'bert':
        return bertRunner(bertConfig(cfg), weights, file);
      case 'resnet':
        return resnetRunner(planResnet(weights), weights, file);
    }
  } catch (err) {
    weights.dispose();
    throw err;
  }
}

/** Reads numbers from the metadata config, naming the model and field when one is missing. */
class ConfigReader {
  constructor(
    private readonly zoo: ZooMetadata,
    private readonly label: string,
  ) {}
  num(key: string, fallback?: number): number {
    const v = this.zoo.config[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (v === undefined && fallback !== undefined) return fallback;
    throw new DeviceInputError(`${this.label}: metadata "${ZOO_METADATA_KEY}" config.${key} must be a number (got ${JSON.stringify(v)})`);
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.zoo.config[key];
    return typeof v === 'boolean' ? v : fallback;
  }
}

function llamaConfig(c: ConfigReader): LlamaConfig {
  const hidden = c.num('hidden_size'),
    heads = c.num('num_attention_heads');
  const cfg: LlamaConfig = {
    vocab_size: c.num('vocab_size'),
    hidden_size: hidden,
    intermediate_size: c.num('intermediate_size'),
    num_hidden_layers: c.num('num_hidden_layers'),
    num_attention_heads: heads,
    num_key_value_heads: c.num('num_key_value_heads', heads),
    head_dim: c.num('head_dim', hidden / heads),
    rms_norm_eps: c.num('rms_norm_eps'),
    rope_theta: c.num('rope_theta'),
    tie_word_embeddings: c.bool('tie_word_embeddings', false),
  };
  if (cfg.num_attention_heads % cfg.num_key_value_heads !== 0) {
    throw new DeviceInputError(
      `llama config: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${cfg.num_key_value_heads}`,
    );
  }
  return cfg;
}

function bertConfig(c: ConfigReader): BertConfig {
  return {
    vocab_size: c.num('vocab_size'),
    hidden_size: c.num('hidden_size'),
    num_hidden_layers: c.num('num_hidden_layers'),
    num_attention_heads: c.num('num_attention_heads'),
    intermediate_size: c.num('intermediate_size'),
    max_position_embeddings: c.num('max_position_embeddings'),
    type_vocab_size: c.num('type_vocab_size'),
    layer_norm_eps: c.num('layer_norm_eps'),
  };
}

function llamaRunner(cfg: LlamaConfig, w: Weights, dtype: 'float32' | 'float16', file: OnnxFile): Runner {
  const hasPositions = file.inputs.some((i) => i.name === 'position_ids');
  const L = cfg.num_hidden_layers,
    KV = cfg.num_key_value_heads,
    d = cfg.head_dim;
  return {
    run(feeds) {
      const idsT = feed(feeds, 'input_ids');
      const [b, s] = checkDims('input_ids', idsT, 2) as [number, number];
      const maskT = feed(feeds, 'attention_mask');
      const total = checkDims('attention_mask', maskT, 2)[1]!;
      expectDims('attention_mask', maskT, [b, total]);
      const past = total - s;
      if (past < 0) throw new DeviceInputError(`input "attention_mask" covers ${total} positions, fewer than the ${s} new tokens`);
      let positionIds: Float64Array;
      if (hasPositions || feeds.position_ids !== undefined) {
        const posT = feed(feeds, 'position_ids');
        expectDims('position_ids', posT, [b, s]);
        positionIds = Float64Array.from(ints('position_ids', posT));
      } else {
        positionIds = Float64Array.from({ length: b * s }, (_, t) => past + (t % s));
      }
      const pastArrays: Float32Array[] = [];
      for (let i = 0; i < L; i++) {
        for (const kind of ['key', 'value']) {
          const name = `past_key_values.${i}.${kind}`;
          const t = feed(feeds, name);
          expectDims(name, t, [b, KV, past, d]);
          pastArrays.push(floats(name, t));
        }
      }
      const ids = ints('input_ids', idsT);
      for (const id of ids)
        if (id < 0 || id >= cfg.vocab_size)
          throw new DeviceInputError(`input "input_ids" holds token ${id}, outside the vocabulary [0, ${cfg.vocab_size})`);
      const results = tf.tidy(() => {
        const pastT = pastArrays.map((a) => tf.tensor4d(a, [b, KV, past, d]));
        const r = llamaForward(cfg, w, {
          batch: b,
          seq: s,
          past,
          inputIds: ids,
          attentionMask: ints('attention_mask', maskT),
          positionIds,
          pastKeys: pastT.filter((_, j) => j % 2 === 0),
          pastValues: pastT.filter((_, j) => j % 2 === 1),
        });
        return [r.logits, ...r.presentKeys, ...r.presentValues];
      });
      try {
        const out: Record<string, Tensor> = { logits: output(results[0]!, dtype) };
        for (let i = 0; i < L; i++) {
          out[`present.${i}.key`] = output(results[1 + i]!, dtype);
          out[`present.${i}.value`] = output(results[1 + L + i]!, dtype);
        }
        return out;
      } finally {
        disposeAll(results);
      }
    },
    dispose: () => w.dispose(),
  };
}

function bertRunner(cfg: BertConfig, w: Weights, file: OnnxFile): Runner {
  const hasTypes = file.inputs.some((i) => i.name === 'token_type_ids');
  return {
    run(feeds) {
      const idsT = feed(feeds, 'input_ids');
      const [b, s] = checkDims('input_ids', idsT, 2) as [number, number];
      const maskT = feed(feeds, 'attention_mask');
      expectDims('attention_mask', maskT, [b, s]);
      let tokenTypeIds: Int32Array = new Int32Array(b * s);
      if (hasTypes || feeds.token_type_ids !== undefined) {
        const tt = feed(feeds, 'token_type_ids');
        expectDims('token_type_ids', tt, [b, s]);
        tokenTypeIds = ints('token_type_ids', tt);
      }
      const ids = ints('input_ids', idsT);
      for (const id of ids)
        if (id < 0 || id >= cfg.vocab_size)
          throw new DeviceInputError(`input "input_ids" holds token ${id}, outside the vocabulary [0, ${cfg.vocab_size})`);
      const result = tf.tidy(() =>
        bertForward(cfg, w, { batch: b, seq: s, inputIds: ids, attentionMask: ints('attention_mask', maskT), tokenTypeIds }),
      );
      try {
        return { last_hidden_state: output(result, 'float32') };
      } finally {
        result.dispose();
      }
    },
    dispose: () => w.dispose(),
  };
}

function resnetRunner(plan: ResnetPlan, w: Weights, file: OnnxFile): Runner {
  const inputName = file.inputs[0]?.name ?? 'input';
  const outputName = file.outputs[0]?.name ?? 'logits';
  return {
    run(feeds) {
      const x = feed(feeds, inputName);
      const dims = checkDims(inputName, x, 4) as [number, number, number, number];
      if (dims[1] !== 3) throw new DeviceInputError(`input "${inputName}" has ${dims[1]} channels, expected 3 (NCHW)`);
      const data = floats(inputName, x);
      const result = tf.tidy(() => resnetForward(plan, tf.tensor4d(data, dims)));
      try {
        return { [outputName]: output(result, 'float32') };
      } finally {
        result.dispose();
      }
    },
    dispose: () => {
      disposeAll(plan.owned);
      w.dispose();
    },
  };
}

// ---------------------------------------------------------------- tiny elementwise graphs

function elementwiseRunner(file: OnnxFile): Runner {
  const graph = file.model.graph!;
  const nodes = (graph.node ?? []).map((n) => ({
    opType: n.opType ?? '',
    inputs: n.input ?? [],
    outputs: n.output ?? [],
    domain: n.domain ?? '',
    attributes: (n.attribute ?? []).length,
  }));
  const bad = unsupportedOps(nodes);
  const floatIo = [...file.inputs, ...file.outputs].every((v) => v.kind === 'tensor' && v.type === 'float32');
  if (bad.length > 0 || !floatIo || nodes.length === 0) {
    // The graph is outside what this reference implements: its ops are missing here (bad input to the CLI, exit 2).
    throw new DeviceRunError(
      `${file.label} has no "${ZOO_METADATA_KEY}" metadata: tfjs devices run npuval zoo models only ` +
        `(export one with \`npuval models export\`), plus small float32 graphs of ${ELEMENTWISE_OPS.join('/')} nodes without attributes` +
        (bad.length ? `; this graph uses ${bad.join(', ')}` : !floatIo ? '; this graph has non-float32 inputs or outputs' : ''),
      'unsupported-op',
      { runtime: 'the npuval tfjs reference' },
      { badInput: true },
    );
  }
  const consts = new Map<string, tf.Tensor>();
  for (const p of graph.initializer ?? []) {
    const t = tensorFromProto(p, file.baseDir);
    if (t.type !== 'float32')
      throw new DeviceInputError(`${file.label}: initializer "${p.name}" is ${t.type}; the elementwise path takes float32 only`);
    consts.set(p.name ?? '', tf.tensor(t.data as Float32Array, [...t.dims], 'float32'));
  }
  return {
    run(feeds) {
      const inputs = file.inputs.map((i) => {
        const t = feed(feeds, i.name);
        return [i.name, floats(i.name, t), [...t.dims] as number[]] as const;
      });
      const results = tf.tidy(() => {
        const values = new Map(consts);
        for (const [name, data, dims] of inputs) values.set(name, tf.tensor(data, dims, 'float32'));
        evaluate(nodes, values);
        return file.outputs.map((o) => {
          const v = values.get(o.name);
          if (!v) throw new DeviceInputError(`${file.label}: graph output "${o.name}" is never produced`);
          return tf.clone(v); // a fresh handle, so disposing the result never frees an initializer or feed
        });
      });
      try {
        return Object.fromEntries(file.outputs.map((o, i) => [o.name, output(results[i]!, 'float32')]));
      } finally {
        disposeAll(results);
      }
    },
    dispose: () => disposeAll(consts.values()),
  };
}
