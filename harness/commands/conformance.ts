// `npuval conformance`: the ONNX backend test suite on a device — which ops and models run
// correctly, and why the others don't.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { ConformanceResult } from '../conformance/index.js';
import { renderConformance } from '../conformance/render.js';
import { InputError } from '../errors.js';
import { outPath } from '../output.js';
import { emitUnits, executeSuite, oneUnitSuite, raiseUnitError, workloadOptions } from './execute.js';
import type { Command } from './types.js';

interface ConformanceArgs {
  device: string;
  'onnx-tests'?: string[];
  filter?: string;
  matrix: boolean;
  [flag: string]: unknown;
}

export const conformanceCommand: Command<ConformanceArgs> = {
  command: 'conformance',
  describe: 'Run the ONNX backend test suite (or folders in its layout) on a device: pass/fail/unsupported/error per case, per-op matrix',
  builder: (y: Argv) =>
    y
      .option('device', { type: 'string', demandOption: true, describe: 'Device under test (e.g. ort:cpu, ort:webgpu)' })
      .option('onnx-tests', {
        type: 'string',
        array: true,
        describe:
          'Folders holding test cases (model.onnx + test_data_set_N/), searched recursively; default /usr/share/libonnx-testdata/data (apt-get install libonnx-testdata)',
      })
      .option('filter', {
        type: 'string',
        describe: 'Regular expression on case ids (e.g. "node/test_(add|mul)"); others are recorded as skipped',
      })
      .options(workloadOptions('conformance'))
      .option('matrix', {
        type: 'boolean',
        default: false,
        describe: 'Print every op of the coverage matrix, not only those with a non-pass',
      }),
  handler: async (args) => {
    const tty = !args.json && process.stderr.isTTY;
    const suite = oneUnitSuite(
      'conformance',
      'conformance',
      args,
      [
        {
          devices: [args.device],
          ...(args.filter ? { filter: args.filter } : {}),
          ...(args['onnx-tests'] ? { onnxTests: args['onnx-tests'] } : {}),
        },
      ],
      1,
    );
    const e = await executeSuite(args, {
      suiteObject: suite,
      outDir: outPath(args),
      onProgress: tty ? (line, last) => process.stderr.write(`\r${line}${last ? '\n' : ''}`) : undefined,
    });
    raiseUnitError(e.units);
    const file = e.units[0]?.artifacts.find((a) => a.path.endsWith('conformance.json'));
    const result = file ? (JSON.parse(readFileSync(join(e.result.outDir, file.path), 'utf8')) as ConformanceResult) : undefined;
    // A filter that selects nothing would otherwise "pass" with zero cases run.
    if (args.filter && result && result.runs.every((r) => r.cases.every((c) => c.status === 'skipped' && c.cause === 'filtered'))) {
      throw new InputError(
        `--filter "${args.filter}" matches none of the ${result.runs[0]?.cases.length ?? 0} case ids (e.g. node/test_abs)`,
      );
    }
    emitUnits(args, e, result ? { ...result } : {}, () =>
      result
        ? renderConformance(result, { full: args.matrix })
        : e.units.map((u) => `${u.id}: ${u.status}${u.error ? ` — ${u.error.message}` : ''}`).join('\n'),
    );
    return e.code;
  },
};
