// Benchmark entry point (`npm run bench`): runs every compiled *.bench.js under dist/test/bench,
// each in its own process, one after another (benchmarks must not share the machine's 2 cores).
// A file name filter may be given: `node dist/test/bench/run.js scenarios`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
const files = readdirSync(root)
  .filter((f) => f.endsWith('.bench.js') && (!filter || filter.test(f)))
  .sort();
if (files.length === 0) process.stdout.write(`no benchmarks${filter ? ` matching ${filter}` : ''} under ${root}\n`);
const failed: string[] = [];
for (const file of files) {
  process.stdout.write(`\n## ${file.replace(/\.js$/, '')}\n\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, file)], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${file} (exit ${r.status ?? r.signal})`);
  process.stdout.write(`\n(${file}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
if (failed.length) process.stdout.write(`\nBenchmarks that failed: ${failed.join(', ')}\n`);
process.exitCode = failed.length ? 1 : 0;
