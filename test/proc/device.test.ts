// The proc: device through the library API with real adapter processes: description and probe from
// the hello, the same results as ort:cpu, overlapping runs, typed failures from error frames, and
// the adapter crashing, hanging, writing garbage or failing to start.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice, DeviceRunError, probe, probeModelBytes } from '../../devices/index.js';
// The side effect registers the proc: adapter in this process (devices/adapters.ts does not load it yet).
import '../../devices/proc/index.js';
import type { ProcDevice } from '../../devices/proc/index.js';
import type { Device, Tensor } from '../../devices/types.js';
import { identityModel, sameTensor, sampleTensor, unknownOpModel } from '../../harness/adapter-check/models.js';
import { childrenMatching, faulty, REFERENCE, root, sleep } from './helpers.js';

process.chdir(root);
const x4: Tensor = { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) };
const values = (t: unknown) => Array.from((t as Tensor).data as Float32Array);
const adapterPids = () => childrenMatching(process.pid, 'adapters/ort-node/main.js');
const rejects = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
};

test("describe() and probe() come from the adapter's hello", async () => {
  const a = await probe(REFERENCE);
  assert.ok(a.available, a.reason ?? '');
  const d = a.description!;
  assert.is(d.kind, 'proc');
  assert.equal(d.runtime.name, 'onnxruntime-node');
  assert.is(d.backend.name, 'cpu');
  assert.ok(
    d.notes.some((n) =>
      /^adapter npuval-ort-node .* \(protocol 1\), command \["node","adapters\/ort-node\/main\.js"\], pid \d+, stderr log .*npuval-proc/.test(
        n,
      ),
    ),
    d.notes.join('\n'),
  );
  assert.ok(d.notes.some((n) => /adapter capabilities: dtypes float32, .*string, .*; .*heartbeat 1000 ms/.test(n)));
});

test('the same outputs and I/O metadata as ort:cpu, for the probe model and every element type the adapter claims', async () => {
  const proc = createDevice(REFERENCE);
  const ort = createDevice('ort:cpu');
  const p = await proc.open({ bytes: probeModelBytes() });
  const o = await ort.open({ bytes: probeModelBytes() });
  assert.equal(p.inputs, o.inputs);
  assert.equal(p.outputs, o.outputs);
  assert.equal(values((await p.run({ X: x4 })).Y), values((await o.run({ X: x4 })).Y));
  await Promise.all([p.close(), o.close()]);
  const claimed = (await (proc as ProcDevice).adapter()).hello.capabilities.dtypes;
  assert.is(claimed.length, 13, 'float32, float16, float64, the eight integer types, bool, string');
  for (const dtype of claimed) {
    const s = await proc.open({ bytes: identityModel(dtype) });
    const y = (await s.run({ X: sampleTensor(dtype) })).Y as Tensor;
    assert.is(sameTensor(y, sampleTensor(dtype)), null, dtype);
    await s.close();
  }
});

test('overlapping runs are pipelined and each gets its own result; bytes-only models leave no temp file', async () => {
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith('npuval-proc-model-')).length;
  const s = await createDevice(REFERENCE).open({ bytes: probeModelBytes() });
  assert.is(
    readdirSync(tmpdir()).filter((n) => n.startsWith('npuval-proc-model-')).length,
    before,
    'the model file is deleted once loaded',
  );
  assert.ok(s.concurrentRuns);
  const outs = await Promise.all(
    Array.from({ length: 32 }, (_, k) => s.run({ X: { type: 'float32', dims: [4], data: Float32Array.of(k, -k, k / 2, 1) } })),
  );
  for (const [k, out] of outs.entries()) assert.equal(values(out.Y), [2 * k, -2 * k, k, 2]);
  await s.close();
});

test('error frames arrive as typed failures: unsupported-op, unsupported-opset, and a dtype the hello does not claim', async () => {
  const d = createDevice(REFERENCE);
  const op = await rejects(d.open({ bytes: unknownOpModel() }));
  assert.ok(op instanceof DeviceRunError && op.failure === 'unsupported-op', op.message);
  assert.match(op.message, /NpuvalNoSuchOp.*adapter error "unsupported-op"/);
  const s = await d.open({ bytes: identityModel('float32') });
  const bf = await rejects(s.run({ X: { type: 'bfloat16', dims: [1], data: Uint16Array.of(0x3f80) } }));
  assert.ok(bf instanceof DeviceRunError && bf.failure === 'unsupported-dtype', bf.message);
  const opt = await rejects(s.run({ X: x4 }, ['NoSuchOutput']));
  assert.ok(opt instanceof DeviceRunError && opt.failure === 'runtime', opt.message);
  await s.close();
  const bad = await rejects(d.open({ bytes: probeModelBytes() }, { options: { runTimeoutMs: 'soon' } }));
  assert.is((bad as { exitCode?: number }).exitCode, 2);
  assert.match(bad.message, /runTimeoutMs=soon/);
});

test('an adapter killed mid-run fails that run with a device error; the next open() starts a new one', async () => {
  const d: Device = createDevice(REFERENCE);
  const s = await d.open({ bytes: probeModelBytes() });
  const [pid] = adapterPids();
  assert.ok(pid, 'the adapter runs as a child of this process');
  process.kill(pid!, 'SIGSTOP');
  const running = s.run({ X: x4 });
  await sleep(20);
  process.kill(-pid!, 'SIGKILL');
  const err = await rejects(running);
  assert.ok(err instanceof DeviceRunError && err.failure === 'device-lost');
  assert.match(
    err.message,
    /^proc:node adapters\/ort-node\/main\.js: the adapter process was killed by SIGKILL .*log .*npuval starts it again on the next open\(\)/,
  );
  const again = await rejects(s.run({ X: x4 }));
  assert.is(again, err, "the lost adapter's sessions fail at once, with the same error");
  const s2 = await d.open({ bytes: probeModelBytes() });
  assert.equal(values((await s2.run({ X: x4 })).Y), [2, 4, 6, 8]);
  assert.not.ok(adapterPids().includes(pid!));
  await s2.close();
  await s.close();
});

test('a hung adapter (stopped) fails the run at its timeout and is killed', async () => {
  const d = createDevice(REFERENCE);
  const s = await d.open({ bytes: probeModelBytes() }, { options: { runTimeoutMs: '400' } });
  const [pid] = adapterPids();
  process.kill(pid!, 'SIGSTOP');
  const t = performance.now();
  const err = await rejects(s.run({ X: x4 }));
  assert.ok(performance.now() - t < 2000, 'well before the heartbeat watchdog (4 s)');
  assert.match(err.message, /the adapter process did not answer run \(request \d+\) within 400 ms/);
  await sleep(100);
  assert.not.ok(adapterPids().includes(pid!), 'the hung process was killed');
  await s.close();
});

test('garbage on stdout, a broken handshake, a command that does not start, a crash at start with its stderr', async () => {
  const g = await createDevice(faulty('garbage')).open({ bytes: probeModelBytes() });
  const garbage = await rejects(g.run({ X: x4 }));
  assert.match(
    garbage.message,
    /wrote to stdout what is not a protocol frame: .*"vendor-sdk 3\.1 initialised on card 0\\\\n.*adapters must keep logs and SDK banners off stdout/,
  );
  await g.close();

  const h = await probe(faulty('bad-handshake'));
  assert.not.ok(h.available);
  assert.match(h.reason!, /did not complete the protocol handshake: the hello reply's capabilities is missing, not an object/);
  const opened = await rejects(createDevice(faulty('bad-handshake')).open({ bytes: probeModelBytes() }));
  assert.is((opened as { exitCode?: number }).exitCode, 3, 'an adapter that cannot shake hands is unavailable (exit 3)');

  const missing = await probe('proc:/nonexistent/npuval-adapter --x');
  assert.match(missing.reason!, /cannot start "\/nonexistent\/npuval-adapter" \(spawn \/nonexistent\/npuval-adapter ENOENT\)/);

  const crash = await probe(`proc:node -e "process.stderr.write('vendor: no NPU found at /dev/npu0\\n'); process.exit(4)"`);
  assert.match(crash.reason!, /the adapter process exited with status 4; last stderr: "vendor: no NPU found at \/dev\/npu0"/);
});

test.run();
