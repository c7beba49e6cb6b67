// Errors the CLI maps to exit codes: bad input → 2, environment (device missing or broken) → 3.
// The CLI reads only `exitCode`, so other folders may define their own classes with the same field.

/** The caller asked for something malformed or unknown (a bad spec, an unknown EP). */
export class DeviceInputError extends Error {
  readonly exitCode = 2;
}

/** The device exists in principle but cannot be used on this machine. */
export class DeviceUnavailableError extends Error {
  readonly exitCode = 3;
}
