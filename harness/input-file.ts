// The one rule for files and folders a user names (docs/reliability.md#bad-input): a missing file,
// a folder where a file belongs, or an unreadable file is bad input (exit 2) in one sentence naming
// the flag or field and the path (a refused write is durable.ts's: exit 3 naming the path).
// models/inspect.ts applies the same rule to ONNX files (models/ stands alone).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from './errors.js';

/** Why a file system call failed, as the end of a sentence. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'no space is left on the device';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? (err as Error).message;
}

/**
 * Reads a file the user named; `what` names its flag or field ("--criteria", "suite file").
 * Missing, a folder, or unreadable: InputError (exit 2) naming `what` and the path.
 */
export function readInputFile(path: string, what: string): Buffer {
  checkInputFile(path, what);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError(`${what} ${path} cannot be read (${fsReason(err)})`);
  }
}

/** readInputFile as UTF-8 text. */
export function readInputText(path: string, what: string): string {
  return readInputFile(path, what).toString('utf8');
}

/** Checks that `path` is an existing file (not a folder) without reading it. */
export function checkInputFile(path: string, what: string): void {
  if (!existsSync(path)) throw new InputError(`${what} ${path} does not exist`);
  if (statSync(path).isDirectory()) throw new InputError(`${what} ${path} is a folder, not a file`);
}

/** Checks that `path` is an existing folder. */
export function checkInputFolder(path: string, what: string): void {
  if (!existsSync(path)) throw new InputError(`${what} ${path} does not exist`);
  if (!statSync(path).isDirectory()) throw new InputError(`${what} ${path} is a file, not a folder`);
}

/**
 * Checks, before any work, that an output folder can exist at `dir`: it is a folder or absent, and
 * its nearest existing ancestor is a folder (a file there is bad input).
 */
export function checkOutputFolder(dir: string, what = '--out'): void {
  let p = resolve(dir);
  if (existsSync(p)) {
    if (!statSync(p).isDirectory()) throw new InputError(`${what} ${dir} is a file, not a folder`);
    return;
  }
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  if (!statSync(p).isDirectory()) throw new InputError(`${what} ${dir} lies under ${p}, which is a file, not a folder`);
}
