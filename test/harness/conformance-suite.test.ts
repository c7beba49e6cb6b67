// A slice of the real ONNX backend suite (Debian libonnx-testdata) on ort:cpu: every case is
// classified and none is an error. The full 1,072-case run is in the bench and the README.
import { createDevice } from '../../devices/index.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runConformance } from '../../harness/conformance/index.js';
import { deps, systemTest, ONNX_TESTDATA } from '../helpers/system.js';

// ~45 cases across all four folders: passes, missing kernels, preview-domain ops, opset < 7,
// bfloat16, sequences/optionals (binding), batchwise RNN layouts and known numeric failures.
const FILTER =
  '^(node/test_(abs|acos|add|relu|sequence_insert|adagrad|cast_FLOAT_to|bitshift|identity|dft|gru)|simple/test_gradient|pytorch-operator/test_operator_add)';

systemTest(test, deps.onnxTestdata, 'a filtered slice of the Debian suite: every case classified, none an error', async () => {
  const r = await runConformance({ device: createDevice('ort:cpu'), roots: [ONNX_TESTDATA], filter: FILTER }, null);
  const run = r.runs[0]!;
  assert.is(run.cases.length, 1072, 'the Debian package holds 1,072 cases');
  const ran = run.cases.filter((c) => c.cause !== 'filtered');
  assert.ok(ran.length >= 40 && ran.length <= 50, `${ran.length} cases selected`);
  assert.is(
    run.counts.error,
    0,
    ran
      .filter((c) => c.status === 'error')
      .map((c) => `${c.id}: ${c.reason}`)
      .join('\n'),
  );
  for (const c of ran) {
    assert.ok(['pass', 'fail', 'unsupported'].includes(c.status), `${c.id} is ${c.status}`);
    if (c.status !== 'pass') assert.ok(c.reason && c.cause, `${c.id} has a cause and reason`);
  }
  const status = (id: string) => run.cases.find((c) => c.id === id)!;
  assert.is(status('node/test_abs').status, 'pass');
  assert.is(status('node/test_adagrad').cause, 'op');
  assert.is(status('node/test_cast_FLOAT_to_BFLOAT16').cause, 'type');
  assert.is(status('node/test_identity_sequence').cause, 'binding');
  assert.is(status('node/test_gru_batchwise').cause, 'feature');
  assert.is(status('pytorch-operator/test_operator_add_broadcast').cause, 'opset');
  assert.is(status('node/test_dft').status, 'fail');
  // The matrix counts node tests for their op; Add gets node and pytorch-operator cases.
  const add = run.matrix.find((m) => m.op === 'Add')!;
  assert.ok(add.counts.pass >= 3 && add.counts.unsupported >= 5);
});

test.run();
