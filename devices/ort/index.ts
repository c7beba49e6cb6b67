// The `ort:` adapter (ONNX Runtime through onnxruntime-node): registers itself when loaded.
// Specs: ort:<ep>[:<index>][?option=value&…], options typed in options.ts.
import { registerAdapter } from '../registry.js';
import { OrtDevice } from './device.js';
import { ortOptionSchema } from './options.js';
import { bundledEps } from './runtime.js';

registerAdapter({
  kind: 'ort',
  options: ortOptionSchema,
  create: (spec, options) => new OrtDevice(spec, options),
  // Worth probing anywhere: the common EPs, plus whatever else this platform's package bundles.
  candidates: () => {
    const eps = ['cpu', 'webgpu', 'cuda', 'tensorrt'];
    for (const ep of bundledEps()) if (!eps.includes(ep)) eps.push(ep);
    return eps.map((ep) => `ort:${ep}`);
  },
});

export { OrtDevice } from './device.js';
export { ORT_EP_NAMES, bundledEps, ortVersion } from './runtime.js';
