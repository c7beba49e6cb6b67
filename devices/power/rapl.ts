// CPUs: Linux RAPL through the powercap sysfs tree (/sys/class/powercap/intel-rapl:N, also used
// on AMD). Each package domain has a cumulative energy counter (energy_uj) that wraps at
// max_energy_range_uj; energy is the sum of counter deltas, power each delta over its interval.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PowerReading, PowerRun, PowerSample, PowerSampler } from './types.js';

export const DEFAULT_RAPL_ROOT = '/sys/class/powercap';

/** The powercap root to read: NPUVAL_RAPL_ROOT when set (tests point it at a fake tree), else /sys/class/powercap. */
export function raplRoot(): string {
  return process.env.NPUVAL_RAPL_ROOT || DEFAULT_RAPL_ROOT;
}

interface Domain {
  readonly dir: string;
  readonly name: string;
  readonly maxRangeUj: number;
}

/** Top-level package domains (intel-rapl:N, not the sub-zones intel-rapl:N:M). */
export function raplDomains(root: string): Domain[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^intel-rapl:\d+$/.test(d))
    .sort()
    .map((d) => {
      const dir = join(root, d);
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim() : '');
      return { dir, name: read('name') || d, maxRangeUj: Number(read('max_energy_range_uj')) || 2 ** 32 };
    });
}

function readEnergyUj(domain: Domain): number {
  return Number(readFileSync(join(domain.dir, 'energy_uj'), 'utf8').trim());
}

export class RaplSampler implements PowerSampler {
  readonly name = 'rapl';
  constructor(
    readonly intervalMs = 100,
    private readonly root = raplRoot(),
  ) {}

  async check(): Promise<string | null> {
    const domains = raplDomains(this.root);
    if (domains.length === 0)
      return `no RAPL package domain under ${this.root} (no intel-rapl:N; the CPU or kernel does not expose powercap)`;
    for (const d of domains) {
      try {
        const v = readEnergyUj(d);
        if (!Number.isFinite(v)) return `${join(d.dir, 'energy_uj')} does not hold a number`;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return code === 'EACCES'
          ? `${join(d.dir, 'energy_uj')} is readable only by root (Linux restricts RAPL energy since 5.10); run as root or grant read access`
          : `${join(d.dir, 'energy_uj')} cannot be read: ${(err as Error).message}`;
      }
    }
    return null;
  }

  start(): PowerRun {
    const domains = raplDomains(this.root);
    const notes: string[] = [];
    const t0 = performance.now();
    const samples: PowerSample[] = [];
    let totalUj = 0;
    let last: { t: number; uj: number[] } | null = null;
    const read = () => {
      const t = performance.now() - t0;
      let uj: number[];
      try {
        uj = domains.map(readEnergyUj);
      } catch (err) {
        const msg = `RAPL read failed: ${(err as Error).message}`;
        if (!notes.includes(msg)) notes.push(msg);
        return;
      }
      if (last) {
        let delta = 0;
        uj.forEach((v, i) => {
          // The counter wraps at max_energy_range_uj.
          delta += v >= last!.uj[i]! ? v - last!.uj[i]! : v + domains[i]!.maxRangeUj - last!.uj[i]!;
        });
        totalUj += delta;
        const dt = t - last.t;
        // Attributed to the interval's midpoint: the power is the mean over it.
        if (dt > 0) samples.push({ tMs: last.t + dt / 2, watts: delta / 1000 / dt });
      }
      last = { t, uj };
    };
    read();
    const timer = setInterval(read, this.intervalMs);
    return {
      stop: async (): Promise<PowerReading> => {
        clearInterval(timer);
        read();
        const durationMs = performance.now() - t0;
        if (domains.length === 0) notes.push(`no RAPL package domain under ${this.root}`);
        return {
          sampler: this.name,
          source: `${this.root} (${domains.map((d) => `${d.name}`).join(' + ') || 'none'})`,
          intervalMs: this.intervalMs,
          samples,
          durationMs,
          energyJoules: samples.length > 0 ? totalUj / 1e6 : null,
          notes,
        };
      },
    };
  }
}
