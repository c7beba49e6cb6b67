// `npuval adapter-check proc:<command>`: checks a vendor adapter against devices/PROTOCOL.md and prints
// one row per check (--json: the report). Exit 0 when every check passed (or was skipped), 1 when any
// failed, 2 for a spec that is not a proc: command.
import type { Argv } from 'yargs';
import { adapterArgv, CHECK_DOCS, type CheckName, CHECKS, checkAdapter } from '../adapter-check/index.js';
import { EXIT, InputError } from '../errors.js';
import { emit, table } from '../output.js';
import type { Command } from './types.js';

interface AdapterCheckArgs {
  spec: string;
  timeout: number;
  'large-mb': number;
  check?: string[];
}

export const adapterCheckCommand: Command<AdapterCheckArgs> = {
  command: 'adapter-check <spec>',
  describe:
    'Check a proc: vendor adapter against the process protocol (devices/PROTOCOL.md): handshake, versions, element types, a large tensor, pipelining, malformed and error frames, crash and hang recovery, shutdown',
  builder: (y: Argv) =>
    y
      .positional('spec', { type: 'string', describe: 'The adapter as a device spec: proc:<command> [args…]' })
      .option('timeout', {
        type: 'number',
        default: 30,
        describe: 'Seconds any one reply may take; also the run timeout of the hang check',
      })
      .option('large-mb', { type: 'number', default: 256, describe: 'Size of the large-tensor check in MiB (through the pipe both ways)' })
      .option('check', { type: 'string', array: true, describe: `Run only these checks (and what they need): ${CHECKS.join(', ')}` })
      .example("npuval adapter-check 'proc:node adapters/ort-node/main.js'", 'the reference adapter')
      .example("npuval adapter-check 'proc:python3 -m vendor_npu.adapter --card 0' --json", 'a vendor adapter, as JSON')
      .epilog(`Checks:\n${CHECKS.map((c) => `  ${c}: ${CHECK_DOCS[c]}`).join('\n')}`),
  handler: async (args) => {
    adapterArgv(args.spec);
    if (!(args.timeout > 0) || !Number.isFinite(args.timeout))
      throw new InputError(`--timeout ${args.timeout} is not a positive number of seconds`);
    if (!(args['large-mb'] > 0) || !Number.isFinite(args['large-mb']))
      throw new InputError(`--large-mb ${args['large-mb']} is not a positive number of MiB`);
    const unknown = (args.check ?? []).filter((c) => !(CHECKS as readonly string[]).includes(c));
    if (unknown.length) throw new InputError(`--check ${unknown.join(', ')}: no such check; the checks are ${CHECKS.join(', ')}`);
    const report = await checkAdapter({
      spec: args.spec,
      timeoutMs: Math.round(args.timeout * 1000),
      largeBytes: Math.round(args['large-mb'] * (1 << 20)),
      ...(args.check?.length ? { only: args.check as CheckName[] } : {}),
      log: args.json ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    emit(args, report, () => {
      const rows = report.rows.map((r) => [
        r.check,
        r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'FAIL' : 'skip',
        `${(r.ms / 1000).toFixed(1)} s`,
        r.detail,
      ]);
      const who = report.adapter ? `${report.adapter.name} ${report.adapter.version} (protocol ${report.adapter.protocol})` : 'the adapter';
      const passed = report.rows.filter((r) => r.status === 'pass').length;
      return `${table(['check', 'result', 'time', 'detail'], rows)}\n\n${who}: ${passed} passed, ${report.failed} failed, ${report.rows.length - passed - report.failed} skipped`;
    });
    return report.failed > 0 ? EXIT.failed : EXIT.ok;
  },
};
