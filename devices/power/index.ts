// Choosing a power sampler for a device. `auto` tries the samplers that fit the device, in order,
// and takes the first that works here; when none does, every sampler's reason is kept so the
// result can say why power was not measured.
import { NvidiaSmiSampler } from './nvidia-smi.js';
import { RaplSampler } from './rapl.js';
import { furiosaSmiSampler, rblnStatSampler } from './table-tools.js';
import type { PowerSampler } from './types.js';

export * from './types.js';
export { NvidiaSmiSampler, parseNvidiaSmiCsv } from './nvidia-smi.js';
export { RaplSampler, raplRoot, raplDomains, DEFAULT_RAPL_ROOT } from './rapl.js';
export { TableToolSampler, parsePowerTable, furiosaSmiSampler, rblnStatSampler } from './table-tools.js';

export const SAMPLER_NAMES = ['nvidia-smi', 'rapl', 'furiosa-smi', 'rbln-stat'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerOptions {
  /** Sampling interval in ms (default: 100 for nvidia-smi and RAPL, 500 for polled vendor tools). */
  readonly intervalMs?: number;
  /** Device index for the board-level tools (GPU index, npuN, rblnN); default 0. */
  readonly index?: number;
}

export function createSampler(name: SamplerName, opts: SamplerOptions = {}): PowerSampler {
  const index = opts.index ?? 0;
  switch (name) {
    case 'nvidia-smi':
      return new NvidiaSmiSampler(opts.intervalMs ?? 100, index);
    case 'rapl':
      return new RaplSampler(opts.intervalMs ?? 100);
    case 'furiosa-smi':
      return furiosaSmiSampler(`npu${index}`, opts.intervalMs ?? 500);
    case 'rbln-stat':
      return rblnStatSampler(`rbln${index}`, opts.intervalMs ?? 500);
  }
}

/**
 * The samplers that could read this device's power, most specific first. `backend` is the device's
 * backend name (an ORT EP such as cpu, cuda, tensorrt; a tfjs backend; or the adapter kind).
 */
export function candidateSamplers(backend: string): SamplerName[] {
  if (backend === 'cuda' || backend === 'tensorrt') return ['nvidia-smi'];
  if (backend === 'cpu' || backend === 'wasm' || backend === 'xnnpack') return ['rapl'];
  // Endpoints, vendor processes and other EPs: whichever vendor tool is present, then the GPU's.
  return ['furiosa-smi', 'rbln-stat', 'nvidia-smi'];
}

export type SamplerChoice =
  | { readonly sampler: PowerSampler; readonly tried: readonly string[] }
  | { readonly sampler: null; readonly reason: string };

/** The first of `names` that works here, or why none does (every sampler's reason, joined). */
export async function chooseSampler(names: readonly SamplerName[], opts: SamplerOptions = {}): Promise<SamplerChoice> {
  const reasons: string[] = [];
  for (const name of names) {
    const sampler = createSampler(name, opts);
    const why = await sampler.check();
    if (why === null) return { sampler, tried: reasons };
    reasons.push(`${name}: ${why}`);
  }
  return { sampler: null, reason: reasons.length ? reasons.join('; ') : 'no power sampler applies to this device' };
}
