// `npuval models list | export NAME --out FILE.onnx | inspect FILE.onnx`: the model zoo and user ONNX files.
import type { Argv } from 'yargs';
import { DEFAULT_SEED, listZoo, getZooEntry, exportZooModel, type ZooEntry } from '../../models/zoo/index.js';
import { inspectFile, inputValueInfos, type ModelInspection, type IoInfo } from '../../models/inspect.js';
import { seededInputBytes, seededInputs, parseDimFlags } from '../../models/inputs.js';
import { writeFailure, writeOutputFile } from '../durable.js';
import { checkOutputFolder } from '../input-file.js';
import { checkMemory } from '../resources.js';
import { encodeValue } from '../../models/onnx/tensor.js';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { emit, keepJson, outDir, outPath, table } from '../output.js';
import type { Command } from './types.js';

interface ModelsArgs {
  action: 'list' | 'export' | 'inspect' | 'inputs';
  target?: string;
  dtype: 'float32' | 'float16';
  seed?: number;
  'weight-seed': number;
  dim?: string[];
  vocab?: number;
  variant: 'standard' | 'ort-contrib';
}

export const modelsCommand: Command<ModelsArgs> = {
  command: 'models <action> [target]',
  describe: 'The model zoo and user models: list presets, export a preset as ONNX, inspect an ONNX file, write seeded inputs for it',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ['list', 'export', 'inspect', 'inputs'] as const,
        describe:
          'list: presets with shapes and sources; export NAME --out FILE.onnx; inspect FILE.onnx; inputs FILE.onnx --dim NAME=N --out DIR (seeded input_N.pb files)',
      })
      .positional('target', { type: 'string', describe: 'export: the preset name; inspect, inputs: the ONNX file' })
      .option('dtype', {
        choices: ['float32', 'float16'] as const,
        default: 'float32' as const,
        describe: 'export: weight and activation type (float16: llama presets only)',
      })
      // --seed seeds values drawn for a run (default 1), as in every command; weights have their own
      // seed, the zoo's by default, so an exported preset hashes as it does in every report.
      .option('seed', { type: 'number', describe: 'inputs: seed of the input values (default 1)' })
      .option('weight-seed', {
        type: 'number',
        default: DEFAULT_SEED,
        describe: "export: seed of the dummy weights (default the zoo's, which every report's models use)",
      })
      .option('variant', {
        choices: ['standard', 'ort-contrib'] as const,
        default: 'standard' as const,
        describe:
          "export (llama): standard ONNX ops, or attention as ONNX Runtime's com.microsoft.GroupQueryAttention (ORT only; right padding only)",
      })
      .option('dim', {
        type: 'string',
        array: true,
        describe: 'inputs: bind a symbolic dim, e.g. --dim batch_size=4 --dim sequence_length=128',
      })
      .option('vocab', { type: 'number', describe: "inputs: token ids are drawn from [0, vocab) (default: the zoo metadata's vocab_size)" })
      .example('npuval models list --json', 'every preset with params, layers, hidden, heads, KV heads, vocab, context and source')
      .example('npuval models export llama-3.2-1b --out llama.onnx --dtype float16', 'streams the model to disk (external data above 2 GB)')
      .example('npuval models inspect model.onnx', 'opsets, I/O, parameter count, decoder-with-past convention')
      .example(
        'npuval models inputs model.onnx --dim batch_size=4 --out inputs/',
        'seeded input_0.pb … (TensorProto, the ONNX test-data layout)',
      ),
  handler: async (args) => {
    switch (args.action) {
      case 'list': {
        const entries = listZoo();
        keepJson(args, 'models.json', { models: entries.map(summary) });
        emit(args, { models: entries.map(summary) }, () => renderList(entries));
        return 0;
      }
      case 'export': {
        if (!args.target) throw new InputError('models export needs a preset name; see npuval models list.');
        const entry = getZooEntry(args.target);
        if (!args.out) throw new InputError('models export needs --out FILE.onnx.');
        // --seed seeded the weights here once; refuse it rather than ignore it.
        if (args.seed !== undefined)
          throw new InputError("models export: the weights' seed is --weight-seed (--seed seeds the values of models inputs)");
        const weightSeed = args['weight-seed'];
        if (!args.out.endsWith('.onnx')) checkOutputFolder(args.out);
        const path = args.out.endsWith('.onnx') ? args.out : `${args.out.replace(/\/+$/, '')}/${entry.name}.onnx`;
        checkOutputFolder(dirname(path));
        // models/ writes the file itself; a write the system refuses is exit 3 naming it, as for every output.
        const written = await exportZooModel(entry.name, path, { dtype: args.dtype, seed: weightSeed, variant: args.variant }).catch(
          (err: unknown) => {
            throw writeFailure(err, path);
          },
        );
        const result = { name: entry.name, dtype: args.dtype, weightSeed, variant: args.variant, params: entry.params, ...written };
        emit(
          args,
          result,
          () =>
            `${entry.name} (${args.dtype}, weight seed ${weightSeed}, ${args.variant}, ${entry.params.toLocaleString('en-US')} params) → ${written.path} (${written.bytes} bytes, sha256 ${written.sha256})` +
            (written.externalData
              ? `\nexternal data → ${written.externalData.path} (${written.externalData.bytes} bytes, sha256 ${written.externalData.sha256})`
              : ''),
        );
        return 0;
      }
      case 'inspect': {
        if (!args.target) throw new InputError('models inspect needs an ONNX file path.');
        const info = inspectFile(args.target);
        keepJson(args, 'inspect.json', info);
        emit(args, info, () => renderInspection(info));
        return 0;
      }
      case 'inputs': {
        if (!args.target) throw new InputError('models inputs needs an ONNX file path.');
        const info = inspectFile(args.target);
        const vocab = args.vocab ?? zooVocab(info);
        const dims = parseDimFlags(args.dim ?? []);
        // A misspelt name (--dim batch=4 for batch_size) would otherwise be ignored silently.
        const symbolic = new Set(info.inputs.flatMap((i) => (i.shape ?? []).filter((d): d is string => typeof d === 'string')));
        const unknown = Object.keys(dims).filter((d) => !symbolic.has(d));
        if (unknown.length) {
          throw new InputError(
            `--dim ${unknown.join(', ')}: ${args.target} has no input dim of that name; its symbolic input dims are ${symbolic.size ? [...symbolic].join(', ') : 'none'}.`,
          );
        }
        const seed = args.seed ?? 1;
        checkOutputFolder(outPath(args));
        checkMemory(seededInputBytes(inputValueInfos(info), dims), `the inputs of ${args.target}`, 'lower the --dim sizes');
        const tensors = seededInputs(inputValueInfos(info), { seed, dims, vocabSize: vocab });
        const dir = outDir(args);
        const files = info.inputs.map((input, i) => {
          const t = tensors[input.name]!;
          const file = join(dir, `input_${i}.pb`);
          writeOutputFile(file, encodeValue(t, 'tensor', input.name));
          return { name: input.name, dtype: t.type, dims: [...t.dims], file };
        });
        emit(args, { model: args.target, seed, vocab: vocab ?? null, inputs: files }, () =>
          table(
            ['input', 'dtype', 'dims', 'file'],
            files.map((f) => [f.name, f.dtype, `[${f.dims.join(', ')}]`, f.file]),
          ),
        );
        return 0;
      }
    }
  },
};

/** vocab_size from npuval zoo metadata, when the file is a zoo model. */
function zooVocab(info: ModelInspection): number | undefined {
  try {
    const v = (JSON.parse(info.metadata['npuval.model'] ?? '{}') as { config?: { vocab_size?: unknown } }).config?.vocab_size;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The columns `models list` shows, the same for every family (null where a family has no such thing). */
function summary(e: ZooEntry) {
  const c = e.config as Record<string, number | boolean | number[] | string>;
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : null);
  return {
    name: e.name,
    family: e.family,
    description: e.description,
    params: e.params,
    layers: num('num_hidden_layers') ?? (Array.isArray(c.layers) ? (c.layers as number[]).reduce((a, b) => a + b, 0) : null),
    hidden: num('hidden_size') ?? num('width'),
    heads: num('num_attention_heads'),
    kvHeads: num('num_key_value_heads') ?? num('num_attention_heads'),
    vocab: num('vocab_size'),
    context: num('max_position_embeddings'),
    ciSized: e.ciSized,
    source: e.source,
    config: e.config,
  };
}

function human(n: number): string {
  for (const [unit, v] of [
    ['B', 1e9],
    ['M', 1e6],
    ['K', 1e3],
  ] as const)
    if (n >= v) return `${(n / v).toFixed(n >= 10 * v ? 1 : 2)}${unit}`;
  return String(n);
}

function renderList(entries: readonly ZooEntry[]): string {
  const rows = entries
    .map(summary)
    .map((s) => [
      s.name,
      s.family,
      human(s.params),
      s.layers,
      s.hidden,
      s.heads,
      s.kvHeads,
      s.vocab,
      s.context,
      s.ciSized ? 'yes' : '',
      s.source.url,
    ]);
  return (
    table(['name', 'family', 'params', 'layers', 'hidden', 'heads', 'kv heads', 'vocab', 'context', 'CI', 'source'], rows) +
    '\n\nWeights are seeded dummy values (shapes and cost are real; the text is not). Notes per preset: --json.'
  );
}

function io(list: readonly IoInfo[]): string {
  return table(
    ['name', 'kind', 'dtype', 'shape'],
    list.map((i) => [i.name, i.kind, i.dtype, i.shape ? `[${i.shape.map((d) => d ?? '?').join(', ')}]` : '?']),
  );
}

function renderInspection(m: ModelInspection): string {
  const zoo = m.metadata['npuval.model'];
  const lines = [
    `${m.file}: ${m.bytes} bytes, IR ${m.irVersion}${m.producer ? `, producer ${m.producer}` : ''}`,
    `opsets: ${m.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`,
    `parameters: ${m.params.toLocaleString('en-US')} in ${m.initializers} initializers (every initializer element, shape constants included)${m.externalInitializers ? ` (${m.externalInitializers} in external data)` : ''}`,
    `nodes: ${m.nodes} (${Object.entries(m.ops)
      .slice(0, 12)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${Object.keys(m.ops).length > 12 ? ', …' : ''})`,
    `decoder-with-past convention: ${m.decoderWithPast.follows ? `yes (${m.decoderWithPast.layers} layers)` : `no — ${m.decoderWithPast.reasons.slice(0, 4).join('; ')}${m.decoderWithPast.reasons.length > 4 ? '; …' : ''}`}`,
  ];
  if (zoo) lines.push(`npuval zoo model: ${zoo}`);
  return [...lines, '', 'inputs:', io(m.inputs), '', 'outputs:', io(m.outputs)].join('\n');
}
