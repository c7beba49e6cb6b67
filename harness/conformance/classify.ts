// Tells "the device lacks this" (unsupported) from "something went wrong" (error) by the typed
// failure the device adapter attached (DeviceRunError.failure): the adapter recognised the
// runtime's own error at its boundary, so nothing here reads message text. The message is always
// kept as the reason.
import { DeviceRunError, type DeviceFailure } from '../../devices/index.js';
import type { Cause } from './types.js';

export interface Classified {
  readonly status: 'unsupported' | 'error';
  readonly cause: Cause;
  readonly reason: string;
}

/** The conformance cause of each unsupported-kind failure. */
const UNSUPPORTED: Readonly<Record<Exclude<DeviceFailure, 'runtime' | 'device-lost'>, Cause>> = {
  'unsupported-op': 'op',
  'unsupported-dtype': 'type',
  'unsupported-opset': 'opset',
  'unsupported-ir-version': 'ir-version',
  'unsupported-feature': 'feature',
  'binding-limit': 'binding',
};

/**
 * Classifies what a device threw while loading (`phase` 'load') or running a case. A missing op
 * below the first opset the runtime implements, in a model whose opset is below it too, counts as
 * an opset gap. Anything that is not a DeviceRunError with an unsupported-kind failure is an error.
 */
export function classifyError(err: unknown, phase: 'load' | 'run', modelOpset: number | null = null): Classified {
  const reason = oneLine(err instanceof Error ? err.message : String(err));
  // A lost device is an error of the case in flight, as a runtime failure is: it says nothing about the case's ops.
  if (!(err instanceof DeviceRunError) || err.failure === 'runtime' || err.failure === 'device-lost')
    return { status: 'error', cause: phase === 'load' ? 'load' : 'runtime', reason };
  const first = err.detail.firstOpset;
  if (err.failure === 'unsupported-op' && first !== undefined && modelOpset !== null && modelOpset < first) {
    return {
      status: 'unsupported',
      cause: 'opset',
      reason: `${reason} (model opset ${modelOpset}; ${err.detail.runtime ?? 'the runtime'} implements opset ${first} and later)`,
    };
  }
  return { status: 'unsupported', cause: UNSUPPORTED[err.failure], reason };
}

/** First non-empty line, capped at 400 chars. */
export function oneLine(message: string): string {
  const line =
    message
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? message;
  return line.length > 400 ? line.slice(0, 397) + '...' : line;
}
