// `npuval serve`: an OpenAI-compatible streaming server (node:http) in front of the continuous-
// batching engine. Routes: POST /v1/completions, POST /v1/chat/completions (stream or not,
// stream_options.include_usage, max_tokens, ignore_eos/min_tokens accepted), GET /v1/models, and
// GET /npuval/stats (the engine's batching counters). Text is the reversible id mapping of text.ts.
// A request for the model HTTP_PROBE_MODEL takes the same route and handler but no generation: its
// "tokens" (the prompt's ids, in turn) are emitted one per event-loop turn, as the engine emits one
// per step, optionally paced (`npuval_probe_step_ms`). The endpoint client times it to state the
// HTTP overhead of the streaming path itself.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchEngine, EngineRequest, EngineResult } from './engine.js';
import { idsToText, textToIds } from './text.js';

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
}

export interface LlmServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startLlmServer(o: ServeOptions): Promise<LlmServer> {
  let nextId = 0;
  const server: Server = createServer((req, res) => {
    const arrived = performance.now();
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      // Refused before generation (bad input, unknown route): recorded here; generation failures are recorded by handle().
      if (err instanceof HttpError) {
        o.onRequest?.({ route: (req.url ?? '/').split('?')[0]!, promptTokens: 0, completionTokens: 0, ok: false, error: `HTTP ${err.status}: ${err.message}`, probe: false, ttftMs: null, tpotMs: null, ms: performance.now() - arrived });
      }
      if (!res.headersSent) sendJson(res, status, { error: { message: (err as Error).message, type: status === 400 ? 'invalid_request_error' : 'server_error', code: status } });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: o.modelName, object: 'model', owned_by: 'npuval', created: 0 }] });
      return;
    }
    if (req.method === 'GET' && url === '/npuval/stats') {
      sendJson(res, 200, o.engine.snapshot());
      return;
    }
    const chat = url === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && url !== '/v1/completions')) throw new HttpError(404, `no route ${req.method} ${url}`);
    const body = await readJson(req);
    const prompt = promptIds(body, chat, o.vocabSize);
    const maxTokens = body.max_tokens ?? body.max_completion_tokens ?? 16;
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) throw new HttpError(400, 'max_tokens must be a positive integer');
    if (o.maxContext && prompt.length + maxTokens > o.maxContext) {
      throw new HttpError(400, `this model's maximum context length is ${o.maxContext} tokens; the request asks for ${prompt.length + maxTokens} (${prompt.length} in the prompt, ${maxTokens} max_tokens)`);
    }
    const probe = body.model === HTTP_PROBE_MODEL;
    // As vLLM does: a request for a model this server does not serve is a 404, not a silent substitute.
    if (!probe && body.model !== o.modelName) throw new HttpError(404, `The model \`${String(body.model)}\` does not exist; this server serves ${o.modelName}.`);
    const stepMs = probe ? probeStep(body.npuval_probe_step_ms) : 0;
    const stream = body.stream === true;
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
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
    const choice = (text: string, finish: string | null) =>
      chat
        ? { index: 0, delta: { content: text }, logprobs: null, finish_reason: finish }
        : { index: 0, text, logprobs: null, finish_reason: finish };
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      if (chat) sse(res, { id, object, created, model: o.modelName, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    }
    const usage = () => ({ prompt_tokens: prompt.length, completion_tokens: count, total_tokens: prompt.length + count });
    try {
      const result = await (probe ? (r: EngineRequest) => probeTokens(r, stepMs) : (r: EngineRequest) => o.engine.submit(r))({
        prompt, maxTokens, signal: abort.signal,
        onToken: (token, timeMs) => {
          count++;
          ttftMs ??= timeMs - started;
          lastTokenMs = timeMs;
          if (stream) sse(res, { id, object, created, model: o.modelName, choices: [choice(idsToText([token]), count === maxTokens ? 'length' : null)] });
        },
      });
      if (stream) {
        if (includeUsage) sse(res, { id, object, created, model: o.modelName, choices: [], usage: usage() });
        res.end('data: [DONE]\n\n');
      } else {
        const text = idsToText(result.tokens);
        sendJson(res, 200, {
          id, object: chat ? 'chat.completion' : 'text_completion', created, model: o.modelName,
          choices: [chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' } : { index: 0, text, finish_reason: 'length' }],
          usage: usage(),
        });
      }
      o.onRequest?.({ route: url!, promptTokens: prompt.length, completionTokens: count, ok: true, error: null, probe, ttftMs, tpotMs: tpotMs(), ms: performance.now() - started });
    } catch (err) {
      const message = (err as Error).message;
      o.onRequest?.({ route: url!, promptTokens: prompt.length, completionTokens: count, ok: false, error: message, probe, ttftMs, tpotMs: tpotMs(), ms: performance.now() - started });
      if (abort.signal.aborted) return;
      if (stream) {
        sse(res, { error: { message, type: 'server_error', code: 500 } });
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
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** `npuval_probe_step_ms`: how long the probe holds the event loop before each token (default 0). */
function probeStep(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1000)) throw new HttpError(400, 'npuval_probe_step_ms must be a number of ms in [0, 1000]');
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
    for (const until = performance.now() + stepMs; performance.now() < until;);
    if (r.signal?.aborted) throw r.signal.reason instanceof Error ? r.signal.reason : new Error('aborted');
    const token = r.prompt[tokens.length % r.prompt.length]!;
    tokens.push(token);
    r.onToken?.(token, performance.now());
  }
  return { tokens, promptTokens: r.prompt.length };
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
  throw new HttpError(400, 'the request body is not a JSON object');
}

/** Prompt token ids: completions take text, a list of ids, or a one-element list of either; chat takes messages. */
function promptIds(body: Record<string, unknown>, chat: boolean, vocab: number): number[] {
  let ids: number[];
  if (chat) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) throw new HttpError(400, 'messages must be a non-empty array');
    const text = messages.map((m) => (typeof (m as { content?: unknown }).content === 'string' ? (m as { content: string }).content : '')).join('\n');
    ids = textToIds(text, vocab);
  } else {
    let p = body.prompt;
    if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
    if (typeof p === 'string') ids = textToIds(p, vocab);
    else if (Array.isArray(p) && p.every((t) => Number.isInteger(t))) ids = p as number[];
    else throw new HttpError(400, 'prompt must be a string or a list of token ids (batched prompts are not supported)');
  }
  if (ids.length === 0) throw new HttpError(400, 'the prompt is empty');
  const bad = ids.find((t) => t < 0 || t >= vocab);
  if (bad !== undefined) throw new HttpError(400, `prompt token id ${bad} is outside the vocabulary [0, ${vocab})`);
  return ids;
}
