// One streamed request, observed: send time, the arrival of every non-empty content chunk, the
// usage the server reports, the client's own token count and whether the server honoured the
// requested length. Failures (HTTP, in-stream error, a response without tokens, timeout,
// cancellation) are recorded with their message, never thrown away.
import type { GenerateRequest, GenerationSession } from '../../devices/types.js';
import { NO_TOKENS, type RequestObservation } from './metrics.js';

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

/** What the client observed, and whether the server honoured the token count it was asked for. */
export interface ClientObservation extends RequestObservation {
  readonly requestedTokens: number;
  /**
   * Fixed-length requests (ignore_eos/min_tokens sent where the session sends them): whether the
   * output has exactly the requested tokens (the server's usage count, else the client's); null for
   * other requests and failed ones.
   */
  readonly lengthHonoured: boolean | null;
}

/**
 * Streams one request through `session.generate` and records what arrived; never rejects. A stream
 * that ends without any content token is a failed request (NO_TOKENS).
 */
export async function observeRequest(session: GenerationSession, o: ObserveOptions): Promise<ClientObservation> {
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
    for await (const e of session.generate({
      prompt: o.prompt,
      maxTokens: o.maxTokens,
      fixedLength: o.fixedLength,
      signal: controller.signal,
    })) {
      endMs = e.time - o.originMs;
      if (e.usage) usage = e.usage;
      if (e.text.length === 0) continue;
      contentMs.push(endMs);
      clientTokens += o.counter === 'chunks' ? 1 : e.text.split(/\s+/).filter(Boolean).length;
    }
    endMs = performance.now() - o.originMs;
    if (contentMs.length === 0) error = NO_TOKENS;
  } catch (err) {
    endMs = performance.now() - o.originMs;
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    error = reason instanceof Error ? reason.message : String(reason);
  } finally {
    clearTimeout(timer);
    o.runSignal?.removeEventListener('abort', onCancel);
  }
  const scheduledMs = o.scheduledMs === null ? null : o.scheduledMs - o.originMs;
  const ok = error === null;
  const outputTokens = usage ? usage.completionTokens : clientTokens;
  return {
    index: o.index,
    scheduledMs,
    sentMs,
    contentMs,
    endMs,
    ok,
    error,
    promptTokens: o.promptTokens,
    usage,
    clientTokens,
    requestedTokens: o.maxTokens,
    lengthHonoured: o.fixedLength && ok ? outputTokens === o.maxTokens : null,
  };
}
