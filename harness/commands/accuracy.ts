// `npuval accuracy`: a model on a device against a reference device, on the same seeded inputs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { checkSpecs } from '../../devices/registry.js';
import { readCriteriaFile, runAccuracy, type AccuracyCriteria, type AccuracyResult } from '../accuracy/index.js';
import { InputError } from '../errors.js';
import { Journal } from '../journal.js';
import { emit, journalDir, table } from '../output.js';
import type { Command } from './types.js';

interface AccuracyArgs {
  device: string;
  reference: string;
  model: string;
  samples: number;
  seed: number;
  tokens: number;
  dtype?: 'float32' | 'float16';
  dim?: string[];
  criteria?: string;
  'min-cosine'?: number;
  'max-abs-error'?: number;
  'max-rel-error'?: number;
  'min-top1'?: number;
  'min-top5'?: number;
  'min-token-agreement'?: number;
}

const FLAG_KEYS: readonly [keyof AccuracyArgs, keyof AccuracyCriteria][] = [
  ['min-cosine', 'minCosine'], ['max-abs-error', 'maxAbsError'], ['max-rel-error', 'maxRelError'],
  ['min-top1', 'minTop1'], ['min-top5', 'minTop5'], ['min-token-agreement', 'minTokenAgreement'],
];

export const accuracyCommand: Command<AccuracyArgs> = {
  command: 'accuracy',
  describe: 'Compare a model\'s outputs on a device with a reference device on the same seeded inputs (cosine, errors, top-k, greedy tokens)',
  builder: (y: Argv) =>
    y
      .option('device', { type: 'string', demandOption: true, describe: 'Device under test (e.g. ort:webgpu)' })
      .option('reference', { type: 'string', default: 'tfjs:wasm', describe: 'Reference device (tfjs:wasm is an independent implementation of the zoo models)' })
      .option('model', { type: 'string', demandOption: true, describe: 'Zoo model name (npuval models list) or an ONNX file' })
      .option('samples', { type: 'number', default: 4, describe: 'Seeded input samples; sample i uses seed + i' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of the first sample' })
      .option('tokens', { type: 'number', default: 16, describe: 'Greedy tokens to generate with the KV cache for decoder models (0: skip)' })
      .option('dtype', { type: 'string', choices: ['float32', 'float16'] as const, describe: 'Zoo models: build weights and activations in this type (float16: llama presets), e.g. fp16 on the device vs the reference' })
      .option('dim', { type: 'string', array: true, describe: 'Symbolic dim value, name=N (default batch_size=1 sequence_length=8)' })
      .option('criteria', { type: 'string', describe: 'JSON/YAML thresholds: minCosine, maxAbsError, maxRelError, minTop1, minTop5, minTokenAgreement (null turns one off)' })
      .option('min-cosine', { type: 'number', describe: 'Lowest cosine similarity of any output (default 0.999)' })
      .option('max-abs-error', { type: 'number', describe: 'Largest absolute error of any output (default: not checked)' })
      .option('max-rel-error', { type: 'number', describe: 'Largest relative error of any output (default: not checked)' })
      .option('min-top1', { type: 'number', describe: 'Lowest top-1 agreement of logits rows (default 0.99)' })
      .option('min-top5', { type: 'number', describe: 'Lowest fraction of rows with the reference argmax in the device top 5 (default 1)' })
      .option('min-token-agreement', { type: 'number', describe: 'Lowest mean fraction of greedy tokens before the first divergence (default 1)' }),
  handler: async (args) => {
    const criteria: Partial<Record<keyof AccuracyCriteria, number | null>> = args.criteria ? { ...readCriteriaFile(args.criteria) } : {};
    for (const [flag, key] of FLAG_KEYS) if (typeof args[flag] === 'number') criteria[key] = args[flag] as number;
    const dims: Record<string, number> = {};
    for (const d of args.dim ?? []) {
      const m = /^([A-Za-z_][\w.]*)=(\d+)$/.exec(d);
      if (!m) throw new InputError(`--dim ${d} is not name=N (e.g. --dim sequence_length=16)`);
      dims[m[1]!] = Number(m[2]);
    }
    // A bad spec is exit 2 naming the devices available here, before any output is made.
    await checkSpecs([args.device, args.reference]);
    const dir = journalDir(args);
    const journal = new Journal(join(dir, 'journal.jsonl'));
    try {
      const result = await runAccuracy({
        device: args.device, reference: args.reference, model: args.model, samples: args.samples, seed: args.seed,
        tokens: args.tokens, dims, criteria, dtype: args.dtype,
      }, journal);
      writeFileSync(join(dir, 'accuracy.json'), JSON.stringify(result, null, 2) + '\n');
      emit(args, result, () => render(result) + `\n\nJournal and accuracy.json in ${dir}`);
      return result.pass ? 0 : 1;
    } finally {
      journal.close();
    }
  },
};

function render(r: AccuracyResult): string {
  const g = (x: number | null, digits = 6) => (x === null ? '—' : Number(x.toPrecision(digits)).toString());
  const parts = [
    `${r.model}${r.dtype ? ` (${r.dtype})` : ''}: ${r.device} vs reference ${r.reference}, ${r.samples} seeded sample(s) from seed ${r.seed}`,
    table(['output', 'dtype', 'shape', 'min cosine', 'max abs err', 'max rel err', 'top-1', 'top-5'],
      r.outputs.map((o) => [o.name, o.type, `[${o.dims.join(',')}]`, g(o.minCosine, 12), g(o.maxAbsError, 3), g(o.maxRelError, 3), o.topK ? g(o.topK.top1) : null, o.topK ? g(o.topK.top5) : null])),
  ];
  if (r.generation) {
    const gen = r.generation;
    const div = gen.samples.map((s) => (s.firstDivergence === null ? 'none' : `step ${s.firstDivergence}`)).join(', ');
    parts.push(`Greedy generation, ${gen.tokens} tokens per prompt: ${gen.exact}/${gen.samples.length} identical; agreement ${g(gen.agreement)}; first divergence: ${div}\n` +
      `Teacher-forced decode (the reference's tokens through each device's KV cache), ${gen.decode.steps} steps: min cosine ${g(gen.decode.minCosine, 12)}, max abs err ${g(gen.decode.maxAbsError, 3)}, top-1 ${g(gen.decode.top1)}`);
  } else if (r.generationNote) parts.push(`Generation: ${r.generationNote}`);
  parts.push(table(['check', 'value', 'threshold', 'result'], r.checks.map((c) => [c.name, g(c.value, 12), c.threshold, c.pass ? 'pass' : 'FAIL'])));
  parts.push(r.pass ? 'PASS' : 'FAIL');
  return parts.join('\n\n');
}
