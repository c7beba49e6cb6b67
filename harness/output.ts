// Output conventions shared by every command: --json prints one JSON document and nothing else
// on stdout; otherwise a human-readable text. --out DIR is where files go.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors.js';
import { makeOutputFolder } from './input-file.js';

export interface CommonArgs {
  json: boolean;
  out?: string;
  verbose: boolean;
}

/** Prints either the JSON value or the human text, never both. */
export function emit(args: Pick<CommonArgs, 'json'>, json: unknown, text: () => string): void {
  process.stdout.write(args.json ? JSON.stringify(json, null, 2) + '\n' : text() + '\n');
}

/** The output directory's path, not created: --out, else npuval-out/<UTC timestamp>. A run creates it when its journal opens, so a command refused while planning leaves no empty folder. */
export function outPath(args: Pick<CommonArgs, 'out'>, now = new Date()): string {
  return args.out ?? join('npuval-out', now.toISOString().replace(/[:.]/g, '-'));
}

/**
 * With --out, writes the document --json prints into DIR/`name` (a probe or a comparison is worth
 * keeping beside a run); call it once the command has its result, so a refused command writes nothing.
 */
export function keepJson(args: Pick<CommonArgs, 'out'>, name: string, doc: unknown): void {
  if (args.out) writeFileSync(join(outDir(args), name), JSON.stringify(doc, null, 2) + '\n');
}

/** Resolves and creates the output directory: --out, else npuval-out/<UTC timestamp>. */
export function outDir(args: Pick<CommonArgs, 'out'>, now = new Date()): string {
  const dir = outPath(args, now);
  makeOutputFolder(dir);
  return dir;
}

/**
 * The output folder of a command that journals outside a suite run (serve), not created: its
 * Journal creates it when it opens, so a command refused before then leaves no empty folder. A
 * folder already holding a journal would mix two runs in one file, so it is refused (npuval run
 * has --resume).
 */
export function journalDir(args: Pick<CommonArgs, 'out'>, now = new Date()): string {
  const dir = outPath(args, now);
  if (existsSync(join(dir, 'journal.jsonl'))) {
    throw new InputError(`--out ${dir} already holds a journal.jsonl from an earlier run; choose another folder`);
  }
  return dir;
}

/** The width stdout is shown at: the terminal's when it is one, else $COLUMNS when set, else `fallback`. */
export function terminalColumns(fallback: number): number {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : fallback;
}

/** Table width on stdout when it is no terminal and $COLUMNS is unset: a wide log viewer's. */
export const TABLE_WIDTH_FALLBACK = 160;

/**
 * Left-aligned text table; cells are converted with String(), null and undefined shown as —.
 * Rows fit `width` (the terminal's, else $COLUMNS, else 160): while a row is too wide, the widest
 * text column (one with a letter in some cell; numbers are never cut) narrows, down to its header
 * or 8 characters, and its longer cells end in "…". The full values are in --json.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  width = terminalColumns(TABLE_WIDTH_FALLBACK),
): string {
  const cells = [header, ...rows].map((r) => header.map((_, i) => (r[i] === null || r[i] === undefined ? '—' : String(r[i]))));
  const widths = fitWidths(cells, width);
  const cut = (c: string, w: number) => (c.length > w ? c.slice(0, w - 1) + '…' : c);
  return cells
    .map((r, ri) => {
      const line = r
        .map((c, i) => cut(c, widths[i]!).padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
      return ri === 0 ? line + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : line;
    })
    .join('\n');
}

/** Column widths for `table`: each column's widest cell, then the widest text columns narrowed until the row fits. */
function fitWidths(cells: readonly (readonly string[])[], width: number): number[] {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const floor = cells[0]!.map((h, i) => Math.min(widths[i]!, Math.max(h.length, 8)));
  const text = cells[0]!.map((_, i) => cells.slice(1).some((r) => /\p{L}/u.test(r[i]!)));
  let over = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) - width;
  const narrowable = (j: number) => text[j]! && widths[j]! > floor[j]!;
  while (over > 0) {
    const i = widths.reduce((best, w, j) => (narrowable(j) && (best < 0 || w > widths[best]!) ? j : best), -1);
    if (i < 0) break; // nothing left to narrow: the row stays wider than the terminal
    // Narrow it to the next widest narrowable column at most, so two long columns share the cut.
    const next = Math.max(0, ...widths.map((w, j) => (j !== i && narrowable(j) ? w : 0)));
    const to = Math.max(floor[i]!, Math.min(widths[i]! - 1, Math.max(next, widths[i]! - over)));
    over -= widths[i]! - to;
    widths[i] = to;
  }
  return widths;
}
