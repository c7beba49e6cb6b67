// The adapter's own token generation (PROTOCOL.md `generate`) as a GenerationSession, for adapters
// whose hello claims token_streaming: a vendor LLM engine generates, npuval only measures. Each
// `token` frame is one event stamped when its last byte arrived, like an endpoint's SSE chunk, so
// TTFT/TPOT include the pipe (the adapter's own `t_us` stamps are not used yet).
import type { GenerateEvent, GenerateRequest, GenerationSession } from '../types.js';
import type { AdapterProcess } from './connection.js';
import type { Frame } from './wire.js';

/** setTimeout's ceiling (2^31 − 1 ms); a longer generate relies on the heartbeat watchdog. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ProcGenerationOptions {
  /** Per-token budget: a generate must finish within runTimeoutMs × (1 + maxTokens), heartbeats aside. */
  readonly runTimeoutMs: number;
}

/** Generation on a model loaded in the adapter (`handle`); closing leaves the model to its ProcSession. */
export function procGeneration(adapter: AdapterProcess, handle: string, label: string, o: ProcGenerationOptions): GenerationSession {
  return {
    model: label,
    acceptsTokenIds: true,
    generate: (request) => stream(adapter, handle, request, o),
    close: async () => {},
  };
}

async function* stream(
  adapter: AdapterProcess,
  handle: string,
  request: GenerateRequest,
  o: ProcGenerationOptions,
): AsyncGenerator<GenerateEvent> {
  const prompt = typeof request.prompt === 'string' ? { text: request.prompt } : { tokens: [...request.prompt] };
  const queue: GenerateEvent[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let failure: unknown = null;
  const onEvent = (frame: Frame) => {
    const time = performance.now();
    const h = frame.header;
    const tokens = Array.isArray(h.tokens) ? (h.tokens as unknown[]) : [];
    // One event per token id, all stamped when the frame arrived: the client counts tokens by events
    // (as the in-process engine's), so an adapter's detokenized text, which may be empty mid-character, is not used.
    for (const t of tokens) queue.push({ time, text: String(t), finishReason: null, usage: null });
    if (tokens.length) wake?.();
  };
  adapter
    .request(
      {
        type: 'generate',
        handle,
        prompt,
        max_tokens: request.maxTokens,
        fixed_length: request.fixedLength ?? false,
        sampling: { temperature: 0 },
      },
      undefined,
      { timeoutMs: Math.min(o.runTimeoutMs * (1 + request.maxTokens), MAX_TIMER_MS), what: 'generate', onEvent, signal: request.signal },
    )
    .then(
      (reply) => {
        const usage = reply.header.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
        const finish = typeof reply.header.finish_reason === 'string' ? reply.header.finish_reason : 'length';
        queue.push({
          time: performance.now(),
          text: '',
          finishReason: finish,
          usage:
            typeof usage?.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number'
              ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
              : null,
        });
        if (finish === 'cancelled' && request.signal?.aborted) failure = request.signal.reason;
      },
      (err: unknown) => {
        failure = err;
      },
    )
    .finally(() => {
      done = true;
      wake?.();
    });
  for (;;) {
    while (queue.length) yield queue.shift()!;
    if (done) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = null;
  }
  while (queue.length) yield queue.shift()!;
  if (failure) throw failure;
}
