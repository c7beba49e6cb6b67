// The `llm` workload: LLM generation (harness/llm) on the unit's device — in-process on an ONNX
// decoder, or an OpenAI-compatible endpoint — with TTFT/TPOT/ICL/E2E, tokens/s and goodput under
// the registry's names, taken from the last point of the run (the only one unless it sweeps).
import { InputError } from '../../errors.js';
import {
  AUTO_REQUESTS_PER_SLOT,
  DEFAULT_LLM_SETTINGS,
  MIN_AUTO_REQUESTS,
  overheadLine,
  readPromptFile,
  runLlm,
  validateLlmSettings,
  type LlmReport,
  type LlmSettings,
} from '../../llm/run.js';
import { BALANCES } from '../../llm/pool.js';
import { statisticsLines } from '../../llm/render.js';
import { parseSlo, SLO_PRESETS } from '../../llm/slo.js';
import { arrayOf, nullable, type Schema, str } from '../../../reports/schemas/common.js';
import type { Statistics } from '../../stats.js';
import { quantitySetting, type Resolved } from '../settings.js';
import { computeMetrics, type MetricBinding, type Params, type Workload } from '../types.js';

const D = DEFAULT_LLM_SETTINGS;
const count = (dflt: number | null, doc: string, flag: string, extra: { min?: number; max?: number; unit?: string } = {}) =>
  ({ type: 'integer', default: dflt, min: extra.min ?? 1, max: extra.max ?? 1_000_000, unit: extra.unit, flag, doc }) as const;
const sweep = (doc: string, flag: string) => ({ type: 'integers', default: null, min: 1, max: 1_000_000, flag, doc }) as const;
const stddev = (doc: string, flag: string) => ({ type: 'number', default: 0, min: 0, max: 1_000_000, unit: 'tokens', flag, doc }) as const;

const SETTINGS = {
  batch: count(
    D.batch,
    "In-process: static batch size (default 1), or the engine's max batch under concurrency/rate load (default: the most requests in flight; a concurrency above it is refused)",
    'batch',
    { max: 4096 },
  ),
  sweepBatch: sweep('In-process: batch sizes run in turn', 'sweep-batch'),
  promptLen: count(D.promptLen, 'Prompt tokens (seeded synthetic ids; token-id prompts to endpoints on /v1/completions)', 'prompt-len', {
    unit: 'tokens',
  }),
  genLen: count(D.genLen, 'Output tokens per request, the mean when drawn (max_tokens with ignore_eos/min_tokens)', 'gen-len', {
    unit: 'tokens',
  }),
  promptLenStddev: stddev(
    'Standard deviation of prompt lengths around --prompt-len (AIPerf --isl-stddev; seeded normal, ±3σ, ≥ 1)',
    'prompt-len-stddev',
  ),
  genLenStddev: stddev(
    'Standard deviation of output lengths around --gen-len (AIPerf --osl-stddev; seeded normal, ±3σ, ≥ 1)',
    'gen-len-stddev',
  ),
  rangeRatio: {
    type: 'number',
    default: D.rangeRatio,
    min: 0,
    max: 0.999,
    flag: 'range-ratio',
    doc: 'Prompt and output lengths uniform in [L(1−r), L(1+r)] around their means (vLLM --random-range-ratio; seeded; 0: fixed)',
  },
  sweepPromptLen: sweep('Prompt lengths run in turn', 'sweep-prompt-len'),
  sweepGenLen: sweep('Generation lengths run in turn', 'sweep-gen-len'),
  requests: count(
    D.requests,
    `Measured requests per point (default: max(${MIN_AUTO_REQUESTS}, ${AUTO_REQUESTS_PER_SLOT} × concurrency), so p99 is not the largest value; never below the concurrency)`,
    'requests',
    { unit: 'requests' },
  ),
  warmup: count(D.warmup, 'Warm-up requests per point (not recorded)', 'warmup-requests', { min: 0, unit: 'requests' }),
  concurrency: count(null, 'Closed-loop concurrency (with rate: the cap on requests in flight)', 'concurrency', { max: 100_000 }),
  rate: {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 1e6,
    allowInfinity: true,
    unit: 'requests/s',
    flag: 'rate',
    doc: 'Request rate with gamma-distributed gaps (CLI: inf sends all at once)',
    flagParse: (text: string, where: string) => {
      const v = text === 'inf' ? Infinity : Number(text);
      if (!(v > 0)) throw new InputError(`${where} ${text} is not a positive number of requests/s or inf`);
      return v;
    },
  },
  burstiness: {
    type: 'number',
    default: 1,
    min: 0,
    exclusiveMin: true,
    max: 1000,
    flag: 'burstiness',
    doc: 'Gamma shape of the gaps: 1 = Poisson, < 1 burstier, > 1 more regular',
  },
  sweepConcurrency: sweep('Concurrencies run in turn', 'sweep-concurrency'),
  sweepRate: {
    type: 'string',
    default: null,
    unit: 'requests/s',
    flag: 'sweep-rate',
    doc: 'Request rates run in turn, comma-separated (e.g. 1,2,4,inf), each capped by concurrency when set',
  },
  slo: {
    type: 'string',
    default: null,
    flag: 'slo',
    doc: `Goodput objectives in ms, ttft=…,tpot=…,e2e=…[,p=99] (p: the percentile, 99 or 0.99 alike; default 99), or a preset: ${Object.keys(SLO_PRESETS).join(', ')}`,
  },
  slaSearch: {
    type: 'string',
    default: null,
    values: ['concurrency', 'rate'],
    flag: 'sla-search',
    doc: 'Find the largest concurrency or rate whose percentiles meet slo',
  },
  slaMax: count(D.slaMax, 'Upper end of the SLA search', 'sla-max'),
  seed: { type: 'integer', default: null, min: 0, max: 2 ** 31 - 1, doc: "Seed of prompts and arrival gaps (default: the run's seed)" },
  timeoutMs: {
    type: 'number',
    default: D.timeoutMs,
    min: 0,
    exclusiveMin: true,
    max: 86_400_000,
    unit: 'ms',
    flag: 'timeout',
    flagScale: 1000,
    flagUnit: 's',
    doc: 'Per-request timeout (the request is cancelled and counted as failed)',
  },
  countTokens: {
    type: 'string',
    default: 'chunks',
    values: ['chunks', 'words'],
    flag: 'count-tokens',
    doc: 'Client-side token count: non-empty content chunks, or whitespace-separated words',
  },
  promptFile: {
    type: 'string',
    default: null,
    flag: 'prompt-file',
    doc: 'JSONL of {"prompt": "text" | [token ids]} used in turn instead of synthetic prompts',
  },
  dtype: { type: 'string', default: 'float32', values: ['float32', 'float16'], flag: 'dtype', doc: 'Zoo model precision' },
  bandwidth: {
    type: 'boolean',
    default: true,
    flag: 'bandwidth',
    doc: 'Measure memory bandwidth for the decode roofline (in-process; --no-bandwidth skips)',
  },
  httpOverhead: {
    type: 'boolean',
    default: true,
    flag: 'http-overhead',
    doc: 'Endpoints: measure the HTTP overhead first (--no-http-overhead skips)',
  },
  endpoints: {
    type: 'strings',
    default: null,
    doc: "More endpoint devices the one load is spread over besides the unit's device (CLI: repeat --device)",
  },
  balance: {
    type: 'string',
    default: 'round-robin',
    values: BALANCES,
    flag: 'balance',
    doc: 'How a load over several endpoints picks one per request: in turn, or the one with the fewest requests in flight',
  },
  engine: {
    type: 'string',
    default: 'npuval',
    values: ['npuval', 'adapter'],
    flag: 'engine',
    doc: "Who generates on a device that runs the decoder: npuval's batching engine (prefill/decode split, roofline), or a proc: adapter's own generate (PROTOCOL.md; a vendor LLM engine), measured as a load like an endpoint",
  },
  flopsPerToken: quantitySetting(
    'flops',
    'FLOP',
    1e18,
    "Your decoder's FLOPs per token (≈ 2 × parameters; e.g. 2.4e9 or 2.4G) for prefill/decode TFLOP/s and load points' effective TFLOP/s; replaces the zoo's analytic count",
  ),
  bytesPerToken: quantitySetting(
    'bytes',
    'bytes',
    1e15,
    "Bytes one decode step reads (≈ weight bytes; e.g. 2.5G) for your decoder's decode bytes/s against the measured roofline; replaces the zoo's analytic count",
  ),
} as const;

type S = typeof SETTINGS;

const num = nullable({ type: 'number' });
/** An object schema whose every property is required and no other is allowed. */
const closed = (properties: Record<string, Schema>): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const count0: Schema = { type: 'integer', minimum: 0 };

/** One endpoint's part of a load spread over several (run.ts EndpointShare). */
const ENDPOINT_SHARE = closed({
  device: str,
  requests: count0,
  succeeded: count0,
  failed: count0,
  outputTokens: count0,
  outputTokensPerS: num,
  ttftP50Ms: num,
  ttftP99Ms: num,
  tpotP50Ms: num,
  tpotP99Ms: num,
});

/** AIPerf-shaped statistics of one per-request metric (harness/stats.ts), null when no request gave a value. */
const STATS_KEYS = ['count', 'avg', 'min', 'max', 'std', 'p50', 'p90', 'p95', 'p99'];
const STATS: Schema = nullable({
  type: 'object',
  properties: { unit: str, ...Object.fromEntries(STATS_KEYS.map((k) => [k, { type: 'number' }])) },
  required: ['unit', ...STATS_KEYS],
});
/** A point's summary (metrics.ts RunSummary): throughputs, the percentile rule, every per-request metric's statistics. */
const SUMMARY_PROPERTIES: Record<string, Schema> = {
  requests: count0,
  succeeded: count0,
  failed: count0,
  durationS: num,
  percentileRule: str,
  inputTokens: count0,
  outputTokens: count0,
  inputTokensPerS: num,
  outputTokensPerS: num,
  totalTokensPerS: num,
  requestsPerS: num,
  ttft: STATS,
  tpot: STATS,
  icl: STATS,
  e2e: STATS,
  tokensPerSPerUser: STATS,
  inputTokensPerRequest: STATS,
  outputTokensPerRequest: STATS,
};
// Open: the summary carries more (errors, usage counts, the SLO verdict) than is pinned here.
const SUMMARY: Schema = { type: 'object', properties: SUMMARY_PROPERTIES, required: Object.keys(SUMMARY_PROPERTIES) };

interface LlmParams extends Params<S> {
  readonly llm: Omit<LlmSettings, 'seed' | 'device'> & { readonly seed: number | null };
}

type Point = LlmReport['points'][number]['summary'];

/** mean, median and tail of one per-request metric, under the registry's `<prefix>_<stat><suffix>` names. */
const statBindings = (prefix: string, suffix: string, of: (r: Point) => Statistics | null): MetricBinding<Point>[] =>
  (['mean', 'p50', 'p90', 'p95', 'p99'] as const).map((k) => ({
    name: `${prefix}_${k}${suffix}`,
    compute: (r: Point) => {
      const st = of(r);
      return st ? (k === 'mean' ? st.avg : st[k]) : null;
    },
  }));

const METRICS: readonly MetricBinding<Point>[] = [
  ...statBindings('ttft', '_ms', (r) => r.ttft),
  ...statBindings('tpot', '_ms', (r) => r.tpot),
  ...statBindings('e2e', '_ms', (r) => r.e2e),
  ...statBindings('icl', '_ms', (r) => r.icl),
  ...statBindings('user_tokens_per_second', '', (r) => r.tokensPerSPerUser),
  { name: 'output_tokens_per_second', compute: (r) => r.outputTokensPerS },
  { name: 'input_tokens_per_second', compute: (r) => r.inputTokensPerS },
  { name: 'total_tokens_per_second', compute: (r) => r.totalTokensPerS },
  { name: 'requests_per_second', compute: (r) => r.requestsPerS },
  { name: 'goodput_rps', compute: (r) => r.slo?.goodputRps ?? null },
  { name: 'query_count', compute: (r) => r.succeeded },
  { name: 'duration_s', compute: (r) => r.durationS },
];

/** "1,2.5,inf" → [1, 2.5, Infinity]; anything else is bad input naming `where`. */
function parseRates(text: string, where: string): number[] {
  const rates = text.split(',').map((t) => (t.trim() === 'inf' ? Infinity : Number(t.trim())));
  if (rates.length === 0 || rates.some((r) => !(r > 0)))
    throw new InputError(`${where} "${text}" is not a comma-separated list of positive requests/s (or inf)`);
  return rates;
}

function llmSettings(unitModel: string | null, s: Resolved<S>, where: (k: string) => string): LlmParams['llm'] {
  return {
    ...DEFAULT_LLM_SETTINGS,
    model: unitModel,
    dtype: s.dtype as LlmSettings['dtype'],
    batch: s.batch,
    sweepBatch: s.sweepBatch,
    promptLen: s.promptLen,
    genLen: s.genLen,
    sweepPromptLen: s.sweepPromptLen,
    sweepGenLen: s.sweepGenLen,
    requests: s.requests,
    warmup: s.warmup,
    concurrency: s.concurrency,
    rate: s.rate,
    burstiness: s.burstiness,
    sweepConcurrency: s.sweepConcurrency,
    sweepRate: s.sweepRate !== null ? parseRates(s.sweepRate, where('sweepRate')) : null,
    promptLenStddev: s.promptLenStddev,
    genLenStddev: s.genLenStddev,
    rangeRatio: s.rangeRatio,
    flopsPerToken: s.flopsPerToken,
    bytesPerToken: s.bytesPerToken,
    slaSearch: s.slaSearch as LlmSettings['slaSearch'],
    slaMax: s.slaMax,
    slo: s.slo !== null ? parseSlo(s.slo, where('slo')) : null,
    seed: s.seed,
    timeoutMs: s.timeoutMs,
    counter: s.countTokens as LlmSettings['counter'],
    promptFile: s.promptFile,
    bandwidth: s.bandwidth,
    httpOverhead: s.httpOverhead,
    endpoints: s.endpoints,
    balance: s.balance as LlmSettings['balance'],
    engine: s.engine as LlmSettings['engine'],
  };
}

export const llmWorkload: Workload<S, LlmParams> = {
  kind: 'llm',
  summary:
    'LLM generation: TTFT, TPOT, ICL, E2E, tokens/s and goodput, in-process (prefill/decode split, roofline) or against an OpenAI-compatible endpoint',
  settings: SETTINGS,
  fields: { model: 'optional' },
  needsDevice: true,
  runsOnServedModels: true,
  name: (u) => `llm${u.model ? `:${u.model}` : ''}${u.settings?.batch !== undefined ? `:b${String(u.settings.batch)}` : ''}`,
  title: (u) => `LLM ${u.model ?? ''}`.trim(),
  resolve(unit, settings, plan) {
    const where = (k: string) => `unit ${plan.unitId}: setting "${k}"`;
    if (settings.slaSearch !== null && settings.slo === null) throw new InputError(`${where('slaSearch')} needs an slo to search against`);
    // Read now, so a missing or malformed prompt file stops the run while planning, not after the model loaded.
    if (settings.promptFile) readPromptFile(settings.promptFile);
    const llm = llmSettings(unit.model ?? null, settings, where);
    // Cross-setting rules (requests below the concurrency, lengths drawn two ways, …) are refused while planning.
    validateLlmSettings({ ...llm, seed: llm.seed ?? plan.seed });
    return { unit, settings, llm };
  },
  // The decoder is built and hashed once by the orchestrator (presets over 2 GB through the model cache); an
  // endpoint serves its own model, so nothing is built for it and the name only picks the prompt vocabulary.
  // The endpoints a load is spread over are created (and probed, and listed in the report) by the orchestrator.
  needs: (p) => ({ models: p.llm.model ? [{ name: p.llm.model, dtype: p.llm.dtype }] : [], devices: p.llm.endpoints ?? [] }),
  async run(p, ctx) {
    const settings: LlmSettings = { ...p.llm, device: ctx.device!.id, seed: p.llm.seed ?? ctx.seed };
    const modelSource = ctx.device!.capabilities.tensors && p.llm.model ? ctx.model(p.llm.model).source : undefined;
    const others = (p.llm.endpoints ?? []).map((spec) => ctx.otherDevice(spec));
    const report = await runLlm(settings, {
      device: ctx.device!,
      others,
      modelSource,
      journal: ctx.journal,
      signal: ctx.signal,
      log: ctx.log,
    });
    const point = report.points[report.points.length - 1]!;
    const r = point.summary;
    const verdict = r.slo;
    const notes: string[] = [
      `percentiles of the LLM statistics: ${r.percentileRule}${verdict ? "; the SLO verdict: LoadGen's order statistic" : ''}`,
      ...report.notes,
      ...Object.entries(r.errors).map(([e, c]) => `${c} request(s) failed: ${e}`),
    ];
    if (r.usageMismatches) notes.push(`${r.usageMismatches} request(s) where the server's usage count differs from the client's`);
    if (report.httpOverhead) notes.push(overheadLine(report.httpOverhead));
    if (point.split?.rooflineRatio != null) {
      notes.push(
        `decode at ${(point.split.rooflineRatio * 100).toFixed(0)} % of the measured memory-bandwidth roofline; prefill ${point.split.prefillTflops?.toFixed(4)} TFLOP/s (analytic FLOPs / measured time)`,
      );
    }
    const failed = report.points.some((x) => x.summary.failed > 0) || (report.sla !== null && report.sla.best === null);
    return {
      status: failed || (verdict !== null && !verdict.met) ? 'fail' : 'pass',
      validity: verdict
        ? {
            valid: verdict.met,
            checks: [
              {
                name: `SLO (${verdict.slo.source})`,
                passed: verdict.met,
                detail: verdict.met ? `p${verdict.slo.percentile} within bounds` : verdict.reasons.join('; '),
              },
            ],
            reasons: [...verdict.reasons],
          }
        : { valid: null, checks: [], reasons: [] },
      metrics: computeMetrics(METRICS, r),
      notes,
      result: { kind: 'llm', ...(report as unknown as Record<string, unknown>) },
    };
  },
  resultSchema: {
    type: 'object',
    properties: {
      device: { type: 'object' },
      model: { type: 'object' },
      points: arrayOf({
        type: 'object',
        properties: {
          label: str,
          summary: SUMMARY,
          lengthsDrawn: closed({ prompt: str, gen: str }),
          maxInFlight: nullable({ type: 'integer', minimum: 0 }),
          effectiveTflops: num,
          endpoints: nullable(arrayOf(ENDPOINT_SHARE)),
        },
        required: ['label', 'summary', 'lengthsDrawn', 'maxInFlight', 'effectiveTflops'],
      }),
      sla: nullable({
        type: 'object',
        properties: {
          variable: { enum: ['concurrency', 'rate'] },
          best: num,
          requestsRule: str,
          tried: arrayOf({
            type: 'object',
            properties: { value: { type: 'number' }, met: { type: 'boolean' }, requests: { type: 'integer', minimum: 0 } },
            required: ['value', 'met', 'requests', 'reasons'],
          }),
        },
        required: ['variable', 'slo', 'best', 'requestsRule', 'tried'],
      }),
      cluster: nullable({
        type: 'object',
        properties: { devices: arrayOf(str), balance: { enum: [...BALANCES] } },
        required: ['devices', 'balance'],
        additionalProperties: false,
      }),
      notes: arrayOf(str),
    },
    required: ['device', 'model', 'points', 'notes'],
  },
  headline: [
    'ttft_mean_ms',
    'ttft_p99_ms',
    'tpot_mean_ms',
    'tpot_p99_ms',
    'user_tokens_per_second_p50',
    'output_tokens_per_second',
    'total_tokens_per_second',
    'goodput_rps',
  ],
  render(record) {
    const r = record.result as unknown as LlmReport | null;
    return r?.points ? statisticsLines(r.points) : [];
  },
};
