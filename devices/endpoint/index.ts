// The `endpoint:` adapter: an OpenAI-compatible serving endpoint (vLLM, furiosa-llm, vllm-rbln,
// TGI, `npuval serve`) as a Device whose session streams generations. Spec options:
//   model=NAME        the served model (default: the first one GET /v1/models lists)
//   api=completions|chat   which route (default completions)
//   usage=false       do not ask for the usage chunk (stream_options.include_usage)
//   ignoreEos=false   do not send ignore_eos/min_tokens (strict OpenAI servers reject them)
//   apiKeyEnv=NAME    environment variable holding the API key (default NPUVAL_API_KEY, then OPENAI_API_KEY)
// The API key is read from the environment per request and never stored, described or logged.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeviceInputError, DeviceUnavailableError } from '../errors.js';
import { describeHost } from '../host.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceDescription, GenerateEvent, GenerateRequest, Outputs, Session, ValueInfo } from '../types.js';
import { parseChunk, parseCompletion, requestBody, type EndpointApi } from './openai.js';
import { timedEvents } from './sse.js';

const KNOWN_OPTIONS = new Set(['model', 'api', 'usage', 'ignoreEos', 'apiKeyEnv']);

interface EndpointConfig {
  readonly base: string;
  readonly model: string | null;
  readonly api: EndpointApi;
  readonly includeUsage: boolean;
  readonly sendIgnoreEos: boolean;
  readonly apiKeyEnv: string | null;
  /** JSON fields merged into every request body (as the OpenAI clients' extra_body). */
  readonly extraBody: Readonly<Record<string, unknown>>;
}

export class EndpointDevice implements Device {
  readonly kind = 'endpoint' as const;
  readonly servesOwnModel = true;
  readonly id: string;
  private readonly config: EndpointConfig;

  /** `options.extraBody`: fields merged into every request body, for servers with extensions (set by code, not by the spec). */
  constructor(spec: DeviceSpec, options: { extraBody?: Readonly<Record<string, unknown>> } = {}) {
    this.id = spec.id;
    const o = spec.options;
    for (const key of Object.keys(o)) {
      if (!KNOWN_OPTIONS.has(key)) throw new DeviceInputError(`option "${key}" in "${spec.id}" is not one of ${[...KNOWN_OPTIONS].join(', ')}`);
    }
    const bool = (key: string, fallback: boolean) => {
      const v = o[key];
      if (v === undefined) return fallback;
      if (v !== 'true' && v !== 'false') throw new DeviceInputError(`option ${key}=${v} in "${spec.id}" is not true or false`);
      return v === 'true';
    };
    const api = o.api ?? 'completions';
    if (api !== 'completions' && api !== 'chat') throw new DeviceInputError(`option api=${api} in "${spec.id}" is not completions or chat`);
    this.config = {
      base: spec.target, model: o.model ?? null, api, includeUsage: bool('usage', true), sendIgnoreEos: bool('ignoreEos', true),
      apiKeyEnv: o.apiKeyEnv ?? null, extraBody: options.extraBody ?? {},
    };
  }

  async describe(): Promise<DeviceDescription> {
    const keyEnv = apiKeyEnvName(this.config.apiKeyEnv);
    return {
      id: this.id,
      kind: 'endpoint',
      vendor: null,
      model: this.config.model,
      runtime: { name: 'OpenAI-compatible server', version: 'not reported by the API' },
      backend: { name: this.config.api === 'chat' ? '/v1/chat/completions' : '/v1/completions', options: { base: this.config.base } },
      driver: null,
      host: describeHost(),
      catalogId: null,
      notes: [
        'host is the client machine; the server\'s hardware is not visible through the API',
        keyEnv ? `API key taken from $${keyEnv} (value not recorded)` : 'no API key set (NPUVAL_API_KEY / OPENAI_API_KEY unset)',
      ],
    };
  }

  /**
   * The server holds its model: the source is ignored. Checks that the server answers (GET /models;
   * a server without that route still counts as answering) and takes the model name from it when
   * the spec names none. An unreachable server is an environment error (exit 3).
   */
  async open(): Promise<Session> {
    const model = await servedModel(this.config);
    return new EndpointSession({ ...this.config, model });
  }

  /**
   * One request with `stream: false`: the whole response at once. The HTTP overhead measurement
   * times these against streamed ones (harness/llm/overhead.ts).
   */
  async complete(request: GenerateRequest): Promise<{ text: string; usage: GenerateEvent['usage'] }> {
    const c = { ...this.config, model: await servedModel(this.config) };
    const { url, res } = await postGeneration(c, request, false);
    const text = await readText(res);
    if (res.statusCode !== 200) throw new EndpointError(`HTTP ${res.statusCode} from ${url}: ${errorMessage(text)}`);
    const chunk = parseCompletion(text, c.api);
    if (chunk.error !== null) throw new EndpointError(`server error: ${chunk.error}`);
    return { text: chunk.text, usage: chunk.usage };
  }
}

function apiKeyEnvName(explicit: string | null): string | null {
  if (explicit) return process.env[explicit] ? explicit : null;
  for (const name of ['NPUVAL_API_KEY', 'OPENAI_API_KEY']) if (process.env[name]) return name;
  return null;
}

/** The headers this endpoint's requests carry (API key included when set), for callers that time other routes of it. */
export function endpointHeaders(spec: DeviceSpec): Record<string, string> {
  return headers({ base: spec.target, model: null, api: 'completions', includeUsage: true, sendIgnoreEos: true, apiKeyEnv: spec.options.apiKeyEnv ?? null, extraBody: {} });
}

function headers(config: EndpointConfig): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  const keyEnv = apiKeyEnvName(config.apiKeyEnv);
  if (keyEnv) h.authorization = `Bearer ${process.env[keyEnv]}`;
  return h;
}

async function servedModel(config: EndpointConfig): Promise<string> {
  let res: { status: number; text: string };
  try {
    res = await endpointGet(`${config.base}/models`, headers(config), AbortSignal.timeout(10_000));
  } catch (err) {
    const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DeviceUnavailableError(`endpoint ${config.base} is unreachable (${cause}); is the server running?`);
  }
  if (config.model) return config.model;
  if (res.status !== 200) throw new DeviceUnavailableError(`GET ${config.base}/models answered HTTP ${res.status}; name the model with ?model=NAME`);
  let json: { data?: { id?: unknown }[] } | null = null;
  try {
    json = JSON.parse(res.text) as { data?: { id?: unknown }[] };
  } catch {
    // not JSON: no model listed
  }
  const id = json?.data?.[0]?.id;
  if (typeof id !== 'string') throw new DeviceUnavailableError(`GET ${config.base}/models lists no model; name one with ?model=NAME`);
  return id;
}

/** Thrown for HTTP errors and errors the server sends inside the stream. */
export class EndpointError extends Error {}

class EndpointSession implements Session {
  readonly inputs: readonly ValueInfo[] = [];
  readonly outputs: readonly ValueInfo[] = [];
  readonly concurrentRuns = true;

  constructor(private readonly config: EndpointConfig & { model: string }) {}

  async run(): Promise<Outputs> {
    throw new DeviceInputError(`${this.config.base} is a serving endpoint: it generates text (generate()), it does not run tensors`);
  }

  async *generate(request: GenerateRequest): AsyncGenerator<GenerateEvent> {
    const c = this.config;
    const { url, res } = await postGeneration(c, request, true);
    if (res.statusCode !== 200) {
      const text = await readText(res).catch(() => '');
      throw new EndpointError(`HTTP ${res.statusCode} from ${url}: ${errorMessage(text)}`);
    }
    // After [DONE] the rest of the body is read to its end (normally nothing), so the connection
    // goes back to the keep-alive pool instead of being held by an unread body.
    let done = false;
    for await (const e of timedEvents(res)) {
      if (done) continue;
      if (e.data === '[DONE]') {
        done = true;
        continue;
      }
      if (e.event === 'error') throw new EndpointError(`server error in stream: ${errorMessage(e.data)}`);
      const chunk = parseChunk(e.data, c.api);
      if (chunk.error !== null) throw new EndpointError(`server error in stream: ${chunk.error}`);
      yield { time: e.time, text: chunk.text, finishReason: chunk.finishReason, usage: chunk.usage };
    }
    if (!done) throw new EndpointError(`stream from ${url} ended without [DONE]`);
  }

  async close(): Promise<void> {}
}

// Requests go through node:http rather than fetch: on a stream of small SSE chunks, fetch's WHATWG
// streams cost the client about twice the CPU per chunk (measured once on the 2-core dev VM: 44–71 µs against 22–34 µs),
// and a load generator's own work should perturb what it measures as little as it can.
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** Sends one request through the keep-alive agent; resolves once the response headers arrived, rejects with the network error. */
function send(url: string, h: Record<string, string>, body: string | null, signal?: AbortSignal): Promise<IncomingMessage> {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const options = {
    method: body === null ? 'GET' : 'POST', agent: https ? agents.https : agents.http, signal,
    headers: body === null ? h : { ...h, 'content-length': String(Buffer.byteLength(body)) },
  };
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(u, options, resolve);
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** GET through the same keep-alive agent as the streamed requests; rejects on network errors (with the errno code). */
export async function endpointGet(url: string, h: Record<string, string>, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const res = await send(url, h, null, signal);
  return { status: res.statusCode ?? 0, text: await readText(res) };
}

/** POSTs a generation request (streamed or not) built from the config; a network error becomes an EndpointError, an abort its reason. */
async function postGeneration(c: EndpointConfig & { model: string }, request: GenerateRequest, stream: boolean): Promise<{ url: string; res: IncomingMessage }> {
  const body = {
    ...requestBody({
      api: c.api, model: c.model, prompt: request.prompt, maxTokens: request.maxTokens, fixedLength: request.fixedLength ?? false,
      includeUsage: stream && c.includeUsage, sendIgnoreEos: c.sendIgnoreEos,
    }),
    ...c.extraBody,
    stream,
  };
  const url = `${c.base}/${c.api === 'chat' ? 'chat/completions' : 'completions'}`;
  try {
    return { url, res: await send(url, headers(c), JSON.stringify(body), request.signal) };
  } catch (err) {
    throw request.signal?.aborted ? request.signal.reason : new EndpointError(`POST ${url} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  return text;
}

function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : j.error?.message ?? j.message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200) || '(empty body)';
}
