// Shared by the proc tests: the adapters' specs and the CLI with the proc adapter loaded.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SystemDep } from '../helpers/system.js';

/** The repository root (tests run compiled, from dist/test/proc). */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The reference adapter, as users write it (relative to the repository root, where the CLI runs). */
export const REFERENCE = 'proc:node adapters/ort-node/main.js';
/** The runtime-free echo adapter (test/proc/adapters/echo.ts). */
export const ECHO = 'proc:node dist/test/proc/adapters/echo.js';
/** The reference adapter behind a proxy that breaks the protocol in one way (test/proc/adapters/faulty.ts). */
export const faulty = (fault: string): string => `proc:node dist/test/proc/adapters/faulty.js ${fault}`;

/** The first python3 that imports torch and onnx: PATH's, else Debian's (a pyenv shim may shadow it). */
const python = ['python3', '/usr/bin/python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch, onnx'], { stdio: 'ignore', timeout: 60_000 }).status === 0,
);
export const torchDep: SystemDep = {
  name: 'PyTorch and onnx for python3',
  present: () => python !== undefined,
  install: 'apt-get install python3-torch python3-onnx',
};
/** The PyTorch reference adapter, always on the CPU, so results do not depend on whether this machine has a GPU. */
export const TORCH = `proc:${python ?? 'python3'} adapters/torch-py/main.py --device cpu`;

/** node bin/npuval.js: the proc: adapter and adapter-check are part of the CLI. */
function argv(args: readonly string[]): string[] {
  return [`${root}bin/npuval.js`, ...args];
}

export function npuval(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, argv(args), { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
}

export function npuvalAsync(...args: string[]): ChildProcess {
  return spawn(process.execPath, argv(args), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Child processes of `parent` whose command line contains `text` (Linux /proc). */
export function childrenMatching(parent: number, text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) out.push(Number(name));
    } catch {
      // Gone while being read.
    }
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
