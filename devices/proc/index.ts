// The `proc:` adapter (a vendor runtime in its own process, devices/PROTOCOL.md): registers itself when
// loaded. Specs: proc:<command> [args…], the command split into words without a shell (argv.ts).
import { registerAdapter } from '../registry.js';
import { ProcDevice } from './device.js';
import { PROC_OPTIONS } from './options.js';

registerAdapter({
  kind: 'proc',
  options: () => PROC_OPTIONS,
  create: (spec, options) => new ProcDevice(spec, options),
  // An adapter's command line is known only from a spec.
  candidates: () => [],
});

export { ProcDevice } from './device.js';
