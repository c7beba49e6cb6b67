// Runs a suite for a command, with what every command shares: SIGINT stops after journaling what
// finished (a second SIGINT quits at once), the reports are written from the journal, and the exit
// code says how it went. `npuval run` runs the suite it is given; `bench`, `llm`, `accuracy`,
// `conformance` and `micro` build a one-unit suite from their flags (oneUnitSuite) and run it here,
// so every command writes the same report.json, report.md, report.html, junit.xml and results.csv.
import type { Options } from 'yargs';
import { checkOnnxHeader } from '../../models/header.js';
import { isModelPath } from '../../models/resolve.js';
import type { UnitRecord } from '../../reports/types.js';
import { EXIT, InputError } from '../errors.js';
import { emit, type CommonArgs } from '../output.js';
import { runSuite, type RunOptions, type RunResult } from '../run/orchestrate.js';
import { writeReports, type WrittenReports } from '../run/outputs.js';
import type { Suite, SuiteUnit } from '../run/suite.js';
import { checkFlags, settingOptions, settingsFromArgs } from '../workloads/settings.js';
import { workloadOf } from '../workloads/registry.js';

/** Exit status after SIGINT, as shells report a process ended by it. */
export const EXIT_INTERRUPTED = EXIT.interrupted;

export interface Executed {
  readonly result: RunResult;
  readonly written: WrittenReports;
  /** The finished units, in plan order. */
  readonly units: readonly UnitRecord[];
  /** 0 all passed and VALID, 1 something failed or was INVALID, 130 interrupted. */
  readonly code: number;
}

/** The yargs options generated from a kind's declared settings (those with a CLI flag). */
export function workloadOptions(kind: string): Record<string, Options> {
  return settingOptions(workloadOf(kind).settings);
}

/** A suite of units of one kind from a command's flags: the settings come from the flags the kind declares. */
export function oneUnitSuite(
  command: string,
  kind: string,
  args: Readonly<Record<string, unknown>>,
  units: readonly Omit<SuiteUnit, 'kind'>[],
  seed: number,
): Suite {
  checkFlags(workloadOf(kind).settings, args);
  const settings = settingsFromArgs(workloadOf(kind).settings, args);
  // A model file is checked here, so its sentence names the flag rather than the command's own suite.
  for (const u of units) {
    const devices = Array.isArray(u.devices) ? u.devices : [];
    if (u.model === undefined || !isModelPath(u.model) || devices.some((d) => d.startsWith('endpoint:'))) continue;
    try {
      checkOnnxHeader(u.model);
    } catch (err) {
      throw new InputError(`--model: ${(err as Error).message}`);
    }
  }
  return {
    name: `npuval-${command}`,
    description: `npuval ${command}, as a suite of its own`,
    seed,
    units: units.map((u) => ({ ...u, kind, settings: { ...settings, ...(u.settings ?? {}) } }) as SuiteUnit),
  };
}

/** Runs the suite with SIGINT handling and writes the reports. */
export async function executeSuite(
  args: CommonArgs,
  options: Omit<RunOptions, 'signal' | 'log' | 'argv'> & { log?: (line: string) => void },
): Promise<Executed> {
  const controller = new AbortController();
  let signals = 0;
  const onSigint = () => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write('\nnpuval: SIGINT: stopping after journaling the units that finished (press Ctrl-C again to quit at once)\n');
      controller.abort();
    } else {
      process.exit(EXIT_INTERRUPTED);
    }
  };
  process.on('SIGINT', onSigint);
  const log =
    options.log ??
    ((line: string) => {
      if (line && !args.json) process.stderr.write(`npuval: ${line}\n`);
    });
  try {
    const result = await runSuite({ ...options, argv: process.argv.slice(2), log, signal: controller.signal });
    const written = await writeReports(result.outDir, result.state, result.inputs);
    for (const note of written.notes) log(note);
    const units = written.report.units;
    const s = written.report.summary;
    if (result.interrupted) {
      process.stderr.write(
        `npuval: interrupted: ${s.units} of ${s.planned} units finished and are journaled in ${result.outDir}/journal.jsonl ` +
          `(partial reports written). Resume with: npuval run --resume ${result.outDir}\n`,
      );
      // A unit's native work may still be winding down; do not wait for it.
      setTimeout(() => process.exit(EXIT_INTERRUPTED), 1000).unref();
      return { result, written, units, code: EXIT_INTERRUPTED };
    }
    const failed = s.fail + s.error + s.invalid > 0 || written.commercialization?.overall === 'fail';
    return { result, written, units, code: failed ? EXIT.failed : EXIT.ok };
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * A one-unit command's unit that ended in bad input (exit 2) or a missing resource (exit 3) is the
 * command's own error, as it was before commands became suites: say it in one sentence with that code.
 */
export function raiseUnitError(units: readonly UnitRecord[]): void {
  for (const u of units) {
    if (u.error?.exitCode === 2) throw new InputError(u.error.message);
    // A unit is skipped when its device (or a resource it needs) is unavailable here.
    if (u.status === 'skipped')
      throw Object.assign(new Error((u.notes[0] ?? 'not run here').replace(/^not run here: /, '')), { exitCode: EXIT.environment });
  }
}

/** --json for one-unit commands: where the reports are, the summary, and each unit's native result. */
export function emitUnits(args: CommonArgs, e: Executed, extra: Record<string, unknown>, text: () => string): void {
  const s = e.written.report.summary;
  emit(args, { outDir: e.result.outDir, files: e.written.files, summary: s, ...extra }, () =>
    [
      text(),
      '',
      `${s.units}/${s.planned} units: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped; reports in ${e.result.outDir}`,
    ].join('\n'),
  );
}
