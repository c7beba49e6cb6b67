// CSV of the headline metrics: one row per unit and metric, units and directions from the registry.
import { metric } from '../metrics.js';
import type { RunReport } from '../types.js';

export const CSV_HEADER = ['unit', 'kind', 'device', 'model', 'status', 'valid', 'metric', 'value', 'unit_of_measure', 'better'] as const;

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

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
