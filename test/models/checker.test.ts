// Every CI-sized zoo model (and the fp16 variant of each decoder) passes ONNX's own checker with
// full shape inference: onnx.checker.check_model(m, full_check=True) from Debian's python3-onnx.
// The streamed writer (single file and external data) is checked the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deps, systemTest } from '../helpers/system.js';
import { buildZooModel, listZoo, zooPlan, METADATA_KEY } from '../../models/zoo/index.js';
import { writePlan } from '../../models/onnx/writer.js';
import { decodeModel, onnx } from '../../models/onnx/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-checker-'));

const CHECK = `
import sys, onnx
failed = 0
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(path, full_check=True)
        print("ok", path)
    except Exception as e:
        failed += 1
        print("FAIL", path, str(e).splitlines()[0][:300])
sys.exit(1 if failed else 0)
`;

function files(): string[] {
  const out: string[] = [];
  for (const e of listZoo().filter((x) => x.ciSized)) {
    for (const dtype of e.family === 'llama' ? (['float32', 'float16'] as const) : (['float32'] as const)) {
      const f = join(dir, `${e.name}-${dtype}.onnx`);
      writeFileSync(f, buildZooModel(e.name, { dtype }));
      out.push(f);
    }
  }
  // The labelled ORT-contrib variant: the checker validates the graph around it (it skips com.microsoft ops).
  const contrib = join(dir, 'tiny-llama-ort-contrib.onnx');
  writeFileSync(contrib, buildZooModel('tiny-llama', { variant: 'ort-contrib' }));
  out.push(contrib);
  // The streaming writer, both layouts.
  const single = join(dir, 'streamed-single.onnx');
  writePlan(zooPlan('tiny-llama'), 0, single);
  const external = join(dir, 'streamed-external.onnx');
  writePlan(zooPlan('tiny-bert'), 0, external, { external: true });
  return [...out, single, external];
}

systemTest(test, deps.pythonOnnx, 'every CI-sized zoo model passes onnx.checker.check_model(full_check=True)', () => {
  const list = files();
  const r = spawnSync('/usr/bin/python3', ['-c', CHECK, ...list], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('ok ')).length,
    list.length,
    r.stdout,
  );
});

test('streamed single-file output decodes to the same model as the in-memory encoding', () => {
  // Field order on the wire differs (the streamed file appends the graph last), the content must not.
  const f = join(dir, 'same.onnx');
  writePlan(zooPlan('tiny-resnet', { seed: 3 }), 3, f);
  const canonical = (b: Uint8Array) => Buffer.from(onnx.ModelProto.encode(decodeModel(b)).finish());
  assert.ok(canonical(readFileSync(f)).equals(canonical(buildZooModel('tiny-resnet', { seed: 3 }))));
});

test('external data: large initializers go to <file>.data, small constants stay inline', () => {
  const f = join(dir, 'ext.onnx');
  const w = writePlan(zooPlan('tiny-llama'), 0, f, { external: true });
  assert.ok(w.externalData && existsSync(w.externalData.path));
  const m = decodeModel(readFileSync(f));
  const inits = m.graph!.initializer!;
  const ext = inits.filter((t) => t.dataLocation === 1);
  assert.ok(ext.some((t) => t.name === 'model.embed_tokens.weight'));
  assert.ok(inits.filter((t) => t.dataLocation !== 1).every((t) => (t.rawData?.length ?? 0) < 1024));
});

test('every zoo model carries npuval.model metadata with its family and config', () => {
  for (const name of ['tiny-llama', 'tiny-bert', 'tiny-resnet']) {
    const m = decodeModel(buildZooModel(name));
    const meta = m.metadataProps?.find((p) => p.key === METADATA_KEY);
    const parsed = JSON.parse(meta?.value ?? '{}') as { name?: string; family?: string; config?: object };
    assert.is(parsed.name, name);
    assert.ok(parsed.family && parsed.config);
    assert.ok(
      (m.opsetImport ?? []).every((o) => Number(o.version) <= 17),
      'opset ≤ 17',
    );
  }
});

test('the same seed gives the same bytes; another seed other weights', () => {
  assert.equal(buildZooModel('tiny-bert', { seed: 1 }), buildZooModel('tiny-bert', { seed: 1 }));
  assert.not.equal(buildZooModel('tiny-bert', { seed: 1 }), buildZooModel('tiny-bert', { seed: 2 }));
});

test('unknown preset and fp16 for a non-decoder are input errors (exit 2)', () => {
  for (const f of [() => buildZooModel('nosuch'), () => buildZooModel('tiny-bert', { dtype: 'float16' })]) {
    try {
      f();
      assert.unreachable();
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2);
    }
  }
  assert.throws(() => buildZooModel('nosuch'), /known: .*tiny-llama/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
