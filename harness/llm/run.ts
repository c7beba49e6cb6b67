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
import { readInputText } from '../input-file.js';
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
import { describeLengths, drawLengths, lengthBounds, type LengthDistribution } from './lengths.js';

export interface LlmSettings {
  readonly device: string;
  /** Zoo preset or ONNX file (in-process); optional for endpoints (the served name is in the spec). */
  readonly model: string | null;
  readonly dtype: 'float32' | 'float16';
  /**
   * In-process: the static batch size, or the engine's max batch under load. null: 1 for static
   * batches; under load the most requests the unit has in flight (autoEngineBatch), so the engine never serialises them.
   */
  readonly batch: number | null;
  /** Sweep of `batch` (in-process only). */
  readonly sweepBatch: readonly number[] | null;
  /** Mean prompt and output lengths (tokens); each request's own is drawn from the distribution below (lengths.ts). */
  readonly promptLen: number;
  readonly genLen: number;
  /** AIPerf's --isl-stddev/--osl-stddev: a normal around the mean (0: fixed). */
  readonly promptLenStddev: number;
  readonly genLenStddev: number;
  /** vLLM's --random-range-ratio for both lengths: uniform in [L(1−r), L(1+r)] (0: fixed). */
  readonly rangeRatio: number;
  /** Sweeps: every prompt length × every generation length (null: just promptLen/genLen). */
  readonly sweepPromptLen: readonly number[] | null;
  readonly sweepGenLen: readonly number[] | null;
  /** Measured requests per point; null: autoRequests (enough for a p99 that is not the maximum, and ≥ concurrency). */
  readonly requests: number | null;
  /** Requests run first and not recorded. */
  readonly warmup: number;
  /** Closed-loop concurrency (or the cap with a rate). null with no rate: static batches in-process, 1 for endpoints. */
  readonly concurrency: number | null;
  readonly rate: number | null;
  readonly burstiness: number;
  readonly sweepConcurrency: readonly number[] | null;
  /** Request rates run in turn (each capped by concurrency when set). */
  readonly sweepRate: readonly number[] | null;
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
  /** Who generates on a device that runs the decoder: npuval's batching engine, or the `proc:` adapter's own generate. */
  readonly engine: 'npuval' | 'adapter';
  /** A user's decoder: FLOPs per token (prefill and decode), replacing the zoo's analytic count; null: the zoo's, or none. */
  readonly flopsPerToken: number | null;
  /** A user's decoder: bytes one decode step reads (weights, ± KV), replacing the zoo's analytic count; null: the zoo's, or none. */
  readonly bytesPerToken: number | null;
}

export const DEFAULT_LLM_SETTINGS: Omit<LlmSettings, 'device'> = {
  model: null,
  dtype: 'float32',
  batch: null,
  sweepBatch: null,
  promptLen: 32,
  genLen: 32,
  promptLenStddev: 0,
  genLenStddev: 0,
  rangeRatio: 0,
  sweepPromptLen: null,
  sweepGenLen: null,
  requests: null,
  warmup: 1,
  concurrency: null,
  rate: null,
  burstiness: 1,
  sweepConcurrency: null,
  sweepRate: null,
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
  engine: 'npuval',
  flopsPerToken: null,
  bytesPerToken: null,
};

/** The fewest measured requests a point gets by default: with fewer than 100, p99 lies between the two largest values. */
export const MIN_AUTO_REQUESTS = 100;
/** Default requests per point = max(MIN_AUTO_REQUESTS, this × the requests in flight), so ramp-up and drain are at most half the point. */
export const AUTO_REQUESTS_PER_SLOT = 4;
/** The in-process engine's max batch under a rate with no concurrency cap when --batch is not given (npuval serve's default too). */
export const AUTO_ENGINE_BATCH = 8;

/** Measured requests of a point with at most `inFlight` requests in flight (null: unbounded or static). */
export function requestsFor(s: Pick<LlmSettings, 'requests'>, inFlight: number | null): number {
  return s.requests ?? Math.max(MIN_AUTO_REQUESTS, AUTO_REQUESTS_PER_SLOT * (inFlight ?? 1));
}

/** Requests the percentile p (a percent) needs before it is not the largest value: ⌈100 / (100 − p)⌉ (p99: 100). */
export function requestsForPercentile(p: number): number {
  return p >= 100 ? 1 : Math.ceil(100 / (100 - p) - 1e-9);
}

/** True when the unit drives load (closed loop or rate) rather than static batches (in-process without either). */
export function drivesLoad(s: LlmSettings): boolean {
  return s.concurrency !== null || s.rate !== null || s.sweepConcurrency !== null || s.sweepRate !== null || s.slaSearch !== null;
}

/**
 * The most requests any point of the unit has in flight at once, and the setting that says so;
 * null when a rate has no concurrency cap (in flight is then unbounded) or nothing is in flight (static).
 */
export function maxInFlight(s: LlmSettings): { readonly count: number; readonly what: string } | null {
  if (s.slaSearch === 'concurrency') return { count: s.slaMax, what: `--sla-max ${s.slaMax} (the concurrency search goes up to it)` };
  if (s.rate !== null || s.sweepRate !== null || s.slaSearch === 'rate')
    return s.concurrency === null ? null : { count: s.concurrency, what: `concurrency ${s.concurrency}` };
  if (s.sweepConcurrency) {
    const top = Math.max(...s.sweepConcurrency);
    return { count: top, what: `concurrency ${top}` };
  }
  return s.concurrency === null ? null : { count: s.concurrency, what: `concurrency ${s.concurrency}` };
}

/** The engine's max batch in-process under load: --batch, else the most requests in flight, else AUTO_ENGINE_BATCH. */
export function autoEngineBatch(s: LlmSettings): number {
  return s.batch ?? maxInFlight(s)?.count ?? AUTO_ENGINE_BATCH;
}

/**
 * In-process, more requests in flight than the engine's max batch would be served in turns while
 * reported as that concurrency, so it is refused (bad input) before anything runs.
 */
export function refuseOverCapacity(s: LlmSettings): void {
  const top = maxInFlight(s);
  if (!top) return;
  for (const B of s.sweepBatch ?? [autoEngineBatch(s)]) {
    if (top.count > B)
      throw new InputError(
        `${top.what} exceeds the in-process engine's max batch ${B}; raise --batch or lower --${s.slaSearch === 'concurrency' ? 'sla-max' : 'concurrency'}`,
      );
  }
}

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
  /** Analytic FLOPs of every decode step / total step time (TFLOP/s); null without a cost model. */
  readonly decodeTflops: number | null;
  /** Analytic bytes of every step (weights + KV) / total step time. */
  readonly decodeBytesPerS: number | null;
  /** decodeBytesPerS / measured memory bandwidth. */
  readonly rooflineRatio: number | null;
  /** The decode tokens/s the bandwidth would allow (bandwidth / bytes per step × batch, at the mean context). */
  readonly rooflineTokensPerS: number | null;
}

export interface LlmPoint {
  readonly label: string;
  readonly mode: 'static' | 'engine' | 'adapter' | 'endpoint';
  readonly batch: number | null;
  /** The mean lengths asked for; each request's own length is drawn around them (lengthsDrawn). */
  readonly promptLen: number;
  readonly genLen: number;
  /** How lengths were drawn (lengths.ts describeLengths); the lengths sent are in summary.inputTokensPerRequest/outputTokensPerRequest. */
  readonly lengthsDrawn: { readonly prompt: string; readonly gen: string };
  readonly concurrency: number | null;
  readonly rate: number | null;
  readonly burstiness: number | null;
  /** The most requests that were in flight at once (load points); null for static batches. */
  readonly maxInFlight: number | null;
  /** Analytic FLOPs per token (--flops, else none) × total tokens/s of a load point, in TFLOP/s; null without --flops or for static points (see split). */
  readonly effectiveTflops: number | null;
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
  /** How the requests of each tried point were counted (the rule, stated in the report). */
  readonly requestsRule: string;
  readonly tried: readonly {
    readonly value: number;
    readonly met: boolean;
    readonly requests: number;
    readonly reasons: readonly string[];
  }[];
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
    /** Where FLOPs and bytes per token come from: the zoo's analytic count, the user's --flops/--bytes, or nowhere (null). */
    readonly cost: { readonly flops: 'zoo analytic' | 'user --flops' | null; readonly bytes: 'zoo analytic' | 'user --bytes' | null };
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
  /**
   * 'endpoint': the device generates with its own model; 'inprocess': our engine drives its decoder;
   * 'adapter': the decoder is loaded on a proc: adapter, whose own generate streams the tokens (engine adapter).
   */
  readonly mode: 'endpoint' | 'inprocess' | 'adapter';
  /** The device's own generation session (endpoint, adapter); null in-process, where a point wraps an engine. */
  readonly generation: GenerationSession | null;
  readonly decoder: DecoderModel | null;
  readonly vocab: number;
  readonly cost: DecoderCost;
  readonly model: LlmReport['model'];
  close(): Promise<void>;
}

/** FLOPs and bytes of a decoder, each from the zoo's analytic count or the user's per-token figure; null where neither is known. */
interface DecoderCost {
  readonly prefillFlops: ((batch: number, promptLen: number) => number) | null;
  readonly decodeFlopsPerToken: ((context: number) => number) | null;
  readonly decodeBytesPerToken: ((batch: number, context: number) => number) | null;
}

/** The user's --flops/--bytes replace the zoo's analytic figures (a user's decoder has none): FLOPs scale with tokens, bytes per step are fixed. */
function decoderCost(zoo: ModelCost | null, s: LlmSettings): { cost: DecoderCost; source: LlmReport['model']['cost'] } {
  const F = s.flopsPerToken;
  const Y = s.bytesPerToken;
  return {
    cost: {
      prefillFlops: F !== null ? (b, P) => b * P * F : zoo ? (b, P) => zoo.prefillFlops(b, P) : null,
      decodeFlopsPerToken: F !== null ? () => F : zoo ? (c) => zoo.decodeFlopsPerToken(c) : null,
      decodeBytesPerToken: Y !== null ? () => Y : zoo ? (b, c) => zoo.decodeBytesPerToken(b, c) : null,
    },
    source: {
      flops: F !== null ? 'user --flops' : zoo ? 'zoo analytic' : null,
      bytes: Y !== null ? 'user --bytes' : zoo ? 'zoo analytic' : null,
    },
  };
}

export async function runLlm(settings: LlmSettings, options: LlmRunOptions = {}): Promise<LlmReport> {
  validateLlmSettings(settings);
  const journal = options.journal ?? null;
  const log = options.log ?? (() => {});
  const device = options.device ?? createDevice(settings.device);
  const others = settings.endpoints?.length ? (options.others ?? settings.endpoints.map((spec) => createDevice(spec))) : [];
  refuseInProcessPool(settings, [device, ...others]);
  if (!generatesOwnModel(device) && settings.engine === 'npuval' && drivesLoad(settings)) refuseOverCapacity(settings);
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
    if (target.mode !== 'endpoint' && settings.bandwidth) {
      bandwidth = await measureBandwidth(device, log);
      journal?.append('llm.bandwidth', bandwidth as unknown as Record<string, unknown>);
    }
    if (target.mode !== 'inprocess' && settings.sweepBatch)
      throw new InputError(
        `--sweep-batch applies to npuval's in-process engine; ${target.mode === 'endpoint' ? 'an endpoint' : 'an adapter generating itself'} batches on its own`,
      );
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
          requests: Math.max(20, requestsFor(settings, 1)),
          tpotRequests: Math.max(8, Math.ceil(requestsFor(settings, 1) / 2)),
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
    const underLoad = target.mode !== 'inprocess' || drivesLoad(settings);
    let sla: SlaSearch | null = null;
    for (const B of settings.sweepBatch ?? [underLoad ? autoEngineBatch(settings) : (settings.batch ?? 1)]) {
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
        if (s.sweepRate) {
          for (const r of s.sweepRate) record(await loadPoint(ctx, P, G, s.concurrency, r));
          continue;
        }
        for (const c of s.sweepConcurrency ?? [s.concurrency ?? 1]) {
          record(await loadPoint(ctx, P, G, s.rate === null ? c : s.concurrency, s.rate));
        }
      }
      if (s.slaSearch) sla = await slaSearch(ctx, record);
    }
    notes.push(...sampleNotes(points, settings));
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

/** What the run's request counts can and cannot carry, said once: a p99 of fewer than 100 requests is decided by the largest one or two. */
function sampleNotes(points: readonly LlmPoint[], s: LlmSettings): string[] {
  const fewest = Math.min(...points.map((p) => p.summary.succeeded));
  if (!Number.isFinite(fewest)) return [];
  const notes: string[] = [];
  if (fewest < MIN_AUTO_REQUESTS)
    notes.push(
      `a point has only ${fewest} succeeded request(s): its p99 lies between the two largest values (fewer than ${MIN_AUTO_REQUESTS}), so one request decides it; the default request count (no --requests) is at least ${MIN_AUTO_REQUESTS}`,
    );
  const p = s.slo?.percentile;
  if (p !== undefined && fewest < requestsForPercentile(p))
    notes.push(
      `the SLO verdict at p${p} rests on ${fewest} request(s), fewer than the ${requestsForPercentile(p)} that keep it from being the largest value`,
    );
  return notes;
}

/**
 * Only devices that serve their own model can share one load; an in-process device runs our
 * engine on one decoder, so several devices with one of those are refused (bad input).
 */
function refuseInProcessPool(s: LlmSettings, devices: readonly Device[]): void {
  if (!s.endpoints?.length) return;
  const all = [s.device, ...s.endpoints];
  const inProcess = all.filter((_, i) => !generatesOwnModel(devices[i]!));
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

/** Checks the settings together (bad input throws InputError naming the flag); the llm workload calls it at plan time too. */
export function validateLlmSettings(s: Omit<LlmSettings, 'device'>): void {
  const positive = (name: string, v: number | null) => {
    if (v !== null && (!Number.isInteger(v) || v < 1)) throw new InputError(`--${name} ${v} is not a positive integer`);
  };
  positive('batch', s.batch);
  positive('prompt-len', s.promptLen);
  positive('gen-len', s.genLen);
  positive('requests', s.requests);
  if (s.rangeRatio > 0 && (s.promptLenStddev > 0 || s.genLenStddev > 0))
    throw new InputError('--range-ratio and --prompt-len-stddev/--gen-len-stddev do not combine; draw lengths one way (uniform or normal)');
  if (!(s.rangeRatio >= 0 && s.rangeRatio < 1)) throw new InputError(`--range-ratio ${s.rangeRatio} is not in [0, 1)`);
  for (const v of s.sweepRate ?? [])
    if (!(v > 0)) throw new InputError(`--sweep-rate ${v} is not a positive number of requests/s (or inf)`);
  if (s.sweepRate && (s.rate !== null || s.sweepConcurrency || s.slaSearch))
    throw new InputError('--sweep-rate does not combine with --rate, --sweep-concurrency or --sla-search; sweep one variable at a time');
  const top = maxInFlight({ ...s, device: '' });
  if (s.requests !== null && top !== null && s.slaSearch === null && s.requests < top.count)
    throw new InputError(
      `--requests ${s.requests} is below ${top.what}: a point must send at least as many requests as it keeps in flight`,
    );
  if (s.requests !== null && s.slaSearch && s.slo && s.requests < requestsForPercentile(s.slo.percentile))
    throw new InputError(
      `--requests ${s.requests} is too few for --sla-search: the SLO's p${s.slo.percentile} needs at least ${requestsForPercentile(s.slo.percentile)} requests per point, else it is the largest value (leave --requests out for ${MIN_AUTO_REQUESTS} or ${AUTO_REQUESTS_PER_SLOT}× the concurrency)`,
    );
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

/** The device serves its own model (an endpoint); otherwise our engine runs its decoder in-process. */
function generatesOwnModel(device: Device): boolean {
  return device.capabilities.generation === 'own-model' && device.openGeneration !== undefined;
}

async function openTarget(device: Device, description: DeviceDescription, s: LlmSettings, source?: ModelSource): Promise<Target> {
  if (generatesOwnModel(device)) {
    const generation = await device.openGeneration!();
    const name = description.model ?? s.model ?? 'served model';
    const zoo = zooEntry(name) ?? (s.model ? zooEntry(s.model) : null);
    // Prompt ids must be in the server's vocabulary: a zoo name tells it; else stay below 256.
    const vocab = zoo ? Number(zoo.config.vocab_size) : 256;
    return {
      generation,
      mode: 'endpoint',
      decoder: null,
      vocab,
      cost: decoderCost(null, s).cost,
      model: { name, source: 'endpoint', params: zoo?.params ?? null, dtype: null, cost: decoderCost(null, s).source },
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
    const longest =
      Math.max(...(s.sweepPromptLen ?? [s.promptLen]).map((P) => lengthBounds(promptDistribution(s, P)).max)) +
      Math.max(...(s.sweepGenLen ?? [s.genLen]).map((G) => lengthBounds(genDistribution(s, G)).max));
    if (Number.isFinite(context) && longest > context) {
      throw new InputError(
        `prompt + generated tokens (${longest}) exceed ${s.model}'s context of ${context} tokens (max_position_embeddings); lower --prompt-len/--gen-len`,
      );
    }
  }
  // Weights use the zoo's default seed, as every other unit does, so one model name is one SHA-256; --seed drives prompts and arrivals.
  const opened = await openDecoder(device, s.model, { dtype: s.dtype, source });
  const { decoder } = opened;
  const { cost, source: costSource } = decoderCost(zoo ? modelCost({ ...zoo, config: { ...zoo.config, dtype: s.dtype } }) : null, s);
  const own = s.engine === 'adapter' ? adapterGeneration(decoder, device, opened.close) : null;
  return {
    generation: await own,
    mode: own ? 'adapter' : 'inprocess',
    decoder,
    vocab: opened.vocab,
    cost,
    model: { name: s.model, source: zoo ? 'zoo' : 'file', params: zoo?.params ?? null, dtype: decoder.geometry.dtype, cost: costSource },
    close: () => opened.close(),
  };
}

/** engine adapter: the adapter's own generate over the loaded decoder; refused (after closing it) where the adapter has none. */
async function adapterGeneration(decoder: DecoderModel, device: Device, close: () => Promise<void>): Promise<GenerationSession> {
  const own = decoder.session.generation?.();
  if (own) return own;
  await close();
  throw new InputError(
    `engine adapter: ${device.id} does not generate tokens itself (only a proc: adapter whose hello claims token_streaming does); generate with npuval's engine instead (--engine npuval)`,
  );
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

const promptDistribution = (s: LlmSettings, P: number): LengthDistribution => ({
  mean: P,
  stddev: s.promptLenStddev,
  rangeRatio: s.rangeRatio,
});
const genDistribution = (s: LlmSettings, G: number): LengthDistribution => ({ mean: G, stddev: s.genLenStddev, rangeRatio: s.rangeRatio });

/**
 * Each request's prompt and output length for a point of mean P and G: request i gets [i] of each.
 * The same seed gives every point of a sweep the same draws, so points differ only in what they sweep.
 */
function pointLengths(s: LlmSettings, P: number, G: number, count: number): { prompt: number[]; gen: number[] } {
  return {
    prompt: drawLengths(count, promptDistribution(s, P), s.seed * 7919 + 1),
    gen: drawLengths(count, genDistribution(s, G), s.seed * 7919 + 2),
  };
}

function describePoint(s: LlmSettings, P: number, G: number): LlmPoint['lengthsDrawn'] {
  return { prompt: describeLengths(promptDistribution(s, P)), gen: describeLengths(genDistribution(s, G)) };
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
  const cost = target.cost;
  const B = s.batch ?? 1;
  const requests = requestsFor(s, null);
  const batches = Math.ceil(requests / B);
  const warmBatches = Math.ceil(s.warmup / B);
  // A static batch has one shape, so each batch draws one prompt and one output length (batch k gets [k]).
  const lengths = pointLengths(s, P, G, batches);
  const label = `static b${B} p${P} g${G}`;
  const prefillMs: number[] = [];
  const stepMs: number[] = [];
  let prefillTokens = 0;
  let prefillFlops = 0;
  let stepBytes = 0;
  let stepFlops = 0;
  let contextSum = 0;
  const results: RequestMetrics[] = [];
  let sampleTokens: number[][] | null = null;
  const origin = performance.now();
  for (let k = -warmBatches; k < batches; k++) {
    if (ctx.signal?.aborted) break;
    const Pk = lengths.prompt[Math.max(0, k)]!;
    const Gk = lengths.gen[Math.max(0, k)]!;
    const prompts = Array.from({ length: B }, (_, b) => syntheticPrompt(Pk, target.vocab, s.seed * 100_003 + Math.max(0, k) * B + b));
    const g = await generateStatic(decoder, prompts, Gk);
    if (k < 0) continue;
    sampleTokens ??= g.tokens.slice(0, 4);
    prefillMs.push(g.tokenMs[0]! - g.startMs);
    prefillTokens += B * Pk;
    prefillFlops += cost.prefillFlops?.(B, Pk) ?? 0;
    for (let i = 1; i < Gk; i++) {
      stepMs.push(g.tokenMs[i]! - g.tokenMs[i - 1]!);
      // Step i decodes with Pk + i − 1 tokens cached.
      stepBytes += cost.decodeBytesPerToken?.(B, Pk + i - 1) ?? 0;
      stepFlops += B * (cost.decodeFlopsPerToken?.(Pk + i - 1) ?? 0);
      contextSum += Pk + i - 1;
    }
    for (let b = 0; b < B && k * B + b < requests; b++) {
      const m = requestMetrics({
        index: k * B + b,
        scheduledMs: null,
        sentMs: g.startMs - origin,
        contentMs: g.tokenMs.map((t) => t - origin),
        endMs: g.tokenMs[Gk - 1]! - origin,
        ok: true,
        error: null,
        promptTokens: Pk,
        usage: null,
        clientTokens: Gk,
      });
      results.push(m);
    }
  }
  for (const m of results) ctx.journal?.append('llm.request', { point: label, ...m });
  const summary = summarizeRun(results, s.slo);
  const totalStepS = stepMs.reduce((a, v) => a + v, 0) / 1000;
  const totalPrefillS = prefillMs.reduce((a, v) => a + v, 0) / 1000;
  const bw = ctx.bandwidth?.rooflineBytesPerS ?? null;
  const decodeBytesPerS = cost.decodeBytesPerToken && totalStepS > 0 ? stepBytes / totalStepS : null;
  // The roofline at the mean context of the steps run.
  const meanStepBytes = cost.decodeBytesPerToken && stepMs.length ? cost.decodeBytesPerToken(B, contextSum / stepMs.length) : null;
  const split: PrefillDecodeSplit = {
    prefillMs: summarize(prefillMs, 'ms'),
    prefillTokensPerS: totalPrefillS > 0 ? prefillTokens / totalPrefillS : null,
    prefillTflops: cost.prefillFlops && totalPrefillS > 0 ? prefillFlops / totalPrefillS / 1e12 : null,
    decodeStepMs: summarize(stepMs, 'ms'),
    decodeTokensPerS: totalStepS > 0 ? (stepMs.length * B) / totalStepS : null,
    decodeTflops: cost.decodeFlopsPerToken && totalStepS > 0 ? stepFlops / totalStepS / 1e12 : null,
    decodeBytesPerS,
    rooflineRatio: decodeBytesPerS !== null && bw ? decodeBytesPerS / bw : null,
    rooflineTokensPerS: bw && meanStepBytes ? (bw / meanStepBytes) * B : null,
  };
  return {
    label,
    mode: 'static',
    batch: B,
    promptLen: P,
    genLen: G,
    lengthsDrawn: describePoint(s, P, G),
    concurrency: null,
    rate: null,
    burstiness: null,
    maxInFlight: null,
    effectiveTflops: null,
    summary,
    split,
    engine: null,
    sampleTokens,
  };
}

async function loadPoint(ctx: PointContext, P: number, G: number, concurrency: number | null, rate: number | null): Promise<LlmPoint> {
  const { settings: s, target } = ctx;
  const label = `${target.mode === 'endpoint' ? (ctx.pool ? `${ctx.pool.members.length} endpoints ${ctx.pool.balance}` : 'endpoint') : target.mode === 'adapter' ? 'adapter generate' : `engine b${s.batch}`} p${P} g${G} ${rate !== null ? `rate ${rate}/s${concurrency ? ` cap ${concurrency}` : ''}` : `c${concurrency}`}`;
  const pool = ctx.pool;
  const servedBy: number[] = [];
  const requests = requestsFor(s, concurrency ?? (rate === null ? 1 : null));
  const lengths = pointLengths(s, P, G, requests);
  let inFlight = 0;
  let peak = 0;
  const observe = async (index: number, scheduled: number | null, origin: number) => {
    const { prompt, tokens } = promptFor(ctx, index, lengths.prompt[index % requests]!);
    const member = pool ? pool.acquire() : -1;
    peak = Math.max(peak, ++inFlight);
    const session = pool ? pool.members[member]!.session : ctx.session!;
    try {
      return await observeRequest(session, {
        index,
        originMs: origin,
        scheduledMs: scheduled,
        prompt,
        promptTokens: tokens,
        maxTokens: lengths.gen[index % requests]!,
        fixedLength: true,
        timeoutMs: s.timeoutMs,
        counter: s.counter,
        runSignal: ctx.signal,
      });
    } finally {
      inFlight--;
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
  peak = 0;
  await driveLoad(
    { requests, concurrency: concurrency ?? undefined, rate: rate ?? undefined, burstiness: s.burstiness, seed: s.seed },
    async (i, scheduled) => {
      const m = requestMetrics(await observe(i, scheduled, origin));
      results[i] = m;
    },
    ctx.signal,
  );
  const done = results.filter(Boolean);
  const summary = summarizeRun(done, s.slo);
  for (const [i, m] of results.entries()) {
    if (m)
      ctx.journal?.append('llm.request', {
        point: label,
        ...m,
        maxTokens: lengths.gen[i]!,
        ...(pool ? { endpoint: pool.members[servedBy[i]!]!.id } : {}),
      });
  }
  const endpoints = pool ? shares(pool, results, servedBy, summary.durationS) : null;
  if (ctx.engine && peak > ctx.engine.maxBatch)
    ctx.notes.push(
      `${label}: up to ${peak} requests were in flight at the engine's max batch ${ctx.engine.maxBatch} (a rate with no --concurrency cap); the rest waited in its queue, counted in their TTFT, as a server's queue would`,
    );
  const F = s.flopsPerToken;
  return {
    label,
    mode: target.mode === 'inprocess' ? 'engine' : target.mode,
    batch: target.mode === 'inprocess' ? s.batch : null,
    promptLen: P,
    genLen: G,
    lengthsDrawn: describePoint(s, P, G),
    concurrency,
    rate,
    burstiness: rate !== null ? s.burstiness : null,
    maxInFlight: peak,
    effectiveTflops: F !== null && summary.totalTokensPerS !== null ? (F * summary.totalTokensPerS) / 1e12 : null,
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
  const tried: { value: number; met: boolean; requests: number; reasons: readonly string[] }[] = [];
  const attempt = async (value: number): Promise<boolean> => {
    const p =
      variable === 'concurrency'
        ? await loadPoint(ctx, s.promptLen, s.genLen, value, null)
        : await loadPoint(ctx, s.promptLen, s.genLen, s.concurrency, value);
    record(p);
    const v = p.summary.slo!;
    tried.push({ value, met: v.met, requests: p.summary.requests, reasons: v.reasons });
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
  const requestsRule =
    s.requests !== null
      ? `${s.requests} requests per point (--requests; at least the ${requestsForPercentile(s.slo!.percentile)} the SLO's p${s.slo!.percentile} needs)`
      : `max(${MIN_AUTO_REQUESTS}, ${AUTO_REQUESTS_PER_SLOT} × the requests in flight) per point, so the SLO's p${s.slo!.percentile} is not the largest value`;
  return { variable, slo: s.slo!, best: good, requestsRule, tried };
}

/** Reads a --prompt-file (JSON Lines of {"prompt": …}); bad input (exit 2) naming the line otherwise. */
export function readPromptFile(path: string): (string | number[])[] {
  const text = readInputText(path, '--prompt-file');
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
