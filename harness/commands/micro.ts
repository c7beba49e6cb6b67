// `npuval micro`: op micro-benchmarks at zoo shapes (one `micro` unit per op and device), or with
// --probe the probe graph's per-call overhead; a suite of its own, like every command that runs work.
// `npuval bench --micro` is the same command.
import type { Argv } from 'yargs';
import { InputError } from '../errors.js';
import { MICRO_OPS, type MicroResult } from '../micro.js';
import { outPath, table, type CommonArgs } from '../output.js';
import { fmtFlops } from '../scenarios/summary.js';
import { emitUnits, executeSuite, oneUnitSuite, raiseUnitError, workloadOptions } from './execute.js';
import type { Command } from './types.js';

export interface MicroArgs {
  device?: string[];
  op?: string[];
  probe?: boolean;
  seed: number;
  [flag: string]: unknown;
}

/** Runs the micro units for `args` (shared by `npuval micro` and `npuval bench --micro`). */
export async function runMicroCommand(args: MicroArgs & CommonArgs): Promise<number> {
  if (!args.device?.length) throw new InputError('micro needs --device SPEC (e.g. --device ort:cpu); it may be repeated');
  const ops = args.probe ? [undefined] : args.op?.length ? args.op : [...MICRO_OPS];
  for (const op of ops)
    if (op !== undefined && !(MICRO_OPS as readonly string[]).includes(op))
      throw new InputError(`--op ${op} is not one of ${MICRO_OPS.join(', ')}`);
  const devices = [...new Set(args.device)]; // the same device twice would be the same units twice
  const suite = oneUnitSuite(
    'micro',
    'micro',
    args,
    ops.map((op) => ({ devices, ...(op ? { settings: { op } } : {}) })),
    args.seed,
  );
  const e = await executeSuite(args, { suiteObject: suite, outDir: outPath(args) });
  raiseUnitError(e.units);
  const results = e.units
    .map((u) => u.result as unknown as (MicroResult & { op?: string }) | null)
    .filter((r): r is MicroResult => r !== null && r.op === undefined);
  emitUnits(args, e, { micro: results }, () =>
    results.length
      ? table(
          ['device', 'op', 'shapes', 'mean ms', 'p99 ms', '±%', 'runs', 'achieved'],
          results.map((r) => [
            r.device,
            r.name,
            r.shapes,
            r.meanMs.toFixed(3),
            r.p99Ms.toFixed(3),
            r.rmePercent.toFixed(1),
            r.runs,
            fmtFlops(r.flopsPerSecond),
          ]),
        )
      : e.units
          .map(
            (u) =>
              `${u.id}: p50 ${u.metrics.latency_p50_ms?.toFixed(4) ?? '—'} ms per run, session open ${u.metrics.session_open_ms?.toFixed(1) ?? '—'} ms`,
          )
          .join('\n'),
  );
  return e.code;
}

export const microCommand: Command<MicroArgs> = {
  command: 'micro',
  describe: "Micro-benchmarks: single ops at zoo shapes (achieved FLOP/s), or the probe graph's per-call overhead",
  builder: (y: Argv) =>
    y
      .option('device', { type: 'string', array: true, describe: 'Device spec; repeat to compare devices' })
      .option('op', { type: 'string', array: true, choices: [...MICRO_OPS], describe: 'The ops to time (default all)' })
      .option('probe', {
        type: 'boolean',
        default: false,
        describe: "Time the probe graph (Y = X + X on 4 floats): the runtime's per-call overhead",
      })
      .option('seed', { type: 'number', default: 1, describe: 'Seed of the op inputs' })
      .options(workloadOptions('micro'))
      .example('npuval micro --device ort:cpu --device ort:webgpu --op MatMul', 'MatMul at llama-100m shapes on two devices'),
  handler: runMicroCommand,
};
