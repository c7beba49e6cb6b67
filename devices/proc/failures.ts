// Error frames ↔ DeviceRunError: the adapter names why a request failed with a code
// (devices/PROTOCOL.md, "Error codes"); npuval maps it to the typed failure the rest of npuval branches
// on (conformance counts the unsupported-* and binding-limit codes as "unsupported", not as errors).
import { DeviceRunError, type DeviceFailure } from '../errors.js';
import type { Header } from './wire.js';

/** Codes that name a DeviceFailure one to one. */
const FAILURE_CODES: readonly DeviceFailure[] = [
  'unsupported-op',
  'unsupported-dtype',
  'unsupported-opset',
  'unsupported-ir-version',
  'unsupported-feature',
  'binding-limit',
  'device-lost',
  'runtime',
];

/** Codes whose failure is the caller's input (exit 2 where a command stops on it). */
const BAD_INPUT_CODES = new Set(['invalid-input', 'invalid-option', 'model-not-found']);

/** Every code the protocol defines (an adapter may send others; they read as "runtime"). */
export const ERROR_CODES = [
  ...FAILURE_CODES,
  'invalid-input',
  'invalid-option',
  'model-not-found',
  'out-of-memory',
  'unknown-handle',
  'bad-frame',
  'bad-request',
  'unknown-type',
  'unsupported-version',
  'unsupported',
  'cancelled',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The failure npuval records for an error code. */
export function failureOf(code: string): DeviceFailure {
  return (FAILURE_CODES as readonly string[]).includes(code) ? (code as DeviceFailure) : 'runtime';
}

/** The DeviceRunError for an error frame answering a request; `what` names the request in the message. */
export function errorFromFrame(header: Header, what: string): DeviceRunError {
  const code = typeof header.code === 'string' ? header.code : 'runtime';
  const message = typeof header.message === 'string' && header.message.trim() ? header.message.trim() : '(the adapter gave no message)';
  const d = typeof header.detail === 'object' && header.detail !== null ? (header.detail as Record<string, unknown>) : {};
  const detail = {
    ...(Number.isInteger(d.first_opset) ? { firstOpset: d.first_opset as number } : {}),
    ...(typeof d.runtime === 'string' ? { runtime: d.runtime } : {}),
  };
  return new DeviceRunError(`${message} (${what}: adapter error "${code}")`, failureOf(code), detail, {
    badInput: BAD_INPUT_CODES.has(code),
  });
}

/** The error frame fields for an error thrown on the adapter side: a DeviceRunError keeps its failure as the code. */
export function frameFromError(err: unknown): { code: string; message: string; detail?: Record<string, unknown> } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof DeviceRunError) {
    const detail: Record<string, unknown> = {};
    if (err.detail.firstOpset !== undefined) detail.first_opset = err.detail.firstOpset;
    if (err.detail.runtime !== undefined) detail.runtime = err.detail.runtime;
    return { code: err.failure, message, ...(Object.keys(detail).length ? { detail } : {}) };
  }
  // Bad input on the adapter's own device (an unknown session option): the caller's mistake, said as such.
  if ((err as { exitCode?: unknown }).exitCode === 2) return { code: 'invalid-option', message };
  return { code: 'runtime', message };
}
