// Native runtime messages on stderr (docs/devices.md#runtime-messages-on-stderr): without a usable
// Vulkan driver ort:webgpu is unavailable without starting Dawn, so Dawn prints nothing; ONNX
// Runtime's warnings appear only with --verbose.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/cli.js';
import { deps, SWIFTSHADER_ICD, systemTest } from '../helpers/system.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-runtime-messages-'));

function npuvalWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [repoRoot + 'bin/npuval.js', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  // Every line on stderr that npuval did not write itself: a runtime's own.
  return { ...r, foreign: r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npuval:')) };
}

test('no usable Vulkan driver: ort:webgpu is unavailable with the reason, and stderr holds no Dawn warning', () => {
  const bogus = join(dir, 'bogus_icd.json');
  writeFileSync(
    bogus,
    JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: '/nonexistent/libvulkan_bogus.so', api_version: '1.3.0' } }),
  );
  for (const [icd, reason] of [
    [join(dir, 'missing.json'), /no Vulkan driver: no ICD file exists at/],
    [bogus, /no Vulkan driver: .*bogus_icd\.json names \/nonexistent\/libvulkan_bogus\.so, which does not exist/],
  ] as const) {
    const r = npuvalWith({ VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: '' }, 'devices', '--device', 'ort:webgpu', '--json');
    assert.is(r.status, 3, r.stderr);
    const [webgpu] = (JSON.parse(r.stdout) as { devices: { available: boolean; reason: string }[] }).devices;
    assert.is(webgpu!.available, false);
    assert.match(webgpu!.reason, reason);
    assert.equal(r.foreign, [], r.stderr);
  }
});

systemTest(test, deps.swiftshader, "ONNX Runtime's warnings reach stderr only with --verbose", () => {
  const run = (...extra: string[]) =>
    npuvalWith(
      { VK_ICD_FILENAMES: SWIFTSHADER_ICD },
      'bench',
      '--device',
      'ort:webgpu',
      '--model',
      'tiny-bert',
      '--min-duration',
      '0.05',
      '--min-queries',
      '1',
      '--warmup',
      '0',
      '--out',
      join(dir, `bench${extra.length}`),
      ...extra,
    );
  // Too short to be VALID (exit 1), which does not matter here: the run finished.
  const quiet = run();
  assert.ok(quiet.status === 0 || quiet.status === 1, quiet.stderr);
  assert.equal(quiet.foreign, [], quiet.stderr);
  const verbose = run('--verbose');
  assert.ok(verbose.status === 0 || verbose.status === 1, verbose.stderr);
  assert.ok(
    verbose.foreign.some((l) => /\[W:onnxruntime/.test(l)),
    verbose.stderr,
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
