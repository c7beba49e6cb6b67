// `npuval bench`: a model through an MLPerf LoadGen scenario on a device, as a suite of its own
// (one `scenario` unit, or one per --batch size), or with --micro the op micro-benchmarks (one
// `micro` unit per op and device, as `npuval micro`). The options are the workloads' declared settings.
import type { Argv } from 'yargs';
import { listZoo } from '../../models/zoo/index.js';
import type { UnitRecord } from '../../reports/types.js';
import { InputError } from '../errors.js';
import { MICRO_OPS } from '../micro.js';
import { outPath, table } from '../output.js';
import { SCENARIOS, type PeakSearch, type ScenarioResult } from '../scenarios/index.js';
import { fmtFlops } from '../scenarios/summary.js';
import { parseIntegers } from '../workloads/settings.js';
import { emitUnits, executeSuite, oneUnitSuite, raiseUnitError, workloadOptions } from './execute.js';
import { runMicroCommand } from './micro.js';
import type { Command } from './types.js';

interface BenchArgs {
  device?: string[];
  model?: string;
  scenario: string;
  batch?: string;
  seed: number;
  micro: boolean;
  [flag: string]: unknown;
}

type BenchResult = ScenarioResult & {
  findPeak: Pick<PeakSearch, 'peakQps' | 'firstInvalidQps' | 'stoppedBecause' | 'probes'> | null;
  probeRuns?: ScenarioResult[];
};

export const benchCommand: Command<BenchArgs> = {
  command: 'bench',
  describe:
    'Run a model through an MLPerf LoadGen scenario on a device (VALID/INVALID as LoadGen judges it), or time single ops with --micro',
  builder: (y: Argv) =>
    y
      .usage(
        'npuval bench --device SPEC --model M --scenario single-stream|multi-stream|server|offline [options]\nnpuval bench --device SPEC --micro',
      )
      .option('device', {
        type: 'string',
        array: true,
        describe: 'Device spec, e.g. ort:cpu, ort:cuda:0, ort:cpu?intraOpThreads=1 (with --micro, several may be given)',
      })
      .option('model', {
        type: 'string',
        describe: `Zoo model name (${listZoo()
          .filter((z) => z.ciSized)
          .map((z) => z.name)
          .join(', ')}, …; see npuval models list) or an ONNX file path`,
      })
      .option('scenario', { type: 'string', choices: [...SCENARIOS], default: 'single-stream', describe: 'LoadGen scenario' })
      .option('batch', { type: 'string', describe: 'Offline batch sizes, a sweep (one unit each) when several: e.g. 1,2,4,8 (default 1)' })
      .option('seed', {
        type: 'number',
        default: 1,
        describe:
          'Base seed: schedule = seed, sample index = seed+1, sample data = seed+2 (all recorded; zoo weights always use the zoo seed)',
      })
      .options(workloadOptions('scenario'))
      .option('micro', {
        type: 'boolean',
        default: false,
        describe: `Micro-benchmarks (one unit per op: ${MICRO_OPS.join(', ')}) at zoo shapes, timed by tinybench`,
      })
      .options(workloadOptions('micro'))
      .example('npuval bench --device ort:cpu --model tiny-bert --scenario single-stream', 'p90 latency, VALID/INVALID')
      .example('npuval bench --device ort:cpu --model tiny-resnet --scenario offline --batch 1,2,4,8', 'Offline batch sweep')
      .example('npuval bench --device ort:cpu --model tiny-bert --scenario server --find-peak --latency-bound 20', 'largest VALID QPS')
      .example('npuval bench --device ort:cpu --micro', 'op micro-benchmarks'),
  handler: async (args) => {
    if (!args.device?.length) throw new InputError('bench needs --device SPEC (e.g. --device ort:cpu)');
    if (args.micro) return runMicroCommand(args);
    if (args.device.length > 1)
      throw new InputError(`bench runs a scenario on one device, but --device was given ${args.device.length} times`);
    if (!args.model) throw new InputError('bench needs --model: a zoo model name or an ONNX file path');
    if (args.batch !== undefined && args.scenario !== 'offline') throw new InputError('--batch applies to the offline scenario only');
    if (args['find-peak'] && args.scenario !== 'server') throw new InputError('--find-peak applies to the server scenario only');
    const batches = args.batch === undefined ? [undefined] : parseIntegers(args.batch, '--batch');
    const suite = oneUnitSuite(
      'bench',
      'scenario',
      args,
      batches.map((b) => ({
        scenario: args.scenario as (typeof SCENARIOS)[number],
        model: args.model,
        devices: args.device,
        ...(b === undefined ? {} : { settings: { batch: b } }),
      })),
      args.seed,
    );
    const e = await executeSuite(args, { suiteObject: suite, outDir: outPath(args) });
    raiseUnitError(e.units);
    const results = e.units.map((u) => u.result as unknown as BenchResult | null).filter((r): r is BenchResult => r !== null);
    const peak = results.find((r) => r.findPeak)?.findPeak ?? null;
    emitUnits(args, e, { results: peak ? results.flatMap((r) => r.probeRuns ?? [r]) : results, findPeak: peak }, () =>
      renderResults(results, e.units),
    );
    return e.code;
  },
};

function renderResults(all: readonly BenchResult[], units: readonly UnitRecord[]): string {
  const lines: string[] = [];
  const search = all.find((r) => r.findPeak)?.findPeak ?? null;
  if (search) {
    lines.push(
      table(
        ['probe', 'target QPS', 'result', 'completed samples/s', 'p99 ms'],
        search.probes.map((p) => [
          p.probe,
          p.qps.toFixed(1),
          p.result,
          p.completedSamplesPerSecond?.toFixed(1),
          p.p99LatencyMs?.toFixed(3),
        ]),
      ),
    );
    lines.push(`Peak VALID QPS: ${search.peakQps === null ? 'none found' : search.peakQps.toFixed(1)} (${search.stoppedBecause})`);
    lines.push('', search.peakQps !== null ? 'The run at the peak:' : 'Last probe:');
  }
  if (all.length)
    lines.push(
      table(
        ['scenario', 'batch', 'result', 'metric', 'queries', 'samples/s', 'p50 ms', 'p90 ms', 'p99 ms', 'effective', 'power'],
        all.map((r) => [
          r.loadgenScenario,
          r.scenario === 'offline' ? r.settings.batchSize : null,
          r.result,
          `${r.metric.name} ${r.metric.value === null ? 'n/a' : r.metric.unit === 'ms' ? `${r.metric.value.toFixed(3)} ms` : `${r.metric.value.toFixed(1)} ${r.metric.unit}`}`,
          r.counts.queries,
          r.throughput.samplesPerSecond?.toFixed(1),
          r.latency.sample?.p50.toFixed(3),
          r.latency.sample?.p90.toFixed(3),
          r.latency.sample?.p99.toFixed(3),
          r.compute.effectiveTflops === null ? null : fmtFlops(r.compute.effectiveTflops * 1e12),
          r.power.measured ? `${r.power.avgWatts.toFixed(1)} W` : 'not measured',
        ]),
      ),
    );
  for (const r of all) {
    if (!r.valid)
      lines.push(
        '',
        `${r.loadgenScenario}${r.scenario === 'offline' ? ` batch ${r.settings.batchSize}` : ''} INVALID:`,
        ...r.validity.reasons.map((x) => `  - ${x}`),
      );
  }
  const r0 = all[0];
  if (r0) {
    if (r0.compute.note) lines.push('', `Compute: ${r0.compute.note}`);
    if (!r0.power.measured) lines.push(`Power: not measured (${r0.power.reason})`);
  }
  for (const u of units) if (u.error) lines.push(`${u.id}: error: ${u.error.message}`);
  return lines.join('\n');
}
