// The OpenAI-compatible wire format (vLLM, furiosa-llm, vllm-rbln, TGI): request bodies for
// /v1/completions and /v1/chat/completions with stream: true, and the streamed chunks.

export type EndpointApi = 'completions' | 'chat';

export interface BodyOptions {
  readonly api: EndpointApi;
  readonly model: string;
  readonly prompt: string | readonly number[];
  readonly maxTokens: number;
  readonly fixedLength: boolean;
  /** Ask for a final usage chunk (stream_options.include_usage). */
  readonly includeUsage: boolean;
  /** Send ignore_eos/min_tokens (vLLM extensions) for fixed-length output; strict OpenAI servers reject them. */
  readonly sendIgnoreEos: boolean;
}

export function requestBody(o: BodyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: o.model, max_tokens: o.maxTokens, stream: true };
  if (o.api === 'chat') {
    if (typeof o.prompt !== 'string') throw new TypeError('chat completions take text prompts, not token ids');
    body.messages = [{ role: 'user', content: o.prompt }];
  } else {
    body.prompt = o.prompt;
  }
  if (o.includeUsage) body.stream_options = { include_usage: true };
  if (o.fixedLength && o.sendIgnoreEos) {
    body.ignore_eos = true;
    body.min_tokens = o.maxTokens;
  }
  return body;
}

export interface ParsedChunk {
  readonly text: string;
  readonly finishReason: string | null;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number } | null;
  /** The server reported an error inside the stream. */
  readonly error: string | null;
}

/** Reads one `data:` payload (not [DONE]); throws on data that is not a JSON object. */
export function parseChunk(data: string, api: EndpointApi): ParsedChunk {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new Error(`stream sent data that is not JSON: ${data.slice(0, 80)}`);
  }
  if (typeof json !== 'object' || json === null) throw new Error(`stream sent data that is not a JSON object: ${data.slice(0, 80)}`);
  const o = json as Record<string, unknown>;
  const err = o.error ?? (o.object === 'error' ? o : undefined);
  if (err !== undefined) {
    const message = typeof err === 'string' ? err : String((err as { message?: unknown }).message ?? JSON.stringify(err));
    return { text: '', finishReason: null, usage: null, error: message };
  }
  const choice = Array.isArray(o.choices) ? (o.choices[0] as Record<string, unknown> | undefined) : undefined;
  let text = '';
  if (choice) {
    const raw = api === 'chat' ? (choice.delta as Record<string, unknown> | undefined)?.content : choice.text;
    text = typeof raw === 'string' ? raw : '';
  }
  const u = o.usage as Record<string, unknown> | null | undefined;
  const usage =
    u && typeof u.completion_tokens === 'number'
      ? { promptTokens: typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0, completionTokens: u.completion_tokens }
      : null;
  const finishReason = choice && typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
  return { text, finishReason, usage, error: null };
}

/** Reads a non-streamed response body: the same fields as a chunk, from `message` (chat) or `text`. */
export function parseCompletion(body: string, api: EndpointApi): ParsedChunk {
  const chunk = parseChunk(body, api);
  if (api !== 'chat' || chunk.error !== null) return chunk;
  const choice = (JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0];
  const content = choice?.message?.content;
  return { ...chunk, text: typeof content === 'string' ? content : '' };
}
