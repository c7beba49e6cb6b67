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

/**
 * Why a device could not load or run a model, as its adapter recognised it from the runtime's own
 * error at the adapter boundary. Callers branch on this, never on message text.
 */
export type DeviceFailure =
  /** No implementation of an op (unknown to the runtime, or no kernel on this device for its version and types). */
  | 'unsupported-op'
  /** An element type the runtime or device lacks. */
  | 'unsupported-dtype'
  /** The model's opset (or a domain's version) is outside what the runtime reads. */
  | 'unsupported-opset'
  /** The model's IR version is outside what the runtime reads. */
  | 'unsupported-ir-version'
  /** An attribute value, layout or mode of a known op that the runtime does not implement. */
  | 'unsupported-feature'
  /** The language binding (not the runtime) cannot carry a value: a sequence, map or optional, or a type with no JS array. */
  | 'binding-limit'
  /** The device went away (an adapter process that exited, hung or broke the protocol): the unit in flight fails, the next open() starts it again. */
  | 'device-lost'
  /** Anything else: the runtime failed. */
  | 'runtime';

export interface DeviceFailureDetail {
  /**
   * For unsupported-op: the op version asked for lies below the first opset the runtime implements
   * (ONNX Runtime: 7), so for a model whose own opset is below this the gap is the opset, not the op.
   */
  readonly firstOpset?: number;
  /** The runtime's name, for sentences such as "ONNX Runtime implements opset 7 and later". */
  readonly runtime?: string;
}

/** A model failed to load or run on a device; `failure` says why. The message is the runtime's own. */
export class DeviceRunError extends Error {
  /** Set only where the failure is also bad input, e.g. a model the device refuses outright (exit 2). */
  readonly exitCode?: 2;

  constructor(
    message: string,
    readonly failure: DeviceFailure,
    readonly detail: DeviceFailureDetail = {},
    options: { readonly cause?: unknown; readonly badInput?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.badInput) this.exitCode = 2;
  }
}
