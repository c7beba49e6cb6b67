// Reading a run report that a command will use (render, compare, targets): nothing is used that
// `report validate` would reject. With a trusted public key (--public-key or NPUVAL_PUBLIC_KEY) the
// detached signature is checked first, on the file's bytes; then the schema, then consistency
// (the summary agrees with the units, artifacts have their recorded SHA-256). Any failure is bad
// input (exit 2) naming the file and the first problem. See docs/reliability.md#trusting-reports.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { checkConsistency } from '../../reports/consistency.js';
import { verifyDocument, type SignatureFile } from '../../reports/sign.js';
import type { RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { InputError } from '../errors.js';
import { readInputFile, readInputText } from '../input-file.js';

/** The environment variable naming a trusted public key (PEM) when no --public-key is given. */
export const PUBLIC_KEY_ENV = 'NPUVAL_PUBLIC_KEY';

export interface TrustOptions {
  /** A trusted ed25519 public key file (PEM); default: $NPUVAL_PUBLIC_KEY, else no signature check. */
  readonly publicKey?: string;
  /** The detached signature file; default FILE.sig. */
  readonly sig?: string;
}

/** The trusted key's file and how it was named, or null when none is configured. */
export function trustedKeyFile(flag: string | undefined): { path: string; named: string } | null {
  const fromEnv = process.env[PUBLIC_KEY_ENV];
  const path = flag ?? (fromEnv ? fromEnv : undefined);
  if (path === undefined) return null;
  const named = flag !== undefined ? `--public-key ${flag}` : `${PUBLIC_KEY_ENV}=${fromEnv}`;
  if (!existsSync(path)) throw new InputError(`${named}: the public key file does not exist`);
  return { path, named };
}

/** Reads a signature file; a missing or non-JSON one is bad input. */
export function readSignature(sigPath: string, because: string): SignatureFile {
  if (!existsSync(sigPath)) throw new InputError(`signature file ${sigPath} does not exist${because}`);
  const text = readInputText(sigPath, 'signature file');
  try {
    return JSON.parse(text) as SignatureFile;
  } catch {
    throw new InputError(`signature file ${sigPath} is not JSON`);
  }
}

/** JSON or YAML (by extension); unparsable text is bad input naming the file. */
export function readDoc(file: string): { bytes: Buffer; doc: unknown } {
  const bytes = readInputFile(file, 'file');
  const yaml = /\.ya?ml$/i.test(file);
  try {
    return { bytes, doc: yaml ? YAML.parse(bytes.toString('utf8')) : JSON.parse(bytes.toString('utf8')) };
  } catch (err) {
    throw new InputError(`${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Every problem `report validate` finds in a run report (schema, then consistency), and the notes it would give. */
export function runReportProblems(file: string, doc: unknown): { problems: string[]; notes: string[] } {
  const errors = validate('run-report', doc);
  if (errors.length) return { problems: errors, notes: [] };
  const c = checkConsistency(doc as RunReport, dirname(resolve(file)));
  return { problems: [...c.problems], notes: [...c.unchecked] };
}

/** Reads a run report a command will use: signature (with a trusted key), schema and consistency, or exit 2. */
export function readRunReport(file: string, options: TrustOptions = {}): { bytes: Buffer; report: RunReport } {
  const key = trustedKeyFile(options.publicKey);
  if (key) {
    if (!existsSync(file)) throw new InputError(`${file} does not exist`);
    const sigPath = options.sig ?? `${file}.sig`;
    const sig = readSignature(sigPath, `, and ${key.named} asks for signed reports`);
    const result = verifyDocument(readFileSync(file), sig, readFileSync(key.path, 'utf8'), file);
    if (!result.ok) throw new InputError(`${file} fails its signature check against ${key.named}: ${result.problems[0]}`);
  }
  const { bytes, doc } = readDoc(file);
  const { problems } = runReportProblems(file, doc);
  if (problems.length) {
    const more = problems.length > 1 ? ` (${problems.length - 1} more: npuval report validate ${file})` : '';
    throw new InputError(`${file} is not a valid run report: ${problems[0]}${more}`);
  }
  return { bytes, report: doc as RunReport };
}
