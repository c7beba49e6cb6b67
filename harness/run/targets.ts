// The run report's targets section: when the suite gives a fleet inventory, the fleet is
// evaluated against the programme's PF target (harness/targets.ts) with catalog peaks and, where
// this run measured a device of the same catalog entry, its measured effective TFLOP/s.
import type { RunPlan } from '../../reports/assemble.js';
import type { UnitRecord } from '../../reports/types.js';
import { evaluateTargets, measuredRates, type TargetEvaluation } from '../targets.js';
import type { Suite } from './suite.js';

/** The evaluation as the reports carry it: every figure, the measurements behind effective PF, and the progress bars. */
export function targetsSection(evaluation: TargetEvaluation, measurements: readonly unknown[]): Record<string, unknown> {
  const progress = [
    { label: 'catalog peak', pf: evaluation.totals.peakPf, targetPf: evaluation.target.pf },
    ...(evaluation.totals.effectivePf !== null
      ? [{ label: 'measured effective', pf: evaluation.totals.effectivePf, targetPf: evaluation.target.pf }]
      : []),
  ];
  return {
    ...(JSON.parse(JSON.stringify(evaluation)) as Record<string, unknown>),
    measurements: JSON.parse(JSON.stringify(measurements)) as unknown[],
    progress,
  };
}

export function evaluateFleet(
  suite: Suite,
  plan: RunPlan,
  units: readonly UnitRecord[],
): { targets: Record<string, unknown> | null; notes: string[] } {
  if (!suite.fleet?.length) return { targets: null, notes: ['targets: not evaluated (the suite gives no fleet inventory)'] };
  const { items, measurements } = measuredRates({ devices: plan.devices, units }, suite.fleet, null, 'this run');
  const notes = measurements.filter((m) => m.tflops === null).map((m) => `targets: ${m.catalogId} effective PF ${m.note}`);
  const date = suite.targetDate ?? new Date().toISOString().slice(0, 10);
  const evaluation = evaluateTargets({ fleet: items, date });
  return { targets: targetsSection(evaluation, measurements), notes };
}
