// Output conventions shared by every command: --json prints one JSON document and nothing else
// on stdout; otherwise a human-readable text. --out DIR is where files go.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors.js';

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

/** Resolves and creates the output directory: --out, else npuval-out/<UTC timestamp>. */
export function outDir(args: Pick<CommonArgs, 'out'>, now = new Date()): string {
  const dir = outPath(args, now);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The output folder of a command that journals (llm, serve, bench, conformance, accuracy): a folder
 * already holding a journal would mix two runs in one file, so it is refused (npuval run has --resume).
 */
export function journalDir(args: Pick<CommonArgs, 'out'>, now = new Date()): string {
  const dir = outDir(args, now);
  if (existsSync(join(dir, 'journal.jsonl'))) {
    throw new InputError(`--out ${dir} already holds a journal.jsonl from an earlier run; choose another folder`);
  }
  return dir;
}

/** Left-aligned text table; cells are converted with String(). */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? '—' : String(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r, ri) => {
      const line = r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
      return ri === 0 ? line + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : line;
    })
    .join('\n');
}
