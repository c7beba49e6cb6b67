// `npuval llm` and the suites' `llm` workload: LLM generation measured with one set of definitions
// (metrics.ts) whichever way the device generates (its capabilities.generation): in-process over
// an ONNX decoder it runs, or with its own model (a serving endpoint).
//  - in-process, static batches: prefill then decode, split into prefill TFLOP/s (analytic FLOPs /
//    measured time) and decode bytes/s against the measured memory bandwidth (the roofline);
//  - in-process under load (--concurrency/--rate): the continuous-batching engine;
//  - endpoint: the OpenAI-compatible streaming client, plus the HTTP overhead measured alone (overhead.ts).
// Every request and every point goes to the journal when its point finishes: the journal fsyncs
// each record, and an fsync in the middle of a point would stall the event loop and delay the
// arrival stamps of the other requests in flight.
import { readFileSync } from 'node:fs';
import { createDevice, type Device, type DeviceDescription, type GenerationSession, type ModelSource } from '../../devices/index.js';
import { modelCost, type ModelCost } from '../../models/cost.js';
import { InputError } from '../errors.js';
import type { Journal } from '../journal.js';
import { summarize, type Statistics } from '../stats.js';
import { measureDeviceCopy, measureDeviceRead, measureHostCopy, type BandwidthMeasurement } from './bandwidth.js';
import type { DecoderModel } from '../serve/decoder.js';
import { BatchEngine, type EngineStats } from '../serve/engine.js';
import { engineSession } from '../serve/generation.js';
import { openDecoder, zooEntry } from '../serve/open.js';
import { observeRequest, type TokenCounter } from './client.js';
import { generateStatic } from './generate.js';
import { driveLoad } from './load.js';
import { SessionPool, type Balance } from './pool.js';
import { requestMetrics, summarizeRun, type RequestMetrics, type RunSummary } from './metrics.js';
import type { Slo } from './slo.js';
import { measureHttpOverhead, type HttpOverhead } from './overhead.js';
import { idsToText, syntheticPrompt, textToIds } from './text.js';

export interface LlmSettings {
  readonly device: string;
  /** Zoo preset or ONNX file (in-process); optional for endpoints (the served name is in the spec). */
  readonly model: string | null;
  readonly dtype: 'float32' | 'float16';
  /** In-process: the static batch size, or the engine's max batch under load. */
  readonly batch: number;
  /** Sweep of `batch` (in-process only). */
  readonly sweepBatch: readonly number[] | null;
  readonly promptLen: number;
  readonly genLen: number;
  /** Sweeps: every prompt length × every generation length (null: just promptLen/genLen). */
  readonly sweepPromptLen: readonly number[] | null;
  readonly sweepGenLen: readonly number[] | null;
  readonly requests: number;
  /** Requests run first and not recorded. */
  readonly warmup: number;
  /** Closed-loop concurrency (or the cap with a rate). null with no rate: static batches in-process, 1 for endpoints. */
  readonly concurrency: number | null;
  readonly rate: number | null;
  readonly burstiness: number;
  readonly sweepConcurrency: readonly number[] | null;
  /** Search the largest concurrency or rate meeting the SLO (needs slo). */
  readonly slaSearch: 'concurrency' | 'rate' | null;
  /** Upper end of the SLA search. */
  readonly slaMax: number;
  readonly slo: Slo | null;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly counter: TokenCounter;
  /** JSONL, one {"prompt": "text" | [ids]} per line, used in turn instead of synthetic prompts. */
  readonly promptFile: string | null;
  /** Measure memory bandwidth (in-process) for the decode roofline. */
  readonly bandwidth: boolean;
  /** Endpoints: measure the HTTP overhead (overhead.ts) before the points. */
  readonly httpOverhead: boolean;
  /** More devices (each serving its own model) the one load is spread over besides `device`; null: just `device`. */
  readonly endpoints: readonly string[] | null;
  /** How requests are spread over `device` and `endpoints` (pool.ts). */
  readonly balance: Balance;
}

export const DEFAULT_LLM_SETTINGS: Omit<LlmSettings, 'device'> = {
  model: null,
  dtype: 'float32',
  batch: 1,
  sweepBatch: null,
  promptLen: 32,
  genLen: 32,
  sweepPromptLen: null,
  sweepGenLen: null,
  requests: 8,
  warmup: 1,
  concurrency: null,
  rate: null,
  burstiness: 1,
  sweepConcurrency: null,
  slaSearch: null,
  slaMax: 64,
  slo: null,
  seed: 0,
  timeoutMs: 120_000,
  counter: 'chunks',
  promptFile: null,
  bandwidth: true,
  httpOverhead: true,
  endpoints: null,
  balance: 'round-robin',
};

export interface PrefillDecodeSplit {
  /** Prefill time per batch (prompt in, first token chosen). */
  readonly prefillMs: Statistics | null;
  readonly prefillTokensPerS: number | null;
  /** Analytic prefill FLOPs (models/cost.ts) / measured prefill time; null without a cost model. */
  readonly prefillTflops: number | null;
  /** Time of each decode step (one token for every sequence of the batch). */
  readonly decodeStepMs: Statistics | null;
  /** batch / mean step time. */
  readonly decodeTokensPerS: number | null;
  /** Analytic bytes of every step (weights + KV) / total step time. */
  readonly decodeBytesPerS: number | null;
  /** decodeBytesPerS / measured memory bandwidth. */
  readonly rooflineRatio: number | null;
  /** The decode tokens/s the bandwidth would allow (bandwidth / bytes per step × batch, at the mean context). */
  readonly rooflineTokensPerS: number | null;
}

export interface LlmPoint {
  readonly label: string;
  readonly mode: 'static' | 'engine' | 'endpoint';
  readonly batch: number | null;
  readonly promptLen: number;
  readonly genLen: number;
  readonly concurrency: number | null;
  readonly rate: number | null;
  readonly burstiness: number | null;
  readonly summary: RunSummary;
  readonly split: PrefillDecodeSplit | null;
  /** In-process engine counters for this point (batching actually done). */
  readonly engine: EngineStats | null;
  /** Greedy tokens of the first request(s) (up to 4), for cross-device checks. */
  readonly sampleTokens: number[][] | null;
  /** A load spread over several endpoints: each endpoint's share of this point (summary is the aggregate); null otherwise. */
  readonly endpoints?: readonly EndpointShare[] | null;
}

/** One endpoint's part of a spread load: its requests and their metrics alone. */
export interface EndpointShare {
  readonly device: string;
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly outputTokens: number;
  /** Its output tokens over the whole point's duration (the shares add up to the aggregate). */
  readonly outputTokensPerS: number | null;
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  readonly tpotP50Ms: number | null;
  readonly tpotP99Ms: number | null;
}

export interface SlaSearch {
  readonly variable: 'concurrency' | 'rate';
  readonly slo: Slo;
  /** Largest value tried that met the SLO; null when none did. */
  readonly best: number | null;
  readonly tried: readonly { readonly value: number; readonly met: boolean; readonly reasons: readonly string[] }[];
}

export interface LlmReport {
  readonly kind: 'llm';
  readonly settings: LlmSettings;
  readonly device: DeviceDescription;
  readonly model: {
    readonly name: string;
    readonly source: 'zoo' | 'file' | 'endpoint';
    readonly params: number | null;
    readonly dtype: string | null;
  };
  readonly bandwidth: {
    readonly measurements: readonly BandwidthMeasurement[];
    /** The largest measured: the roofline is not flattered by a slow kernel. */
    readonly rooflineBytesPerS: number;
    readonly notes: readonly string[];
  } | null;
  /** Endpoints: the HTTP overhead measured alone (overhead.ts: the npuval serve probe, or GET round trips). */
  readonly httpOverhead: HttpOverhead | null;
  readonly points: readonly LlmPoint[];
  readonly sla: SlaSearch | null;
  /** The load was spread over these devices (the first is `device`) by `balance`; null for one device. */
  readonly cluster?: { readonly devices: readonly string[]; readonly balance: Balance } | null;
  readonly notes: readonly string[];
}

export interface LlmRunOptions {
  /**
   * The device to run on, created by the caller (the orchestrator creates each device once). When
   * absent, runLlm creates it from settings.device — for callers not yet passing it.
   */
  readonly device?: Device;
  /** The in-process model as the caller built (and hashed) it; absent, it is built from settings.model. */
  readonly modelSource?: ModelSource;
  /** The devices of settings.endpoints, in order, created by the caller; absent, runLlm creates them. */
  readonly others?: readonly Device[];
  readonly journal?: Journal | null;
  readonly signal?: AbortSignal;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

interface Target {
  /** 'endpoint': the device generates with its own model; 'inprocess': our engine drives its decoder. */
  readonly mode: 'endpoint' | 'inprocess';
  /** The device's own generation session (endpoint); null in-process, where a point wraps an engine. */
  readonly generation: GenerationSession | null;
  readonly decoder: DecoderModel | null;
  readonly vocab: number;
  readonly cost: ModelCost | null;
  readonly model: LlmReport['model'];
  close(): Promise<void>;
}

export async function runLlm(settings: LlmSettings, options: LlmRunOptions = {}): Promise<LlmReport> {
  validate(settings);
  const journal = options.journal ?? null;
  const log = options.log ?? (() => {});
  const device = options.device ?? createDevice(settings.device);
  const others = settings.endpoints?.length ? (options.others ?? settings.endpoints.map((spec) => createDevice(spec))) : [];
  refuseInProcessPool(settings, [device, ...others]);
  const description = await device.describe();
  journal?.append('llm.start', {
    settings: settings as unknown as Record<string, unknown>,
    device: description as unknown as Record<string, unknown>,
  });
  const target = await openTarget(device, description, settings, options.modelSource);
  const notes: string[] = [];
  const extra: GenerationSession[] = [];
  try {
    const pool = await openPool(settings, target, others, extra);
    if (pool && settings.httpOverhead)
      notes.push(`HTTP overhead measured on ${settings.device} only (the first of ${pool.members.length} endpoints)`);
    let bandwidth: LlmReport['bandwidth'] = null;
    let httpOverhead: HttpOverhead | null = null;
    if (target.mode === 'inprocess' && settings.bandwidth) {
      bandwidth = await measureBandwidth(device, log);
      journal?.append('llm.bandwidth', bandwidth as unknown as Record<string, unknown>);
    }
    if (target.mode === 'endpoint' && settings.sweepBatch)
      throw new InputError('--sweep-batch applies to in-process devices; an endpoint batches on its own');
    const prompts = settings.promptFile ? readPromptFile(settings.promptFile) : null;
    if (target.mode === 'endpoint' && !settings.httpOverhead) notes.push('HTTP overhead not measured: turned off (--no-http-overhead)');
    if (target.mode === 'endpoint' && settings.httpOverhead) {
      const P = settings.promptLen;
      httpOverhead = await measureHttpOverhead(
        device,
        {
          prompt: (i) => {
            const p = promptFor({ settings, target, prompts }, i, P);
            return { ...p, ids: typeof p.prompt === 'string' ? textToIds(p.prompt, target.vocab) : p.prompt };
          },
          vocab: target.vocab,
          genLen: settings.genLen,
          counter: settings.counter,
          timeoutMs: settings.timeoutMs,
          signal: options.signal,
          // As many samples as a point has, so the comparison of the two is not limited by the overhead's noise.
          requests: Math.max(20, settings.requests),
          tpotRequests: Math.max(8, Math.ceil(settings.requests / 2)),
        },
        notes,
      );
      if (httpOverhead) {
        journal?.append('llm.http-overhead', httpOverhead as unknown as Record<string, unknown>);
        log(overheadLine(httpOverhead));
      }
    }
    const points: LlmPoint[] = [];
    const record = (p: LlmPoint) => {
      points.push(p);
      journal?.append('llm.point', p as unknown as Record<string, unknown>);
      log(pointLine(p));
    };
    const grid = (settings.sweepPromptLen ?? [settings.promptLen]).flatMap((P) =>
      (settings.sweepGenLen ?? [settings.genLen]).map((G) => [P, G] as const),
    );
    const underLoad =
      target.mode === 'endpoint' ||
      settings.concurrency !== null ||
      settings.rate !== null ||
      settings.sweepConcurrency !== null ||
      settings.slaSearch !== null;
    let sla: SlaSearch | null = null;
    for (const B of settings.sweepBatch ?? [settings.batch]) {
      const s: LlmSettings = { ...settings, batch: B };
      let engine: BatchEngine | null = null;
      let session = target.generation;
      if (target.mode === 'inprocess' && underLoad) {
        engine = new BatchEngine(target.decoder!, B);
        session = engineSession(engine);
      }
      const ctx: PointContext = { settings: s, target, session, pool, engine, bandwidth, prompts, journal, signal: options.signal, notes };
      for (const [P, G] of grid) {
        if (!underLoad) {
          record(await staticPoint(ctx, P, G));
          continue;
        }
        if (s.slaSearch) continue;
        for (const c of s.sweepConcurrency ?? [s.concurrency ?? 1]) {
          record(await loadPoint(ctx, P, G, s.rate === null ? c : s.concurrency, s.rate));
        }
      }
      if (s.slaSearch) sla = await slaSearch(ctx, record);
    }
    if (target.mode === 'endpoint' && settings.counter === 'chunks') {
      notes.push(
        'client token count = non-empty content chunks (one token per chunk, as vLLM and npuval serve stream); a server that packs several tokens per chunk shows up as usage mismatches',
      );
    }
    const report: LlmReport = {
      kind: 'llm',
      settings,
      device: description,
      model: target.model,
      bandwidth,
      httpOverhead,
      points,
      sla,
      cluster: pool ? { devices: pool.members.map((m) => m.id), balance: pool.balance } : null,
      notes,
    };
    journal?.append('llm.end', { points: points.length, sla: sla as unknown as Record<string, unknown> | null });
    return report;
  } finally {
    for (const g of extra) await g.close();
    await target.close();
  }
}

/**
 * Only devices that serve their own model can share one load; an in-process device runs our
 * engine on one decoder, so several devices with one of those are refused (bad input).
 */
function refuseInProcessPool(s: LlmSettings, devices: readonly Device[]): void {
  if (!s.endpoints?.length) return;
  const all = [s.device, ...s.endpoints];
  const inProcess = all.filter((_, i) => !(devices[i]!.capabilities.generation === 'own-model' && devices[i]!.openGeneration));
  if (inProcess.length)
    throw new InputError(
      `llm spreads one load over several devices only when each serves its own model (endpoint:…); ${inProcess.join(', ')} would run our decoder in-process, so give it as the only --device`,
    );
  if (new Set(all).size !== all.length) throw new InputError(`llm --device names the same device twice (${all.join(', ')})`);
  if (s.sweepBatch) throw new InputError('--sweep-batch applies to in-process devices; endpoints batch on their own');
}

/** Several devices: one pool of generation sessions over all of them (the target's first); opened sessions go into `opened` for closing. */
async function openPool(
  s: LlmSettings,
  target: Target,
  devices: readonly Device[],
  opened: GenerationSession[],
): Promise<SessionPool | null> {
  if (!s.endpoints || s.endpoints.length === 0) return null;
  const members = [{ id: s.device, session: target.generation! }];
  for (const [i, d] of devices.entries()) {
    const session = await d.openGeneration!();
    opened.push(session);
    members.push({ id: s.endpoints[i]!, session });
  }
  return new SessionPool(members, s.balance);
}

function validate(s: LlmSettings): void {
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`--${name} ${v} is not a positive integer`);
  };
  positive('batch', s.batch);
  positive('prompt-len', s.promptLen);
  positive('gen-len', s.genLen);
  positive('requests', s.requests);
  for (const v of s.sweepBatch ?? []) positive('sweep-batch', v);
  if (s.sweepBatch && s.slaSearch) throw new InputError('--sweep-batch and --sla-search do not combine; search at one batch size');
  for (const v of s.sweepPromptLen ?? []) positive('sweep-prompt-len', v);
  for (const v of s.sweepGenLen ?? []) positive('sweep-gen-len', v);
  for (const v of s.sweepConcurrency ?? []) positive('sweep-concurrency', v);
  if (s.concurrency !== null) positive('concurrency', s.concurrency);
  if (!Number.isInteger(s.warmup) || s.warmup < 0) throw new InputError(`--warmup ${s.warmup} is not a non-negative integer`);
  if (s.rate !== null && !(s.rate > 0)) throw new InputError(`--rate ${s.rate} is not a positive number of requests/s (or inf)`);
  if (!(s.timeoutMs > 0) || !Number.isFinite(s.timeoutMs))
    throw new InputError(`--timeout ${s.timeoutMs / 1000} is not a positive number of seconds`);
  if (!(s.burstiness > 0)) throw new InputError(`--burstiness ${s.burstiness} must be > 0 (1 = Poisson)`);
  if (s.slaSearch && !s.slo) throw new InputError('--sla-search needs --slo (the objectives to meet)');
  if (s.slaSearch === 'rate' && s.rate === null) throw new InputError('--sla-search rate needs --rate as the starting rate');
  if (s.rate !== null && s.sweepConcurrency) throw new InputError('--rate and --sweep-concurrency do not combine; sweep one or the other');
}

async function openTarget(device: Device, description: DeviceDescription, s: LlmSettings, source?: ModelSource): Promise<Target> {
  if (device.capabilities.generation === 'own-model' && device.openGeneration) {
    const generation = await device.openGeneration();
    const name = description.model ?? s.model ?? 'served model';
    const zoo = zooEntry(name) ?? (s.model ? zooEntry(s.model) : null);
    // Prompt ids must be in the server's vocabulary: a zoo name tells it; else stay below 256.
    const vocab = zoo ? Number(zoo.config.vocab_size) : 256;
    return {
      generation,
      mode: 'endpoint',
      decoder: null,
      vocab,
      cost: null,
      model: { name, source: 'endpoint', params: zoo?.params ?? null, dtype: null },
      close: () => generation.close(),
    };
  }
  if (device.capabilities.generation !== 'onnx-decoder')
    throw new InputError(`${device.id} cannot generate tokens: it neither serves its own model nor runs an ONNX decoder`);
  if (!s.model) throw new InputError(`--model is required for ${s.device}: a zoo preset (npuval models list) or an ONNX file`);
  const zoo = zooEntry(s.model);
  if (zoo?.family === 'llama') {
    // Beyond the preset's context the positions have no meaning and each step gets slower (the KV
    // cache grows without bound), so a typo like --gen-len 100000 would run for hours.
    const context = Number(zoo.config.max_position_embeddings);
    const longest = Math.max(...(s.sweepPromptLen ?? [s.promptLen])) + Math.max(...(s.sweepGenLen ?? [s.genLen]));
    if (Number.isFinite(context) && longest > context) {
      throw new InputError(
        `prompt + generated tokens (${longest}) exceed ${s.model}'s context of ${context} tokens (max_position_embeddings); lower --prompt-len/--gen-len`,
      );
    }
  }
  // Weights use the zoo's default seed, as every other unit does, so one model name is one SHA-256; --seed drives prompts and arrivals.
  const opened = await openDecoder(device, s.model, { dtype: s.dtype, source });
  const { decoder } = opened;
  const cost = zoo ? modelCost({ ...zoo, config: { ...zoo.config, dtype: s.dtype } }) : null;
  return {
    generation: null,
    mode: 'inprocess',
    decoder,
    vocab: opened.vocab,
    cost,
    model: { name: s.model, source: zoo ? 'zoo' : 'file', params: zoo?.params ?? null, dtype: decoder.geometry.dtype },
    close: () => opened.close(),
  };
}

async function measureBandwidth(device: Device, log: (s: string) => void): Promise<NonNullable<LlmReport['bandwidth']>> {
  const measurements: BandwidthMeasurement[] = [measureHostCopy()];
  const notes: string[] = [];
  for (const [what, measure] of [
    ['copy', measureDeviceCopy],
    ['read', measureDeviceRead],
  ] as const) {
    try {
      measurements.push(await measure(device));
    } catch (err) {
      notes.push(`device ${what} kernel not measured on ${device.id}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const best = measurements.reduce((a, b) => (b.bytesPerS > a.bytesPerS ? b : a));
  log(`memory bandwidth: ${measurements.map((m) => `${(m.bytesPerS / 1e9).toFixed(1)} GB/s (${m.method.split(';')[0]})`).join(', ')}`);
  return { measurements, rooflineBytesPerS: best.bytesPerS, notes };
}

interface PointContext {
  readonly settings: LlmSettings;
  readonly target: Target;
  /** What load points send requests to: the device's own session, or an engine session in-process; null for static batches. */
  readonly session: GenerationSession | null;
  /** Several endpoints: requests go to the member the pool picks instead of `session`. */
  readonly pool: SessionPool | null;
  readonly engine: BatchEngine | null;
  readonly bandwidth: LlmReport['bandwidth'];
  readonly prompts: readonly (string | number[])[] | null;
  readonly journal: Journal | null;
  readonly signal: AbortSignal | undefined;
  /** The report's notes, for what a point or search finds worth saying. */
  readonly notes: string[];
}

function promptFor(
  ctx: Pick<PointContext, 'settings' | 'target' | 'prompts'>,
  index: number,
  P: number,
): { prompt: string | number[]; tokens: number | null } {
  if (ctx.prompts) {
    const p = ctx.prompts[index % ctx.prompts.length]!;
    return { prompt: p, tokens: typeof p === 'string' ? null : p.length };
  }
  const ids = syntheticPrompt(P, ctx.target.vocab, ctx.settings.seed * 100_003 + index);
  // Sessions that take text only (chat routes) get the reversible id text of text.ts (exact token count on npuval serve only).
  const textOnly = ctx.target.generation !== null && !ctx.target.generation.acceptsTokenIds;
  return textOnly ? { prompt: idsToText(ids).trim(), tokens: null } : { prompt: ids, tokens: P };
}

async function staticPoint(ctx: PointContext, P: number, G: number): Promise<LlmPoint> {
  const { settings: s, target } = ctx;
  const decoder = target.decoder!;
  const B = s.batch;
  const batches = Math.ceil(s.requests / B);
  const warmBatches = Math.ceil(s.warmup / B);
  const prefillMs: number[] = [];
  const stepMs: number[] = [];
  let stepBytes = 0;
  const results: RequestMetrics[] = [];
  let sampleTokens: number[][] | null = null;
  const origin = performance.now();
  for (let k = -warmBatches; k < batches; k++) {
    if (ctx.signal?.aborted) break;
    const prompts = Array.from({ length: B }, (_, b) => syntheticPrompt(P, target.vocab, s.seed * 100_003 + Math.max(0, k) * B + b));
    const g = await generateStatic(decoder, prompts, G);
    if (k < 0) continue;
    sampleTokens ??= g.tokens.slice(0, 4);
    prefillMs.push(g.tokenMs[0]! - g.startMs);
    for (let i = 1; i < G; i++) {
      stepMs.push(g.tokenMs[i]! - g.tokenMs[i - 1]!);
      // Step i decodes with P + i − 1 tokens cached.
      if (target.cost) stepBytes += target.cost.decodeBytesPerToken(B, P + i - 1);
    }
    for (let b = 0; b < B && k * B + b < s.requests; b++) {
      const m = requestMetrics({
        index: k * B + b,
        scheduledMs: null,
        sentMs: g.startMs - origin,
        contentMs: g.tokenMs.map((t) => t - origin),
        endMs: g.tokenMs[G - 1]! - origin,
        ok: true,
        error: null,
        promptTokens: P,
        usage: null,
        clientTokens: G,
      });
      results.push(m);
    }
  }
  for (const m of results) ctx.journal?.append('llm.request', { point: `static b${B} p${P} g${G}`, ...m });
  const summary = summarizeRun(results, s.slo);
  const totalStepS = stepMs.reduce((a, v) => a + v, 0) / 1000;
  const totalPrefillS = prefillMs.reduce((a, v) => a + v, 0) / 1000;
  const bw = ctx.bandwidth?.rooflineBytesPerS ?? null;
  const decodeBytesPerS = target.cost && totalStepS > 0 ? stepBytes / totalStepS : null;
  const meanStepBytes = target.cost ? target.cost.decodeBytesPerToken(B, P + (G - 1) / 2) : null;
  const split: PrefillDecodeSplit = {
    prefillMs: summarize(prefillMs, 'ms'),
    prefillTokensPerS: totalPrefillS > 0 ? (prefillMs.length * B * P) / totalPrefillS : null,
    prefillTflops: target.cost && totalPrefillS > 0 ? (prefillMs.length * target.cost.prefillFlops(B, P)) / totalPrefillS / 1e12 : null,
    decodeStepMs: summarize(stepMs, 'ms'),
    decodeTokensPerS: totalStepS > 0 ? (stepMs.length * B) / totalStepS : null,
    decodeBytesPerS,
    rooflineRatio: decodeBytesPerS !== null && bw ? decodeBytesPerS / bw : null,
    rooflineTokensPerS: bw && meanStepBytes ? (bw / meanStepBytes) * B : null,
  };
  return {
    label: `static b${B} p${P} g${G}`,
    mode: 'static',
    batch: B,
    promptLen: P,
    genLen: G,
    concurrency: null,
    rate: null,
    burstiness: null,
    summary,
    split,
    engine: null,
    sampleTokens,
  };
}

async function loadPoint(ctx: PointContext, P: number, G: number, concurrency: number | null, rate: number | null): Promise<LlmPoint> {
  const { settings: s, target } = ctx;
  const label = `${target.mode === 'endpoint' ? (ctx.pool ? `${ctx.pool.members.length} endpoints ${ctx.pool.balance}` : 'endpoint') : `engine b${s.batch}`} p${P} g${G} ${rate !== null ? `rate ${rate}/s${concurrency ? ` cap ${concurrency}` : ''}` : `c${concurrency}`}`;
  const pool = ctx.pool;
  const servedBy: number[] = [];
  const observe = async (index: number, scheduled: number | null, origin: number) => {
    const { prompt, tokens } = promptFor(ctx, index, P);
    const member = pool ? pool.acquire() : -1;
    const session = pool ? pool.members[member]!.session : ctx.session!;
    try {
      return await observeRequest(session, {
        index,
        originMs: origin,
        scheduledMs: scheduled,
        prompt,
        promptTokens: tokens,
        maxTokens: G,
        fixedLength: true,
        timeoutMs: s.timeoutMs,
        counter: s.counter,
        runSignal: ctx.signal,
      });
    } finally {
      if (pool) {
        pool.release(member);
        servedBy[index] = member;
      }
    }
  };
  if (s.warmup > 0) {
    const origin = performance.now();
    await driveLoad({ requests: s.warmup, concurrency: concurrency ?? 1 }, async (i) => void (await observe(i, null, origin)), ctx.signal);
  }
  const before = ctx.engine?.snapshot() ?? null;
  const results: RequestMetrics[] = [];
  const origin = performance.now();
  await driveLoad(
    { requests: s.requests, concurrency: concurrency ?? undefined, rate: rate ?? undefined, burstiness: s.burstiness, seed: s.seed },
    async (i, scheduled) => {
      const m = requestMetrics(await observe(i, scheduled, origin));
      results[i] = m;
    },
    ctx.signal,
  );
  const done = results.filter(Boolean);
  const summary = summarizeRun(done, s.slo);
  for (const [i, m] of results.entries()) {
    if (m) ctx.journal?.append('llm.request', { point: label, ...m, ...(pool ? { endpoint: pool.members[servedBy[i]!]!.id } : {}) });
  }
  const endpoints = pool ? shares(pool, results, servedBy, summary.durationS) : null;
  return {
    label,
    mode: target.mode === 'endpoint' ? 'endpoint' : 'engine',
    batch: target.mode === 'endpoint' ? null : s.batch,
    promptLen: P,
    genLen: G,
    concurrency,
    rate,
    burstiness: rate !== null ? s.burstiness : null,
    summary,
    split: null,
    engine: before && ctx.engine ? engineDelta(before, ctx.engine.snapshot()) : null,
    sampleTokens: null,
    ...(endpoints ? { endpoints } : {}),
  };
}

/** Each pool member's requests summarized alone; tokens/s over the whole point's duration, so the shares add up. */
function shares(
  pool: SessionPool,
  results: readonly RequestMetrics[],
  servedBy: readonly number[],
  durationS: number | null,
): EndpointShare[] {
  return pool.members.map((m, k) => {
    const mine = results.filter((r, i) => r !== undefined && servedBy[i] === k);
    const sum = summarizeRun(mine, null);
    return {
      device: m.id,
      requests: sum.requests,
      succeeded: sum.succeeded,
      failed: sum.failed,
      outputTokens: sum.outputTokens,
      outputTokensPerS: durationS ? sum.outputTokens / durationS : null,
      ttftP50Ms: sum.ttft?.p50 ?? null,
      ttftP99Ms: sum.ttft?.p99 ?? null,
      tpotP50Ms: sum.tpot?.p50 ?? null,
      tpotP99Ms: sum.tpot?.p99 ?? null,
    };
  });
}

function engineDelta(a: EngineStats, b: EngineStats): EngineStats {
  const stepsByBatch: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.stepsByBatch)) {
    const d = v - (a.stepsByBatch[k] ?? 0);
    if (d > 0) stepsByBatch[k] = d;
  }
  const sizes = Object.keys(stepsByBatch).map(Number);
  return {
    maxBatch: b.maxBatch,
    maxBatchSeen: sizes.length ? Math.max(...sizes) : 0,
    decodeSteps: b.decodeSteps - a.decodeSteps,
    prefills: b.prefills - a.prefills,
    tokens: b.tokens - a.tokens,
    stepsByBatch,
    repacks: b.repacks - a.repacks,
  };
}

/** Doubling then bisection for the largest concurrency (integers) or rate meeting the SLO. */
async function slaSearch(ctx: PointContext, record: (p: LlmPoint) => void): Promise<SlaSearch> {
  const s = ctx.settings;
  const variable = s.slaSearch!;
  const tried: { value: number; met: boolean; reasons: readonly string[] }[] = [];
  const attempt = async (value: number): Promise<boolean> => {
    const p =
      variable === 'concurrency'
        ? await loadPoint(ctx, s.promptLen, s.genLen, value, null)
        : await loadPoint(ctx, s.promptLen, s.genLen, s.concurrency, value);
    record(p);
    const v = p.summary.slo!;
    tried.push({ value, met: v.met, reasons: v.reasons });
    return v.met;
  };
  let good: number | null = null;
  let bad: number | null = null;
  for (let v = variable === 'concurrency' ? 1 : s.rate!; v <= s.slaMax; v *= 2) {
    if (await attempt(v)) good = v;
    else {
      bad = v;
      break;
    }
  }
  if (good !== null && bad !== null) {
    // Bisect: integers for concurrency, three halvings for a rate.
    let lo = good,
      hi = bad;
    for (let i = 0; variable === 'concurrency' ? hi - lo > 1 : i < 3; i++) {
      const mid = variable === 'concurrency' ? Math.floor((lo + hi) / 2) : (lo + hi) / 2;
      if (await attempt(mid)) lo = mid;
      else hi = mid;
    }
    good = lo;
  }
  if (good !== null && bad === null)
    ctx.notes.push(
      `SLA search stopped at --sla-max ${s.slaMax}: the SLO still held there, so the largest ${variable} meeting it may be higher`,
    );
  return { variable, slo: s.slo!, best: good, tried };
}

function readPromptFile(path: string): (string | number[])[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`--prompt-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const out: (string | number[])[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new InputError(`--prompt-file ${path} line ${i + 1} is not JSON`);
    }
    const p = (v as { prompt?: unknown } | null)?.prompt;
    if (typeof p === 'string' || (Array.isArray(p) && p.length > 0 && p.every((t) => Number.isInteger(t) && t >= 0)))
      out.push(p as string | number[]);
    else throw new InputError(`--prompt-file ${path} line ${i + 1} has no "prompt" (a string or a list of token ids)`);
  });
  if (out.length === 0) throw new InputError(`--prompt-file ${path} holds no prompts`);
  return out;
}

const f = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '—' : v.toFixed(digits));

/** The measured HTTP overhead in one line (progress, CLI output and unit notes). */
export function overheadLine(o: HttpOverhead): string {
  const what = o.ttftMethod === 'probe' ? 'no-generation probe' : 'GET /models round trip, a lower bound';
  const from =
    o.tpotMethod === 'paced-probe'
      ? `probe paced at ${f(o.unstreamedTpotMs, 3)} ms: ${f(o.pacedProbeTpotMs, 3)}`
      : `streamed ${f(o.streamedTpotMs, 3)} − unstreamed ${f(o.unstreamedTpotMs, 3)}`;
  const tpot =
    o.tpotMs === null ? 'TPOT not measured' : `TPOT ${o.tpotMs < 0 ? '−' : '+'}${f(Math.abs(o.tpotMs), 3)} ms (${from} ms per token)`;
  return `HTTP overhead, one request at a time: TTFT p50 ${f(o.ttftMs.p50, 2)} ms, p99 ${f(o.ttftMs.p99, 2)} ms (${what}); ${tpot}`;
}

/** One progress line per point. */
export function pointLine(p: LlmPoint): string {
  const s = p.summary;
  let line = `${p.label}: ${s.succeeded}/${s.requests} ok, ${f(s.outputTokensPerS)} tok/s, TTFT p50 ${f(s.ttft?.p50)} ms, TPOT p50 ${f(s.tpot?.p50, 2)} ms`;
  if (s.slo) line += `, goodput ${f(s.slo.goodputRps, 2)} req/s (SLO ${s.slo.met ? 'met' : 'missed'})`;
  if (p.split)
    line += `, prefill ${f(p.split.prefillTflops, 4)} TFLOP/s, decode ${f(p.split.decodeTokensPerS)} tok/s = ${f(p.split.rooflineRatio, 2)} of roofline`;
  if (p.engine) line += `, max batch ${p.engine.maxBatchSeen}`;
  return line;
}
