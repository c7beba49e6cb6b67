// What the report records about where it ran: host, runtimes, drivers, the environment variables
// that change results, the tool's version and git commit, and each device's description.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogEntry } from '../../devices/catalog.js';
import { describeHost } from '../../devices/host.js';
import { bundledEps, ortVersion } from '../../devices/index.js';
import type { Availability, DeviceDescription } from '../../devices/types.js';
import type { DeviceEntry, EnvironmentInfo } from '../../reports/types.js';
import { isSecretEnvName } from '../redact.js';

/** Variables known to change numerics or speed; any name matching is recorded with its value. */
const RESULT_VARIABLES = [
  /^VK_/,
  /^OMP_/,
  /^ORT_/,
  /^ONNXRUNTIME_/,
  /^MKL_/,
  /^OPENBLAS_/,
  /^CUDA_/,
  /^NVIDIA_/,
  /^HIP_/,
  /^ROCR_/,
  /^RBLN_/,
  /^FURIOSA_/,
  /^NPUVAL_/,
  /^UV_THREADPOOL_SIZE$/,
  /^NODE_OPTIONS$/,
  /^LANG$/,
  /^LC_ALL$/,
  /^LD_LIBRARY_PATH$/,
];

export function resultVariables(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    // Never recorded, whatever the prefix: reports are shared (a secret-looking name, or one a device spec names with apiKeyEnv).
    if (isSecretEnvName(name)) continue;
    if (RESULT_VARIABLES.some((re) => re.test(name)) && env[name] !== undefined) out[name] = env[name]!;
  }
  return out;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'npuval') return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function toolInfo(): { name: 'npuval'; version: string; gitCommit: string | null } {
  const root = packageRoot();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 5000 });
  const commit = git.status === 0 ? git.stdout.trim() : '';
  return { name: 'npuval', version, gitCommit: /^[0-9a-f]{7,64}$/.test(commit) ? commit : null };
}

/** Keeps exactly the fields of DeviceDescription the report schema lists (adapters may add more). */
export function normalizeDescription(d: DeviceDescription): DeviceDescription {
  return {
    id: d.id,
    kind: d.kind,
    vendor: d.vendor ?? null,
    model: d.model ?? null,
    runtime: { name: d.runtime.name, version: d.runtime.version },
    backend: { name: d.backend.name, options: Object.fromEntries(Object.entries(d.backend.options).map(([k, v]) => [k, String(v)])) },
    driver: d.driver ? { name: d.driver.name, detail: d.driver.detail } : null,
    host: {
      hostname: d.host.hostname,
      os: d.host.os,
      arch: d.host.arch,
      cpuModel: d.host.cpuModel,
      cores: d.host.cores,
      memoryBytes: d.host.memoryBytes,
      node: d.host.node,
    },
    catalogId: d.catalogId ?? null,
    notes: [...d.notes],
  };
}

export function deviceEntry(a: Availability): DeviceEntry {
  const description = a.description ? normalizeDescription(a.description) : null;
  let catalog: Record<string, unknown> | null = null;
  if (description?.catalogId) {
    try {
      catalog = JSON.parse(JSON.stringify(catalogEntry(description.catalogId))) as Record<string, unknown>;
    } catch {
      catalog = null;
    }
  }
  return { spec: a.id, available: a.available, reason: a.reason, description, catalog };
}

export function environmentInfo(devices: readonly DeviceEntry[]): EnvironmentInfo {
  const h = describeHost();
  return {
    host: { hostname: h.hostname, os: h.os, arch: h.arch, cpuModel: h.cpuModel, cores: h.cores, memoryBytes: h.memoryBytes },
    node: process.version,
    ort: { version: ortVersion(), bundledEps: bundledEps() },
    executionProviders: devices
      .filter((d) => d.description)
      .map((d) => ({ device: d.spec, backend: d.description!.backend.name, options: { ...d.description!.backend.options } })),
    drivers: devices
      .filter((d) => d.description?.driver)
      .map((d) => ({ device: d.spec, name: d.description!.driver!.name, detail: d.description!.driver!.detail })),
    variables: resultVariables(),
  };
}
