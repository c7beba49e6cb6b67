// `npuval llm`: LLM generation metrics (TTFT, TPOT, ICL, E2E, tokens/s, goodput) on an in-process
// device or an OpenAI-compatible endpoint, as a one-unit suite: the same reports as npuval run.
import type { Argv } from 'yargs';
import { InputError } from '../errors.js';
import { overheadLine, type LlmReport } from '../llm/run.js';
import { outPath, table } from '../output.js';
import { emitUnits, executeSuite, EXIT_INTERRUPTED, oneUnitSuite, raiseUnitError, workloadOptions } from './execute.js';
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
    if (e.code === EXIT_INTERRUPTED) return EXIT_INTERRUPTED;
    emitUnits(args, e, report ? { ...report } : {}, () =>
      report ? render(report) : e.units.map((u) => `${u.id}: ${u.status}${u.error ? ` — ${u.error.message}` : ''}`).join('\n'),
    );
    return e.code;
  },
};

const n = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));

function render(r: LlmReport): string {
  const lines: string[] = [`${r.device.id} · ${r.model.name} (${r.model.source}${r.model.dtype ? `, ${r.model.dtype}` : ''})`];
  if (r.bandwidth) {
    for (const m of r.bandwidth.measurements)
      lines.push(`memory bandwidth ${n(m.bytesPerS / 1e9)} GB/s best, ${n(m.medianBytesPerS / 1e9)} median — ${m.method}`);
    lines.push(...r.bandwidth.notes);
  }
  if (r.httpOverhead) lines.push(overheadLine(r.httpOverhead));
  lines.push('');
  lines.push(
    table(
      ['point', 'ok/all', 'out tok/s', 'req/s', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'TPOT p99', 'ICL p99', 'E2E p50', 'goodput'],
      r.points.map((p) => {
        const s = p.summary;
        return [
          p.label,
          `${s.succeeded}/${s.requests}`,
          n(s.outputTokensPerS),
          n(s.requestsPerS, 2),
          n(s.ttft?.p50, 2),
          n(s.ttft?.p99, 2),
          n(s.tpot?.p50, 2),
          n(s.tpot?.p99, 2),
          n(s.icl?.p99, 2),
          n(s.e2e?.p50, 1),
          s.slo ? `${n(s.slo.goodputRps, 2)}/s${s.slo.met ? '' : ' (missed)'}` : '—',
        ];
      }),
    ),
  );
  const spread = r.points.filter((p) => p.endpoints?.length);
  if (spread.length) {
    lines.push('');
    if (r.cluster) lines.push(`one load over ${r.cluster.devices.length} endpoints, ${r.cluster.balance}:`);
    lines.push(
      table(
        ['point', 'endpoint', 'ok/all', 'out tok/s', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'TPOT p99'],
        spread.flatMap((p) =>
          p.endpoints!.map((e) => [
            p.label,
            e.device,
            `${e.succeeded}/${e.requests}`,
            n(e.outputTokensPerS),
            n(e.ttftP50Ms, 2),
            n(e.ttftP99Ms, 2),
            n(e.tpotP50Ms, 2),
            n(e.tpotP99Ms, 2),
          ]),
        ),
      ),
    );
  }
  const splits = r.points.filter((p) => p.split);
  if (splits.length) {
    lines.push('');
    lines.push(
      table(
        ['point', 'prefill ms p50', 'prefill TFLOP/s', 'decode step p50', 'decode tok/s', 'decode GB/s', 'roofline tok/s', 'of roofline'],
        splits.map((p) => [
          p.label,
          n(p.split!.prefillMs?.p50, 2),
          n(p.split!.prefillTflops, 4),
          n(p.split!.decodeStepMs?.p50, 2),
          n(p.split!.decodeTokensPerS),
          n(p.split!.decodeBytesPerS === null ? null : p.split!.decodeBytesPerS / 1e9, 2),
          n(p.split!.rooflineTokensPerS),
          n(p.split!.rooflineRatio, 2),
        ]),
      ),
    );
  }
  for (const p of r.points) {
    const errs = Object.entries(p.summary.errors);
    if (errs.length) lines.push(`${p.label}: failed requests: ${errs.map(([e, c]) => `${c}× ${e}`).join('; ')}`);
    if (p.summary.usageMismatches)
      lines.push(`${p.label}: ${p.summary.usageMismatches} request(s) where the server's usage count differs from the client's`);
    if (p.engine)
      lines.push(
        `${p.label}: engine max batch ${p.engine.maxBatchSeen} of ${p.engine.maxBatch}, decode steps by batch ${JSON.stringify(p.engine.stepsByBatch)}`,
      );
  }
  if (r.sla)
    lines.push(
      `SLA search (${r.sla.variable}, ${r.sla.slo.source}): best ${r.sla.best ?? 'none met the SLO'}; tried ${r.sla.tried.map((t) => `${t.value}${t.met ? '✓' : '✗'}`).join(' ')}`,
    );
  lines.push(...r.notes);
  return lines.join('\n');
}
