// The one entry point: `npuval <command>`. Each command lives in harness/commands/ and is
// listed here only once it works. Errors become one sentence and an exit code (DESIGN.md).
import yargs, { type Argv } from 'yargs';
import { exitCodeOf, EXIT, InputError } from './errors.js';
import { commands } from './commands/index.js';

export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let usageError: string | null = null;
  let exitCode: number = EXIT.ok;
  const parser: Argv = yargs([...argv])
    .scriptName('npuval')
    .usage('npuval — benchmarking and validation harness for AI accelerators\n\nUsage: npuval <command> [options]')
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document on stdout and nothing else' })
    .option('out', { type: 'string', describe: 'Output directory for journal and reports (default npuval-out/<UTC timestamp>)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces and runtime logs on errors' })
    .strict()
    .demandCommand(1, 'Name a command; see npuval --help.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilog('Exit codes: 0 success; 1 the run finished but something failed or regressed; 2 bad input; 3 environment (device or dependency missing).')
    .fail((msg, err) => {
      if (err) throw err;
      // Throw, not just record: yargs runs the command's handler after a fail() that returns,
      // so an unknown option would otherwise be reported only after the whole run.
      usageError = msg.replace(/:?\s*\n\s*/g, ': ').trim(); // yargs' "Invalid values:\n  Argument: …" on one line
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

function reportError(err: unknown, verbose: boolean): number {
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
  return EXIT.failed;
}
