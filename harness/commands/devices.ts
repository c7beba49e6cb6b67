// `npuval devices`: which devices work here, with versions, drivers and why the others don't.
import type { Argv } from 'yargs';
import { createDevice, candidateSpecs, probeAll } from '../../devices/registry.js';
import type { Availability } from '../../devices/types.js';
import { emit, table } from '../output.js';
import type { Command } from './types.js';

interface DevicesArgs {
  device?: string[];
}

export const devicesCommand: Command<DevicesArgs> = {
  command: 'devices',
  describe: 'List devices found here: available only if a real session ran on it; versions, driver, and why the others are not',
  builder: (y: Argv) =>
    y.option('device', {
      type: 'string',
      array: true,
      describe: 'Probe only these device specs (e.g. ort:cpu, ort:webgpu, ort:cuda:0, ort:cpu?intraOpThreads=1)',
    }),
  handler: async (args) => {
    const specs = args.device?.length ? args.device : candidateSpecs();
    // A malformed or unknown spec is bad input: say so with what is available instead.
    for (const spec of specs) {
      try {
        createDevice(spec);
      } catch (err) {
        const available = (await probeAll()).filter((a) => a.available).map((a) => a.id);
        createDevice(spec, available);
        throw err;
      }
    }
    const results = await probeAll(specs);
    emit(args, { devices: results }, () => render(results));
    return args.device?.length && results.some((r) => !r.available) ? 3 : 0;
  },
};

function render(results: readonly Availability[]): string {
  const rows = results.map((r) => [
    r.id,
    r.available ? 'yes' : 'no',
    r.description ? `${r.description.runtime.name} ${r.description.runtime.version}` : null,
    r.description?.driver?.detail ?? null,
  ]);
  const reasons = results.filter((r) => !r.available).map((r) => `  ${r.id}: ${r.reason}`);
  return table(['device', 'available', 'runtime', 'driver'], rows) + (reasons.length ? '\n\nUnavailable:\n' + reasons.join('\n') : '');
}
