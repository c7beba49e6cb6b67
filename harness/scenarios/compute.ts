// Effective compute and the roofline of a scenario run: model FLOPs (analytic for zoo models, or
// the user's --flops) × the measured sample rate, against the catalog's peak at the run's precision;
// with bytes per sample (--bytes), the arithmetic intensity and where the run sits under the
// roofline min(peak, intensity × catalog memory bandwidth). Catalog figures are cited facts.
import type { PeakInfo } from './run.js';

/** Where a per-sample figure came from: the zoo's cost model, or the user (--flops / --bytes). */
export type CostSource = 'analytic' | 'user-supplied';

/** What the workload knows of one sample's cost. */
export interface SampleCost {
  readonly flopsPerSample: number | null;
  readonly flopsSource: CostSource | null;
  readonly bytesPerSample: number | null;
}

export interface Roofline {
  /** FLOPs per byte moved: flopsPerSample / bytesPerSample. */
  readonly arithmeticIntensity: number;
  /** The catalog's memory bandwidth (a cited fact), or null with the reason in the compute note. */
  readonly peakBandwidthTBs: number | null;
  readonly bandwidthSource: string | null;
  /** Intensity where the memory and compute roofs meet: peak TFLOP/s / peak TB/s. */
  readonly ridgePoint: number | null;
  /** The roof at this intensity: min(peak TFLOP/s, intensity × peak TB/s). */
  readonly attainableTflops: number | null;
  readonly boundBy: 'memory' | 'compute' | null;
  /** effective / attainable, 0–1. */
  readonly ofAttainable: number | null;
}

/** Effective compute: FLOPs × the measured sample rate, and its share of the catalog peak. */
export interface EffectiveCompute {
  readonly flopsPerSample: number | null;
  readonly flopsSource: CostSource | null;
  /** flopsPerSample × metric samples/s, in TFLOP/s; null when FLOPs are unknown. */
  readonly effectiveTflops: number | null;
  /** The catalog's peak (a cited fact, not a measurement), or null with the reason in `note`. */
  readonly peakTflops: number | null;
  readonly peakSource: string | null;
  /** effective / peak, 0–1; null when either is unknown. */
  readonly utilization: number | null;
  readonly bytesPerSample: number | null;
  readonly bytesSource: 'user-supplied' | null;
  /** bytesPerSample × metric samples/s. */
  readonly achievedBytesPerSecond: number | null;
  /** With FLOPs and bytes per sample; null otherwise. */
  readonly roofline: Roofline | null;
  readonly note: string | null;
}

/** How a report names a per-sample figure's source. */
export function costLabel(source: CostSource | null, flag: '--flops' | '--bytes'): string {
  return source === 'analytic' ? 'analytic (zoo cost model)' : source === 'user-supplied' ? `user-supplied (${flag})` : 'not given';
}

export function effectiveCompute(c: SampleCost, samplesPerSecond: number | null, peak: PeakInfo | undefined): EffectiveCompute {
  const { flopsPerSample, bytesPerSample } = c;
  const effective = flopsPerSample !== null && samplesPerSecond !== null ? (flopsPerSample * samplesPerSecond) / 1e12 : null;
  const notes: string[] = [];
  if (flopsPerSample === null) notes.push('not measured: FLOPs of a user model are unknown; pass --flops (setting flopsPerSample)');
  let peakTflops: number | null = null;
  let peakSource: string | null = null;
  if (!peak) notes.push('no catalog peak was looked up for this device');
  else if (peak.entry === null) notes.push(peak.reason);
  else {
    peakTflops = peak.tflops;
    peakSource = `catalog ${peak.entry}, ${peak.precision} peak (${peak.source})`;
  }
  let roofline: Roofline | null = null;
  if (flopsPerSample !== null && bytesPerSample !== null) {
    const ai = flopsPerSample / bytesPerSample;
    const bw = peak?.entry ? (peak.bandwidthTBs ?? null) : null;
    if (peak?.entry && bw === null) notes.push(`catalog ${peak.entry} has no memory bandwidth, so the roofline has no memory roof`);
    const attainable = peakTflops !== null && bw !== null ? Math.min(peakTflops, ai * bw) : null;
    roofline = {
      arithmeticIntensity: ai,
      peakBandwidthTBs: bw,
      bandwidthSource:
        bw === null || !peak?.entry ? null : `catalog ${peak.entry}, memory bandwidth (${peak.bandwidthSource ?? 'no source'})`,
      ridgePoint: peakTflops !== null && bw !== null ? peakTflops / bw : null,
      attainableTflops: attainable,
      boundBy: attainable === null ? null : ai * bw! < peakTflops! ? 'memory' : 'compute',
      ofAttainable: attainable !== null && effective !== null ? effective / attainable : null,
    };
  } else if (bytesPerSample !== null) notes.push('no roofline position without FLOPs per sample (--flops)');
  return {
    flopsPerSample,
    flopsSource: flopsPerSample === null ? null : c.flopsSource,
    effectiveTflops: effective,
    peakTflops,
    peakSource,
    utilization: effective !== null && peakTflops ? effective / peakTflops : null,
    bytesPerSample,
    bytesSource: bytesPerSample === null ? null : 'user-supplied',
    achievedBytesPerSecond: bytesPerSample !== null && samplesPerSecond !== null ? bytesPerSample * samplesPerSecond : null,
    roofline,
    note: notes.length ? notes.join('; ') : null,
  };
}

/** The compute lines of a report: FLOPs and their source, effective compute, utilization, roofline. */
export function computeLines(c: EffectiveCompute, fmtFlops: (flopsPerSecond: number) => string): string[] {
  const out: string[] = [];
  out.push(
    c.flopsPerSample === null
      ? 'effective compute : not measured (FLOPs of a user model are unknown; pass --flops)'
      : `effective compute : ${c.effectiveTflops === null ? 'not computed' : fmtFlops(c.effectiveTflops * 1e12)} (${c.flopsPerSample.toExponential(3)} FLOPs per sample, ${costLabel(c.flopsSource, '--flops')}, × measured samples/s)`,
  );
  out.push(
    `utilization : ${c.utilization === null ? 'n/a' : `${(c.utilization * 100).toFixed(2)} % of ${c.peakTflops} TFLOP/s, ${c.peakSource}`}`,
  );
  if (c.bytesPerSample !== null) {
    out.push(
      `memory traffic : ${c.achievedBytesPerSecond === null ? 'not computed' : `${(c.achievedBytesPerSecond / 1e9).toPrecision(4)} GB/s`} (${c.bytesPerSample.toExponential(3)} bytes per sample, ${costLabel(c.bytesSource, '--bytes')}, × measured samples/s)`,
    );
  }
  const r = c.roofline;
  if (r) {
    out.push(
      `roofline : arithmetic intensity ${r.arithmeticIntensity.toPrecision(4)} FLOP/byte` +
        (r.attainableTflops === null
          ? '; no position (no catalog peak and memory bandwidth for this device)'
          : `; ridge ${r.ridgePoint!.toPrecision(4)} FLOP/byte, ${r.boundBy}-bound; roof ${r.attainableTflops.toPrecision(4)} TFLOP/s, run at ${r.ofAttainable === null ? 'n/a' : `${(r.ofAttainable * 100).toFixed(2)} %`} of it (${r.bandwidthSource})`),
    );
  }
  return out;
}
