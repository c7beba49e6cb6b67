// The append-only journal: one JSON object per finished unit of work, one per line, fsync'd
// before append() returns, so a crash loses at most the unit in flight. Reports are assembled
// from it and `--resume` continues from it. Records are redacted as they are written (no
// credential reaches the file), and a last line left without its newline by a crash is cut off
// before anything is appended, so a new record never lands on a torn one (docs/reliability.md).
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeOutputDir, noteCreatedFile, writeFailure } from './durable.js';
import { redactText } from './redact.js';

/** Every record carries its type and when it was written; the rest is the unit's own payload. */
/** The journal's file name in an output folder. */
export const JOURNAL_FILE = 'journal.jsonl';

export interface JournalRecord {
  readonly type: string;
  /** Wall-clock time the record was written (ISO 8601, UTC). */
  readonly time: string;
  readonly [key: string]: unknown;
}

export class Journal {
  private fd: number | null;
  /** Bytes in the file that are whole records: a failed append is cut back to this. */
  private size: number;
  readonly path: string;
  /** The unterminated last line that opening cut off (a crash mid-write), if any. */
  readonly repaired: { readonly bytes: number } | null;

  /** Opens (creating if needed) the journal at `path` for appending, cutting off a torn last line first. */
  constructor(path: string) {
    makeOutputDir(dirname(path));
    const existed = existsSync(path);
    this.path = path;
    try {
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw writeFailure(err, path);
    }
    if (!existed) noteCreatedFile(path);
    this.repaired = cutTornLine(this.fd, path);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends one record and waits for it to reach the disk. */
  append(type: string, payload: Record<string, unknown> = {}): JournalRecord {
    return this.appendMany([{ type, payload }])[0]!;
  }

  /**
   * Appends several records with one fsync (group commit for many small units): a crash loses at most this batch.
   * Text is redacted first; a write the system refuses is cut back off and throws OutputWriteError (exit 3).
   */
  appendMany(entries: readonly { readonly type: string; readonly payload?: Record<string, unknown> }[]): JournalRecord[] {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    const time = new Date().toISOString();
    const records = entries.map((e): JournalRecord => ({ type: e.type, time, ...e.payload }));
    if (records.length === 0) return records;
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const redacted = redactText(text);
    const bytes = Buffer.from(redacted);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off);
      fsyncSync(this.fd);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The torn tail stays; the next open cuts it off.
      }
      throw writeFailure(err, this.path);
    }
    this.size += bytes.length;
    // Callers get what was recorded.
    return redacted === text
      ? records
      : (redacted
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)) as JournalRecord[]);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Cuts a torn last line off the open file — one without its newline, or not a JSON record (a crash
 * mid-write): its write did not finish, so it is not trusted, and the next record must start a line.
 */
function cutTornLine(fd: number, path: string): { bytes: number } | null {
  if (fstatSync(fd).size === 0) return null;
  const text = readFileSync(path);
  const end = text.length;
  let keep = end;
  if (text[end - 1] !== 0x0a) keep = text.lastIndexOf(0x0a) + 1;
  else {
    const start = text.lastIndexOf(0x0a, end - 2) + 1;
    if (!isRecordLine(text.subarray(start, end - 1).toString('utf8'))) keep = start;
  }
  if (keep === end) return null;
  try {
    ftruncateSync(fd, keep);
    fsyncSync(fd);
  } catch (err) {
    throw writeFailure(err, path);
  }
  return { bytes: end - keep };
}

function isRecordLine(line: string): boolean {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as JournalRecord).type === 'string';
  } catch {
    return false;
  }
}

export interface JournalContents {
  readonly records: JournalRecord[];
  /** The incomplete last line left by a crash mid-write, if any: ignored, and reported here. */
  readonly torn: { readonly line: number; readonly bytes: number } | null;
}

export class JournalFormatError extends Error {
  readonly exitCode = 2;
}

/**
 * Reads a journal back. A torn last line (no newline, or not valid JSON) is left out and
 * reported: a record is whole only with its newline. A bad line anywhere else means the file is
 * not a journal and throws.
 */
export function readJournal(path: string): JournalContents {
  if (!existsSync(path)) throw new JournalFormatError(`journal ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text.length === 0;
  if (endsClean) lines.pop();
  const records: JournalRecord[] = [];
  let torn: JournalContents['torn'] = null;
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    if (last && !endsClean) {
      torn = { line: i + 1, bytes: Buffer.byteLength(line) };
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (last) {
        torn = { line: i + 1, bytes: Buffer.byteLength(line) };
        return;
      }
      throw new JournalFormatError(`journal ${path} line ${i + 1} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as JournalRecord).type !== 'string') {
      if (last) {
        torn = { line: i + 1, bytes: Buffer.byteLength(line) };
        return;
      }
      throw new JournalFormatError(`journal ${path} line ${i + 1} is not a record (an object with a "type")`);
    }
    records.push(parsed as JournalRecord);
  });
  return { records, torn };
}
