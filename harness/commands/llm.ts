// `npuval llm`: LLM generation metrics (TTFT, TPOT, ICL, E2E, tokens/s, goodput) on an in-process
// device or an OpenAI-compatible endpoint. Writes journal.jsonl and llm.json to --out.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { InputError } from '../errors.js';
import { Journal } from '../journal.js';
import { DEFAULT_LLM_SETTINGS, overheadLine, runLlm, type LlmReport, type LlmSettings } from '../llm/run.js';
import { parseSlo, SLO_PRESETS } from '../llm/slo.js';
import { emit, journalDir, table } from '../output.js';
import { EXIT_INTERRUPTED } from './run.js';
import type { Command } from './types.js';

interface LlmArgs {
  device?: string;
  model?: string;
  dtype: string;
  batch: number;
  'sweep-batch'?: string;
  'prompt-len': number;
  'gen-len': number;
  'sweep-prompt-len'?: string;
  'sweep-gen-len'?: string;
  requests: number;
  warmup: number;
  concurrency?: number;
  rate?: string;
  burstiness: number;
  'sweep-concurrency'?: string;
  slo?: string;
  'sla-search'?: string;
  'sla-max': number;
  seed: number;
  timeout: number;
  'count-tokens': string;
  'prompt-file'?: string;
  bandwidth: boolean;
  'http-overhead': boolean;
}

export const llmCommand: Command<LlmArgs> = {
  command: 'llm',
  describe: 'LLM generation: TTFT, TPOT, ICL, E2E, tokens/s and goodput, in-process (prefill/decode split, roofline) or against an OpenAI-compatible endpoint',
  builder: (y: Argv) =>
    y
      .usage('npuval llm --device SPEC --model M [--batch N --prompt-len N --gen-len N --requests N] [--concurrency N | --rate R --burstiness B] [--slo ...]')
      .option('device', { type: 'string', describe: 'ort:cpu, tfjs:wasm, … or endpoint:http://host:port/v1?model=NAME[&api=chat&usage=false&ignoreEos=false&apiKeyEnv=VAR] (API key from $NPUVAL_API_KEY or $OPENAI_API_KEY, never recorded)' })
      .option('model', { type: 'string', describe: 'Zoo decoder (tiny-llama, llama-100m, …) or an ONNX decoder-with-past export; for endpoints, optional (names the zoo vocabulary)' })
      .option('dtype', { type: 'string', choices: ['float32', 'float16'], default: 'float32', describe: 'Zoo model precision' })
      .option('batch', { type: 'number', default: 1, describe: 'In-process: static batch size, or the engine\'s max batch with --concurrency/--rate' })
      .option('sweep-batch', { type: 'string', describe: 'In-process: sweep batch sizes, e.g. 1,2,4,8' })
      .option('prompt-len', { type: 'number', default: DEFAULT_LLM_SETTINGS.promptLen, describe: 'Prompt tokens (seeded synthetic ids; token-id prompts to endpoints on /v1/completions)' })
      .option('gen-len', { type: 'number', default: DEFAULT_LLM_SETTINGS.genLen, describe: 'Output tokens per request (max_tokens with ignore_eos/min_tokens)' })
      .option('sweep-prompt-len', { type: 'string', describe: 'Sweep prompt lengths, e.g. 16,64,256' })
      .option('sweep-gen-len', { type: 'string', describe: 'Sweep generation lengths, e.g. 16,64' })
      .option('requests', { type: 'number', default: DEFAULT_LLM_SETTINGS.requests, describe: 'Measured requests per point' })
      .option('warmup', { type: 'number', default: DEFAULT_LLM_SETTINGS.warmup, describe: 'Warm-up requests per point (not recorded)' })
      .option('concurrency', { type: 'number', describe: 'Closed-loop concurrency (with --rate: the cap on requests in flight)' })
      .option('rate', { type: 'string', describe: 'Requests/s with gamma-distributed gaps (inf: all at once)' })
      .option('burstiness', { type: 'number', default: 1, describe: 'Gamma shape of the gaps: 1 = Poisson, < 1 burstier, > 1 more regular' })
      .option('sweep-concurrency', { type: 'string', describe: 'Run each concurrency in turn, e.g. 1,2,4,8' })
      .option('slo', { type: 'string', describe: `Goodput objectives in ms, ttft=…,tpot=…,e2e=…[,p=99], or a preset: ${Object.keys(SLO_PRESETS).join(', ')}` })
      .option('sla-search', { type: 'string', choices: ['concurrency', 'rate'], describe: 'Find the largest concurrency or rate whose p-th percentiles meet --slo' })
      .option('sla-max', { type: 'number', default: DEFAULT_LLM_SETTINGS.slaMax, describe: 'Upper end of --sla-search' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of prompts and arrival gaps (zoo weights always use the zoo seed, so models hash the same everywhere)' })
      .option('timeout', { type: 'number', default: DEFAULT_LLM_SETTINGS.timeoutMs / 1000, describe: 'Per-request timeout in seconds (the request is cancelled and counted as failed)' })
      .option('count-tokens', { type: 'string', choices: ['chunks', 'words'], default: 'chunks', describe: 'Client-side token count: non-empty content chunks, or whitespace-separated words' })
      .option('prompt-file', { type: 'string', describe: 'JSONL of {"prompt": "text" | [token ids]} used in turn instead of synthetic prompts' })
      .option('bandwidth', { type: 'boolean', default: true, describe: 'Measure memory bandwidth for the decode roofline (in-process; --no-bandwidth skips)' })
      .option('http-overhead', { type: 'boolean', default: true, describe: 'Endpoints: measure the HTTP overhead first (on npuval serve: no-generation probes, paced at the unstreamed per-token time for TPOT; elsewhere: GET /models, and streamed vs unstreamed TPOT); --no-http-overhead skips' })
      .example('npuval llm --device ort:cpu --model tiny-llama --batch 4', 'in-process: TTFT/TPOT, prefill TFLOP/s, decode vs roofline')
      .example('npuval llm --device endpoint:http://127.0.0.1:8000/v1?model=tiny-llama --sweep-concurrency 1,2,4 --slo mlperf:llama3.1-8b', 'a server under load'),
  handler: async (args) => {
    if (!args.device) throw new InputError('llm needs --device SPEC (e.g. --device ort:cpu, or endpoint:http://127.0.0.1:8000/v1?model=NAME)');
    const settings = settingsFrom(args);
    const dir = journalDir(args);
    const journal = new Journal(join(dir, 'journal.jsonl'));
    const cancel = new AbortController();
    const onSigint = () => cancel.abort(new Error('cancelled'));
    process.once('SIGINT', onSigint);
    let report: LlmReport;
    try {
      report = await runLlm(settings, { journal, signal: cancel.signal, log: args.json ? undefined : (l) => process.stderr.write(`  ${l}\n`) });
    } finally {
      process.off('SIGINT', onSigint);
      journal.close();
    }
    writeFileSync(join(dir, 'llm.json'), JSON.stringify(report, null, 2) + '\n');
    emit(args, { out: dir, ...report }, () => render(report) + `\n\nWrote ${dir}/llm.json and journal.jsonl`);
    if (cancel.signal.aborted) {
      process.stderr.write(`npuval: SIGINT: the run stopped; ${dir}/llm.json holds the points that finished\n`);
      return EXIT_INTERRUPTED;
    }
    const failed = report.points.some((p) => p.summary.failed > 0) || (report.sla !== null && report.sla.best === null);
    return failed ? 1 : 0;
  },
};

function list(name: string, text: string | undefined): number[] | null {
  if (text === undefined) return null;
  const v = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (v.length === 0 || v.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`--${name} ${text} is not a comma-separated list of positive integers`);
  return v;
}

function settingsFrom(a: LlmArgs): LlmSettings {
  let rate: number | null = null;
  if (a.rate !== undefined) {
    rate = a.rate === 'inf' ? Infinity : Number(a.rate);
    if (!(rate > 0)) throw new InputError(`--rate ${a.rate} is not a positive number of requests/s or inf`);
  }
  return {
    ...DEFAULT_LLM_SETTINGS,
    device: a.device!, model: a.model ?? null, dtype: a.dtype as LlmSettings['dtype'], batch: a.batch, sweepBatch: list('sweep-batch', a['sweep-batch']),
    promptLen: a['prompt-len'], genLen: a['gen-len'],
    sweepPromptLen: list('sweep-prompt-len', a['sweep-prompt-len']), sweepGenLen: list('sweep-gen-len', a['sweep-gen-len']),
    requests: a.requests, warmup: a.warmup, concurrency: a.concurrency ?? null, rate, burstiness: a.burstiness,
    sweepConcurrency: list('sweep-concurrency', a['sweep-concurrency']),
    slaSearch: (a['sla-search'] as LlmSettings['slaSearch']) ?? null, slaMax: a['sla-max'],
    slo: a.slo ? parseSlo(a.slo) : null, seed: a.seed, timeoutMs: a.timeout * 1000,
    counter: a['count-tokens'] as LlmSettings['counter'], promptFile: a['prompt-file'] ?? null, bandwidth: a.bandwidth, httpOverhead: a['http-overhead'],
  };
}

const n = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));

function render(r: LlmReport): string {
  const lines: string[] = [`${r.device.id} · ${r.model.name} (${r.model.source}${r.model.dtype ? `, ${r.model.dtype}` : ''})`];
  if (r.bandwidth) {
    for (const m of r.bandwidth.measurements) lines.push(`memory bandwidth ${n(m.bytesPerS / 1e9)} GB/s best, ${n(m.medianBytesPerS / 1e9)} median — ${m.method}`);
    lines.push(...r.bandwidth.notes);
  }
  if (r.httpOverhead) lines.push(overheadLine(r.httpOverhead));
  lines.push('');
  lines.push(table(
    ['point', 'ok/all', 'out tok/s', 'req/s', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'TPOT p99', 'ICL p99', 'E2E p50', 'goodput'],
    r.points.map((p) => {
      const s = p.summary;
      return [p.label, `${s.succeeded}/${s.requests}`, n(s.outputTokensPerS), n(s.requestsPerS, 2), n(s.ttft?.p50, 2), n(s.ttft?.p99, 2), n(s.tpot?.p50, 2), n(s.tpot?.p99, 2), n(s.icl?.p99, 2), n(s.e2e?.p50, 1), s.slo ? `${n(s.slo.goodputRps, 2)}/s${s.slo.met ? '' : ' (missed)'}` : '—'];
    }),
  ));
  const splits = r.points.filter((p) => p.split);
  if (splits.length) {
    lines.push('');
    lines.push(table(
      ['point', 'prefill ms p50', 'prefill TFLOP/s', 'decode step p50', 'decode tok/s', 'decode GB/s', 'roofline tok/s', 'of roofline'],
      splits.map((p) => [p.label, n(p.split!.prefillMs?.p50, 2), n(p.split!.prefillTflops, 4), n(p.split!.decodeStepMs?.p50, 2), n(p.split!.decodeTokensPerS), n(p.split!.decodeBytesPerS === null ? null : p.split!.decodeBytesPerS / 1e9, 2), n(p.split!.rooflineTokensPerS), n(p.split!.rooflineRatio, 2)]),
    ));
  }
  for (const p of r.points) {
    const errs = Object.entries(p.summary.errors);
    if (errs.length) lines.push(`${p.label}: failed requests: ${errs.map(([e, c]) => `${c}× ${e}`).join('; ')}`);
    if (p.summary.usageMismatches) lines.push(`${p.label}: ${p.summary.usageMismatches} request(s) where the server's usage count differs from the client's`);
    if (p.engine) lines.push(`${p.label}: engine max batch ${p.engine.maxBatchSeen} of ${p.engine.maxBatch}, decode steps by batch ${JSON.stringify(p.engine.stepsByBatch)}`);
  }
  if (r.sla) lines.push(`SLA search (${r.sla.variable}, ${r.sla.slo.source}): best ${r.sla.best ?? 'none met the SLO'}; tried ${r.sla.tried.map((t) => `${t.value}${t.met ? '✓' : '✗'}`).join(' ')}`);
  lines.push(...r.notes);
  return lines.join('\n');
}
