// The run report's targets section: when the suite gives a fleet inventory, the fleet is
// evaluated against the programme's PF target (harness/targets.ts) with catalog peaks and, where
// this run measured a device of the same catalog entry, its measured effective TFLOP/s.
import type { RunPlan } from '../../reports/assemble.js';
import type { UnitRecord } from '../../reports/types.js';
import { evaluateTargets, type FleetItem } from '../targets.js';
import type { Suite } from './suite.js';

export function evaluateFleet(suite: Suite, plan: RunPlan, units: readonly UnitRecord[]): { targets: Record<string, unknown> | null; notes: string[] } {
  if (!suite.fleet?.length) return { targets: null, notes: ['targets: not evaluated (the suite gives no fleet inventory)'] };
  const notes: string[] = [];
  const fleet: FleetItem[] = suite.fleet.map((f) => {
    const devices = plan.devices.filter((d) => d.description?.catalogId === f.device).map((d) => d.spec);
    const rates = units.filter((u) => u.device && devices.includes(u.device)).map((u) => u.metrics.effective_tflops).filter((v): v is number => typeof v === 'number');
    if (!rates.length) notes.push(`targets: no unit in this run measured a ${f.device}; its effective PF is not measured`);
    return rates.length
      ? { catalogId: f.device, count: f.count, measuredTflopsPerDevice: Math.max(...rates), measurementSource: `this run (${devices.join(', ')}), best effective_tflops` }
      : { catalogId: f.device, count: f.count };
  });
  const date = suite.targetDate ?? new Date().toISOString().slice(0, 10);
  const evaluation = evaluateTargets({ fleet, date });
  const progress = [
    { label: 'catalog peak', pf: evaluation.totals.peakPf, targetPf: evaluation.target.pf },
    ...(evaluation.totals.effectivePf !== null ? [{ label: 'measured effective', pf: evaluation.totals.effectivePf, targetPf: evaluation.target.pf }] : []),
  ];
  return { targets: { ...(JSON.parse(JSON.stringify(evaluation)) as Record<string, unknown>), progress }, notes };
}
