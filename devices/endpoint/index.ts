// The `endpoint:` adapter: an OpenAI-compatible serving endpoint as a Device that generates with its
// own model (device.ts; options in ENDPOINT_OPTIONS). Registers itself when loaded; it has no
// candidates to probe, since a server's address is only known from a spec.
import { registerAdapter } from '../registry.js';
import { ENDPOINT_OPTIONS, EndpointDevice } from './device.js';

registerAdapter({
  kind: 'endpoint',
  options: () => ENDPOINT_OPTIONS,
  create: (spec, options) => new EndpointDevice(spec, options),
  candidates: () => [],
});

export { EndpointDevice } from './device.js';
export { EndpointError } from './session.js';
