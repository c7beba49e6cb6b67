// The hardware catalog: published peak specifications with a source URL for every figure.
// These are catalog facts, never measurements; callers must label them as such ("catalog").
// The JSON is validated against its JSON Schema at load, so a figure without a source or a
// made-up field never reaches a report.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import catalogJson from './catalog.json' with { type: 'json' };
import catalogSchema from './catalog.schema.json' with { type: 'json' };

/** Precisions the catalog lists. Float formats are in TFLOPS, integer formats in TOPS. */
export const PRECISIONS = ['fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'fp4', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];
export type SparsePrecision = Exclude<Precision, 'fp32'>;

export type SourceKind = 'vendor' | 'secondary';

/** One published figure: a value with its source, or null with the reason it is unknown. */
export interface Figure<T = number> {
  readonly value: T | null;
  readonly source?: string;
  readonly sourceKind?: SourceKind;
  readonly note?: string;
}

export interface CatalogEntry {
  readonly id: string;
  readonly vendor: string;
  readonly name: string;
  readonly kind: 'gpu' | 'npu';
  /** Summary over the entry's figures. */
  readonly sourceKind: SourceKind | 'mixed' | 'none';
  readonly vendorPage?: string;
  /** Case-insensitive regexes tested against a device name as the vendor tool prints it. */
  readonly match: readonly string[];
  readonly notes?: readonly string[];
  readonly peak: {
    readonly dense: Readonly<Record<Precision, Figure>>;
    readonly sparse?: Readonly<Partial<Record<SparsePrecision, Figure>>>;
  };
  readonly memoryGB: Figure;
  readonly memoryBandwidthTBs: Figure;
  readonly tdpW: Figure;
  readonly hostInterface: Figure<string>;
}

export interface Catalog {
  readonly schemaVersion: 1;
  readonly description?: string;
  readonly units: Readonly<Record<string, string>>;
  readonly entries: readonly CatalogEntry[];
}

/** Bad catalog data or an unknown catalog id: bad input, exit 2. */
export class CatalogError extends Error {
  readonly exitCode = 2;
}

export interface ValidationResult {
  readonly valid: boolean;
  /** One line per problem: "<JSON pointer> <message>". */
  readonly errors: readonly string[];
}

// ajv-formats is CommonJS; under NodeNext its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

let compiled: (((data: unknown) => boolean) & { errors?: ErrorObject[] | null }) | undefined;

function validator() {
  if (!compiled) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    compiled = ajv.compile(catalogSchema);
  }
  return compiled;
}

/** Checks catalog data against devices/catalog.schema.json plus the rules a schema cannot say. */
export function validateCatalog(data: unknown): ValidationResult {
  const validate = validator();
  if (!validate(data)) {
    return {
      valid: false,
      errors: (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${paramsText(e)}`),
    };
  }
  const errors: string[] = [];
  const seen = new Set<string>();
  (data as Catalog).entries.forEach((entry, i) => {
    if (seen.has(entry.id)) errors.push(`/entries/${i}/id duplicate id "${entry.id}"`);
    seen.add(entry.id);
    entry.match.forEach((re, j) => {
      try {
        new RegExp(re, 'i');
      } catch (err) {
        errors.push(`/entries/${i}/match/${j} is not a valid regular expression: ${(err as Error).message}`);
      }
    });
  });
  return { valid: errors.length === 0, errors };
}

function paramsText(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (typeof p.additionalProperty === 'string') return ` ("${p.additionalProperty}")`;
  if (typeof p.missingProperty === 'string') return ` ("${p.missingProperty}")`;
  return '';
}

let cached: Catalog | undefined;

/**
 * Returns the validated catalog. With `data`, validates that instead (for tests and alternative
 * catalogs) and does not cache it. Throws CatalogError (exit 2) naming every problem.
 */
export function loadCatalog(data?: unknown): Catalog {
  if (data === undefined && cached) return cached;
  const candidate = data ?? catalogJson;
  const result = validateCatalog(candidate);
  if (!result.valid) {
    throw new CatalogError(`devices/catalog.json is invalid: ${result.errors.join('; ')}.`);
  }
  if (data === undefined) cached = candidate as Catalog;
  return candidate as Catalog;
}

/** The entry with this id. Throws CatalogError listing the known ids when there is none. */
export function catalogEntry(id: string, catalog: Catalog = loadCatalog()): CatalogEntry {
  const entry = catalog.entries.find((e) => e.id === id);
  if (!entry) {
    throw new CatalogError(`Unknown catalog id "${id}"; known ids: ${catalog.entries.map((e) => e.id).join(', ')}.`);
  }
  return entry;
}

/**
 * Maps a device name as its vendor tool prints it (e.g. nvidia-smi's "NVIDIA H100 80GB HBM3")
 * to a catalog entry: the first entry one of whose `match` regexes matches, else null.
 */
export function findCatalogEntry(deviceName: string, catalog: Catalog = loadCatalog()): CatalogEntry | null {
  const name = deviceName.trim();
  if (!name) return null;
  return catalog.entries.find((e) => e.match.some((re) => new RegExp(re, 'i').test(name))) ?? null;
}

/** A catalog peak with everything a report needs to cite it. */
export interface PeakFigure {
  readonly catalogId: string;
  readonly precision: Precision;
  readonly sparsity: 'dense' | 'sparse';
  /** TFLOPS for float precisions, TOPS for integer ones; null when not published. */
  readonly value: number | null;
  readonly unit: 'TFLOPS' | 'TOPS';
  readonly source: string | null;
  readonly sourceKind: SourceKind | null;
  readonly note: string | null;
  /** Always "catalog": a published peak, not a measurement. */
  readonly origin: 'catalog';
}

export function unitOf(precision: Precision): 'TFLOPS' | 'TOPS' {
  return precision.startsWith('int') ? 'TOPS' : 'TFLOPS';
}

/** The published peak of `entry` at `precision`, dense unless `sparse` is asked for. */
export function peakTflops(entry: CatalogEntry, precision: Precision, options: { sparse?: boolean } = {}): PeakFigure {
  if (!(PRECISIONS as readonly string[]).includes(precision)) {
    throw new CatalogError(`Unknown precision "${precision}"; known: ${PRECISIONS.join(', ')}.`);
  }
  const sparse = options.sparse === true;
  const figure: Figure | undefined = sparse
    ? precision === 'fp32'
      ? undefined
      : entry.peak.sparse?.[precision]
    : entry.peak.dense[precision];
  return {
    catalogId: entry.id,
    precision,
    sparsity: sparse ? 'sparse' : 'dense',
    value: figure?.value ?? null,
    unit: unitOf(precision),
    source: figure?.source ?? null,
    sourceKind: figure?.sourceKind ?? null,
    note: figure?.note ?? (figure ? null : `no ${sparse ? 'sparse' : 'dense'} ${precision} figure in the catalog`),
    origin: 'catalog',
  };
}
