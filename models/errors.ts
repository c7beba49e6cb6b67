// Errors models/ throws. The CLI reads only `exitCode` (harness/errors.ts), so models/ keeps its own
// classes and never imports harness/.

/** A model file, tensor file, preset name or option is malformed or unknown. Exit 2. */
export class ModelInputError extends Error {
  readonly exitCode = 2;
}

/** Something this machine lacks (a file system limit, a missing tool). Exit 3. */
export class ModelEnvironmentError extends Error {
  readonly exitCode = 3;
}
