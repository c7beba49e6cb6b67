import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, readJournal } from '../../harness/journal.js';

const dir = () => mkdtempSync(join(tmpdir(), 'npuval-journal-'));

test('records are appended and read back in order', () => {
  const path = join(dir(), 'j', 'journal.jsonl');
  const j = new Journal(path);
  j.append('start', { seed: 1 });
  j.append('unit', { id: 'a', value: 2.5 });
  j.close();
  const { records, torn } = readJournal(path);
  assert.is(torn, null);
  assert.equal(
    records.map((r) => r.type),
    ['start', 'unit'],
  );
  assert.is(records[1]!.value, 2.5);
  assert.match(records[0]!.time, /^\d{4}-\d\d-\d\dT/);
});

test('a torn last line is tolerated and reported', () => {
  const path = join(dir(), 'journal.jsonl');
  const j = new Journal(path);
  j.append('unit', { id: 'a' });
  j.close();
  appendFileSync(path, '{"type":"unit","id":"b","val');
  const { records, torn } = readJournal(path);
  assert.equal(
    records.map((r) => r.id),
    ['a'],
  );
  assert.equal(torn, { line: 2, bytes: 28 });
});

test('a corrupt line in the middle is an error naming the line', () => {
  const path = join(dir(), 'journal.jsonl');
  writeFileSync(path, '{"type":"a"}\nnot json\n{"type":"b"}\n');
  assert.throws(() => readJournal(path), /line 2 is not valid JSON/);
});

test('appending after reopen continues the same file', () => {
  const path = join(dir(), 'journal.jsonl');
  new Journal(path).append('one');
  const j = new Journal(path);
  j.append('two');
  j.close();
  assert.equal(
    readJournal(path).records.map((r) => r.type),
    ['one', 'two'],
  );
});

test.run();
