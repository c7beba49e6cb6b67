// Errors the CLI turns into exit codes. Any error with a numeric `exitCode` (devices/ and
// models/ define their own) is treated the same way; everything else is an internal error.

/** Bad input: usage, config, model or report. Exit 2. */
export class InputError extends Error {
  readonly exitCode = 2;
}

/** The environment lacks something: a device, a dependency, a system package. Exit 3. */
export class EnvironmentError extends Error {
  readonly exitCode = 3;
}

export const EXIT = { ok: 0, failed: 1, input: 2, environment: 3 } as const;

export function exitCodeOf(err: unknown): number | null {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' ? code : null;
}
