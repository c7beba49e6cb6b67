// `npuval devices`: which devices work here, with versions, drivers and why the others don't.
import type { Argv } from 'yargs';
import { candidateSpecs, checkSpecs, probeAll } from '../../devices/index.js';
import type { Availability } from '../../devices/types.js';
import { catalogEntry, loadCatalog, peakTflops, PRECISIONS } from '../../devices/catalog.js';
import type { CatalogEntry, Figure } from '../../devices/catalog.js';
import { emit, keepJson, table } from '../output.js';
import type { Command } from './types.js';

interface DevicesArgs {
  device?: string[];
  catalog?: boolean;
}

export const devicesCommand: Command<DevicesArgs> = {
  command: 'devices',
  describe: 'List devices found here: available only if a real session ran on it; versions, driver, and why the others are not',
  builder: (y: Argv) =>
    y
      .option('device', {
        type: 'string',
        array: true,
        describe: 'Probe only these device specs (e.g. ort:cpu, ort:webgpu, ort:cuda:0, ort:cpu?intraOpThreads=1)',
      })
      .option('catalog', {
        type: 'boolean',
        default: false,
        describe:
          'Print the hardware catalog instead of probing: published dense peaks per precision, memory, bandwidth, TDP, with sources (--json: every figure with its source URL)',
      }),
  handler: async (args) => {
    if (args.catalog) {
      const catalog = loadCatalog();
      keepJson(args, 'catalog.json', { catalog });
      emit(args, { catalog }, () => renderCatalog(catalog.entries));
      return 0;
    }
    const specs = args.device?.length ? args.device : candidateSpecs();
    // A malformed or unknown spec is bad input: say so with what is available instead.
    await checkSpecs(specs);
    const results = await probeAll(specs);
    const doc = { devices: results, catalog: catalogPeaksFor(results) };
    keepJson(args, 'devices.json', doc);
    emit(args, doc, () => render(results));
    return args.device?.length && results.some((r) => !r.available) ? 3 : 0;
  },
};

function render(results: readonly Availability[]): string {
  const rows = results.map((r) => [
    r.id,
    r.available ? 'yes' : 'no',
    r.description ? `${r.description.runtime.name} ${r.description.runtime.version}` : null,
    r.description?.driver?.detail ?? null,
  ]);
  const reasons = results.filter((r) => !r.available).map((r) => `  ${r.id}: ${r.reason}`);
  const peaks = catalogPeaksFor(results);
  const catalogLines = Object.entries(peaks).map(
    ([device, p]) =>
      `  ${device} → ${p.name} (${p.catalogId}): ` +
      p.peaks
        .map(
          (f) =>
            `${f.precision} ${f.value ?? '—'}${f.value === null ? '' : ' ' + f.unit}${f.source ? ` [${f.sourceKind}: ${f.source}]` : ''}`,
        )
        .join('; '),
  );
  return (
    table(['device', 'available', 'runtime', 'driver'], rows) +
    (reasons.length ? '\n\nUnavailable:\n' + reasons.join('\n') : '') +
    (catalogLines.length ? '\n\nCatalog peaks (published dense figures, not measured here):\n' + catalogLines.join('\n') : '')
  );
}

/** Catalog figures for devices that map to a catalog entry, keyed by device id; labelled "catalog". */
function catalogPeaksFor(results: readonly Availability[]) {
  const out: Record<string, { catalogId: string; name: string; origin: 'catalog'; peaks: ReturnType<typeof peakTflops>[] }> = {};
  for (const r of results) {
    const id = r.description?.catalogId;
    if (!id) continue;
    const entry = catalogEntry(id);
    out[r.id] = {
      catalogId: id,
      name: `${entry.vendor} ${entry.name}`,
      origin: 'catalog',
      peaks: (['bf16', 'fp16', 'fp8', 'int8'] as const).map((p) => peakTflops(entry, p)),
    };
  }
  return out;
}

function num(f: Figure): string | null {
  return f.value === null ? null : String(f.value);
}

function renderCatalog(entries: readonly CatalogEntry[]): string {
  const header = ['id', 'kind', ...PRECISIONS, 'mem GB', 'TB/s', 'TDP W', 'sources'];
  const rows = entries.map((e) => [
    e.id,
    e.kind,
    ...PRECISIONS.map((p) => num(e.peak.dense[p])),
    num(e.memoryGB),
    num(e.memoryBandwidthTBs),
    num(e.tdpW),
    e.sourceKind,
  ]);
  return (
    'Hardware catalog: published DENSE peaks (TFLOPS for float, TOPS for int), catalog facts with a source URL each, not measurements. — = not published.\n\n' +
    table(header, rows) +
    '\n\nSources per figure: npuval devices --catalog --json (or devices/catalog.json).'
  );
}
