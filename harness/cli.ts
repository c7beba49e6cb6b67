// The one entry point: `npuval <command>`. Each command lives in harness/commands/ and is
// listed here only once it works. Errors become one sentence and an exit code (docs/architecture.md).
// Everything it prints passes the redaction layer (harness/redact.ts); a command refused for bad
// input removes what it created (harness/durable.ts), so a rerun with the same --out is not blocked.
import { createRequire } from 'node:module';
import type { Argv, MiddlewareFunction } from 'yargs';
import { discardCreatedOutputs, forgetCreatedOutputs, writeFailure } from './durable.js';
import { exitCodeOf, EXIT, InputError } from './errors.js';
import { commands } from './commands/index.js';
import { terminalColumns } from './output.js';
import { redactStream, registerSpecSecrets } from './redact.js';

// yargs' CommonJS build, not its ES module: the ES build lays out --help with cliui's stand-in
// wrapper, which breaks lines every N characters, mid-word; the CommonJS build wraps at words.
const yargs = createRequire(import.meta.url)('yargs/yargs') as (args: readonly string[]) => Argv;

/**
 * --help width: the terminal's, else $COLUMNS, else 100 (what docs/reference/cli.md is generated
 * at), and never over 110, past which a description column is hard to read.
 */
const HELP_WIDTH = { fallback: 100, max: 110 } as const;

export async function main(argv: readonly string[]): Promise<number> {
  redactStream(process.stdout);
  redactStream(process.stderr);
  // A device spec's credentials on the command line are masked in everything this run prints and records.
  for (const arg of argv) registerSpecSecrets(arg);
  forgetCreatedOutputs();
  const code = await runCommand(argv);
  if (code === EXIT.input) discardCreatedOutputs();
  return code;
}

async function runCommand(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  // Runtimes' native warnings (ORT, and Dawn through it) go to fd 2, where npuval cannot catch them
  // to put them in a device's notes; they stay silent unless --verbose (docs/devices.md).
  if (verbose) process.env.NPUVAL_ORT_LOG = '1';
  let usageError: string | null = null;
  let exitCode: number = EXIT.ok;
  const parser: Argv = yargs([...argv])
    .scriptName('npuval')
    .usage('npuval — benchmarking and validation harness for AI accelerators\n\nUsage: npuval <command> [options]')
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document on stdout and nothing else' })
    .option('out', { type: 'string', describe: 'Output directory for journal and reports (default npuval-out/<UTC timestamp>)' })
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: "Show stack traces on errors, and ONNX Runtime's native warnings on stderr",
    })
    .strict()
    .middleware(refuseRepeatedOptions as unknown as MiddlewareFunction, true)
    .middleware(refuseNotANumber as unknown as MiddlewareFunction, true)
    .demandCommand(1, 'Name a command; see npuval --help.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(HELP_WIDTH.max, terminalColumns(HELP_WIDTH.fallback)))
    .epilog(
      'Exit codes: 0 success; 1 the run finished but something failed, was INVALID or regressed; 2 bad input; 3 environment (device or dependency missing, or an output the system would not write); 70 internal error (a bug: please report it with the --verbose output); 130 interrupted (SIGINT), 143 terminated (SIGTERM), partial reports written.',
    )
    .fail((msg, err) => {
      if (err) throw err;
      // Throw, not just record: yargs runs the command's handler after a fail() that returns,
      // so an unknown option would otherwise be reported only after the whole run.
      usageError = msg.replace(/:?\s*\n\s*/g, ': ').trim(); // yargs' "Invalid values:\n  Argument: …" on one line
      // recommendCommands' "Did you mean report?" alone does not say what was wrong.
      if (/^Did you mean/.test(usageError)) usageError = `unknown command "${String(argv.find((a) => !a.startsWith('-')))}"; ${usageError}`;
      throw new InputError(usageError);
    });
  for (const command of commands) {
    parser.command({
      ...command,
      handler: async (args) => {
        exitCode = (await command.handler(args as never)) ?? EXIT.ok;
      },
    });
  }
  try {
    await parser.parseAsync();
  } catch (err) {
    if (usageError !== null) {
      process.stderr.write(`npuval: ${usageError}\n`);
      return EXIT.input;
    }
    return reportError(err, verbose);
  }
  if (usageError !== null) {
    process.stderr.write(`npuval: ${usageError}\n`);
    return EXIT.input;
  }
  return exitCode;
}

/**
 * yargs turns a one-value option given twice into an array, which reaches the command as
 * "ort:cpu,ort:cpu"; refuse it, naming the option. Options that take several are declared `array`.
 * (`parser` is yargs' second middleware argument, which @types/yargs leaves out.)
 */
function refuseRepeatedOptions(args: Readonly<Record<string, unknown>>, parser: { getOptions(): { array: string[] } }): void {
  const several = new Set(parser.getOptions().array);
  // Flags as written: not the camelCase and one-letter aliases yargs adds beside them.
  const twice = Object.keys(args).find(
    (key) => key.length > 1 && !/[A-Z]/.test(key) && Array.isArray(args[key]) && !several.has(key) && key !== '_',
  );
  if (twice) throw new InputError(`--${twice} was given ${(args[twice] as unknown[]).length} times; it takes one value`);
}

/** yargs turns `--seed abc` for a number option into NaN, which would surface deep in a run; refuse it here, naming the flag. */
function refuseNotANumber(args: Readonly<Record<string, unknown>>, parser: { getOptions(): { number: string[] } }): void {
  for (const key of parser.getOptions().number) {
    const v = args[key];
    if (key.length > 1 && !/[A-Z]/.test(key) && (Number.isNaN(v) || (Array.isArray(v) && v.some(Number.isNaN))))
      throw new InputError(`--${key} must be a number`);
  }
}

function reportError(thrown: unknown, verbose: boolean): number {
  // A write the system refused (no space, quota, file-size limit, read-only): exit 3 naming the file.
  const err = writeFailure(thrown);
  const code = exitCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== null) {
    process.stderr.write(`npuval: ${message}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return code;
  }
  // Not an expected failure: say so plainly; the stack is there with --verbose.
  process.stderr.write(`npuval: internal error: ${message}${verbose ? '' : ' (run with --verbose for the stack trace)'}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return EXIT.internal;
}
