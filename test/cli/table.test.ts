// Console tables (harness/output.ts table()): rows fit the width by narrowing the widest text column
// with an ellipsis; numbers are never cut; the width is the terminal's, else $COLUMNS, else 160.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table, TABLE_WIDTH_FALLBACK, terminalColumns } from '../../harness/output.js';

const lines = (text: string) => text.split('\n');
const longest = (text: string) => Math.max(...lines(text).map((l) => [...l].length));

test('a table that fits is laid out as before: padded columns, a dashed rule, — for null', () => {
  assert.is(
    table(
      ['device', 'ms'],
      [
        ['ort:cpu', 1.5],
        ['tfjs:wasm', null],
      ],
      160,
    ),
    ['device     ms', '---------  ---', 'ort:cpu    1.5', 'tfjs:wasm  —'].join('\n'),
  );
});

test('a row wider than the width: the widest text column is cut with …, the others are whole', () => {
  const url = 'https://example.org/' + 'a'.repeat(300);
  const text = table(
    ['name', 'params', 'source'],
    [
      ['tiny-llama', 139584, url],
      ['llama-3.2-1b', 1235814400, 'https://huggingface.co/meta-llama'],
    ],
    80,
  );
  assert.ok(longest(text) <= 80, text);
  const [header, rule, first, second] = lines(text);
  assert.match(header!, /^name\s+params\s+source$/);
  assert.is(rule!.length, 80);
  assert.match(first!, /^tiny-llama\s+139584\s+https:\/\/example\.org\/a+…$/);
  assert.match(second!, /^llama-3\.2-1b\s+1235814400\s+https:\/\/huggingface\.co\/meta-llama$/);
});

test('two long text columns share the cut; a column is never narrower than its header or 8', () => {
  const text = table(['a column header', 'b', 'n'], [['x'.repeat(100), 'y'.repeat(100), 12345678901]], 60);
  assert.ok(longest(text) <= 60, text);
  const [a, b, n] = lines(text)[2]!.split(/\s{2,}/);
  assert.ok(Math.abs(a!.length - b!.length) <= 1, `${a!.length} vs ${b!.length}`);
  assert.ok(a!.endsWith('…') && b!.endsWith('…'));
  assert.is(n, '12345678901');
  const narrow = table(['a column header', 'b'], [['x'.repeat(100), 'y'.repeat(100)]], 10);
  assert.is(lines(narrow)[2]!.split(/\s{2,}/)[0]!.length, 'a column header'.length);
  assert.is(lines(narrow)[2]!.split(/\s{2,}/)[1]!.length, 8);
});

test('numbers are never cut: a table of wide numbers stays wider than the width', () => {
  const text = table(['x', 'y'], [['1234567890.123456', '-9876543210.5 %']], 20);
  assert.match(text, /1234567890\.123456 {2}-9876543210\.5 %/);
});

test('the width: $COLUMNS when stdout is no terminal, else the fallback (160 for tables)', () => {
  const saved = process.env.COLUMNS;
  try {
    if (process.stdout.isTTY) return; // a terminal's own width wins; nothing to check here
    process.env.COLUMNS = '72';
    assert.is(terminalColumns(TABLE_WIDTH_FALLBACK), 72);
    const text = table(['name', 'text'], [['a', 'word '.repeat(40)]]);
    assert.is(longest(text), 72);
    delete process.env.COLUMNS;
    assert.is(terminalColumns(TABLE_WIDTH_FALLBACK), 160);
    process.env.COLUMNS = 'wide';
    assert.is(terminalColumns(100), 100);
  } finally {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  }
});

test.run();
