// The append-only journal: one JSON object per finished unit of work, one per line, fsync'd
// before append() returns, so a crash loses at most the unit in flight. Reports are assembled
// from it and `--resume` continues from it.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeOutputFolder, writingTo } from './input-file.js';

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
  readonly path: string;

  /** Opens (creating if needed) the journal at `path` for appending. */
  constructor(path: string) {
    makeOutputFolder(dirname(path), 'output folder');
    this.path = path;
    this.fd = writingTo(path, 'journal', () => openSync(path, 'a'));
  }

  /** Appends one record and waits for it to reach the disk. */
  append(type: string, payload: Record<string, unknown> = {}): JournalRecord {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    const record: JournalRecord = { type, time: new Date().toISOString(), ...payload };
    const fd = this.fd;
    writingTo(this.path, 'journal', () => {
      writeSync(fd, JSON.stringify(record) + '\n');
      fsyncSync(fd);
    });
    return record;
  }

  /** Appends several records with one fsync (group commit for many small units): a crash loses at most this batch. */
  appendMany(entries: readonly { readonly type: string; readonly payload?: Record<string, unknown> }[]): JournalRecord[] {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    const time = new Date().toISOString();
    const records = entries.map((e): JournalRecord => ({ type: e.type, time, ...e.payload }));
    if (records.length === 0) return records;
    const fd = this.fd;
    writingTo(this.path, 'journal', () => {
      writeSync(fd, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      fsyncSync(fd);
    });
    return records;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
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
 * Reads a journal back. A torn last line (no newline, or not valid JSON) is tolerated and
 * reported; a bad line anywhere else means the file is not a journal and throws.
 */
export function readJournal(path: string): JournalContents {
  if (!existsSync(path)) throw new JournalFormatError(`journal ${path} does not exist`);
  if (statSync(path).isDirectory()) throw new JournalFormatError(`journal ${path} is a folder, not a file`);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text.length === 0;
  if (endsClean) lines.pop();
  const records: JournalRecord[] = [];
  let torn: JournalContents['torn'] = null;
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
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
      throw new JournalFormatError(`journal ${path} line ${i + 1} is not a record (an object with a "type")`);
    }
    records.push(parsed as JournalRecord);
  });
  return { records, torn };
}
