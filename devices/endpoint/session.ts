// A generation session on an OpenAI-compatible endpoint: streamed and unstreamed requests for one
// model, and a round trip that generates nothing (GET /models).
import type { IncomingMessage } from 'node:http';
import type { Completion, GenerateEvent, GenerateRequest, GenerationSession } from '../types.js';
import { errorMessage, get, readText, send, shownUrl } from './http.js';
import { parseChunk, parseCompletion, requestBody, type EndpointApi, type ParsedChunk } from './openai.js';
import { timedEvents } from './sse.js';

export interface EndpointConfig {
  readonly base: string;
  readonly model: string | null;
  readonly api: EndpointApi;
  readonly includeUsage: boolean;
  readonly sendIgnoreEos: boolean;
  readonly apiKeyEnv: string | null;
  /** JSON fields merged into every request body (as the OpenAI clients' extra_body). */
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/** Thrown for HTTP errors and errors the server sends inside the stream. */
export class EndpointError extends Error {}

/**
 * Reads a streamed response body (SSE) into generation events; anything that is not a well-formed
 * stream ends in an EndpointError. After [DONE] the rest of the body is read to its end (normally
 * nothing), so the connection goes back to the keep-alive pool instead of being held by an unread body.
 */
export async function* streamedEvents(body: AsyncIterable<Uint8Array>, api: EndpointApi, url: string): AsyncGenerator<GenerateEvent> {
  let done = false;
  for await (const e of timedEvents(body)) {
    if (done) continue;
    if (e.data === '[DONE]') {
      done = true;
      continue;
    }
    if (e.event === 'error') throw new EndpointError(`server error in stream: ${errorMessage(e.data)}`);
    let chunk: ParsedChunk;
    try {
      chunk = parseChunk(e.data, api);
    } catch (err) {
      throw new EndpointError((err as Error).message);
    }
    if (chunk.error !== null) throw new EndpointError(`server error in stream: ${chunk.error}`);
    yield { time: e.time, text: chunk.text, finishReason: chunk.finishReason, usage: chunk.usage };
  }
  if (!done) throw new EndpointError(`stream from ${shownUrl(url)} ended without [DONE]`);
}

export class EndpointSession implements GenerationSession {
  readonly model: string;
  readonly acceptsTokenIds: boolean;

  constructor(private readonly config: EndpointConfig & { readonly model: string }) {
    this.model = config.model;
    this.acceptsTokenIds = config.api !== 'chat';
  }

  async *generate(request: GenerateRequest): AsyncGenerator<GenerateEvent> {
    const { url, res } = await this.post(request, true);
    if (res.statusCode !== 200) {
      const text = await readText(res).catch(() => '');
      throw new EndpointError(`HTTP ${res.statusCode} from ${shownUrl(url)}: ${errorMessage(text)}`);
    }
    yield* streamedEvents(res, this.config.api, url);
  }

  /** One request with `stream: false`: the whole response at once. */
  async complete(request: GenerateRequest): Promise<Completion> {
    const { url, res } = await this.post(request, false);
    const text = await readText(res);
    if (res.statusCode !== 200) throw new EndpointError(`HTTP ${res.statusCode} from ${shownUrl(url)}: ${errorMessage(text)}`);
    const chunk = parseCompletion(text, this.config.api);
    if (chunk.error !== null) throw new EndpointError(`server error: ${chunk.error}`);
    return { text: chunk.text, usage: chunk.usage };
  }

  /** GET {base}/models through the keep-alive pool: the cheapest round trip the API has. */
  async ping(signal: AbortSignal = AbortSignal.timeout(10_000)): Promise<void> {
    const url = `${this.config.base}/models`;
    let status: number;
    try {
      status = (await get(url, endpointHeaders(this.config), signal)).status;
    } catch (err) {
      throw new EndpointError(`GET ${shownUrl(url)} failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (status !== 200) throw new EndpointError(`GET ${shownUrl(url)} failed (HTTP ${status})`);
  }

  async close(): Promise<void> {}

  /** POSTs a generation request (streamed or not); a network error becomes an EndpointError, an abort its reason. */
  private async post(request: GenerateRequest, stream: boolean): Promise<{ url: string; res: IncomingMessage }> {
    const c = this.config;
    const body = {
      ...requestBody({
        api: c.api,
        model: c.model,
        prompt: request.prompt,
        maxTokens: request.maxTokens,
        fixedLength: request.fixedLength ?? false,
        includeUsage: stream && c.includeUsage,
        sendIgnoreEos: c.sendIgnoreEos,
      }),
      ...c.extraBody,
      stream,
    };
    const url = `${c.base}/${c.api === 'chat' ? 'chat/completions' : 'completions'}`;
    try {
      return { url, res: await send(url, endpointHeaders(c), JSON.stringify(body), request.signal) };
    } catch (err) {
      throw request.signal?.aborted
        ? request.signal.reason
        : new EndpointError(`POST ${shownUrl(url)} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

/** The environment variable holding the API key, when one is set. */
export function apiKeyEnvName(explicit: string | null): string | null {
  if (explicit) return process.env[explicit] ? explicit : null;
  for (const name of ['NPUVAL_API_KEY', 'OPENAI_API_KEY']) if (process.env[name]) return name;
  return null;
}

/** The headers of every request; the API key is read from the environment per request and never stored. */
export function endpointHeaders(config: Pick<EndpointConfig, 'apiKeyEnv'>): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  const keyEnv = apiKeyEnvName(config.apiKeyEnv);
  if (keyEnv) h.authorization = `Bearer ${process.env[keyEnv]}`;
  return h;
}
