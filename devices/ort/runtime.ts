// onnxruntime-node itself: the package's version, the EPs it knows and the ones it ships here.
import * as ort from 'onnxruntime-node';

export { ort };

/** How messages name the runtime. */
export const ORT_NAME = 'ONNX Runtime';

/** EP names ONNX Runtime defines (any platform). A spec naming one that is not bundled here is unavailable, not malformed. */
export const ORT_EP_NAMES = [
  'cpu',
  'webgpu',
  'cuda',
  'tensorrt',
  'dml',
  'coreml',
  'qnn',
  'xnnpack',
  'webnn',
  'nnapi',
  'openvino',
  'rocm',
  'migraphx',
  'vitisai',
  'azure',
  'cann',
  'acl',
  'armnn',
  'snpe',
] as const;

/**
 * Whether ORT's native warnings reach stderr. ORT logs (and the WebGPU EP logs Dawn's device errors
 * through ORT's logger) straight to file descriptor 2, which Node can neither redirect nor read (it
 * has no dup2), so the messages cannot become a device's notes; they are kept to fatal errors unless
 * NPUVAL_ORT_LOG=1, which the CLI's --verbose sets and child processes inherit. Read when a device
 * is created and a session opens, not at import, so the CLI can set it after loading the adapters.
 */
export function nativeWarnings(): boolean {
  return process.env.NPUVAL_ORT_LOG === '1';
}

/** Sets ORT's environment log level; ORT reads it once, when the first session is created. */
export function applyNativeLogLevel(): void {
  // The environment logger also reports provider-load failures, which the device reports itself.
  ort.env.logLevel = nativeWarnings() ? 'warning' : 'fatal';
}

export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** EPs whose binaries onnxruntime-node ships for this platform. */
export function bundledEps(): string[] {
  return ort
    .listSupportedBackends()
    .filter((b) => b.bundled)
    .map((b) => b.name);
}
