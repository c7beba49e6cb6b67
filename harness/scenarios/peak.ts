// Maps a device to its catalog peak at a precision. Catalog figures are cited facts, never measurements.
import { catalogEntry, findCatalogEntry, peakTflops, PRECISIONS, type Precision } from '../../devices/catalog.js';
import type { DeviceDescription } from '../../devices/types.js';
import type { PeakInfo } from './run.js';

/** The catalog peak for the device at this precision, or why there is none. Catalog figures are facts with sources, never measurements. */
export function lookUpPeak(description: DeviceDescription, precision: string): PeakInfo {
  const entry = description.catalogId
    ? catalogEntry(description.catalogId)
    : description.model
      ? findCatalogEntry(description.model)
      : null;
  if (!entry) {
    const what =
      description.backend.name === 'cpu'
        ? `the host CPU (${description.model ?? 'unknown model'})`
        : `device ${description.id}${description.model ? ` (${description.model})` : ''}`;
    return { entry: null, reason: `no catalog peak exists for ${what}, so utilization is not computed` };
  }
  if (!(PRECISIONS as readonly string[]).includes(precision)) return { entry: null, reason: `the catalog has no precision ${precision}` };
  const figure = peakTflops(entry, precision as Precision);
  if (figure.value === null)
    return { entry: null, reason: `catalog ${entry.id} has no ${precision} peak (${figure.note ?? 'not published'})` };
  const bandwidth = entry.memoryBandwidthTBs;
  return {
    entry: entry.id,
    tflops: figure.value,
    precision,
    source: figure.source ?? 'no source',
    bandwidthTBs: bandwidth.value,
    bandwidthSource: bandwidth.source ?? null,
  };
}
