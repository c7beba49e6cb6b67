// Runs a suite for a command, with what every command shares: SIGINT or SIGTERM stops after journaling
// what finished (a second signal quits at once), the reports are written from the journal, and the exit
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

/** The signals that stop a run cleanly, and the exit status after each (128 + its number). */
export const EXIT_BY_SIGNAL = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;
export type StopSignal = keyof typeof EXIT_BY_SIGNAL;

export interface Executed {
  readonly result: RunResult;
  readonly written: WrittenReports;
  /** The finished units, in plan order. */
  readonly units: readonly UnitRecord[];
  /** 0 all passed and VALID, 1 something failed or was INVALID, 130 interrupted (SIGINT), 143 terminated (SIGTERM). */
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

/**
 * Runs the suite with SIGINT/SIGTERM handling and writes the reports. The first signal aborts the
 * run's AbortSignal (its reason is the signal's name): the unit in flight is abandoned at once and its
 * requests are cancelled; a second signal quits without the reports.
 */
export async function executeSuite(
  args: CommonArgs,
  options: Omit<RunOptions, 'signal' | 'log' | 'argv'> & { log?: (line: string) => void },
): Promise<Executed> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const onSignal = (signal: StopSignal) => {
    if (stoppedBy === null) {
      stoppedBy = signal;
      process.stderr.write(`\nnpuval: ${signal}: stopping after journaling the units that finished (send it again to quit at once)\n`);
      controller.abort(signal);
    } else {
      process.exit(EXIT_BY_SIGNAL[signal]);
    }
  };
  for (const s of Object.keys(EXIT_BY_SIGNAL) as StopSignal[]) process.on(s, onSignal);
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
      const code = EXIT_BY_SIGNAL[stoppedBy ?? 'SIGINT'];
      process.stderr.write(
        `npuval: interrupted (${stoppedBy ?? 'SIGINT'}): ${s.units} of ${s.planned} units finished and are journaled in ${result.outDir}/journal.jsonl ` +
          `(partial reports written, marked incomplete). Resume with: npuval run --resume ${result.outDir}\n`,
      );
      // A unit's native work (an ORT run, an adapter's reply) may still be winding down; do not wait for it.
      setTimeout(() => process.exit(code), 1000).unref();
      return { result, written, units, code };
    }
    const failed = s.fail + s.error + s.invalid > 0 || written.commercialization?.overall === 'fail';
    return { result, written, units, code: failed ? EXIT.failed : EXIT.ok };
  } finally {
    for (const s of Object.keys(EXIT_BY_SIGNAL) as StopSignal[]) process.off(s, onSignal);
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
