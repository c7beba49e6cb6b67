// The OpenAI API as `npuval serve` speaks it: error bodies ({error: {message, type, param, code}},
// code a string or null) and the checked parameters of a completions or chat completions request.
// Every parameter the API defines is either implemented or refused with a 400 naming it — a request
// is never answered with a 200 that silently differs from what it asked for — and a parameter the
// API does not define is refused as OpenAI refuses it. Values equal to a parameter's default
// (null, false, 0, {type: 'text'}, …) change nothing and are accepted.
import { textToIds } from './text.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: 'invalid_request_error' | 'server_error' = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }
}

export interface ErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** The OpenAI error body of any error (a non-ApiError is a server_error). */
export function errorBody(err: unknown): ErrorBody {
  const e = err instanceof ApiError ? err : new ApiError(500, err instanceof Error ? err.message : String(err));
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

export type Route = 'chat' | 'completions';

export interface CompletionParams {
  readonly model: string;
  readonly prompt: number[];
  readonly maxTokens: number;
  readonly n: number;
  readonly stop: readonly string[];
  readonly temperature: number;
  readonly topP: number;
  /** The 32-bit seed of the draws: the request's `seed` (folded to 32 bits), else a random one. */
  readonly seed: number;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** Extension fields vLLM defines (accepted: there is no EOS here, so every request runs to max tokens or a stop). */
  readonly minTokens: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface ParseContext {
  readonly vocabSize: number;
  /** Most tokens (prompt + max_tokens); null when the model does not say. */
  readonly maxContext: number | null;
}

// Parameters npuval serve implements, per route, besides the vLLM extensions and its own probe field.
const IMPLEMENTED = {
  common: ['model', 'n', 'stop', 'seed', 'temperature', 'top_p', 'stream', 'stream_options', 'max_tokens', 'user'],
  chat: ['messages', 'max_completion_tokens', 'metadata', 'safety_identifier', 'prompt_cache_key'],
  completions: ['prompt'],
  extensions: ['ignore_eos', 'min_tokens', 'npuval_probe_step_ms'],
} as const;

/** Parameters the API defines that npuval serve does not implement, with the values that mean "not used". */
const NOT_IMPLEMENTED: Readonly<Record<string, { routes: readonly Route[]; inert: (v: unknown) => boolean }>> = {
  logprobs: { routes: ['chat', 'completions'], inert: (v) => v === false || v === null },
  top_logprobs: { routes: ['chat'], inert: (v) => v === null },
  echo: { routes: ['completions'], inert: (v) => v === false || v === null },
  suffix: { routes: ['completions'], inert: (v) => v === null || v === '' },
  best_of: { routes: ['completions'], inert: (v) => v === null || v === 1 },
  tools: { routes: ['chat'], inert: (v) => v === null },
  tool_choice: { routes: ['chat'], inert: (v) => v === null || v === 'none' },
  parallel_tool_calls: { routes: ['chat'], inert: (v) => v === null },
  functions: { routes: ['chat'], inert: (v) => v === null },
  function_call: { routes: ['chat'], inert: (v) => v === null || v === 'none' },
  response_format: { routes: ['chat'], inert: (v) => v === null || (isObject(v) && v.type === 'text' && Object.keys(v).length === 1) },
  logit_bias: { routes: ['chat', 'completions'], inert: (v) => v === null || (isObject(v) && Object.keys(v).length === 0) },
  presence_penalty: { routes: ['chat', 'completions'], inert: (v) => v === null || v === 0 },
  frequency_penalty: { routes: ['chat', 'completions'], inert: (v) => v === null || v === 0 },
  audio: { routes: ['chat'], inert: (v) => v === null },
  modalities: { routes: ['chat'], inert: (v) => v === null || (Array.isArray(v) && v.length === 1 && v[0] === 'text') },
  prediction: { routes: ['chat'], inert: (v) => v === null },
  reasoning_effort: { routes: ['chat'], inert: (v) => v === null },
  verbosity: { routes: ['chat'], inert: (v) => v === null },
  web_search_options: { routes: ['chat'], inert: (v) => v === null },
  store: { routes: ['chat'], inert: (v) => v === null || v === false },
  service_tier: { routes: ['chat', 'completions'], inert: (v) => v === null || v === 'auto' || v === 'default' },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Refuses parameters the route does not implement (unless inert) and parameters the API does not define. */
function refuseUnimplemented(body: Record<string, unknown>, route: Route): void {
  const implemented = new Set<string>([...IMPLEMENTED.common, ...IMPLEMENTED[route], ...IMPLEMENTED.extensions]);
  for (const [key, value] of Object.entries(body)) {
    if (implemented.has(key)) continue;
    const known = NOT_IMPLEMENTED[key];
    if (known?.routes.includes(route)) {
      if (value === undefined || known.inert(value)) continue;
      throw new ApiError(400, `Unsupported parameter: '${key}' is not supported by npuval serve.`, key, 'unsupported_parameter');
    }
    throw new ApiError(400, `Unrecognized request argument supplied: ${key}`, key, 'unknown_parameter');
  }
}

/** The served model a request names: 400 when it names none (as OpenAI), 404 model_not_found when this server does not serve it. */
export function requestedModel(body: Record<string, unknown>, served: readonly string[]): string {
  const model = body.model;
  if (model === undefined || model === null || model === '')
    throw new ApiError(400, 'you must provide a model parameter', 'model', 'missing_required_parameter');
  if (typeof model !== 'string')
    throw new ApiError(400, `Invalid type for 'model': expected a string, but got ${jsonType(model)} instead.`, 'model', 'invalid_type');
  if (!served.includes(model)) throw modelNotFound(model, served[0]!);
  return model;
}

export function modelNotFound(model: string, served: string): ApiError {
  return new ApiError(
    404,
    `The model \`${model}\` does not exist or you do not have access to it; this server serves ${served}.`,
    'model',
    'model_not_found',
  );
}

/** Checks a request's parameters (after its model). */
export function parseCompletion(body: Record<string, unknown>, route: Route, model: string, ctx: ParseContext): CompletionParams {
  refuseUnimplemented(body, route);
  const prompt = route === 'chat' ? chatPrompt(body.messages, ctx.vocabSize) : completionPrompt(body.prompt, ctx.vocabSize);
  const stream = optional(body, 'stream', 'boolean') ?? false;
  const streamOptions = body.stream_options ?? null;
  let includeUsage = false;
  if (streamOptions !== null) {
    if (!stream)
      throw new ApiError(
        400,
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
        'invalid_value',
      );
    if (!isObject(streamOptions)) throw invalidType('stream_options', 'an object', streamOptions);
    for (const key of Object.keys(streamOptions)) {
      if (key !== 'include_usage')
        throw new ApiError(
          400,
          `Unsupported parameter: 'stream_options.${key}' is not supported by npuval serve.`,
          `stream_options.${key}`,
          'unsupported_parameter',
        );
    }
    includeUsage = optional(streamOptions, 'include_usage', 'boolean', 'stream_options.') ?? false;
  }
  const maxKey = route === 'chat' && body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const room = ctx.maxContext === null ? null : ctx.maxContext - prompt.length;
  const promptParam = route === 'chat' ? 'messages' : 'prompt';
  if (room !== null && room < 1) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${ctx.maxContext} tokens; the prompt has ${prompt.length}, which leaves no room for a completion.`,
      promptParam,
      'context_length_exceeded',
    );
  }
  const asked = integer(body, maxKey, 1, Infinity);
  if (asked === null && room === null) {
    throw new ApiError(
      400,
      `'${maxKey}' is required here: this model does not state its context length, so there is no default.`,
      maxKey,
      'missing_required_parameter',
    );
  }
  const maxTokens = asked ?? room!;
  if (room !== null && maxTokens > room) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${ctx.maxContext} tokens. However, you requested ${prompt.length + maxTokens} tokens (${prompt.length} in the prompt, ${maxTokens} for the completion). Please reduce the prompt or ${maxKey}.`,
      maxKey,
      'context_length_exceeded',
    );
  }
  const n = integer(body, 'n', 1, 128) ?? 1;
  const temperature = number(body, 'temperature', 0, 2, true) ?? 1;
  const topP = number(body, 'top_p', 0, 1, false) ?? 1;
  const seedValue = integer(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const seed =
    seedValue === null ? Math.floor(Math.random() * 2 ** 32) : Number(BigInt.asUintN(32, BigInt(seedValue) ^ (BigInt(seedValue) >> 32n)));
  optional(body, 'ignore_eos', 'boolean');
  const minTokens = integer(body, 'min_tokens', 0, maxTokens) ?? 0;
  return { model, prompt, maxTokens, n, stop: stops(body.stop), temperature, topP, seed, stream, includeUsage, minTokens, body };
}

/** `stop`: null, a string, or up to 4 strings (empty strings are refused: they would match at once). */
function stops(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw invalidType('stop', 'a string or an array of strings', v);
  if (list.length > 4)
    throw new ApiError(
      400,
      `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${list.length} instead.`,
      'stop',
      'array_above_max_length',
    );
  if (list.some((s) => s === '')) throw new ApiError(400, "Invalid 'stop': empty strings are not stop sequences.", 'stop', 'invalid_value');
  return list as string[];
}

/** Completions: text, a list of ids, or a one-element list of either (several prompts are refused). */
function completionPrompt(p: unknown, vocab: number): number[] {
  if (p === undefined || p === null)
    throw new ApiError(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
  let ids: number[];
  if (typeof p === 'string') ids = textToIds(p, vocab);
  else if (Array.isArray(p) && p.every((t) => Number.isInteger(t))) ids = p as number[];
  else if (Array.isArray(p))
    throw new ApiError(
      400,
      'Unsupported value: several prompts in one request are not supported by npuval serve; send one request per prompt.',
      'prompt',
      'unsupported_value',
    );
  else throw invalidType('prompt', 'a string or a list of token ids', p);
  return checkedIds(ids, vocab, 'prompt');
}

/** Chat: every message's text (string content or text parts), joined by newlines. */
function chatPrompt(messages: unknown, vocab: number): number[] {
  if (messages === undefined || messages === null)
    throw new ApiError(400, "Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) throw invalidType('messages', 'an array', messages);
  if (messages.length === 0)
    throw new ApiError(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  const texts = messages.map((m: unknown, i) => {
    if (!isObject(m)) throw invalidType(`messages[${i}]`, 'an object', m);
    if (typeof m.role !== 'string')
      throw new ApiError(400, `Missing required parameter: 'messages[${i}].role'.`, `messages[${i}].role`, 'missing_required_parameter');
    if (!['system', 'developer', 'user', 'assistant'].includes(m.role)) {
      throw new ApiError(
        400,
        `Unsupported value: 'messages[${i}].role' ${JSON.stringify(m.role)} is not supported by npuval serve (system, developer, user, assistant).`,
        `messages[${i}].role`,
        'unsupported_value',
      );
    }
    for (const key of Object.keys(m)) {
      if (key !== 'role' && key !== 'content' && key !== 'name' && !(key === 'refusal' && m.refusal === null)) {
        throw new ApiError(
          400,
          `Unsupported parameter: 'messages[${i}].${key}' is not supported by npuval serve.`,
          `messages[${i}].${key}`,
          'unsupported_parameter',
        );
      }
    }
    const c = m.content;
    if (typeof c === 'string') return c;
    if (c === null || c === undefined) {
      if (m.role === 'assistant') return '';
      throw new ApiError(
        400,
        `Missing required parameter: 'messages[${i}].content'.`,
        `messages[${i}].content`,
        'missing_required_parameter',
      );
    }
    if (!Array.isArray(c)) throw invalidType(`messages[${i}].content`, 'a string or an array of content parts', c);
    return c
      .map((part: unknown, j) => {
        const param = `messages[${i}].content[${j}]`;
        if (!isObject(part) || typeof part.type !== 'string') throw invalidType(param, 'a content part object with a type', part);
        if (part.type !== 'text')
          throw new ApiError(
            400,
            `Unsupported value: '${param}.type' ${JSON.stringify(part.type)}; npuval serve takes text parts only.`,
            `${param}.type`,
            'unsupported_value',
          );
        if (typeof part.text !== 'string') throw invalidType(`${param}.text`, 'a string', part.text);
        return part.text;
      })
      .join('');
  });
  return checkedIds(textToIds(texts.join('\n'), vocab), vocab, 'messages');
}

function checkedIds(ids: number[], vocab: number, param: string): number[] {
  if (ids.length === 0) throw new ApiError(400, `Invalid '${param}': the prompt is empty.`, param, 'invalid_value');
  const bad = ids.find((t) => t < 0 || t >= vocab);
  if (bad !== undefined)
    throw new ApiError(400, `Invalid '${param}': token id ${bad} is outside the vocabulary [0, ${vocab}).`, param, 'invalid_value');
  return ids;
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function invalidType(param: string, expected: string, got: unknown): ApiError {
  return new ApiError(400, `Invalid type for '${param}': expected ${expected}, but got ${jsonType(got)} instead.`, param, 'invalid_type');
}

function optional(o: Record<string, unknown>, key: string, type: 'boolean', prefix = ''): boolean | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== type) throw invalidType(prefix + key, `a ${type}`, v);
  return v as boolean;
}

/** An integer in [min, max], or null when absent. */
function integer(o: Record<string, unknown>, key: string, min: number, max: number): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidType(key, 'an integer', v);
  if (v < min) throw outOfRange(key, 'integer', 'below', `>= ${min}`, v);
  if (v > max) throw outOfRange(key, 'integer', 'above', `<= ${max}`, v);
  return v;
}

/** A number in [min, max] (min excluded unless minIncluded), or null when absent. */
function number(o: Record<string, unknown>, key: string, min: number, max: number, minIncluded: boolean): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidType(key, 'a number', v);
  if (v < min || (!minIncluded && v === min)) throw outOfRange(key, 'decimal', 'below', `${minIncluded ? '>=' : '>'} ${min}`, v);
  if (v > max) throw outOfRange(key, 'decimal', 'above', `<= ${max}`, v);
  return v;
}

/** OpenAI's 400 for a value outside its range (message and code as the API words them). */
function outOfRange(key: string, kind: 'integer' | 'decimal', side: 'below' | 'above', bound: string, v: number): ApiError {
  const limit = side === 'below' ? 'minimum' : 'maximum';
  return new ApiError(
    400,
    `Invalid '${key}': ${kind} ${side} ${limit} value. Expected a value ${bound}, but got ${v} instead.`,
    key,
    `${kind}_${side}_${side === 'below' ? 'min' : 'max'}_value`,
  );
}
