// What nvidia-smi says about an NVIDIA GPU: name, driver, memory. Used by describe() to name the
// hardware and map it to its catalog entry. Absent nvidia-smi simply means "no NVIDIA GPU info".
import { spawnSync } from 'node:child_process';

export interface NvidiaGpu {
  readonly index: number;
  readonly name: string;
  readonly driver: string;
  readonly memoryMiB: number | null;
}

/** Parses `nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiGpus(text: string): NvidiaGpu[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, name, driver, memory] = line.split(',').map((c) => c.trim());
      return {
        index: Number(index),
        name: name ?? '',
        driver: driver ?? '',
        memoryMiB: memory && /^\d+$/.test(memory) ? Number(memory) : null,
      };
    })
    .filter((g) => Number.isInteger(g.index) && g.name !== '');
}

export function queryNvidiaGpus(): NvidiaGpu[] {
  const r = spawnSync('nvidia-smi', ['--query-gpu=index,name,driver_version,memory.total', '--format=csv,noheader,nounits'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.status === 0 ? parseNvidiaSmiGpus(r.stdout) : [];
}
