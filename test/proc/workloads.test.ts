// The workloads on proc: with the reference adapter, through the real CLI: conformance (the fixtures and,
// where Debian's libonnx-testdata is installed, a slice of the ONNX node tests) classifies every case as
// ort:cpu does, a SingleStream bench is VALID, accuracy against ort:cpu is exact (tiny-bert, and
// tiny-llama's greedy tokens through the KV cache), and an LLM run of tiny-llama completes; and a suite
// whose adapter is killed mid-unit journals that unit as a device error and runs the next after a restart.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { childrenMatching, npuval, npuvalAsync, REFERENCE, root, sleep } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'npuval-proc-workloads-'));
const ONNX_TESTS = '/usr/share/libonnx-testdata/data';

interface Unit {
  id: string;
  kind: string;
  status: string;
  validity: { valid: boolean | null };
  error: { message: string } | null;
  // biome-ignore lint/suspicious/noExplicitAny: report.json read back; the assertions say what each field is
  result: Record<string, any> | null;
}

function suite(name: string, units: object[]): string {
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, seed: 1, devices: [REFERENCE], units }, null, 2));
  return file;
}

test('conformance, SingleStream, accuracy and an LLM run on proc: give what ort:cpu gives', () => {
  const slice = existsSync(ONNX_TESTS);
  const file = suite('proc-parity', [
    {
      kind: 'conformance',
      id: 'fixtures',
      settings: { compareDevice: 'ort:cpu' },
      onnxTests: [join(root, 'test/fixtures/conformance/custom'), join(root, 'test/fixtures/conformance/newer')],
    },
    ...(slice
      ? [
          {
            kind: 'conformance',
            id: 'onnx-slice',
            filter: '^node/test_(add|relu|cast|matmul|softmax|gather|concat|where)',
            settings: { compareDevice: 'ort:cpu' },
          },
        ]
      : []),
    { kind: 'scenario', scenario: 'single-stream', model: 'tiny-bert', settings: { minDurationMs: 300, warmupMs: 50 } },
    { kind: 'accuracy', id: 'bert', model: 'tiny-bert', reference: 'ort:cpu', samples: 2 },
    { kind: 'accuracy', id: 'llama', model: 'tiny-llama', reference: 'ort:cpu', samples: 1, settings: { tokens: 8 } },
    { kind: 'llm', model: 'tiny-llama', settings: { requests: 4, promptLen: 8, genLen: 8, warmup: 0, concurrency: 2, bandwidth: false } },
  ]);
  const out = join(tmp, 'parity');
  const r = npuval('run', '--suite', file, '--out', out, '--allow-outside-paths'); // the fixtures live in the repo, the suite in a temp folder
  // The fixtures hold a case whose expected output is wrong on purpose, and three ONNX cast cases fail on ORT itself.
  assert.is(r.status, 1, r.stderr);
  const units = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { units: Unit[] }).units;
  const by = (id: string) => units.find((u) => u.id.startsWith(`${id}@`))!;
  for (const id of slice ? ['fixtures', 'onnx-slice'] : ['fixtures']) {
    const c = by(id).result!;
    assert.equal(c.counts, c.compared.counts, `${id}: the same counts as ort:cpu`);
    assert.equal(c.diff.cases, [], `${id}: no case classified differently from ort:cpu`);
    assert.equal([c.diff.opsOnlyA, c.diff.opsOnlyB], [[], []]);
  }
  const fx = by('fixtures').result!;
  const status = Object.fromEntries(
    (fx.cases as { name: string; status: string; cause: string | null }[]).map((c) => [c.name.split('/').pop(), `${c.status}/${c.cause}`]),
  );
  assert.equal(status, {
    test_relu: 'pass/null',
    test_relu_wrong_expected: 'fail/tolerance',
    test_relu_opset99: 'unsupported/opset',
    test_relu_ir99: 'unsupported/ir-version',
    test_sequence_construct: 'unsupported/binding',
    test_no_data: 'skipped/incomplete-data',
    test_cast_FLOAT_to_INT4: 'unsupported/binding',
  });
  const bench = by('scenario:single-stream:tiny-bert');
  assert.is(bench.status, 'pass');
  assert.is(bench.validity.valid, true);
  for (const id of ['bert', 'llama']) {
    const a = by(id).result!;
    assert.ok(a.pass, id);
    for (const o of a.outputs as { name: string; minCosine: number; maxAbsError: number }[])
      assert.equal([o.minCosine, o.maxAbsError], [1, 0], `${id} ${o.name}: bit-identical to ort:cpu`);
  }
  assert.equal(by('llama').result!.generation.agreement, 1, "greedy tokens through the KV cache on proc: are ort:cpu's");
  const llm = by('llm:tiny-llama').result!.points[0].summary;
  assert.equal([llm.succeeded, llm.failed, llm.outputTokens], [4, 0, 32]);
});

test('the adapter killed mid-unit: that unit is journaled as a device error, the next runs after a restart', async () => {
  const file = suite('proc-restart', [
    { kind: 'scenario', id: 'long', scenario: 'single-stream', model: 'tiny-bert', settings: { minDurationMs: 6000, warmupMs: 50 } },
    { kind: 'scenario', id: 'short', scenario: 'single-stream', model: 'tiny-bert', settings: { minDurationMs: 300, warmupMs: 50 } },
  ]);
  const out = join(tmp, 'restart');
  const child = npuvalAsync('run', '--suite', file, '--out', out);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const journal = join(out, 'journal.jsonl');
  const deadline = Date.now() + 20_000;
  while (!(existsSync(journal) && readFileSync(journal, 'utf8').includes('"unit":"long@')) && Date.now() < deadline) await sleep(50);
  await sleep(500);
  const adapters = childrenMatching(child.pid!, 'adapters/ort-node/main.js');
  assert.is(adapters.length, 1, "one adapter process serves the run (the plan's probe and the units share it)");
  process.kill(-adapters[0]!, 'SIGKILL');
  assert.is(await exited, 1, stderr);
  const ends = readFileSync(journal, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; unit?: Unit })
    .filter((r) => r.type === 'unit-end')
    .map((r) => r.unit!);
  assert.equal(
    ends.map((u) => [u.id.split('@')[0], u.status]),
    [
      ['long', 'error'],
      ['short', 'pass'],
    ],
  );
  assert.match(ends[0]!.error!.message, /the adapter process was killed by SIGKILL .*npuval starts it again on the next open\(\)/);
  assert.is(ends[1]!.validity.valid, true);
});

test.run();
