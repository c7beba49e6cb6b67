// Opens a decoder-with-past model on a device for the in-process engine: a zoo preset (llama family)
// or an ONNX file that follows the convention. `npuval serve` and `npuval llm` open models this way.
import { existsSync } from 'node:fs';
import type { Device, ModelSource } from '../../devices/types.js';
import { getZooEntry, zooModelSource, type ZooEntry } from '../../models/zoo/index.js';
import { InputError } from '../errors.js';
import { DecoderModel } from './decoder.js';
import { inspectFile } from '../../models/inspect.js';

export interface OpenedDecoder {
  readonly decoder: DecoderModel;
  /** The zoo preset, when the model is one. */
  readonly zoo: ZooEntry | null;
  /** Prompt ids must lie below this: the logits' last dimension, else the preset's vocab_size. */
  readonly vocab: number;
  /** Closes the decoder's session. */
  close(): Promise<void>;
}

export interface DecoderOptions {
  readonly dtype?: 'float32' | 'float16';
  /** Seed of a zoo preset's dummy weights (default the zoo's, as every other unit uses). */
  readonly seed?: number;
  /** The model already built (the orchestrator builds and hashes each model once); else it is built here. */
  readonly source?: ModelSource;
}

/** The zoo preset called `name`, or null when there is none. */
export function zooEntry(name: string): ZooEntry | null {
  try {
    return getZooEntry(name);
  } catch {
    return null;
  }
}

/**
 * Opens `model` (zoo preset or ONNX file) on the device and reads its decoder geometry. Bad input
 * (exit 2) for a model that is neither, a zoo model that is not a decoder, or a vocabulary that
 * cannot be known; the session is closed again on any failure after opening.
 */
export async function openDecoder(device: Device, model: string, o: DecoderOptions = {}): Promise<OpenedDecoder> {
  const zoo = zooEntry(model);
  if (zoo && zoo.family !== 'llama')
    throw new InputError(`--model ${model} is a ${zoo.family} model; generation needs a decoder (llama family)`);
  if (!zoo && !o.source) {
    if (!existsSync(model)) throw new InputError(`--model ${model} is neither a zoo preset nor an existing ONNX file`);
    // The one rule for model files (models/resolve.ts): a folder, a file that is not ONNX or missing external data is exit 2.
    inspectFile(model);
  }
  // Presets over 2 GB of weights (llama-3.2-1b fp32 and up) are opened from the model cache.
  const session = await device.open(o.source ?? (zoo ? zooModelSource(model, { dtype: o.dtype, seed: o.seed }) : { path: model }));
  try {
    const decoder = new DecoderModel(session, model);
    const vocab = decoder.vocabSize ?? (zoo ? Number(zoo.config.vocab_size) : null);
    if (vocab === null)
      throw new InputError(`model ${model}: the logits output's vocabulary dimension is symbolic; cannot pick prompt ids`);
    return { decoder, zoo, vocab, close: () => session.close() };
  } catch (err) {
    await session.close();
    throw err;
  }
}
