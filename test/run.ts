// Test entry point (`npm test`): runs every compiled *.test.js under dist/test in its own
// process (an EP that aborts takes down one file, not the run), sums uvu's counts and ends
// with the line CI reads: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const sourceRoot = fileURLToPath(new URL('../../test/', import.meta.url));
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'bench' ? [] : findTests(path);
    // dist/ keeps outputs of deleted sources (tsc never removes files): run only tests whose .ts still exists.
    return name.endsWith('.test.js') && existsSync(join(sourceRoot, relative(root, path)).replace(/\.js$/, '.ts')) ? [path] : [];
  });
}

const env = { ...process.env };
// The WebGPU EP needs a Vulkan driver; SwiftShader (Debian chromium) is one that runs on any CPU.
if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) env.VK_ICD_FILENAMES = SWIFTSHADER;

let passed = 0,
  failed = 0,
  skipped = 0;
const broken: string[] = [];
for (const file of findTests(root).sort()) {
  const name = relative(root, file);
  if (filter && !filter.test(name)) continue;
  const started = Date.now();
  const r = spawnSync(process.execPath, [file], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  process.stdout.write(out.replace(/^\s*\n/gm, ''));
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    // The file crashed before uvu could count: one failure, with its exit status.
    failed += 1;
    broken.push(`${name} (exit ${r.status ?? r.signal})`);
    continue;
  }
  // uvu's Total leaves skipped tests out (2 run + 1 skipped prints Total 2, Skipped 1), so the
  // failures are Total − Passed; subtracting the skips too went negative and hid other files' failures.
  const fails = total - ok;
  passed += ok;
  skipped += skip;
  failed += fails;
  if (r.status !== 0 && fails === 0) {
    failed += 1;
    broken.push(`${name} (exit ${r.status ?? r.signal} after its tests)`);
  }
  process.stdout.write(`  ${name}: ${ok}/${total} passed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
if (broken.length) process.stdout.write(`\nTest files that crashed: ${broken.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exitCode = failed > 0 ? 1 : 0;
