// --isolate: cases in long-lived child processes. A child that dies or hangs costs one case
// (recorded as error "crashed"/"timeout") and a fresh child runs the rest.
import { createDevice } from '../../devices/index.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from '../../harness/conformance/index.js';

const here = fileURLToPath(import.meta.url);
function repoRoot(): string {
  let dir = dirname(here);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const FIXTURES = join(repoRoot(), 'test/fixtures/conformance');
// Compiled next to this test (dist/test/fixtures/…) or run from source under tsx.
const FAULTY_WORKER = join(dirname(here), '..', 'fixtures', 'conformance', `faulty-worker${extname(here)}`);

test('a child that exits mid-case is recorded as crashed, one that hangs as timeout, and the run goes on', async () => {
  const r = await runConformance(
    {
      device: createDevice('ort:cpu'),
      roots: [join(FIXTURES, 'isolation')],
      isolate: true,
      timeoutS: 1.5,
      workers: 1,
      workerPath: FAULTY_WORKER,
    },
    null,
  );
  const cases = Object.fromEntries(r.runs[0]!.cases.map((c) => [c.id, c]));
  assert.is(cases['isolation/test_crash']!.status, 'error');
  assert.is(cases['isolation/test_crash']!.cause, 'crashed');
  assert.match(cases['isolation/test_crash']!.reason!, /exit code 70/);
  assert.equal(cases['isolation/test_crash']!.nodeOps, ['Relu'], 'ops come from the parent reading the model');
  assert.is(cases['isolation/test_hang']!.status, 'error');
  assert.is(cases['isolation/test_hang']!.cause, 'timeout');
  assert.match(cases['isolation/test_hang']!.reason!, /1\.5 s per-case timeout/);
  // With one worker, this case ran in a replacement child.
  assert.is(cases['isolation/test_relu']!.status, 'pass');
});

test('isolated and in-process runs classify the fixtures the same way', async () => {
  const roots = [join(FIXTURES, 'custom')];
  const inProcess = await runConformance({ device: createDevice('ort:cpu'), roots }, null);
  const isolated = await runConformance({ device: createDevice('ort:cpu'), roots, isolate: true, workers: 2 }, null);
  const strip = (r: typeof inProcess) => r.runs[0]!.cases.map((c) => [c.id, c.status, c.cause, c.reason]);
  assert.equal(strip(isolated), strip(inProcess));
  assert.is(isolated.isolate, true);
});

test.run();
