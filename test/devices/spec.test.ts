import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { procAdapter, unregisterProcAdapter } from '../../devices/proc/index.js';
import { parseDeviceSpec } from '../../devices/spec.js';
import { candidateSpecs, createDevice, parseOptions, probe, registerAdapter, type Adapter } from '../../devices/index.js';
import type { Device, Session } from '../../devices/types.js';

type Refusal = Error & { exitCode?: number };
const badInput = (re: RegExp) => (e: Refusal) => e.exitCode === 2 && re.test(e.message);

test('ort specs parse EP, index and options, and normalise option order', () => {
  const s = parseDeviceSpec('ort:CUDA:1?b=2&a=x%20y');
  assert.is(s.kind, 'ort');
  assert.is(s.target, 'cuda');
  assert.is(s.index, 1);
  assert.equal(s.options, { a: 'x y', b: '2' });
  assert.is(s.id, 'ort:cuda:1?a=x%20y&b=2');
});

test('endpoint specs keep the URL and take query parameters as options', () => {
  const s = parseDeviceSpec('endpoint:http://127.0.0.1:8000/v1/?model=llama');
  assert.is(s.target, 'http://127.0.0.1:8000/v1');
  assert.equal(s.options, { model: 'llama' });
});

test('malformed specs are rejected with a sentence naming the spec', () => {
  for (const bad of ['cpu', 'ort:', 'ort:cpu:x', 'ort:cpu?threads', 'nosuch:cpu', 'endpoint:not a url', 'endpoint:ftp://x', 'proc:']) {
    assert.throws(
      () => parseDeviceSpec(bad),
      (e: Refusal) => e.exitCode === 2 && e.message.includes(`"${bad}"`),
      bad,
    );
  }
});

test('unknown EPs and bad options are bad input (exit 2), listing what is available', () => {
  assert.throws(() => createDevice('ort:nosuch', ['ort:cpu']), badInput(/not an ONNX Runtime execution provider; available here: ort:cpu/));
  assert.throws(
    () => createDevice('ort:cpu?graphOptimizationLevel=max'),
    badInput(/graphOptimizationLevel=max .* is not one of disabled, basic, extended, layout, all/),
  );
  assert.throws(() => createDevice('ort:cpu?intraOpThreads=-1'), badInput(/intraOpThreads=-1 .* is not an integer from 0 to 1024/));
});

test('an unknown option key is refused in one sentence naming the spec, the key and the known keys', () => {
  assert.throws(
    () => createDevice('ort:cpu?intraOpThread=2'),
    badInput(
      /^unknown option "intraOpThread" in "ort:cpu\?intraOpThread=2"; ort:cpu takes allowSpinning, cpuFallback, enableCpuMemArena, enableMemPattern, executionMode, graphOptimizationLevel, interOpThreads, intraOpThreads, logSeverityLevel$/,
    ),
  );
  // EP options are per EP: the WebGPU EP's layout is no option of the CPU EP.
  assert.throws(
    () => createDevice('ort:cpu?preferredLayout=NHWC'),
    badInput(/unknown option "preferredLayout" in "ort:cpu\?preferredLayout=NHWC"/),
  );
  assert.ok(createDevice('ort:webgpu?preferredLayout=NHWC'));
  assert.throws(
    () => createDevice('tfjs:wasm?threads=2'),
    badInput(/unknown option "threads" in "tfjs:wasm\?threads=2"; tfjs:wasm takes no options/),
  );
});

test('a wrong option type is refused, naming the option, the value and the type', () => {
  assert.throws(
    () => createDevice('ort:cpu?intraOpThreads=two'),
    badInput(/option intraOpThreads=two in "ort:cpu\?intraOpThreads=two" is not an integer from 0 to 1024/),
  );
  assert.throws(() => createDevice('ort:cpu?cpuFallback=no'), badInput(/option cpuFallback=no .* is not true or false/));
  assert.throws(() => createDevice('ort:cpu?logSeverityLevel=7'), badInput(/option logSeverityLevel=7 .* is not an integer from 0 to 4/));
  assert.throws(() => createDevice('ort:webgpu?preferredLayout=NWHC'), badInput(/preferredLayout=NWHC .* is not one of NCHW, NHWC/));
  assert.throws(() => createDevice('ort:cuda?deviceId=1.5'), badInput(/deviceId=1\.5 .* is not a non-negative integer/));
});

/** A device whose sessions double their input: enough to be probed. */
function doubler(id: string): Device {
  const session: Session = {
    inputs: [],
    outputs: [],
    concurrentRuns: true,
    close: async () => {},
    run: async (feeds) => {
      const x = feeds.X as { data: Float32Array };
      return { Y: { type: 'float32', dims: [x.data.length], data: x.data.map((v) => 2 * v) } };
    },
  };
  return {
    id,
    kind: 'proc',
    capabilities: { tensors: true, generation: null },
    describe: () => Promise.reject(new Error('n/a')),
    open: async () => session,
  };
}

test('parseOptions converts each option to its declared type', () => {
  const schema = {
    n: { type: 'int', min: 1, doc: '' },
    on: { type: 'bool', doc: '' },
    mode: { type: 'enum', values: ['a', 'b'], doc: '' },
    name: { type: 'string', doc: '' },
  } as const;
  const typed = parseOptions(parseDeviceSpec('ort:cpu?n=3&on=false&mode=b&name=x'), schema, 'ort:cpu');
  assert.equal(typed, { mode: 'b', n: 3, name: 'x', on: false });
  assert.throws(() => parseOptions(parseDeviceSpec('ort:cpu?n=0'), schema, 'ort:cpu'), badInput(/n=0 .* is not an integer of at least 1/));
});

test('registry: a throwaway adapter registers itself, is built, probed and listed, and goes again', async () => {
  // Every kind has its adapter: take the proc: one out for this test and put it back after.
  unregisterProcAdapter();
  try {
    const built: string[] = [];
    const adapter: Adapter = {
      kind: 'proc',
      options: () => ({}),
      create: (spec) => {
        built.push(spec.target);
        return doubler(spec.id);
      },
      candidates: () => ['proc:./fake'],
    };
    assert.throws(() => createDevice('proc:./fake'), badInput(/no adapter for "proc:" devices is installed/));
    const remove = registerAdapter(adapter);
    try {
      assert.throws(() => registerAdapter(adapter), /already registered/);
      assert.is(createDevice('proc:./fake --flag').id, 'proc:./fake --flag');
      assert.equal(built, ['./fake --flag']);
      assert.ok(candidateSpecs().includes('proc:./fake'));
      const a = await probe('proc:./fake');
      assert.ok(a.available, a.reason ?? '');
    } finally {
      remove();
    }
    assert.not.ok(candidateSpecs().includes('proc:./fake'));
    assert.throws(() => createDevice('proc:./fake'), badInput(/no adapter for "proc:" devices is installed/));
  } finally {
    registerAdapter(procAdapter);
  }
});

test.run();
