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
