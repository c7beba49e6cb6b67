// The shape of one CLI command module. Handlers return the exit code (undefined means 0).
import type { Argv } from 'yargs';
import type { CommonArgs } from '../output.js';

export interface Command<A = Record<string, unknown>> {
  readonly command: string | readonly string[];
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv;
  readonly handler: (args: A & CommonArgs) => Promise<number | void>;
}
