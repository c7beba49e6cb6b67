// `npuval accuracy`: a model on a device against a reference device, on the same seeded inputs.
import type { Argv } from 'yargs';
import type { AccuracyResult } from '../accuracy/index.js';
import { InputError } from '../errors.js';
import { outPath, table } from '../output.js';
import { emitUnits, executeSuite, oneUnitSuite, raiseUnitError, workloadOptions } from './execute.js';
import type { Command } from './types.js';

interface AccuracyArgs {
  device: string;
  reference: string;
  model: string;
  samples: number;
  seed: number;
  [flag: string]: unknown;
}

export const accuracyCommand: Command<AccuracyArgs> = {
  command: 'accuracy',
  describe:
    "Compare a model's outputs on a device with a reference device on the same seeded inputs (cosine, errors, top-k, greedy tokens)",
  builder: (y: Argv) =>
    y
      .option('device', { type: 'string', demandOption: true, describe: 'Device under test (e.g. ort:webgpu)' })
      .option('reference', {
        type: 'string',
        default: 'tfjs:wasm',
        describe: 'Reference device (tfjs:wasm is an independent implementation of the zoo models)',
      })
      .option('model', { type: 'string', demandOption: true, describe: 'Zoo model name (npuval models list) or an ONNX file' })
      .option('samples', { type: 'number', default: 4, describe: 'Seeded input samples; sample i uses seed + i' })
      .option('seed', { type: 'number', default: 1, describe: 'Seed of the first sample' })
      .options(workloadOptions('accuracy')),
  handler: async (args) => {
    if (!(Number.isInteger(args.samples) && args.samples >= 1 && args.samples <= 100_000))
      throw new InputError(`--samples ${args.samples} must be an integer from 1 to 100000`);
    const suite = oneUnitSuite(
      'accuracy',
      'accuracy',
      args,
      [{ model: args.model, reference: args.reference, samples: args.samples, devices: [args.device] }],
      args.seed,
    );
    if (args.device === args.reference)
      throw new InputError(`--device and --reference are both ${args.device}; compare a device with another`);
    const e = await executeSuite(args, { suiteObject: suite, outDir: outPath(args) });
    raiseUnitError(e.units);
    const result = e.units[0]?.result as unknown as AccuracyResult | undefined;
    emitUnits(args, e, result ? { ...result } : {}, () =>
      result ? render(result) : e.units.map((u) => `${u.id}: ${u.status}${u.error ? ` — ${u.error.message}` : ''}`).join('\n'),
    );
    return e.code;
  },
};

function render(r: AccuracyResult): string {
  const g = (x: number | null, digits = 6) => (x === null ? '—' : Number(x.toPrecision(digits)).toString());
  const parts = [
    `${r.model}${r.dtype ? ` (${r.dtype})` : ''}: ${r.device} vs reference ${r.reference}, ${r.samples} ${r.inputs ? `sample(s) from inputs folder ${r.inputs}` : `seeded sample(s) from seed ${r.seed}`}`,
    table(
      ['output', 'dtype', 'shape', 'min cosine', 'max abs err', 'max rel err', 'top-1', 'top-5'],
      r.outputs.map((o) => [
        o.name,
        o.type,
        `[${o.dims.join(',')}]`,
        g(o.minCosine, 12),
        g(o.maxAbsError, 3),
        g(o.maxRelError, 3),
        o.topK ? g(o.topK.top1) : null,
        o.topK ? g(o.topK.top5) : null,
      ]),
    ),
  ];
  if (r.generation) {
    const gen = r.generation;
    const div = gen.samples.map((s) => (s.firstDivergence === null ? 'none' : `step ${s.firstDivergence}`)).join(', ');
    parts.push(
      `Greedy generation, ${gen.tokens} tokens per prompt: ${gen.exact}/${gen.samples.length} identical; agreement ${g(gen.agreement)}; first divergence: ${div}\n` +
        `Teacher-forced decode (the reference's tokens through each device's KV cache), ${gen.decode.steps} steps: min cosine ${g(gen.decode.minCosine, 12)}, max abs err ${g(gen.decode.maxAbsError, 3)}, top-1 ${g(gen.decode.top1)}`,
    );
  } else if (r.generationNote) parts.push(`Generation: ${r.generationNote}`);
  parts.push(
    table(
      ['check', 'value', 'threshold', 'result'],
      r.checks.map((c) => [c.name, g(c.value, 12), c.threshold, c.pass ? 'pass' : 'FAIL']),
    ),
  );
  parts.push(r.pass ? 'PASS' : 'FAIL');
  return parts.join('\n\n');
}
