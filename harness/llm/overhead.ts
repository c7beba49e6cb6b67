// The HTTP overhead of an endpoint, measured alone so the report can state how much of an
// endpoint's TTFT and TPOT is the serving path rather than generation. One request at a time.
//
// TTFT: the request path with no generation in it.
//  - 'probe' (npuval serve): streamed requests for HTTP_PROBE_MODEL take the same route, handler,
//    SSE framing, client and metric code as a generation but run no model (the server echoes the
//    prompt's ids). Their TTFT is send → first content chunk. The probe counts only when the
//    stream echoes the prompt: a server that ignores the model name and generates would otherwise
//    pass a generation off as overhead.
//  - 'round-trip' (any other server): the session's ping(), a keep-alive round trip that generates
//    nothing (an endpoint: GET {base}/models). No body, no streaming: a lower bound, and the report says so.
// TPOT: what streaming costs per token. First the server's per-token time without streaming, from
// unstreamed requests, as the slope of E2E over output length: (E2E at G tokens − E2E at 1 token)
// / (G − 1).
//  - 'paced-probe' (npuval serve): probes whose server holds its event loop for that per-token
//    time before each token (as onnxruntime-node's synchronous run does for a decode step), so the
//    tokens stream at a decode's pace with no model run; overhead = their TPOT − the pace. It
//    involves no streamed generation, so holding an endpoint's TPOT against it can fail.
//  - 'streamed-vs-unstreamed' (any other server): overhead = streamed TPOT of the same requests −
//    the slope. It holds whatever streaming costs on the host, including slower model steps while
//    the client works beside the server, but it is measured on generations.
// Everything goes through the device's generation sessions (Device.openGeneration), so any device
// that generates with its own model is measured the same way; nothing here names an adapter.
import type { Device, GenerateRequest, GenerationOptions, GenerationSession } from '../../devices/types.js';
import { HTTP_PROBE_MODEL } from '../serve/server.js';
import { textToIds } from '../serve/text.js';
import { median, summarize, type Statistics } from '../stats.js';
import { observeRequest, type TokenCounter } from './client.js';
import { requestMetrics } from './metrics.js';

export interface HttpOverhead {
  /** How the TTFT overhead was measured. */
  readonly ttftMethod: 'probe' | 'round-trip';
  /** How the TPOT overhead was measured; null when it was not. */
  readonly tpotMethod: 'paced-probe' | 'streamed-vs-unstreamed' | null;
  /** What was timed, in words, for the report. */
  readonly description: string;
  /** probe: send → first content chunk, no generation; round-trip: GET /models request → body read. */
  readonly ttftMs: Statistics;
  /** Per-token overhead (see tpotMethod); null when not measured (see notes). */
  readonly tpotMs: number | null;
  /** Median TPOT of streamed generations, and of the paced probes (null without the probe). */
  readonly streamedTpotMs: number | null;
  readonly pacedProbeTpotMs: number | null;
  /** The server's per-token time unstreamed (E2E slope), which is also the paced probe's pace. */
  readonly unstreamedTpotMs: number | null;
  /** The raw per-request values, so a comparison can bootstrap them. */
  readonly samples: {
    readonly ttftMs: readonly number[];
    readonly streamedTpotMs: readonly number[];
    readonly pacedProbeTpotMs: readonly number[];
    /** Client E2E of unstreamed requests of 1 and of G output tokens. */
    readonly unstreamedShortMs: readonly number[];
    readonly unstreamedLongMs: readonly number[];
  };
  /** G: output tokens of the streamed and long unstreamed requests. */
  readonly genLen: number;
}

export interface OverheadOptions {
  /** Prompt of the i-th request: the run's own prompts, so request bodies are the same size. */
  readonly prompt: (i: number) => { prompt: GenerateRequest['prompt']; ids: readonly number[]; tokens: number | null };
  readonly vocab: number;
  /** Output tokens per request: the run's generation length. */
  readonly genLen: number;
  readonly counter: TokenCounter;
  readonly timeoutMs: number;
  /** Probes (or round trips) timed after warm-up. */
  readonly requests?: number;
  /** Streamed/unstreamed triples for the TPOT overhead, and as many paced probes. */
  readonly tpotRequests?: number;
  readonly warmup?: number;
  readonly signal?: AbortSignal;
}

/** Null (with a note) when the TTFT part cannot be measured at all; the TPOT part may be null alone. */
export async function measureHttpOverhead(device: Device, o: OverheadOptions, notes: string[]): Promise<HttpOverhead | null> {
  const requests = o.requests ?? 20;
  const warmup = o.warmup ?? 2;
  // The TPOT part first: its generations warm the server and client paths up for the probes.
  const tpot = await measureTpotOverhead(device, o, o.tpotRequests ?? 8, notes);
  const ttft = await measureTtftOverhead(device, o, requests, warmup, notes);
  if (!ttft) return null;
  const streamedTpotMs = tpot.streamed.length ? median(tpot.streamed) : null;
  const unstreamedTpotMs =
    tpot.long.length && tpot.short.length && o.genLen >= 2 ? Math.max(0, (median(tpot.long) - median(tpot.short)) / (o.genLen - 1)) : null;
  const paced =
    ttft.method === 'probe' && unstreamedTpotMs !== null ? await pacedProbes(device, o, o.tpotRequests ?? 8, unstreamedTpotMs, notes) : [];
  const pacedProbeTpotMs = paced.length ? median(paced) : null;
  const tpotMethod =
    pacedProbeTpotMs !== null ? 'paced-probe' : streamedTpotMs !== null && unstreamedTpotMs !== null ? 'streamed-vs-unstreamed' : null;
  const tpotMs =
    tpotMethod === 'paced-probe' ? pacedProbeTpotMs! - unstreamedTpotMs! : tpotMethod ? streamedTpotMs! - unstreamedTpotMs! : null;
  const slope = `unstreamed per-token time ${unstreamedTpotMs?.toFixed(3)} ms (E2E slope over 1 and ${o.genLen} tokens, ${tpot.long.length} requests each)`;
  return {
    ttftMethod: ttft.method,
    tpotMethod,
    ttftMs: summarize(ttft.values, 'ms')!,
    tpotMs,
    streamedTpotMs,
    pacedProbeTpotMs,
    unstreamedTpotMs,
    samples: {
      ttftMs: ttft.values,
      streamedTpotMs: tpot.streamed,
      pacedProbeTpotMs: paced,
      unstreamedShortMs: tpot.short,
      unstreamedLongMs: tpot.long,
    },
    genLen: o.genLen,
    description:
      (ttft.method === 'probe'
        ? `TTFT: ${ttft.values.length} streamed no-generation requests (${HTTP_PROBE_MODEL}) through the same route, SSE client and metrics`
        : `TTFT: ${ttft.values.length} keep-alive GET /models round trips (a lower bound: no body, no streaming)`) +
      (tpotMethod === 'paced-probe'
        ? `; TPOT: ${paced.length} probes of ${o.genLen} tokens paced at the ${slope}, their TPOT − the pace`
        : tpotMethod
          ? `; TPOT: ${tpot.streamed.length} streamed requests of ${o.genLen} tokens − the ${slope}`
          : '') +
      '; one request at a time',
  };
}

/** A session on the device asking for the probe model instead of its own; `paceMs` sets npuval serve's per-token hold. */
export function openProbe(device: Device, paceMs?: number): Promise<GenerationSession> {
  return openGeneration(device, {
    model: HTTP_PROBE_MODEL,
    ...(paceMs === undefined ? {} : { extraBody: { npuval_probe_step_ms: paceMs } }),
  });
}

/** The device's own generation session; only devices that generate with their own model have one. */
async function openGeneration(device: Device, options?: GenerationOptions): Promise<GenerationSession> {
  if (!device.openGeneration) throw new TypeError(`${device.id} does not generate with its own model; it has no serving path to measure`);
  return device.openGeneration(options);
}

/** TPOTs of probes paced at `paceMs` per token (the server holds its event loop that long before each). */
async function pacedProbes(device: Device, o: OverheadOptions, count: number, paceMs: number, notes: string[]): Promise<number[]> {
  const session = await openProbe(device, paceMs);
  const out: number[] = [];
  for (let i = 0; i <= count && !o.signal?.aborted; i++) {
    const m = await observe(session, o, i, o.genLen);
    if (!m.ok || m.tpotMs === null) {
      notes.push(`paced HTTP probe ${i} failed (${m.error ?? 'no TPOT'}); the TPOT overhead falls back to streamed − unstreamed`);
      return [];
    }
    if (i > 0) out.push(m.tpotMs); // index 0 warms up
  }
  return out;
}

async function measureTtftOverhead(
  device: Device,
  o: OverheadOptions,
  requests: number,
  warmup: number,
  notes: string[],
): Promise<{ method: 'probe' | 'round-trip'; values: number[] } | null> {
  let session: GenerationSession | null = null;
  let refused: string | null;
  try {
    session = await openProbe(device);
    refused = await probeRefusal(session, o);
  } catch (err) {
    refused = `the server is not reachable for the probe (${(err as Error).message})`;
  }
  if (session && refused === null) {
    const values: number[] = [];
    for (let i = 0; i < warmup + requests && !o.signal?.aborted; i++) {
      const m = await observe(session, o, i, o.genLen);
      if (!m.ok || m.ttftMs === null) {
        notes.push(`HTTP overhead not measured: probe request ${i} failed (${m.error ?? 'no content'})`);
        return null;
      }
      if (i >= warmup) values.push(m.ttftMs);
    }
    return values.length ? { method: 'probe', values } : null;
  }
  notes.push(`HTTP overhead probe not used: ${refused}`);
  const values = await roundTrips(device, session, requests, warmup, notes, o.signal);
  return values ? { method: 'round-trip', values } : null;
}

/** Null when the server streams the probe's echo; else why the probe cannot be used. */
async function probeRefusal(session: GenerationSession, o: OverheadOptions): Promise<string | null> {
  const { prompt, ids } = o.prompt(0);
  const expected = Array.from({ length: o.genLen }, (_, i) => ids[i % ids.length]!);
  let text = '';
  try {
    for await (const e of session.generate({ prompt, maxTokens: o.genLen, fixedLength: true, signal: requestSignal(o) })) text += e.text;
  } catch (err) {
    const message = (err as Error).message.slice(0, 160);
    // Servers answer an unknown model with 404 (vLLM, OpenAI); anything else refused this request, not the probe.
    return /HTTP 404/.test(message) ? `the server has no ${HTTP_PROBE_MODEL} probe (${message})` : `the probe request failed (${message})`;
  }
  const got = textToIds(text, o.vocab);
  if (got.length !== expected.length || got.some((t, i) => t !== expected[i])) {
    return `the server answered ${HTTP_PROBE_MODEL} with a generation, not the probe's echo`;
  }
  return null;
}

/** Streamed requests and the same requests unstreamed (1 and G tokens), interleaved so drift hits all three alike. */
async function measureTpotOverhead(
  device: Device,
  o: OverheadOptions,
  count: number,
  notes: string[],
): Promise<{ streamed: number[]; short: number[]; long: number[] }> {
  const out = { streamed: [] as number[], short: [] as number[], long: [] as number[] };
  if (o.genLen < 2) {
    notes.push('HTTP TPOT overhead not measured: it needs --gen-len ≥ 2');
    return out;
  }
  try {
    const session = await openGeneration(device);
    if (!session.complete) throw new Error(`${device.id} has no unstreamed mode to compare streaming against`);
    const complete = session.complete.bind(session);
    const unstreamed = async (i: number, maxTokens: number): Promise<number> => {
      const { prompt } = o.prompt(i);
      const t = performance.now();
      const r = await complete({ prompt, maxTokens, fixedLength: true, signal: requestSignal(o) });
      const ms = performance.now() - t;
      if (r.usage && r.usage.completionTokens !== maxTokens)
        throw new Error(`an unstreamed request for ${maxTokens} tokens returned ${r.usage.completionTokens}`);
      return ms;
    };
    // Index 0 warms each kind up and is not recorded.
    for (let i = 0; i <= count && !o.signal?.aborted; i++) {
      const m = await observe(session, o, i, o.genLen);
      if (!m.ok || m.tpotMs === null) throw new Error(m.error ?? 'a streamed request gave no TPOT');
      const short = await unstreamed(i, 1);
      const long = await unstreamed(i, o.genLen);
      if (i === 0) continue;
      out.streamed.push(m.tpotMs);
      out.short.push(short);
      out.long.push(long);
    }
  } catch (err) {
    notes.push(`HTTP TPOT overhead not measured: ${(err as Error).message.slice(0, 200)}`);
    return { streamed: [], short: [], long: [] };
  }
  return out;
}

function observe(session: GenerationSession, o: OverheadOptions, i: number, maxTokens: number) {
  const { prompt, tokens } = o.prompt(i);
  return observeRequest(session, {
    index: i,
    originMs: 0,
    scheduledMs: null,
    prompt,
    promptTokens: tokens,
    maxTokens,
    fixedLength: true,
    timeoutMs: o.timeoutMs,
    counter: o.counter,
    runSignal: o.signal,
  }).then(requestMetrics);
}

/**
 * Round trips that generate nothing (session.ping: an endpoint's keep-alive GET /models) on `session`,
 * else on a session of the device's own model; the first `warmup` open the connection.
 */
async function roundTrips(
  device: Device,
  session: GenerationSession | null,
  count: number,
  warmup: number,
  notes: string[],
  runSignal?: AbortSignal,
): Promise<number[] | null> {
  const times: number[] = [];
  try {
    session ??= await openGeneration(device);
    if (!session.ping) throw new Error(`${device.id} has no round trip that generates nothing`);
    for (let i = 0; i < count + warmup && !runSignal?.aborted; i++) {
      const t = performance.now();
      await session.ping(requestSignal({ timeoutMs: 10_000, signal: runSignal }));
      if (i >= warmup) times.push(performance.now() - t);
    }
  } catch (err) {
    notes.push(`HTTP overhead not measured: ${(err as Error).message}`);
    return null;
  }
  return times;
}

/** A request's signal: its timeout, and the run's signal (SIGINT/SIGTERM) so an interruption cancels it at once. */
function requestSignal(o: { readonly timeoutMs: number; readonly signal?: AbortSignal }): AbortSignal {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  return o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
}
