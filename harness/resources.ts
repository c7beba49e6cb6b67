// Resource bounds checked against this machine before allocating (docs/reliability.md#resource-bounds):
// a buffer that cannot fit in the memory free now is refused with the figures (exit 3), instead of
// V8 dying mid-allocation or the machine swapping for an hour.
import { freemem, totalmem } from 'node:os';
import { EnvironmentError } from './errors.js';

/** The share of free memory one allocation may take: the runtime, the model and the OS need the rest. */
const FREE_SHARE = 0.8;

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;
}

/** Throws EnvironmentError (exit 3) when `bytes` will not fit in the memory free now; `what` names it, `hint` says what to lower. */
export function checkMemory(bytes: number, what: string, hint: string): void {
  const free = freemem();
  if (bytes <= free * FREE_SHARE) return;
  throw new EnvironmentError(
    `${what} needs ${gib(bytes)} of memory, more than this machine can spare (${gib(free)} free of ${gib(totalmem())}); ${hint}`,
  );
}
