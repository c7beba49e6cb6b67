// `npuval conformance`: the ONNX backend test suite on a device — which ops and models run
// correctly, and why the others don't.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { runConformance, DEFAULT_TIMEOUT_S } from '../conformance/index.js';
import { renderConformance } from '../conformance/render.js';
import { Journal } from '../journal.js';
import { checkSpecs } from '../../devices/registry.js';
import { InputError } from '../errors.js';
import { emit, journalDir } from '../output.js';
import type { Command } from './types.js';

interface ConformanceArgs {
  device: string;
  'onnx-tests'?: string[];
  filter?: string;
  isolate: boolean;
  timeout: number;
  workers?: number;
  'compare-device'?: string;
  tolerances?: string;
  matrix: boolean;
}

export const conformanceCommand: Command<ConformanceArgs> = {
  command: 'conformance',
  describe: 'Run the ONNX backend test suite (or folders in its layout) on a device: pass/fail/unsupported/error per case, per-op matrix',
  builder: (y: Argv) =>
    y
      .option('device', { type: 'string', demandOption: true, describe: 'Device under test (e.g. ort:cpu, ort:webgpu)' })
      .option('onnx-tests', { type: 'string', array: true, describe: 'Folders holding test cases (model.onnx + test_data_set_N/), searched recursively; default /usr/share/libonnx-testdata/data (apt-get install libonnx-testdata)' })
      .option('filter', { type: 'string', describe: 'Regular expression on case ids (e.g. "node/test_(add|mul)"); others are recorded as skipped' })
      .option('isolate', { type: 'boolean', default: false, describe: 'Run cases in child processes, so a crash or hang costs one case, not the run' })
      .option('timeout', { type: 'number', default: DEFAULT_TIMEOUT_S, describe: 'Per-case timeout in seconds (killed with --isolate; abandoned in-process)' })
      .option('workers', { type: 'number', describe: 'Child processes with --isolate (default min(4, cores), at least 2)' })
      .option('compare-device', { type: 'string', describe: 'Run the same cases on a second device and list which ops pass on one and not the other' })
      .option('tolerances', { type: 'string', describe: 'JSON/YAML file with per-test overrides ({overrides: [{match, rtol, atol, reason}]}) and optional profiles' })
      .option('matrix', { type: 'boolean', default: false, describe: 'Print every op of the coverage matrix, not only those with a non-pass' }),
  handler: async (args) => {
    // A bad spec is exit 2 naming the devices available here, before any output is made.
    await checkSpecs([args.device, ...(args['compare-device'] ? [args['compare-device']] : [])]);
    const dir = journalDir(args);
    const journal = new Journal(join(dir, 'journal.jsonl'));
    const tty = !args.json && process.stderr.isTTY;
    try {
      const result = await runConformance({
        device: args.device, compareDevice: args['compare-device'] ?? null, roots: args['onnx-tests'], filter: args.filter ?? null,
        isolate: args.isolate, timeoutS: args.timeout, workers: args.workers, tolerancesFile: args.tolerances ?? null,
        onCase: tty ? (_r, device, done, total) => {
          if (done % 25 === 0 || done === total) process.stderr.write(`\r${device}: ${done}/${total} cases`);
          if (done === total) process.stderr.write('\n');
        } : undefined,
      }, journal);
      writeFileSync(join(dir, 'conformance.json'), JSON.stringify(result, null, 2) + '\n');
      // A filter that selects nothing would otherwise "pass" with zero cases run.
      if (args.filter && result.runs.every((r) => r.cases.every((c) => c.status === 'skipped' && c.cause === 'filtered'))) {
        throw new InputError(`--filter "${args.filter}" matches none of the ${result.runs[0]?.cases.length ?? 0} case ids (e.g. node/test_abs)`);
      }
      emit(args, result, () => renderConformance(result, { full: args.matrix }) + `\n\nJournal and conformance.json in ${dir}`);
      return result.runs.some((r) => r.counts.fail > 0 || r.counts.error > 0) ? 1 : 0;
    } finally {
      journal.close();
    }
  },
};
