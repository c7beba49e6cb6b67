// The model zoo: presets with real shapes and seeded dummy weights, built as ONNX on demand.
// Every model carries metadata_props "npuval.model" = {"name", "family", "config"} so a reader
// (e.g. the tfjs reference) can rebuild the architecture from the file alone.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { ModelPlan } from '../onnx/graph.js';
import { encodePlan, PROTOBUF_LIMIT, totalWeightBytes, writePlan, type WrittenModel } from '../onnx/writer.js';
import { ModelInputError } from '../errors.js';
import { buildLlama, llamaParams, type LlamaConfig, type LlamaVariant } from './llama.js';
import { buildBert, bertParams } from './bert.js';
import { buildResNet, resnetParams } from './resnet.js';
import { PRESETS, type Preset } from './presets.js';

export interface ZooEntry {
  name: string;
  family: 'llama' | 'bert' | 'resnet';
  description: string;
  config: Record<string, unknown>;
  params: number;
  source: { url: string; note?: string };
  ciSized: boolean;
}

export interface BuildOptions {
  /** Weight/activation type; float16 applies to llama presets only (others stay float32). */
  dtype?: 'float32' | 'float16';
  /** Seed of the dummy weights (default 0). */
  seed?: number;
  /** llama only: 'ort-contrib' builds attention from ONNX Runtime's com.microsoft.GroupQueryAttention (labelled in metadata). */
  variant?: LlamaVariant;
}

export const METADATA_KEY = 'npuval.model';
export const DEFAULT_SEED = 0;

function paramsOf(p: Preset): number {
  switch (p.family) {
    case 'llama':
      return llamaParams(p.config);
    case 'bert':
      return bertParams(p.config);
    case 'resnet':
      return resnetParams(p.config);
  }
}

function entryOf(p: Preset): ZooEntry {
  return {
    name: p.name,
    family: p.family,
    description: p.description,
    config: { ...p.config } as Record<string, unknown>,
    params: paramsOf(p),
    source: { ...p.source },
    ciSized: p.ciSized,
  };
}

export function listZoo(): ZooEntry[] {
  return PRESETS.map(entryOf);
}

/** The preset called `name`; an unknown name is bad input (exit 2) and the message lists the names. */
export function getZooEntry(name: string): ZooEntry {
  return entryOf(preset(name));
}

function preset(name: string): Preset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new ModelInputError(`Unknown zoo model "${name}"; known: ${PRESETS.map((x) => x.name).join(', ')}.`);
  return p;
}

/** The graph plan of a preset, with its metadata. */
export function zooPlan(name: string, opts: BuildOptions = {}): ModelPlan {
  const p = preset(name);
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && p.family !== 'llama') {
    throw new ModelInputError(`Zoo model "${name}" is built in float32 only; --dtype ${dtype} applies to llama presets.`);
  }
  const variant = opts.variant ?? 'standard';
  if (variant !== 'standard' && p.family !== 'llama') {
    throw new ModelInputError(`Zoo model "${name}" has only the standard graph; --variant ${variant} applies to llama presets.`);
  }
  const meta = (config: object) => ({
    [METADATA_KEY]: JSON.stringify({ name: p.name, family: p.family, config }),
    'npuval.seed': String(opts.seed ?? DEFAULT_SEED),
    'npuval.source': p.source.url,
    'npuval.variant':
      variant === 'standard' ? 'standard (ONNX ops only, opset 17)' : 'ort-contrib (com.microsoft.GroupQueryAttention; ONNX Runtime only)',
  });
  switch (p.family) {
    case 'llama': {
      const config: LlamaConfig = { ...p.config, dtype };
      return buildLlama(p.name, config, meta(config), variant);
    }
    case 'bert':
      return buildBert(p.name, p.config, meta(p.config));
    case 'resnet':
      return buildResNet(p.name, p.config, meta(p.config));
  }
}

/** ONNX bytes in memory (models whose weights fit protobuf's 2 GB limit). */
export function buildZooModel(name: string, opts: BuildOptions = {}): Uint8Array {
  return encodePlan(zooPlan(name, opts), opts.seed ?? DEFAULT_SEED);
}

/**
 * Writes the model to `path`, generating weights one chunk at a time (memory stays bounded by a
 * chunk, not the model). Above 2 GB the weights go to `<path>.data` as ONNX external data.
 */
export async function exportZooModel(
  name: string,
  path: string,
  opts: BuildOptions = {},
): Promise<{ path: string; bytes: number; sha256: string } & Pick<WrittenModel, 'externalData'>> {
  const plan = zooPlan(name, opts);
  mkdirSync(dirname(path), { recursive: true });
  return writePlan(plan, opts.seed ?? DEFAULT_SEED, path);
}

/** In-memory models stay this far under protobuf's limit (the graph itself needs room). */
const IN_MEMORY_LIMIT = PROTOBUF_LIMIT - (1 << 24);

export interface SourceOptions extends BuildOptions {
  /** Where models too big for memory are written (default $NPUVAL_MODEL_CACHE, else <tmpdir>/npuval-models). */
  cacheDir?: string;
  /** Weights above this many bytes go through the cache (default: protobuf's 2 GB limit); tests lower it. */
  inMemoryLimit?: number;
}

/**
 * A zoo model for a device to open: the ONNX bytes when its weights fit in one protobuf message,
 * else a file written once (streamed, weights as external data) into the model cache. Weights are
 * a pure function of the plan and the seed, so the cache keys each file by name, dtype, seed and a
 * hash of the graph and weight specs, and reuses it; a file is written in a private folder and
 * renamed into place, so a crash never leaves a half-written model to be reused.
 */
export function zooModelSource(name: string, opts: SourceOptions = {}): { readonly bytes: Uint8Array } | { readonly path: string } {
  const plan = zooPlan(name, opts);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (totalWeightBytes(plan) <= (opts.inMemoryLimit ?? IN_MEMORY_LIMIT)) return { bytes: encodePlan(plan, seed) };
  const cache = opts.cacheDir ?? process.env.NPUVAL_MODEL_CACHE ?? join(tmpdir(), 'npuval-models');
  const hash = createHash('sha256')
    .update(onnxProto.onnx.ModelProto.encode(plan.proto).finish())
    .update(JSON.stringify(plan.weights, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex')
    .slice(0, 16);
  const folder = join(cache, `${name}-${opts.dtype ?? 'float32'}-seed${seed}-${hash}`);
  const path = join(folder, 'model.onnx');
  if (existsSync(path)) return { path };
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(join(cache, '.writing-'));
  try {
    writePlan(plan, seed, join(staging, 'model.onnx'), { external: true });
    renameSync(staging, folder);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    // Another process may have finished the same model first; its file is as good as ours.
    if (existsSync(path)) return { path };
    throw err;
  }
  return { path };
}
