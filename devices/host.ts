// Facts about the host machine, shared by every adapter's describe().
import os from 'node:os';
import type { HostDescription } from './types.js';

export function describeHost(): HostDescription {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
  };
}
