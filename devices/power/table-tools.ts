// Vendor NPU tools that print a box-drawn status table with a "Power" column, read by running
// the tool once per interval: FuriosaAI `furiosa-smi info` (RNGD) and Rebellions `rbln-stat`
// (ATOM; newer drivers name it rbln-smi with the same table).
import { performance } from 'node:perf_hooks';
import { runTool } from './process.js';
import type { PowerReading, PowerRun, PowerSample, PowerSampler } from './types.js';

export interface TableRow {
  readonly device: string;
  readonly watts: number;
}

/**
 * Reads `| … | Power | … |` tables: finds the header row with a Power column and a device column
 * (`Device`), then takes every data row below it until the table ends. Power cells look like
 * "38.40 W", "43.9W" or "38 W".
 */
export function parsePowerTable(text: string): TableRow[] {
  const rows: TableRow[] = [];
  // The current table's header: where Power and Device are, and how many cells a row has.
  let header: { power: number; device: number; width: number } | null = null;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('+')) continue; // a rule between rows
    if (!trimmed.startsWith('|')) {
      header = null; // left the table
      continue;
    }
    const cells = trimmed
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
    const power = cells.findIndex((c) => /^power$/i.test(c));
    if (power >= 0) {
      header = { power, device: cells.findIndex((c) => /^device$/i.test(c)), width: cells.length };
      continue;
    }
    if (!header || cells.length !== header.width) {
      if (header && cells.length !== header.width) header = null; // another table (e.g. rbln-stat's context table)
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?)\s*W$/i.exec(cells[header.power]!);
    if (m) rows.push({ device: header.device >= 0 ? cells[header.device]! : String(rows.length), watts: Number(m[1]) });
  }
  return rows;
}

/** A sampler that runs `command args` every interval and takes the named device's Power cell. */
export class TableToolSampler implements PowerSampler {
  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    /** Device name as the tool prints it (npu0, rbln0). */
    readonly device: string,
    readonly intervalMs = 500,
  ) {}

  async check(): Promise<string | null> {
    const out = await runTool(this.command, this.args);
    if (!out.ok) return out.error;
    const rows = parsePowerTable(out.stdout);
    if (rows.length === 0) return `${this.command} ${this.args.join(' ')} printed no Power column this version of npuval can read`;
    if (!rows.some((r) => r.device === this.device))
      return `${this.command} lists no device ${this.device} (it lists ${rows.map((r) => r.device).join(', ')})`;
    return null;
  }

  start(): PowerRun {
    const t0 = performance.now();
    const samples: PowerSample[] = [];
    const notes: string[] = [];
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let pending: Promise<void> = Promise.resolve();
    const poll = () => {
      const started = performance.now() - t0;
      pending = runTool(this.command, this.args).then((out) => {
        if (!out.ok) {
          if (!notes.includes(out.error!)) notes.push(out.error!);
        } else {
          const row = parsePowerTable(out.stdout).find((r) => r.device === this.device);
          // The reading belongs to the moment the tool ran, not when its output arrived.
          if (row) samples.push({ tMs: started, watts: row.watts });
        }
        if (!stopped) timer = setTimeout(poll, Math.max(0, this.intervalMs - (performance.now() - t0 - started)));
      });
    };
    poll();
    return {
      stop: async (): Promise<PowerReading> => {
        const durationMs = performance.now() - t0;
        stopped = true;
        if (timer) clearTimeout(timer);
        await pending;
        return {
          sampler: this.name,
          source: `${this.command} ${this.args.join(' ')}, device ${this.device}`,
          intervalMs: this.intervalMs,
          samples,
          durationMs,
          energyJoules: null,
          notes,
        };
      },
    };
  }
}

export function furiosaSmiSampler(device = 'npu0', intervalMs = 500, command = 'furiosa-smi'): TableToolSampler {
  return new TableToolSampler('furiosa-smi', command, ['info'], device, intervalMs);
}

export function rblnStatSampler(device = 'rbln0', intervalMs = 500, command = 'rbln-stat'): TableToolSampler {
  return new TableToolSampler('rbln-stat', command, [], device, intervalMs);
}
