// `npuval run`: the main job. Runs a suite (built-in or file) on the devices it names, journals
// every unit as it finishes, and writes the reports. SIGINT stops cleanly; --resume continues.
import type { Argv } from 'yargs';
import { resolve } from 'node:path';
import { EXIT, InputError } from '../errors.js';
import { emit, outPath, table } from '../output.js';
import { listUnits } from '../run/orchestrate.js';
import { EXIT_INTERRUPTED, executeSuite } from './execute.js';
import { BUILTIN_SUITES } from '../run/suite.js';
import type { Command } from './types.js';

interface RunArgs {
  suite?: string;
  device?: string[];
  baseline?: string;
  criteria?: string;
  product?: string;
  resume?: string;
  list: boolean;
  'allow-outside-paths': boolean;
}

export { EXIT_INTERRUPTED };

export const runCommand: Command<RunArgs> = {
  command: 'run',
  describe:
    'Run a validation suite end to end: journal.jsonl, report.json (schema-checked), report.md, report.html, junit.xml, results.csv',
  builder: (y: Argv) =>
    y
      .option('suite', {
        type: 'string',
        describe: `Built-in suite (${Object.keys(BUILTIN_SUITES).join(', ')}) or a suite file (JSON or YAML); default: default`,
      })
      .option('device', {
        type: 'string',
        array: true,
        describe: "Run every unit on these device specs instead of the suite's (e.g. ort:cpu ort:webgpu)",
      })
      .option('baseline', { type: 'string', describe: 'A baseline report.json (e.g. a GPU run) to compare against, per workload' })
      .option('criteria', {
        type: 'string',
        describe: 'Acceptance-criteria file (JSON or YAML); with product info gives the commercialization report',
      })
      .option('product', {
        type: 'string',
        describe: "Product description file (JSON or YAML, MLPerf system-description fields); overrides the suite's product",
      })
      .option('allow-outside-paths', {
        type: 'boolean',
        default: false,
        describe:
          'Let the suite file name paths outside its own folder (models, test data, prompt, tolerance, criteria, conf and baseline files); refused otherwise',
      })
      .option('list', {
        type: 'boolean',
        default: false,
        describe: 'Print the units the suite expands to here (devices probed) and exit; nothing runs',
      })
      .option('resume', {
        type: 'string',
        describe: 'Continue the interrupted run in this out dir: finished units are kept, the unit in flight runs again',
      })
      .example('npuval run', 'the default suite on every device available here')
      .example('npuval run --suite smoke --out out/smoke', 'a seconds-long check of the harness')
      .example('npuval run --resume out/smoke', 'continue an interrupted run')
      .example('npuval run --suite kcloud-npu --device ort:cpu --list', 'what a suite would run here, without running it'),
  handler: async (args) => {
    if (args.list) {
      const listed = await listUnits({
        suite: args.suite,
        devices: args.device,
        allowOutsidePaths: args['allow-outside-paths'],
        log: () => {},
      });
      emit(args, listed, () =>
        [
          `suite ${listed.suite}: ${listed.units.length} units${listed.available ? ` (devices available here: ${listed.available.join(', ')})` : ''}`,
          table(
            ['unit', 'kind', 'device', 'model'],
            listed.units.map((u) => [u.id, u.kind, u.device, u.model]),
          ),
        ].join('\n'),
      );
      return EXIT.ok;
    }
    if (args.resume && args.out && resolve(args.out) !== resolve(args.resume)) {
      throw new InputError('--resume DIR continues the run in DIR and writes there; leave out --out');
    }
    const e = await executeSuite(args, {
      suite: args.suite,
      devices: args.device,
      baseline: args.baseline,
      criteria: args.criteria,
      product: args.product,
      resume: args.resume,
      allowOutsidePaths: args['allow-outside-paths'],
      outDir: args.resume ?? outPath(args),
      log: (line) => {
        if (line) process.stderr.write(`npuval: ${line}\n`);
      },
    });
    const { result, written } = e;
    const s = written.report.summary;
    if (result.interrupted) {
      if (args.json)
        emit(args, { outDir: result.outDir, interrupted: true, resume: `npuval run --resume ${result.outDir}`, summary: s }, () => '');
      return e.code;
    }
    emit(
      args,
      {
        outDir: result.outDir,
        files: written.files,
        complete: written.report.complete,
        summary: s,
        commercialization: written.commercialization?.overall ?? null,
      },
      () =>
        [
          `${s.units}/${s.planned} units: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped; ${s.valid} VALID, ${s.invalid} INVALID`,
          ...(written.commercialization ? [`commercialization verdict: ${written.commercialization.overall}`] : []),
          `reports in ${result.outDir}: ${written.files.map((f) => f.slice(result.outDir.length + 1)).join(', ')}`,
        ].join('\n'),
    );
    return e.code;
  },
};
