// Tells "the runtime lacks this" (unsupported) from "something went wrong" (error) by the
// runtime's own message. Patterns are ONNX Runtime's (onnxruntime/core/…: session and kernel
// registry messages) plus the JavaScript binding's; a device adapter may add its own phrasing
// ("… not supported", "not implemented"). The runtime's message is always kept as the reason.
import type { Cause } from './types.js';

export interface Classified {
  readonly status: 'unsupported' | 'error';
  readonly cause: Cause;
  readonly reason: string;
}

const RULES: readonly { re: RegExp; cause: Cause }[] = [
  // The JavaScript binding: onnxruntime-node returns and feeds tensors only.
  { re: /Non tensor type is temporarily not supported|which onnxruntime-node cannot feed|cannot (feed|return) (sequences|optionals|maps)/i, cause: 'binding' },
  { re: /Unsupported model IR version|IR version .*(not supported|unsupported)|max supported IR version/i, cause: 'ir-version' },
  { re: /opset .*(not supported|unsupported|is under development)|Unsupported opset|only \*?guarantees\*? support for models stamped with official released onnx opset|onnx opset version .* is not supported|opset_import .* domain .* version/i, cause: 'opset' },
  // Op unknown to the runtime (schema missing) or no kernel for it on this EP with these types/opset.
  // "Provider type for X node … is not set": no EP of the session (the EP under test, nor its CPU fallback) took the node.
  // tfjs devices: "… run npuval zoo models only … this graph uses Acos".
  // ORT with CPU fallback disabled (ort:<ep>?cpuFallback=false): "… nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled".
  { re: /is not a registered function\/op|No Op registered for|Could not find an implementation for|Provider type for \S+ node with name .* is not set|No opset import for domain|Unrecognized (op|operator)|op(erator)? .* (is )?not supported|this graph uses \S+|run npuval zoo models only|assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled/i, cause: 'op' },
  // WebGPU EP on an adapter without shader-f16 (e.g. SwiftShader): "Program Cast requires f16 but the device does not support it".
  { re: /requires f16 but the device does not support it|Unsupported data type|data ?type .* (is )?not supported|type .* is not supported|not supported for (the )?(data )?type|Unsupported (tensor )?type/i, cause: 'type' },
  { re: /\bNOT_IMPLEMENTED\b|not (yet )?implemented|are not supported|is not supported|not supported yet|unsupported attribute|\bOnly \S+( or \S+)? (is|are) supported/i, cause: 'feature' },
];

/** ORT implements ai.onnx kernels from opset 7 on ("ORT first supported opset 7", onnxruntime/test/python/onnx_backend_test_series.py). */
const ORT_FIRST_OPSET = 7;

/**
 * Classifies a runtime error message; `phase` says whether it came from loading or running.
 * A missing kernel for an op version below ORT's first supported opset counts as an opset gap.
 */
export function classifyError(message: string, phase: 'load' | 'run', modelOpset: number | null = null): Classified {
  let reason = oneLine(message);
  if (/Provider type for \S+ node/.test(message)) reason = `no execution provider of the session (nor its CPU fallback) has a kernel for this node: ${reason}`;
  for (const { re, cause } of RULES) {
    if (!re.test(message)) continue;
    const kernel = /Could not find an implementation for \w+\((\d+)\)/.exec(message);
    const oldKernel = kernel ? Number(kernel[1]) < ORT_FIRST_OPSET : /Provider type for \S+ node/.test(message);
    if (cause === 'op' && oldKernel && modelOpset !== null && modelOpset < ORT_FIRST_OPSET) {
      return { status: 'unsupported', cause: 'opset', reason: `${reason} (model opset ${modelOpset}; ONNX Runtime implements opset ${ORT_FIRST_OPSET} and later)` };
    }
    return { status: 'unsupported', cause, reason };
  }
  return { status: 'error', cause: phase === 'load' ? 'load' : 'runtime', reason };
}

/** First non-empty line, with ORT's "/onnxruntime_src/…:123 fn(…)" source prefix dropped, capped at 400 chars. */
export function oneLine(message: string): string {
  let line = message.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? message;
  line = line.replace(/\/onnxruntime_src\/\S+:\d+ [^\n]*?\) /, '');
  return line.length > 400 ? line.slice(0, 397) + '...' : line;
}
