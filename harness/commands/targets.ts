// `npuval targets --report R --fleet F`: a fleet inventory (catalog devices × counts) held against
// the programme's PF target for a date, with catalog peak PF at a stated precision and effective
// PF from the rates the run report measured; how many more devices of each kind close the gap.
import type { Argv } from 'yargs';
import { emit, table } from '../output.js';
import { InputError } from '../errors.js';
import { targetsSection } from '../run/targets.js';
import {
  EVAL_PRECISIONS,
  evaluateTargets,
  loadFleetFile,
  measuredRates,
  type EvalPrecision,
  type TargetEvaluation,
  type FleetMeasurement,
} from '../targets.js';
import { pctNumber, pfNumber } from '../../reports/comparison.js';
import { readRunReport } from './report.js';
import type { Command } from './types.js';

interface TargetsArgs {
  report: string;
  fleet: string;
  date?: string;
  workload?: string;
  precision?: string;
}

const pf = (x: number | null) => (x === null ? 'not measured' : `${pfNumber(x)} PF`);
const pct = (x: number | null) => (x === null ? 'not measured' : `${pctNumber(x)} %`);

/** The evaluation as text: the target with both milestones, the fleet lines, totals, the gap. */
export function targetsText(e: TargetEvaluation, measurements: readonly FleetMeasurement[]): string {
  const lines = [
    `Target ${e.inputs.targetId} on ${e.target.date}: ${pf(e.target.pf)} — ${e.target.explanation}`,
    `Milestones: ${e.milestones.map((m) => `${m.year} (${m.anchorDate}) ${m.pf} PF: peak ${pct(m.fractionPeak)}, effective ${pct(m.fractionEffective)}`).join('; ')}`,
    `Precision: ${e.inputs.precision} (${e.inputs.sparsity})${e.inputs.precisionDefaulted ? ', npuval default: the document states none' : ''}. Workload for effective PF: ${e.inputs.workload ?? 'best effective_tflops of the run'}.`,
    '',
    table(
      ['device', 'count', 'catalog peak/device', 'peak PF', 'measured TFLOP/s/device', 'effective PF', 'utilization', 'measured by'],
      e.fleet.map((l, i) => [
        `${l.name} (${l.catalogId})`,
        l.count,
        l.peak.value === null ? 'no catalog figure' : `${l.peak.value} TFLOP/s (catalog)`,
        pf(l.peakPf),
        l.measuredTflopsPerDevice === null ? 'not measured' : l.measuredTflopsPerDevice.toPrecision(4),
        pf(l.effectivePf),
        l.utilization === null ? '—' : `${(100 * l.utilization).toPrecision(3)} %`,
        measurements[i]?.unit ?? measurements[i]?.note ?? '—',
      ]),
    ),
    '',
    `Fleet: catalog peak ${pf(e.totals.peakPf)} (${pct(e.fractionOfTarget.peak)} of the target), measured effective ${pf(e.totals.effectivePf)} (${pct(e.fractionOfTarget.effective)}).`,
    `To close the gap (${pf(e.gapPf.effective)} at measured efficiency, ${pf(e.gapPf.peak)} at catalog peak), each kind on its own: ` +
      e.toCloseGap.byMeasured
        .map(
          (g, i) =>
            `${g.catalogId} +${g.additionalDevices ?? '?'} at measured rate / +${e.toCloseGap.byPeak[i]?.additionalDevices ?? '?'} at peak`,
        )
        .join('; ') +
      '.',
    'Catalog peaks are published figures, not measurements.',
  ];
  return lines.join('\n');
}

export const targetsCommand: Command<TargetsArgs> = {
  command: 'targets',
  describe:
    'Hold a fleet inventory against the programme PF target (50 PF 2025 → 120 PF 2027): catalog peak and measured effective PF, percent of target, devices to close the gap',
  builder: (y: Argv) =>
    y
      .option('report', {
        type: 'string',
        demandOption: true,
        describe: 'The run report.json whose measured effective TFLOP/s give effective PF',
      })
      .option('fleet', {
        type: 'string',
        demandOption: true,
        describe: 'Fleet inventory file (JSON or YAML, https://npuval.dev/schemas/fleet/1.0.0.json)',
      })
      .option('date', { type: 'string', describe: 'Date to take the target for, YYYY-MM-DD (default: today, UTC)' })
      .option('workload', {
        type: 'string',
        describe: 'Workload id in the run whose rate gives effective PF (e.g. scenario:offline:tiny-bert); default the best per device',
      })
      .option('precision', {
        type: 'string',
        describe: `Precision to count catalog PF at: ${EVAL_PRECISIONS.join(', ')} (default: the fleet file's, else fp16-or-bf16)`,
      })
      .example('npuval targets --report out/npu/report.json --fleet examples/fleet.json --date 2026-06-30', ''),
  handler: async (args) => {
    const { report } = readRunReport(args.report);
    const fleet = loadFleetFile(args.fleet);
    const precision = args.precision ?? fleet.precision;
    if (precision !== undefined && !EVAL_PRECISIONS.includes(precision as EvalPrecision))
      throw new InputError(`--precision ${precision} is not one of ${EVAL_PRECISIONS.join(', ')}`);
    const { items, measurements } = measuredRates(report, fleet.devices, args.workload ?? null, args.report);
    const evaluation = evaluateTargets({
      fleet: items,
      date: args.date ?? new Date().toISOString().slice(0, 10),
      workload: args.workload ?? null,
      ...(precision !== undefined ? { precision: precision as EvalPrecision } : {}),
    });
    emit(
      args,
      { inventory: { name: fleet.name, source: args.fleet }, ...targetsSection(evaluation, measurements) },
      () => `Fleet ${fleet.name} (${args.fleet})\n${targetsText(evaluation, measurements)}`,
    );
  },
};
