// The in-process engine as a GenerationSession, the interface a serving endpoint also offers, so
// one client (llm/client.ts) and one set of metric definitions measure both. Each token is one
// event, stamped when the engine chose it; there is no HTTP, no SSE and no text.
import type { GenerateEvent, GenerateRequest, GenerationSession } from '../../devices/types.js';
import type { BatchEngine } from './engine.js';

/** A session over the engine; closing it leaves the engine (and its decoder session) to their owner. */
export function engineSession(engine: BatchEngine): GenerationSession {
  return {
    model: engine.label,
    acceptsTokenIds: true,
    generate: (request: GenerateRequest) => stream(engine, request),
    close: async () => {},
  };
}

async function* stream(engine: BatchEngine, request: GenerateRequest): AsyncGenerator<GenerateEvent> {
  if (typeof request.prompt === 'string') throw new TypeError('in-process generation takes token ids');
  const queue: GenerateEvent[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: unknown = null;
  engine
    .submit({
      prompt: request.prompt,
      maxTokens: request.maxTokens,
      signal: request.signal,
      onToken: (token, timeMs) => {
        queue.push({ time: timeMs, text: String(token), finishReason: null, usage: null });
        wake?.();
      },
    })
    .then(
      () => (finished = true),
      (err: unknown) => {
        failure = err;
        finished = true;
      },
    )
    .finally(() => wake?.());
  for (;;) {
    while (queue.length) yield queue.shift()!;
    if (finished) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
  while (queue.length) yield queue.shift()!;
  if (failure) throw failure;
}
