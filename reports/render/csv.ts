// CSV of the headline metrics: one row per unit and metric, units and directions from the registry.
import { metric } from '../metrics.js';
import { escapeCsv } from '../escape.js';
import type { RunReport } from '../types.js';

export const CSV_HEADER = ['unit', 'kind', 'device', 'model', 'status', 'valid', 'metric', 'value', 'unit_of_measure', 'better'] as const;

/** RFC 4180 quoting, control characters shown, formula-like text prefixed with ' (reports/escape.ts). */
const cell = escapeCsv;

export function renderCsv(report: RunReport): string {
  const rows: unknown[][] = [[...CSV_HEADER]];
  for (const u of report.units) {
    for (const [name, value] of Object.entries(u.metrics)) {
      const def = metric(name);
      rows.push([
        u.id,
        u.kind,
        u.device,
        u.model,
        u.status,
        u.validity.valid === null ? '' : u.validity.valid ? 'VALID' : 'INVALID',
        name,
        value,
        def.unit,
        def.direction,
      ]);
    }
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
