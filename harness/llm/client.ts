// One streamed request, observed: send time, the arrival of every non-empty content chunk, the
// usage the server reports and the client's own token count. Failures (HTTP, in-stream error,
// timeout, cancellation) are recorded with their message, never thrown away.
import type { GenerateRequest, GenerationSession } from '../../devices/types.js';
import type { RequestObservation } from './metrics.js';

/** How the client counts output tokens without the server's tokenizer. */
export type TokenCounter = 'chunks' | 'words';

export interface ObserveOptions {
  readonly index: number;
  /** performance.now() of the run's origin: stored times are relative to it. */
  readonly originMs: number;
  readonly scheduledMs: number | null;
  readonly prompt: GenerateRequest['prompt'];
  readonly promptTokens: number | null;
  readonly maxTokens: number;
  readonly fixedLength: boolean;
  readonly timeoutMs: number;
  readonly counter: TokenCounter;
  /** Cancels the request when the run is cancelled. */
  readonly runSignal?: AbortSignal;
}

/** Streams one request through `session.generate` and records what arrived; never rejects. */
export async function observeRequest(session: GenerationSession, o: ObserveOptions): Promise<RequestObservation> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${o.timeoutMs} ms`)), o.timeoutMs);
  const onCancel = () => controller.abort(new Error('cancelled'));
  o.runSignal?.addEventListener('abort', onCancel, { once: true });
  const contentMs: number[] = [];
  let usage: RequestObservation['usage'] = null;
  let clientTokens = 0;
  let error: string | null = null;
  const sentMs = performance.now() - o.originMs;
  let endMs = sentMs;
  try {
    for await (const e of session.generate({ prompt: o.prompt, maxTokens: o.maxTokens, fixedLength: o.fixedLength, signal: controller.signal })) {
      endMs = e.time - o.originMs;
      if (e.usage) usage = e.usage;
      if (e.text.length === 0) continue;
      contentMs.push(endMs);
      clientTokens += o.counter === 'chunks' ? 1 : e.text.split(/\s+/).filter(Boolean).length;
    }
    endMs = performance.now() - o.originMs;
  } catch (err) {
    endMs = performance.now() - o.originMs;
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    error = reason instanceof Error ? reason.message : String(reason);
  } finally {
    clearTimeout(timer);
    o.runSignal?.removeEventListener('abort', onCancel);
  }
  const scheduledMs = o.scheduledMs === null ? null : o.scheduledMs - o.originMs;
  return { index: o.index, scheduledMs, sentMs, contentMs, endMs, ok: error === null, error, promptTokens: o.promptTokens, usage, clientTokens };
}
