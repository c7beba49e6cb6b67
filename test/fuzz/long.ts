// `npm run fuzz`: the long fuzzing run, 10,000 inputs per reader by default, one reader after another
// (the machine's cores are shared). Prints the figures table docs/reliability.md records; with
// --save, every crash or hang is written to test/fixtures/fuzz/<target>/ for fuzz.test.ts to replay.
// Exit 1 when anything crashed or hung.
//   node dist/test/fuzz/long.js [--inputs N] [--seed S] [--target NAME] [--save]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { campaign, type CampaignResult } from './engine.js';
import { TARGETS } from './targets.js';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    target: { type: 'string' },
    save: { type: 'boolean', default: false },
  },
});
const count = Number(values.inputs);
const seed = Number(values.seed);
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/fuzz/', import.meta.url));

const results: CampaignResult[] = [];
for (const target of TARGETS.filter((t) => !values.target || t.name === values.target)) {
  process.stderr.write(`${target.name}: ${target.reads}\n`);
  const r = await campaign(target, { seed, count }, { onProgress: (n) => n % 1000 === 0 && process.stderr.write(`  ${n}/${count}\n`) });
  results.push(r);
  for (const f of [...r.crashes, ...r.hangs]) {
    process.stderr.write(`  ${f.kind} at input ${f.i}: ${f.message}\n`);
    if (values.save) {
      mkdirSync(join(FIXTURES, target.name), { recursive: true });
      writeFileSync(join(FIXTURES, target.name, `${f.kind}-seed${seed}-${f.i}.bin`), f.input);
    }
  }
}

const rows = results.map((r) => [
  r.target,
  String(r.inputs),
  String(r.ok),
  String(r.rejected),
  String(r.crashes.length),
  String(r.hangs.length),
  String(r.distinctErrors),
  (r.inputs / r.seconds).toFixed(0),
]);
const head = ['target', 'inputs', 'read', 'rejected', 'crashes', 'hangs', 'distinct errors', 'inputs/s'];
process.stdout.write(
  `fuzzing, seed ${seed}, ${new Date().toISOString().slice(0, 10)}, node ${process.version}\n\n` +
    [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n') +
    '\n',
);
process.exitCode = results.some((r) => r.crashes.length + r.hangs.length > 0) ? 1 : 0;
