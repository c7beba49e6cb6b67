// `npuval serve`: an OpenAI-compatible server (node:http) in front of the continuous-batching engine.
// Routes: POST /v1/completions and /v1/chat/completions (streamed or not; n, stop, seed,
// temperature/top_p sampling, max_tokens defaulting to the rest of the context, stream_options.
// include_usage, ignore_eos/min_tokens accepted; api.ts checks every parameter and refuses the ones
// not implemented), GET /v1/models and /v1/models/{id}, and GET /npuval/stats (the engine's batching
// counters). Errors are OpenAI error bodies. Text is the reversible id mapping of text.ts.
// A request for the model HTTP_PROBE_MODEL takes the same route and handler but no generation: its
// "tokens" (the prompt's ids, in turn) are emitted one per event-loop turn, as the engine emits one
// per step, optionally paced (`npuval_probe_step_ms`). The endpoint client times it to state the
// HTTP overhead of the streaming path itself.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, errorBody, modelNotFound, parseCompletion, requestedModel } from './api.js';
import type { BatchEngine, EngineRequest, EngineResult } from './engine.js';
import { tokenChooser } from './sampling.js';
import { StopText } from './stop.js';
import { idsToText } from './text.js';

/** The model name of the no-generation probe (not listed by GET /v1/models). */
export const HTTP_PROBE_MODEL = 'npuval-http-probe';

export interface ServeOptions {
  readonly engine: BatchEngine;
  readonly modelName: string;
  readonly vocabSize: number;
  /** Most tokens (prompt + max_tokens) a request may ask for, when the model says; vLLM also refuses more with a 400. */
  readonly maxContext?: number | null;
  readonly port?: number;
  /** Default 127.0.0.1 (loopback); 0.0.0.0 only when asked. */
  readonly host?: string;
  /** Called once per finished request (for the journal). */
  readonly onRequest?: (record: ServedRequest) => void;
}

export interface ServedRequest {
  readonly route: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly ok: boolean;
  readonly error: string | null;
  /** A no-generation HTTP probe (HTTP_PROBE_MODEL), not a generation. */
  readonly probe: boolean;
  /** Request arrival (before its body was read) → first token chosen, in this process: the server-side TTFT. */
  readonly ttftMs: number | null;
  /** (last − first token chosen) / (tokens − 1), in this process: the server-side TPOT; null under 2 tokens. */
  readonly tpotMs: number | null;
  /** Request arrival → response ended. */
  readonly ms: number;
  /** The 32-bit seed of the request's draws (from its `seed`, else drawn at random), so any sampled request can be replayed; null when greedy or refused. */
  readonly seed: number | null;
}

export interface LlmServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startLlmServer(o: ServeOptions): Promise<LlmServer> {
  let nextId = 0;
  const server: Server = createServer((req, res) => {
    const arrived = performance.now();
    handle(req, res).catch((err: unknown) => {
      // Refused before generation (bad input, unknown route or model): recorded here; generation failures are recorded by handle().
      if (err instanceof ApiError) {
        o.onRequest?.({
          route: (req.url ?? '/').split('?')[0]!,
          promptTokens: 0,
          completionTokens: 0,
          ok: false,
          error: `HTTP ${err.status}: ${err.message}`,
          probe: false,
          ttftMs: null,
          tpotMs: null,
          ms: performance.now() - arrived,
          seed: null,
        });
      }
      if (!res.headersSent) sendJson(res, err instanceof ApiError ? err.status : 500, errorBody(err));
      else res.end();
    });
  });

  const model = { id: o.modelName, object: 'model', created: 0, owned_by: 'npuval' };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && url === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [model] });
      return;
    }
    if (req.method === 'GET' && url.startsWith('/v1/models/')) {
      const id = decodeURIComponent(url.slice('/v1/models/'.length));
      if (id !== o.modelName) throw modelNotFound(id, o.modelName);
      sendJson(res, 200, model);
      return;
    }
    if (req.method === 'GET' && url === '/npuval/stats') {
      sendJson(res, 200, o.engine.snapshot());
      return;
    }
    const chat = url === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && url !== '/v1/completions')) throw new ApiError(404, `Invalid URL (${req.method} ${url})`);
    const body = await readJson(req);
    const probe = body.model === HTTP_PROBE_MODEL;
    // As OpenAI and vLLM do: a request for a model this server does not serve is a 404, not a silent substitute.
    const p = parseCompletion(body, chat ? 'chat' : 'completions', requestedModel(body, [o.modelName, HTTP_PROBE_MODEL]), {
      vocabSize: o.vocabSize,
      maxContext: o.maxContext ?? null,
    });
    if (probe && p.n !== 1) throw new ApiError(400, `the probe model ${HTTP_PROBE_MODEL} takes n = 1`, 'n', 'unsupported_value');
    const stepMs = probe ? probeStep(body.npuval_probe_step_ms) : 0;
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client disconnected'));
    });
    let count = 0;
    let ttftMs: number | null = null;
    let lastTokenMs = 0;
    const tpotMs = () => (count >= 2 ? (lastTokenMs - started - ttftMs!) / (count - 1) : null);
    // With include_usage, every chunk carries usage: null and a last chunk (no choices) the counts, as OpenAI sends them.
    const chunk = (choice: Record<string, unknown>) => ({
      id,
      object,
      created,
      model: o.modelName,
      choices: [choice],
      ...(p.includeUsage ? { usage: null } : {}),
    });
    const delta = (index: number, text: string, finish: string | null) =>
      chat
        ? { index, delta: text || finish === null ? { content: text } : {}, logprobs: null, finish_reason: finish }
        : { index, text, logprobs: null, finish_reason: finish };
    if (p.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      if (chat)
        for (let i = 0; i < p.n; i++)
          sse(res, chunk({ index: i, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }));
    }
    const usage = () => ({ prompt_tokens: p.prompt.length, completion_tokens: count, total_tokens: p.prompt.length + count });
    const sampling = { temperature: p.temperature, topP: p.topP, seed: p.seed };
    const seed = probe || p.temperature === 0 ? null : p.seed;
    // One engine request per choice; each choice's text passes its stop sequences (none stop before min_tokens, as in vLLM).
    const choices = Array.from({ length: p.n }, (_, index) => {
      const text = new StopText(p.stop);
      let tokens = 0;
      let finish: 'stop' | 'length' | null = null;
      const run = (probe ? (r: EngineRequest) => probeTokens(r, stepMs) : (r: EngineRequest) => o.engine.submit(r))({
        prompt: p.prompt,
        maxTokens: p.maxTokens,
        signal: abort.signal,
        choose: tokenChooser(sampling, index),
        onToken: (token, timeMs) => {
          count++;
          tokens++;
          ttftMs ??= timeMs - started;
          lastTokenMs = timeMs;
          const piece = idsToText([token]);
          const out = text.push(piece, tokens >= p.minTokens);
          if (text.stopped) finish = 'stop';
          else if (tokens === p.maxTokens) finish = 'length';
          const send = finish === 'length' ? out + text.flush() : out;
          if (p.stream && (send || finish)) sse(res, chunk(delta(index, send, finish)));
          return finish === 'stop';
        },
      });
      return run.then(() => ({ index, text: text.output + text.flush(), finish: finish ?? 'length' }));
    });
    try {
      const results = await Promise.all(choices);
      if (p.stream) {
        if (p.includeUsage) sse(res, { id, object, created, model: o.modelName, choices: [], usage: usage() });
        res.end('data: [DONE]\n\n');
      } else {
        sendJson(res, 200, {
          id,
          object: chat ? 'chat.completion' : 'text_completion',
          created,
          model: o.modelName,
          choices: results.map((c) =>
            chat
              ? { index: c.index, message: { role: 'assistant', content: c.text, refusal: null }, logprobs: null, finish_reason: c.finish }
              : { index: c.index, text: c.text, logprobs: null, finish_reason: c.finish },
          ),
          usage: usage(),
        });
      }
      o.onRequest?.({
        route: url,
        promptTokens: p.prompt.length,
        completionTokens: count,
        ok: true,
        error: null,
        probe,
        ttftMs,
        tpotMs: tpotMs(),
        ms: performance.now() - started,
        seed,
      });
    } catch (err) {
      const message = (err as Error).message;
      o.onRequest?.({
        route: url,
        promptTokens: p.prompt.length,
        completionTokens: count,
        ok: false,
        error: message,
        probe,
        ttftMs,
        tpotMs: tpotMs(),
        ms: performance.now() - started,
        seed,
      });
      if (abort.signal.aborted) return;
      abort.abort(err);
      if (p.stream) {
        sse(res, errorBody(err));
        res.end('data: [DONE]\n\n');
      } else throw err;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `npuval_probe_step_ms`: how long the probe holds the event loop before each token (default 0). */
function probeStep(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1000))
    throw new ApiError(400, 'npuval_probe_step_ms must be a number of ms in [0, 1000]', 'npuval_probe_step_ms', 'invalid_value');
  return v;
}

/**
 * The probe's stand-in for the engine: the prompt's ids in turn, one per event-loop turn, no model
 * run. With a step, each token first holds the event loop for that long, as onnxruntime-node's
 * synchronous run holds it for a decode step, so tokens stream at a decode's pace.
 */
async function probeTokens(r: EngineRequest, stepMs: number): Promise<EngineResult> {
  const tokens: number[] = [];
  while (tokens.length < r.maxTokens) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const until = performance.now() + stepMs; performance.now() < until; );
    if (r.signal?.aborted) throw r.signal.reason instanceof Error ? r.signal.reason : new Error('aborted');
    const token = r.prompt[tokens.length % r.prompt.length]!;
    tokens.push(token);
    if (r.onToken?.(token, performance.now()) === true) return { tokens, promptTokens: r.prompt.length, finishReason: 'stop' };
  }
  return { tokens, promptTokens: r.prompt.length, finishReason: 'length' };
}

function sse(res: ServerResponse, obj: unknown): void {
  res.write(`data: ${JSON.stringify(obj)}\n\n`);
}

function sendJson(res: ServerResponse, status: number, obj: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString();
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'We could not parse the JSON body of your request: it is not a JSON object.');
}
