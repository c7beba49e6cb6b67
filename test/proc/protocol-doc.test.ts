// devices/PROTOCOL.md's Python skeleton, taken from the document as it stands, passes adapter-check's
// protocol checks (those that need no runtime behind it): the document is enough to write an adapter.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type CheckName, checkAdapter } from '../../harness/adapter-check/index.js';
import { root } from './helpers.js';

const python = spawnSync('python3', ['--version']).status === 0;

(python ? test : test.skip)('the Python skeleton of PROTOCOL.md passes the checks that need no runtime', async () => {
  const doc = readFileSync(join(root, 'devices/PROTOCOL.md'), 'utf8');
  const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.is(blocks.length, 1, 'one Python block');
  const file = join(mkdtempSync(join(tmpdir(), 'npuval-proc-doc-')), 'adapter.py');
  writeFileSync(file, blocks[0]!);
  const only: CheckName[] = ['version-negotiation', 'request-before-hello', 'ping', 'error-frames', 'shutdown', 'stdin-eof'];
  const report = await checkAdapter({ spec: `proc:python3 ${file}`, timeoutMs: 5000, largeBytes: 1 << 20, only });
  for (const row of report.rows) assert.is(row.status, 'pass', `${row.check}: ${row.detail}`);
  assert.equal(
    report.rows.map((r) => r.check),
    ['start', 'handshake', ...only],
  );
  assert.equal(report.adapter, { name: 'example-adapter', version: '0.1', protocol: 1 });
});

test.run();
