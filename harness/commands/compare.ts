// `npuval compare BASELINE CANDIDATE`: per-metric deltas with each metric's direction; exit 1
// when any metric regressed by more than --max-regression percent.
import type { Argv } from 'yargs';
import { compareReports } from '../../reports/compare.js';
import { formatValue } from '../../reports/metrics.js';
import { EXIT, InputError } from '../errors.js';
import { emit, keepJson, table } from '../output.js';
import { PUBLIC_KEY_ENV, readRunReport } from './report-trust.js';
import type { Command } from './types.js';

interface CompareArgs {
  baseline: string;
  candidate: string;
  'max-regression': number;
  'public-key'?: string;
}

export const compareCommand: Command<CompareArgs> = {
  command: 'compare <baseline> <candidate>',
  describe:
    'Compare two report.json files metric by metric (lower latency, higher throughput are better); exit 1 on a regression over the threshold',
  builder: (y: Argv) =>
    y
      .positional('baseline', { type: 'string', describe: 'The reference report.json' })
      .positional('candidate', { type: 'string', describe: 'The report.json to judge' })
      .option('max-regression', { type: 'number', default: 5, describe: 'Largest change for the worse allowed, in percent, per metric' })
      .option('public-key', {
        type: 'string',
        describe: `Refuse (exit 2) a report whose detached signature (FILE.sig) does not verify with this ed25519 public key (PEM); default: $${PUBLIC_KEY_ENV}`,
      })
      .example('npuval compare gpu/report.json npu/report.json --max-regression 10', ''),
  handler: async (args) => {
    const threshold = args['max-regression'];
    if (!Number.isFinite(threshold) || threshold < 0)
      throw new InputError(`--max-regression ${threshold} is not a non-negative number of percent`);
    // Both must pass `report validate` (and, with a trusted key, their signature checks) before any figure is compared.
    const { report: base } = readRunReport(args.baseline, { publicKey: args['public-key'] });
    const { report: cand } = readRunReport(args.candidate, { publicKey: args['public-key'] });
    const c = compareReports(base, cand, threshold);
    keepJson(args, 'compare.json', c);
    emit(args, c, () => {
      const rows = c.deltas
        .filter((d) => d.direction !== 'neutral')
        .map((d) => [
          d.unit === d.baselineUnit ? d.unit : `${d.unit} (vs ${d.baselineUnit})`,
          d.metric,
          formatValue(d.metric, d.baseline),
          formatValue(d.metric, d.candidate),
          d.deltaPct === null ? '—' : `${d.deltaPct >= 0 ? '+' : ''}${d.deltaPct.toFixed(1)} %`,
          `${d.direction} is better`,
          d.regressed ? 'REGRESSION' : '',
        ]);
      const lines = [table(['unit', 'metric', 'baseline', 'candidate', 'change', 'direction', ''], rows)];
      if (c.onlyInBaseline.length) lines.push(`only in the baseline: ${c.onlyInBaseline.join(', ')}`);
      if (c.onlyInCandidate.length) lines.push(`only in the candidate: ${c.onlyInCandidate.join(', ')}`);
      lines.push(c.regressions.length ? `${c.regressions.length} regression(s) over ${threshold} %` : `no regression over ${threshold} %`);
      return lines.join('\n');
    });
    return c.regressions.length ? EXIT.failed : EXIT.ok;
  },
};
