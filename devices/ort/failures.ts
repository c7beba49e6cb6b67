// ONNX Runtime's errors, recognised at the adapter boundary: the runtime says why it cannot load or
// run a model only in its message text (onnxruntime/core/…: session, kernel registry and EP
// messages, plus the JavaScript binding's), so this is the one place that reads that text. Callers
// get a DeviceRunError whose `failure` says why; the runtime's message is kept as the message.
import { DeviceRunError, type DeviceFailure } from '../errors.js';
import { ORT_NAME } from './runtime.js';

/** First match wins; the order matters where messages would match several. */
const RULES: readonly { readonly re: RegExp; readonly failure: DeviceFailure }[] = [
  // The JavaScript binding: onnxruntime-node returns and feeds tensors only.
  {
    re: /Non tensor type is temporarily not supported|which onnxruntime-node cannot feed|cannot (feed|return) (sequences|optionals|maps)/i,
    failure: 'binding-limit',
  },
  {
    re: /Unsupported model IR version|IR version .*(not supported|unsupported)|max supported IR version/i,
    failure: 'unsupported-ir-version',
  },
  {
    re: /opset .*(not supported|unsupported|is under development)|Unsupported opset|only \*?guarantees\*? support for models stamped with official released onnx opset|onnx opset version .* is not supported|opset_import .* domain .* version/i,
    failure: 'unsupported-opset',
  },
  // Op unknown to the runtime (schema missing) or no kernel for it on this EP with these types/opset.
  // "Provider type for X node … is not set": no EP of the session (the EP under test, nor its CPU fallback) took the node.
  // With CPU fallback disabled (ort:<ep>?cpuFallback=false): "… nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled".
  {
    re: /is not a registered function\/op|No Op registered for|Could not find an implementation for|Provider type for \S+ node with name .* is not set|No opset import for domain|Unrecognized (op|operator)|op(erator)? .* (is )?not supported|assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled/i,
    failure: 'unsupported-op',
  },
  // WebGPU EP on an adapter without shader-f16 (e.g. SwiftShader): "Program Cast requires f16 but the device does not support it".
  {
    re: /requires f16 but the device does not support it|Unsupported data type|data ?type .* (is )?not supported|type .* is not supported|not supported for (the )?(data )?type|Unsupported (tensor )?type/i,
    failure: 'unsupported-dtype',
  },
  {
    re: /\bNOT_IMPLEMENTED\b|not (yet )?implemented|are not supported|is not supported|not supported yet|unsupported attribute|\bOnly \S+( or \S+)? (is|are) supported/i,
    failure: 'unsupported-feature',
  },
];

/** ORT implements ai.onnx kernels from opset 7 on ("ORT first supported opset 7", onnxruntime/test/python/onnx_backend_test_series.py). */
const ORT_FIRST_OPSET = 7;

const PROVIDER_NOT_SET = /Provider type for \S+ node/;

/**
 * ORT refused the model itself, before any EP saw it: the file is not a valid ONNX graph (it fails
 * the checker or shape/type inference, or its external data is missing), on every device. Bad input.
 */
const INVALID_MODEL =
  /Protobuf parsing failed|\[(Shape|Type)InferenceError\]|\bINVALID_GRAPH\b|\bINVALID_PROTOBUF\b|External data path|model path is a directory|Type Error: Type .* of input parameter .* is invalid/;

/** The error ORT threw while loading or running, as a DeviceRunError with the failure it names. */
export function ortFailure(err: unknown): DeviceRunError {
  if (err instanceof DeviceRunError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  // ORT prefixes its messages with the C++ source location ("/onnxruntime_src/…:123 fn(…) "): noise to a reader.
  let message = raw.replace(/\/onnxruntime_src\/\S+:\d+ [^\n]*?\) /, '');
  const failure = RULES.find((r) => r.re.test(raw))?.failure ?? 'runtime';
  if (PROVIDER_NOT_SET.test(raw))
    message = `no execution provider of the session (nor its CPU fallback) has a kernel for this node: ${message.trimStart()}`;
  // A missing kernel for an op version below the first opset ORT implements: for an old model, an opset gap.
  const kernel = /Could not find an implementation for \w+\((\d+)\)/.exec(raw);
  const oldKernel = kernel ? Number(kernel[1]) < ORT_FIRST_OPSET : PROVIDER_NOT_SET.test(raw);
  const detail = failure === 'unsupported-op' && oldKernel ? { firstOpset: ORT_FIRST_OPSET, runtime: ORT_NAME } : { runtime: ORT_NAME };
  return new DeviceRunError(message, failure, detail, { cause: err, badInput: failure === 'runtime' && INVALID_MODEL.test(raw) });
}
