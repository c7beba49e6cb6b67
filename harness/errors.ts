// Errors the CLI turns into exit codes. Any error with a numeric `exitCode` (devices/ and
// models/ define their own) is treated the same way; everything else is an internal error (exit 70).

/** Bad input: usage, config, model or report. Exit 2. */
export class InputError extends Error {
  readonly exitCode = 2;
}

/** The environment lacks something: a device, a dependency, a system package. Exit 3. */
export class EnvironmentError extends Error {
  readonly exitCode = 3;
}

/**
 * Every exit code npuval uses. 1 means only "the run finished, but something failed, was INVALID or
 * regressed"; an error npuval did not expect (a bug) is 70, sysexits' EX_SOFTWARE, so a CI gate that
 * treats 1 as a regression never mistakes a crash for one. A run stopped by SIGINT exits 130 and by
 * SIGTERM 143 (128 + the signal's number, as shells report a process the signal ended), after writing
 * its partial reports (commands/execute.ts).
 */
export const EXIT = { ok: 0, failed: 1, input: 2, environment: 3, internal: 70, interrupted: 130, terminated: 143 } as const;

export function exitCodeOf(err: unknown): number | null {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' ? code : null;
}
