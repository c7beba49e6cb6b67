// Durable output files: every report file is written under a temporary name, fsync'd and renamed
// into place, so a file either holds its whole content or is not there (a full disk never leaves a
// report.html cut mid-file). A write the system refuses (no space, quota, file-size limit, read-only
// or forbidden folder) is an environment error (exit 3) naming the file in one sentence. What this
// process created is remembered, so a command refused for bad input can leave nothing behind.
// See docs/reliability.md#durable-writes.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { EnvironmentError } from './errors.js';
import { checkOutputFolder } from './input-file.js';
import { redactText } from './redact.js';

/** Write failures that are the environment's, not npuval's: errno code → what it means. */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (a file-size limit such as ulimit -f)',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
};

/** An output the system would not let npuval write. Exit 3. */
export class OutputWriteError extends Error {
  readonly exitCode = 3;
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot write ${path}: ${WRITE_FAILURES[code] ?? code} (${code})`);
  }
}

/** Codes only a write raises: an error carrying one is a refused write wherever it was thrown. */
const ONLY_ON_WRITE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS']);

/**
 * The error as an OutputWriteError when the system refused the write of `path`; otherwise the error
 * itself. Without `path` (an error from anywhere, as the CLI sees it) only codes that a write alone
 * raises count, named by the error's own path: EACCES from reading a file is not a refused write.
 */
export function writeFailure(err: unknown, path?: string): unknown {
  const e = err as NodeJS.ErrnoException | null;
  if (e instanceof OutputWriteError || !e?.code || !(e.code in WRITE_FAILURES)) return err;
  if (path !== undefined) return new OutputWriteError(path, e.code);
  return ONLY_ON_WRITE.has(e.code) && e.path ? new OutputWriteError(e.path, e.code) : err;
}

/** Paths this process created (files and folders, in creation order), for discardCreatedOutputs. */
const created: { readonly path: string; readonly folder: boolean }[] = [];

/** Starts a new command's record of what it created (the CLI calls it first: one process may run several commands, as tests do). */
export function forgetCreatedOutputs(): void {
  created.length = 0;
}

/** Remembers a file this process created (the journal; files written here are remembered already). */
export function noteCreatedFile(path: string): void {
  created.push({ path: resolve(path), folder: false });
}

/**
 * Creates an output folder and its parents one level at a time, remembering each one this process
 * created. Level by level because Node's recursive mkdir loops forever where a parent refuses new
 * entries (e.g. under /proc). A file in the way is bad input (exit 2, naming `what`); a folder the
 * system will not make is exit 3 naming it.
 */
export function makeOutputDir(dir: string, what = '--out'): void {
  checkOutputFolder(dir, what);
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) missing.unshift(p);
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      const mapped = writeFailure(err, path);
      throw mapped !== err
        ? mapped
        : new EnvironmentError(`${what} ${dir} cannot be created (${code ?? (err as Error).message} at ${path})`);
    }
    created.push({ path, folder: true });
  }
}

/**
 * Writes the file in full or not at all: `path.tmp-<pid>`, fsync, rename over `path`, fsync of the
 * folder. Text is redacted (secrets never reach a file). On failure the temporary file is removed
 * and a refused write throws OutputWriteError (exit 3) naming `path`.
 */
export function writeOutputFile(path: string, content: string | Uint8Array, options: { readonly mode?: number } = {}): void {
  const bytes = typeof content === 'string' ? Buffer.from(redactText(content)) : content;
  const tmp = `${path}.tmp-${process.pid}`;
  const existed = existsSync(path);
  makeOutputDir(dirname(path));
  try {
    const fd = openSync(tmp, 'w', options.mode ?? 0o644);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw writeFailure(err, path);
  }
  if (!existed) noteCreatedFile(path);
  syncFolder(dirname(path));
}

/** Makes a rename in the folder survive a crash; filesystems that cannot fsync a folder are left as they are. */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not supported here (some network filesystems): the file itself is already synced.
  }
}

/**
 * Removes what this process created — its files, then its folders if they are empty — and never
 * anything that was there before. A command refused for bad input calls it so that a rerun with
 * the same --out is not blocked by a journal of a run that never was.
 */
export function discardCreatedOutputs(): string[] {
  const removed: string[] = [];
  for (const entry of created.splice(0).reverse()) {
    try {
      if (!existsSync(entry.path)) continue;
      if (entry.folder) {
        if (readdirSync(entry.path).length > 0) continue;
        rmdirSync(entry.path);
      } else {
        rmSync(entry.path);
      }
      removed.push(entry.path);
    } catch {
      // Best effort: what cannot be removed stays, and the error that refused the command is what matters.
    }
  }
  return removed;
}
