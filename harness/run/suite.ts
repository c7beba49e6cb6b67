// Suite files: which devices, which units (conformance, accuracy, scenarios, micro-benchmarks,
// LLM, cluster) and their settings, plus baseline, criteria, product and fleet for the reports.
// JSON or YAML, checked against the suite schema (reports/schemas/suite.ts). Built-in suites are
// JSON modules next to this file.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import YAML from 'yaml';
import { sha256Hex } from '../../reports/digest.js';
import { validate, type SchemaName } from '../../reports/validate.js';
import type { Criterion, ProductInfo } from '../../reports/commercialization.js';
import type { UnitKind } from '../../reports/metrics.js';
import { InputError } from '../errors.js';
import { readInputFile, readInputText } from '../input-file.js';
import smoke from './suites/smoke.json' with { type: 'json' };
import defaultSuite from './suites/default.json' with { type: 'json' };
import kcloud from './suites/kcloud-npu.json' with { type: 'json' };

export interface SuiteUnit {
  readonly kind: UnitKind;
  readonly id?: string;
  readonly title?: string;
  readonly devices?: 'available' | readonly string[];
  /** Keep only devices of these kinds (e.g. conformance on ORT EPs only when devices is "available"). */
  readonly deviceKinds?: readonly ('ort' | 'tfjs' | 'endpoint' | 'proc')[];
  readonly model?: string;
  readonly scenario?: 'single-stream' | 'multi-stream' | 'server' | 'offline';
  readonly reference?: string;
  readonly filter?: string;
  readonly onnxTests?: readonly string[];
  readonly samples?: number;
  /** Wall-clock limit for the whole unit; past it the unit is recorded as an error and the run goes on. */
  readonly timeoutS?: number;
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface Suite {
  readonly $schema?: string;
  readonly name: string;
  readonly description?: string;
  readonly seed?: number;
  /** Default wall-clock limit per unit (a unit's own timeoutS wins); none when absent. */
  readonly unitTimeoutS?: number;
  /** Devices for units that name none: a list of specs, or "available" (every device that probes OK here). */
  readonly devices?: 'available' | readonly string[];
  readonly units: readonly SuiteUnit[];
  readonly baseline?: string;
  readonly criteria?: string | readonly Criterion[];
  readonly product?: ProductInfo;
  readonly fleet?: readonly { readonly device: string; readonly count: number; readonly measuredBy?: string }[];
  readonly targetDate?: string;
}

export interface LoadedSuite {
  readonly suite: Suite;
  readonly source: 'builtin' | 'file';
  readonly path: string | null;
  readonly sha256: string;
}

export const BUILTIN_SUITES: Readonly<Record<string, unknown>> = { smoke, default: defaultSuite, 'kcloud-npu': kcloud };

/** Parses JSON or YAML text (by extension, else by first character) and checks it against `schema`. */
export function parseDocument(text: string, path: string, schema: SchemaName, what: string): unknown {
  let doc: unknown;
  const yaml = /\.ya?ml$/i.test(path) || (!/\.json$/i.test(path) && !/^\s*[{[]/.test(text));
  try {
    doc = yaml ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new InputError(`${what} ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
  const errors = validate(schema, doc);
  if (errors.length) throw new InputError(`${what} ${path} does not match the ${schema} schema:\n${errors.join('\n')}`);
  return doc;
}

/** A built-in suite by name, or a suite file by path. */
export function loadSuite(nameOrPath: string): LoadedSuite {
  const builtin = BUILTIN_SUITES[nameOrPath];
  if (builtin) {
    const errors = validate('suite', builtin);
    if (errors.length) throw new Error(`built-in suite ${nameOrPath} is invalid:\n${errors.join('\n')}`);
    return { suite: builtin as Suite, source: 'builtin', path: null, sha256: sha256Hex(JSON.stringify(builtin)) };
  }
  const path = resolve(nameOrPath);
  if (!existsSync(path)) {
    throw new InputError(
      `suite "${nameOrPath}" is neither a built-in suite (${Object.keys(BUILTIN_SUITES).join(', ')}) nor an existing file`,
    );
  }
  const bytes = readInputFile(path, 'suite file');
  const suite = parseDocument(bytes.toString('utf8'), path, 'suite', 'suite file') as Suite;
  return { suite, source: 'file', path, sha256: sha256Hex(bytes) };
}

/** Resolves a path written in a suite field (`field` is its JSON Pointer, e.g. units/0/model). */
export type SuitePathResolver = (path: string, field: string) => string;

/** The flag that lets a suite file name paths outside its own folder. */
export const ALLOW_OUTSIDE_FLAG = '--allow-outside-paths';

/** `path` with symlinks resolved as far as it exists (the rest, not yet created, appended as written). */
function realPathSoFar(path: string): string {
  const rest: string[] = [];
  let head = path;
  while (!existsSync(head) && dirname(head) !== head) {
    rest.unshift(basename(head));
    head = dirname(head);
  }
  return join(realpathSync(head), ...rest);
}

/**
 * Resolves a path written in a suite: relative paths from the suite file's folder (as a baseline
 * or criteria file next to it), and from the current directory for built-in and command suites.
 * A suite file is confined to its folder: a path that leaves it (`..`, an absolute path, or a
 * symlink pointing out) is bad input unless `allowOutside` (the user's --allow-outside-paths), so a
 * suite from elsewhere cannot make a run read, hash and report arbitrary files.
 */
export function suitePathResolver(loaded: LoadedSuite, allowOutside = false): SuitePathResolver {
  if (!loaded.path) return (p) => resolve(p);
  const base = dirname(loaded.path);
  const root = realpathSync(base);
  return (p, field) => {
    const path = resolve(base, p);
    if (allowOutside) return path;
    const real = realPathSoFar(path);
    const rel = relative(root, real);
    if (rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel))) return path;
    const via = real === path ? '' : ` (it resolves to ${real})`;
    throw new InputError(
      `suite ${loaded.path}: ${field}: "${p}" is outside the suite's folder ${base}${via}; pass ${ALLOW_OUTSIDE_FLAG} to allow it`,
    );
  };
}

/** A criteria file (JSON or YAML, schema-checked). */
export function loadCriteria(path: string): { criteria: Criterion[]; sha256: string } {
  const bytes = readInputFile(path, 'criteria file');
  const doc = parseDocument(bytes.toString('utf8'), path, 'criteria', 'criteria file') as { criteria: Criterion[] };
  return { criteria: doc.criteria, sha256: sha256Hex(bytes) };
}

/** A product description file (JSON or YAML): the suite's `product` section on its own. */
export function loadProduct(path: string): ProductInfo {
  const text = readInputText(path, 'product file');
  // Checked through the suite schema so product and suite share one definition.
  const wrapped = parseDocument(
    JSON.stringify({ name: 'product-check', units: [{ kind: 'micro' }], product: parseLoose(text, path) }),
    path + '.json',
    'suite',
    'product file',
  ) as Suite;
  return wrapped.product!;
}

function parseLoose(text: string, path: string): unknown {
  try {
    return /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new InputError(`product file ${path} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}
