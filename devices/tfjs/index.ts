// The `tfjs:` adapter (an independent TensorFlow.js reference, see device.ts): registers itself when
// loaded. TensorFlow.js itself loads on first use, not here.
import { registerAdapter } from '../registry.js';
import { TFJS_BACKENDS, TfjsDevice, tfjsOptionSchema } from './device.js';

registerAdapter({
  kind: 'tfjs',
  options: tfjsOptionSchema,
  create: (spec) => new TfjsDevice(spec),
  candidates: () => TFJS_BACKENDS.map((b) => `tfjs:${b}`),
});

export { TfjsDevice, TFJS_BACKENDS, type TfjsBackend } from './device.js';
