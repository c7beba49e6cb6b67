// System dependencies of tests. Where one is missing a test skips with what to install;
// under NPUVAL_REQUIRE_SYSTEM=1 (set by .ci/run) it fails instead, so CI can't pass by skipping.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Test } from 'uvu';

export interface SystemDep {
  readonly name: string;
  readonly present: () => boolean;
  readonly install: string;
}

const cache = new Map<string, boolean>();
function once(name: string, check: () => boolean): () => boolean {
  return () => {
    if (!cache.has(name)) cache.set(name, check());
    return cache.get(name)!;
  };
}

function runs(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
// WebGPU tests run on SwiftShader unless the caller chose a Vulkan driver; Dawn reads this at first use.
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
export const ONNX_TESTDATA = '/usr/share/libonnx-testdata/data';

export const deps = {
  swiftshader: {
    name: 'SwiftShader Vulkan ICD',
    present: once('swiftshader', () => existsSync(SWIFTSHADER_ICD) && existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1')),
    install: 'apt-get install chromium libvulkan1',
  },
  chromium: { name: 'Chromium', present: once('chromium', () => existsSync('/usr/bin/chromium')), install: 'apt-get install chromium' },
  onnxTestdata: {
    name: 'ONNX backend test data',
    present: once('onnxTestdata', () => existsSync(ONNX_TESTDATA)),
    install: 'apt-get install libonnx-testdata',
  },
  pythonOnnx: {
    name: 'python3-onnx',
    present: once('pythonOnnx', () => runs('/usr/bin/python3', ['-c', 'import onnx'])),
    install: 'apt-get install python3-onnx',
  },
  pythonJsonschema: {
    name: 'python3-jsonschema',
    present: once('pythonJsonschema', () => runs('/usr/bin/python3', ['-c', 'import jsonschema'])),
    install: 'apt-get install python3-jsonschema',
  },
  slurm: {
    name: 'Slurm (srun)',
    present: once('slurm', () => runs('srun', ['--version']) && runs('sinfo', [])),
    install: 'apt-get install slurm-wlm munge, then start munged, slurmctld and slurmd (see .ci/run)',
  },
} satisfies Record<string, SystemDep>;

export const requireSystem = process.env.NPUVAL_REQUIRE_SYSTEM === '1';

/**
 * Registers `fn` as a test that needs `dep`. Present: runs. Missing: skipped with a message
 * naming what to install, or failed with that message under NPUVAL_REQUIRE_SYSTEM=1.
 */
export function systemTest<C>(test: Test<C>, dep: SystemDep, name: string, fn: Parameters<Test<C>>[1]): void {
  if (dep.present()) {
    test(name, fn);
  } else if (requireSystem) {
    test(name, () => {
      throw new Error(`${dep.name} is missing and NPUVAL_REQUIRE_SYSTEM=1: ${dep.install}`);
    });
  } else {
    console.log(`  skip "${name}": needs ${dep.name} (${dep.install})`);
    test.skip(name, fn);
  }
}
