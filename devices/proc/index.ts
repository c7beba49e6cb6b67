// The `proc:` adapter (a vendor runtime in its own process, devices/PROTOCOL.md): registers itself when
// loaded. Specs: proc:<command> [args…], the command split into words without a shell (argv.ts).
import { type Adapter, registerAdapter } from '../registry.js';
import { ProcDevice } from './device.js';
import { PROC_OPTIONS } from './options.js';

export const procAdapter: Adapter<typeof PROC_OPTIONS> = {
  kind: 'proc',
  options: () => PROC_OPTIONS,
  create: (spec, options) => new ProcDevice(spec, options),
  // An adapter's command line is known only from a spec.
  candidates: () => [],
};

/** Removes the adapter again (the registry's own test swaps in a throwaway proc: adapter; re-register procAdapter after). */
export const unregisterProcAdapter = registerAdapter(procAdapter);

export { ProcDevice } from './device.js';
