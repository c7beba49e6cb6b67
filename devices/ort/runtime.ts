// onnxruntime-node itself: the package's version, the EPs it knows and the ones it ships here.
import * as ort from 'onnxruntime-node';

export { ort };

/** How messages name the runtime. */
export const ORT_NAME = 'ONNX Runtime';

/** EP names ONNX Runtime defines (any platform). A spec naming one that is not bundled here is unavailable, not malformed. */
export const ORT_EP_NAMES = [
  'cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'qnn', 'xnnpack', 'webnn', 'nnapi',
  'openvino', 'rocm', 'migraphx', 'vitisai', 'azure', 'cann', 'acl', 'armnn', 'snpe',
] as const;

// ORT's environment logger writes provider-load failures straight to stderr; we report them ourselves.
ort.env.logLevel = process.env.NPUVAL_ORT_LOG === '1' ? 'warning' : 'fatal';

export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** EPs whose binaries onnxruntime-node ships for this platform. */
export function bundledEps(): string[] {
  return ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
}
