// `npuval llm`: LLM generation metrics (TTFT, TPOT, ICL, E2E, tokens/s, goodput) on an in-process
// device or an OpenAI-compatible endpoint, as a one-unit suite: the same reports as npuval run.
import type { Argv } from 'yargs';
import { InputError } from '../errors.js';
import type { LlmReport } from '../llm/run.js';
import { renderLlmReport as render } from '../llm/render.js';
import { outPath } from '../output.js';
import { emitUnits, executeSuite, oneUnitSuite, raiseUnitError, workloadOptions } from './execute.js';
import type { Command } from './types.js';

interface LlmArgs {
  /** Repeated: one load spread over every device given (each an endpoint serving its own model). */
  device?: string | string[];
  model?: string;
  seed: number;
  [flag: string]: unknown;
}

export const llmCommand: Command<LlmArgs> = {
  command: 'llm',
  describe:
    'LLM generation: TTFT, TPOT, ICL, E2E, tokens/s and goodput, in-process (prefill/decode split, roofline) or against an OpenAI-compatible endpoint',
  builder: (y: Argv) =>
    y
      .usage(
        'npuval llm --device SPEC [--device SPEC …] --model M [--batch N --prompt-len N --gen-len N --requests N] [--concurrency N | --rate R --burstiness B] [--slo ...]',
      )
      .option('device', {
        type: 'string',
        array: true,
        describe:
          'ort:cpu, tfjs:wasm, … or endpoint:http://host:port/v1?model=NAME, with options &api=chat &usage=false &ignoreEos=false &apiKeyEnv=VAR (API key from $NPUVAL_API_KEY or $OPENAI_API_KEY, never recorded); repeat --device endpoint:… to spread one load over several endpoints (--balance)',
      })
      .option('model', {
        type: 'string',
        describe:
          'Zoo decoder (tiny-llama, llama-100m, …) or an ONNX decoder-with-past export; for endpoints, optional (names the zoo vocabulary)',
      })
      .option('seed', {
        type: 'number',
        default: 1,
        describe: 'Seed of prompts and arrival gaps (zoo weights always use the zoo seed, so models hash the same everywhere)',
      })
      .options(workloadOptions('llm'))
      .example('npuval llm --device ort:cpu --model tiny-llama --batch 4', 'in-process: TTFT/TPOT, prefill TFLOP/s, decode vs roofline')
      .example(
        'npuval llm --device endpoint:http://127.0.0.1:8000/v1?model=tiny-llama --sweep-concurrency 1,2,4 --slo mlperf:llama3.1-8b',
        'a server under load',
      )
      .example(
        'npuval llm --device endpoint:http://node1:8000/v1 --device endpoint:http://node2:8000/v1 --concurrency 16 --balance least-outstanding',
        'one load over two nodes: aggregate and per-endpoint metrics',
      ),
  handler: async (args) => {
    const devices = ([] as string[]).concat(args.device ?? []).map(String);
    if (devices.length === 0)
      throw new InputError('llm needs --device SPEC (e.g. --device ort:cpu, or endpoint:http://127.0.0.1:8000/v1?model=NAME)');
    // The first device is the unit's; the others are its `endpoints` setting (the workload's needs() names them).
    const [first, ...rest] = devices;
    const suite = oneUnitSuite(
      'llm',
      'llm',
      args,
      [{ devices: [first!], ...(args.model ? { model: args.model } : {}), ...(rest.length ? { settings: { endpoints: rest } } : {}) }],
      args.seed,
    );
    const e = await executeSuite(args, {
      suiteObject: suite,
      outDir: outPath(args),
      workloadLog: args.json ? undefined : (l) => process.stderr.write(`  ${l}\n`),
    });
    raiseUnitError(e.units);
    const report = e.units[0]?.result as unknown as LlmReport | undefined;
    if (e.result.interrupted) return e.code;
    emitUnits(args, e, report ? { ...report } : {}, () =>
      report ? render(report) : e.units.map((u) => `${u.id}: ${u.status}${u.error ? ` — ${u.error.message}` : ''}`).join('\n'),
    );
    return e.code;
  },
};
