// Shared text helpers for the renderers.
import { formatValue, metric } from '../metrics.js';
import type { UnitRecord } from '../types.js';

export function validityLabel(u: UnitRecord): string {
  return u.validity.valid === null ? '—' : u.validity.valid ? 'VALID' : 'INVALID';
}

/** The headline metric names of a unit, in order, as its workload chose them (recorded in the unit). */
export function headlineNames(u: UnitRecord): string[] {
  return u.headline.filter((n) => n in u.metrics);
}

/** "label value unit", without repeating a label that is the unit (e.g. "72 cases"). */
export function headlineText(u: UnitRecord): string[] {
  return headlineNames(u).map((n) => {
    const def = metric(n);
    const value = formatValue(n, u.metrics[n] ?? null);
    return def.label === def.unit ? value : `${def.label} ${value}`;
  });
}

export function bytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} B`;
}

/** The Models table's FLOPs cell: a zoo model's analytic count, per token for decoders, unknown for a user's file. */
export function modelFlopsText(m: { readonly source: string; readonly flopsPerSample: number | null }): string {
  if (m.flopsPerSample !== null) return m.flopsPerSample.toExponential(3);
  return m.source === 'file' ? "unknown (a user's model: a unit's --flops shows in its notes)" : 'per token (decoder)';
}
